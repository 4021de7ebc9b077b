"""The corpus of broken configs: each gives one ConfigError line naming the file and the fix.

Each `bad/*.toml` starts with `# expect: <fragment>` lines; every fragment must appear in
the message. Values planted for secret keys (and env-supplied secrets) must never appear.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bridge.cli import main
from bridge.config.load import load_config
from bridge.config.model import ConfigError

BAD = Path(__file__).parent / "bad"
CASES = sorted(BAD.glob("*.toml"))
ENV = {"ISOLARCLOUD_SECRET_KEY": "ENV-SECRET-9f8e", "ISOLARCLOUD_MQTT_PASSWORD": "ENV-PASS-7d6c"}


def _expectations(text: str) -> list[str]:
    return re.findall(r"^# expect: (.+)$", text, flags=re.MULTILINE)


def _planted_secrets(text: str) -> list[str]:
    found = re.findall(r"^\s*(?:secret_key|password|pasword)\s*=\s*\"?([^\"\n]+)", text, re.M)
    return [*found, *ENV.values()]


def test_corpus_is_large_and_every_file_has_an_expectation() -> None:
    assert len(CASES) >= 60
    for case in CASES:
        assert _expectations(case.read_text(errors="replace")), f"{case.name} has no # expect:"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_config_gives_one_clear_line(case: Path) -> None:
    text = case.read_text(errors="replace")
    with pytest.raises(ConfigError) as caught:
        load_config(case, ENV)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{case}: "), message
    for fragment in _expectations(text):
        assert fragment in message, f"{fragment!r} not in {message!r}"
    for secret in _planted_secrets(text):
        assert secret.strip() not in message, f"secret shown in {message!r}"
    assert "Traceback" not in message


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_every_command_exits_78_with_that_line(
    case: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real entry point, as `isolarcloud2mqtt run --config <case>` would."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert main(["run", "--config", str(case), "--state-dir", "/nonexistent"]) == 78
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert str(case) in lines[0]
    assert "Traceback" not in captured.err + captured.out
