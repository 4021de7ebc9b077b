"""The heartbeat: the poll loop's proof of life in the state directory, for `healthcheck`.

The daemon has no HTTP port, so Docker's `HEALTHCHECK` (and anyone else) asks
`isolarcloud2mqtt healthcheck`, which reads the file the loop rewrites after each poll.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from bridge.platform.atomic import write_atomic

HEARTBEAT_FILE = "heartbeat.json"
# Slack over two poll intervals: one slow poll (timeouts, retries) is not a failure.
GRACE_SECONDS = 60


def heartbeat_path(state_dir: Path) -> Path:
    return state_dir / HEARTBEAT_FILE


def write_heartbeat(state_dir: Path, *, poll_interval: int, now: float | None = None) -> None:
    """Record that a poll just finished (whatever its result: the loop is alive)."""
    stamp = time.time() if now is None else now
    body = {"last_poll": stamp, "interval": poll_interval, "pid": os.getpid()}
    write_atomic(heartbeat_path(state_dir), json.dumps(body).encode() + b"\n", mode=0o600)


def healthcheck(state_dir: Path, now: float | None = None) -> tuple[bool, str]:
    """(healthy, one line saying why) from the heartbeat; never raises for a bad file.

    Healthy when the last poll is younger than 2 x interval + 60 s.
    """
    path = heartbeat_path(state_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return False, f"no heartbeat at {path}: is `isolarcloud2mqtt run` running?"
    except OSError as exc:
        return False, f"cannot read the heartbeat {path}: {exc.strerror or exc}"
    try:
        body = json.loads(raw)
        last_poll, interval = body["last_poll"], body["interval"]
        if not _is_number(last_poll) or not _is_number(interval) or interval <= 0:
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return False, (
            f"the heartbeat {path} is corrupt: it should be rewritten by the next poll "
            "of `isolarcloud2mqtt run`; delete it if this persists"
        )
    age = (time.time() if now is None else now) - float(last_poll)
    limit = 2 * float(interval) + GRACE_SECONDS
    if age > limit:
        return False, (
            f"the last poll was {age:.0f} s ago, more than the {limit:.0f} s allowed "
            f"(2 x {interval:g} s interval + {GRACE_SECONDS} s): the poll loop is stuck "
            "or the daemon has stopped"
        )
    return True, f"the last poll was {max(age, 0):.0f} s ago (interval {interval:g} s)"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
