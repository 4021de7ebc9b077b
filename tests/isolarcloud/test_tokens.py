"""The token file: round trip, mode 0600, clear errors, and whole after a SIGKILL."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.isolarcloud.errors import AuthorizationDeadError
from bridge.isolarcloud.tokens import TokenSet, TokenStore, token_path
from tests.support.broker import wait_until

TOKENS = TokenSet(
    access_token="acc-secret-1",
    refresh_token="ref-secret-1",
    expires_at=1_000_172_799.0,
    refresh_expires_at=1_002_592_000.0,
    obtained_at=1_000_000_000.0,
    auth_ps_list=("1122348203", "5"),
    auth_user="65199",
)


def test_round_trip_and_mode(tmp_path: Path) -> None:
    store = TokenStore(token_path(tmp_path / "state"))
    assert store.path == tmp_path / "state" / "tokens.toml"
    assert store.load() is None
    store.save(TOKENS)
    assert store.load() == TOKENS
    assert store.path.stat().st_mode & 0o777 == 0o600


def test_without_user(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "t.toml")
    tokens = TokenSet("a", "r", 1.0, 2.0, 0.0)
    store.save(tokens)
    assert store.load() == tokens


def test_repr_hides_tokens() -> None:
    assert "secret" not in repr(TOKENS)


@pytest.mark.parametrize(
    "content",
    [
        "not toml [",
        "[other]\nx = 1\n",
        '[tokens]\naccess_token = ""\n',
        '[tokens]\naccess_token = "a"\nrefresh_token = "r"\nexpires_at = "soon"\n'
        "refresh_expires_at = 1\nobtained_at = 1\n",
    ],
)
def test_damaged_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    store = TokenStore(tmp_path / "tokens.toml")
    store.path.write_text(content)
    with pytest.raises(AuthorizationDeadError, match=r"damaged.*auth login"):
        store.load()


_WRITER = """
import sys
from pathlib import Path
from bridge.isolarcloud.tokens import TokenSet, TokenStore
store = TokenStore(Path(sys.argv[1]))
n = 0
while True:
    n += 1
    store.save(TokenSet("access-%d" % n + "x" * 3000, "refresh-%d" % n, float(n), float(n),
                        float(n), tuple(str(i) for i in range(50)), str(n)))
"""


def test_kill_at_any_instant_leaves_a_whole_file(tmp_path: Path) -> None:
    rng = random.Random(1)
    store = TokenStore(tmp_path / "tokens.toml")
    for _round in range(30):
        target = rng.randint(1, 40)  # the child starts counting at 1 each round
        child = subprocess.Popen([sys.executable, "-c", _WRITER, str(store.path)], cwd=Path.cwd())
        try:

            def reached(target: int = target) -> bool:
                tokens = store.load()
                return tokens is not None and int(tokens.obtained_at) >= target

            wait_until(reached, timeout=20, what=f"the writer to save token set {target}")
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        tokens = store.load()
        assert tokens is not None
        n = int(tokens.obtained_at)
        assert n >= target
        assert tokens.access_token == f"access-{n}" + "x" * 3000
        assert tokens.refresh_token == f"refresh-{n}"
        assert len(tokens.auth_ps_list) == 50 and tokens.auth_user == str(n)
