"""The token file, state directory and config-secrets checks, on real files."""

from __future__ import annotations

import time
from pathlib import Path

from bridge.config.model import Config
from bridge.doctor.check import Check, exit_code, render, skipped
from bridge.doctor.cloud import check_tokens
from bridge.doctor.local import check_config_secrets, check_state_dir
from bridge.isolarcloud.tokens import TokenSet, TokenStore

DAY = 86400.0


def store_with(tmp_path: Path, now: float, refresh_left: float, access_left: float) -> TokenStore:
    store = TokenStore(tmp_path / "state" / "tokens.toml")
    store.save(
        TokenSet(
            access_token="access-secret",
            refresh_token="refresh-secret",
            expires_at=now + access_left,
            refresh_expires_at=now + refresh_left,
            obtained_at=now - 60,
        )
    )
    return store


def test_tokens_fresh(tmp_path: Path) -> None:
    now = time.time()
    check = check_tokens(store_with(tmp_path, now, 30 * DAY, 2 * DAY), now)
    assert check.status == "OK"
    assert "refresh token valid for 30.0 days" in check.message
    assert "secret" not in check.message


def test_tokens_refresh_expiring_within_a_week_warns(tmp_path: Path) -> None:
    now = time.time()
    check = check_tokens(store_with(tmp_path, now, 3 * DAY, -60), now)
    assert check.status == "WARN"
    assert "expires in 3.0 days" in check.message
    assert "access token expired" in check.message
    assert "auth login" in check.fix


def test_tokens_refresh_expired_fails(tmp_path: Path) -> None:
    now = time.time()
    check = check_tokens(store_with(tmp_path, now, -2 * DAY, -3 * DAY), now)
    assert check.status == "FAIL"
    assert "expired 2.0 days ago" in check.message
    assert check.fix == "run `isolarcloud2mqtt auth login`"


def test_tokens_readable_by_others_warns(tmp_path: Path) -> None:
    now = time.time()
    store = store_with(tmp_path, now, 30 * DAY, DAY)
    store.path.chmod(0o644)
    check = check_tokens(store, now)
    assert check.status == "WARN"
    assert "mode 0644" in check.message
    assert check.fix == f"chmod 600 {store.path}"


def test_tokens_damaged_fails(tmp_path: Path) -> None:
    path = tmp_path / "tokens.toml"
    path.write_text("[tokens]\naccess_token = 1\n")
    check = check_tokens(TokenStore(path), time.time())
    assert check.status == "FAIL"
    assert "damaged" in check.message
    assert "auth login" in check.fix


def test_state_dir_states(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir(mode=0o700)
    assert check_state_dir(good).status == "OK"

    missing = tmp_path / "a" / "b"
    assert check_state_dir(missing).status == "OK"
    assert "will be created" in check_state_dir(missing).message
    assert not missing.exists()  # the doctor only looks

    good.chmod(0o755)
    loose = check_state_dir(good)
    assert loose.status == "WARN"
    assert loose.fix.startswith(f"chmod 700 {good}")

    file = tmp_path / "file"
    file.write_text("")
    assert check_state_dir(file).status == "FAIL"
    assert check_state_dir(file / "sub").status == "FAIL"  # its parent is a file


def test_world_readable_config_with_inline_secret_warns(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[mqtt]\nusername = "u"\npassword = "hunter2-secret"\n')
    path.chmod(0o644)
    check = check_config_secrets(Config(path=path))
    assert check.status == "WARN"
    assert "[mqtt] password" in check.message
    assert "LoadCredential" in check.fix
    assert "hunter2" not in render([check])

    path.chmod(0o600)
    assert check_config_secrets(Config(path=path)).status == "OK"

    path.write_text('[mqtt]\npassword_file = "/run/secret"\n')
    path.chmod(0o644)
    assert check_config_secrets(Config(path=path)).status == "OK"


def test_render_and_exit_code() -> None:
    checks = [
        Check("config", "OK", "loaded", "never shown for OK"),
        Check("broker", "FAIL", "refused", "start it"),
        skipped("home assistant", "the broker check failed"),
        Check("clock", "WARN", "120 s behind", "enable NTP"),
    ]
    lines = render(checks).splitlines()
    assert lines == [
        "OK    config          loaded",
        "FAIL  broker          refused -> fix: start it",
        "SKIP  home assistant  skipped: the broker check failed",
        "WARN  clock           120 s behind -> fix: enable NTP",
    ]
    assert exit_code(checks) == 1
    assert exit_code([c for c in checks if c.status != "FAIL"]) == 0
