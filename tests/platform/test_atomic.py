"""Crash-safe writes and the clean-up of what killed writers leave behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bridge.platform.atomic import remove_stale_temporaries, write_atomic


def test_write_atomic_replaces_whole_with_private_modes(tmp_path: Path) -> None:
    target = tmp_path / "new" / "tokens.toml"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.parent.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["tokens.toml"]


def test_only_old_leftovers_of_that_file_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "tokens.toml"
    write_atomic(target, b"current")
    old = tmp_path / ".tokens.toml.abc123.tmp"
    young = tmp_path / ".tokens.toml.def456.tmp"
    other = tmp_path / ".counters.toml.abc123.tmp"
    for leftover in (old, young, other):
        leftover.write_bytes(b"dead tokens")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(other, (an_hour_ago, an_hour_ago))
    assert remove_stale_temporaries(target) == [old]
    assert not old.exists()
    assert young.exists()  # perhaps a writer at work
    assert other.exists()  # another file's business
    assert target.read_bytes() == b"current"
