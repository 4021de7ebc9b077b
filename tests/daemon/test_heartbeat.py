"""Heartbeat file and the healthcheck verdict: fresh, stale, missing, corrupt."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from bridge.daemon.heartbeat import HEARTBEAT_FILE, healthcheck, heartbeat_path, write_heartbeat

T0 = 1_790_000_000.0


def test_written_atomically_as_small_json_0600(tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_heartbeat(state, poll_interval=300, now=T0)
    path = state / HEARTBEAT_FILE
    assert heartbeat_path(state) == path
    assert json.loads(path.read_text()) == {"last_poll": T0, "interval": 300, "pid": os.getpid()}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert [p.name for p in state.iterdir()] == [HEARTBEAT_FILE]  # no temporary left


def test_fresh_heartbeat_is_healthy(tmp_path: Path) -> None:
    write_heartbeat(tmp_path, poll_interval=300, now=T0)
    healthy, why = healthcheck(tmp_path, now=T0 + 42)
    assert healthy
    assert why == "the last poll was 42 s ago (interval 300 s)"


def test_default_clock_is_now(tmp_path: Path) -> None:
    write_heartbeat(tmp_path, poll_interval=300)
    assert healthcheck(tmp_path)[0]


@pytest.mark.parametrize(
    ("age", "healthy"),
    [(0, True), (659, True), (660, True), (661, False), (10_000, False), (-30, True)],
)
def test_limit_is_two_intervals_plus_a_minute(tmp_path: Path, age: float, healthy: bool) -> None:
    write_heartbeat(tmp_path, poll_interval=300, now=T0)
    assert healthcheck(tmp_path, now=T0 + age)[0] is healthy


def test_stale_heartbeat_says_why(tmp_path: Path) -> None:
    write_heartbeat(tmp_path, poll_interval=60, now=T0)
    healthy, why = healthcheck(tmp_path, now=T0 + 1000)
    assert not healthy
    assert "1000 s ago" in why
    assert "180 s allowed" in why
    assert "stuck" in why


def test_missing_heartbeat_names_the_file(tmp_path: Path) -> None:
    healthy, why = healthcheck(tmp_path / "data", now=T0)
    assert not healthy
    assert why == (
        f"no heartbeat at {tmp_path / 'data' / HEARTBEAT_FILE}: is `isolarcloud2mqtt run` running?"
    )


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b"{}",
        b'{"last_poll": "yesterday", "interval": 300}',
        b'{"last_poll": 1790000000, "interval": 0}',
        b'{"last_poll": true, "interval": 300}',
        b'{"last_poll": 1790000000}',
        b"null",
    ],
)
def test_corrupt_heartbeat_is_unhealthy_with_a_reason(tmp_path: Path, content: bytes) -> None:
    (tmp_path / HEARTBEAT_FILE).write_bytes(content)
    healthy, why = healthcheck(tmp_path, now=T0)
    assert not healthy
    assert why.startswith(f"the heartbeat {tmp_path / HEARTBEAT_FILE} is corrupt")


def test_unreadable_heartbeat_is_unhealthy_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / HEARTBEAT_FILE).mkdir()  # a folder where the file should be: EISDIR
    healthy, why = healthcheck(tmp_path, now=T0)
    assert not healthy
    assert why.startswith(f"cannot read the heartbeat {tmp_path / HEARTBEAT_FILE}")
