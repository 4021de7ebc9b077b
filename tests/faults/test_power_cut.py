"""Power cut: the daemon is SIGKILLed again and again, also inside the counter-state write.

The whole Service runs in a child process (polling every second) against the simulator
on a fast clock and a real Mosquitto. Each restart finds the cloud a little in the past
(its clock is wound back), so the cloud's lifetime counters are lower than the last ones
published: only the energy guard's saved state (`counters.toml`) keeps the bridge from
publishing a decrease, which Home Assistant would count as a new meter cycle. Half the
kills land inside the counter save, right before one of its file operations; the others
at random moments. After every kill the counters file must load, and on every state
topic every lifetime counter must never fall, across all the restarts.
"""

from __future__ import annotations

import json
import random
import signal
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.catalogue.metric import PLANT_LEVEL
from bridge.catalogue.metrics import metrics_for
from bridge.simulator import SimClock, Simulator, serve
from bridge.simulator.demo import authorise
from tests.faults.children import Child, start_child
from tests.faults.daemon_child import COUNTERS_FILE
from tests.support.broker import MosquittoBroker, Watcher, wait_until
from tests.support.rig import make_config

# 14:00 in Utrecht (sun), 22:00 in Brisbane (load from the grid): counters move at both
START = datetime(2026, 6, 21, 12, 0, tzinfo=UTC)
SPEED = 600.0  # a new 5-minute frame every half second: every poll saves the counters
REWIND_S = 900.0  # simulated seconds the cloud falls back at each restart
# kill right before file operation number step of the save; with the atomic write
# (open, fchmod, open, write, flush, fsync, __exit__, replace, ...) these are: before
# the temporary file, its mode, writing, flushing, fsync and the rename; with a plain
# rewrite in place (open, write, ...) the steps modulo its count include "before write"
SAVE_STEPS = (0, 1, 3, 4, 5, 7)
RANDOM_KILLS = 4
MAX_DELAY = 1.0
TIMEOUT = 20.0
BRIDGE = "isolarcloud/bridge"


class Rewinder:
    """A monotonic clock for SimClock that can be set back."""

    def __init__(self) -> None:
        self.back = 0.0

    def __call__(self) -> float:
        return time.monotonic() - self.back


def lifetime_keys(info: dict[str, object]) -> dict[str, set[str]]:
    """State topic -> its lifetime counters, from the bridge's info payload."""
    plant_keys = {m.key for m in metrics_for(PLANT_LEVEL) if m.counter == "lifetime"}
    found: dict[str, set[str]] = {}
    plants = info["plants"]
    assert isinstance(plants, list)
    for plant in plants:
        found[f"isolarcloud/{plant['ps_id']}/state"] = plant_keys
        for device in plant["devices"]:
            keys = {m.key for m in metrics_for(device["type"]) if m.counter == "lifetime"}
            found[f"isolarcloud/{plant['ps_id']}/{device['id']}/state"] = keys
    return found


def check_counter_file(path: Path) -> None:
    """What EnergyGuard needs to load it: a version and a table of counters."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data.get("version") == 1 and data.get("counters"), f"{path} is not whole: {data}"


def test_sigkill_during_counter_saves_keeps_the_energy_guard(
    tmp_path: Path, broker: MosquittoBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    rewinder = Rewinder()
    sim = Simulator(
        clock=SimClock(start=START, speed=SPEED, monotonic=rewinder), hourly_quota=10**6
    )
    rng = random.Random(8)
    plan: list[int | None] = [*SAVE_STEPS, *[None] * RANDOM_KILLS]
    rng.shuffle(plan)
    state_dir = tmp_path / "state"
    counters = state_dir / COUNTERS_FILE
    log = tmp_path / "daemon.log"
    watcher = Watcher(broker, ["isolarcloud/#"])
    restarts: list[int] = []  # the watcher's bookmark at each start
    kills: list[str] = []
    assert broker.host == "127.0.0.1"
    try:
        with serve(sim) as server:
            authorise(sim, make_config(server.url, broker).isolarcloud, state_dir)
            topics: dict[str, set[str]] = {}
            for step in [*plan, None]:  # the last start only checks what the last kill left
                if restarts:
                    check_counter_file(counters)
                    rewinder.back += REWIND_S / SPEED
                restarts.append(watcher.mark())
                args = [str(state_dir), server.url, str(broker.port)]
                child = start_child(
                    "tests.faults.daemon_child", args + ([] if step is None else [str(step)]), log
                )
                if not topics:
                    info = watcher.wait_for(f"{BRIDGE}/info", timeout=TIMEOUT)
                    topics = lifetime_keys(json.loads(info.payload))
                published_after(watcher, child, topics, restarts[-1])
                if len(restarts) > len(plan):
                    child.close()
                elif step is None:
                    child.kill_after(rng.uniform(0, MAX_DELAY))
                    kills.append("random")
                else:
                    said = child.read_line(TIMEOUT)
                    assert said.startswith("kill "), f"no kill inside the save: {said!r}"
                    assert child.proc.wait(timeout=10) == -signal.SIGKILL
                    kills.append(said)
    finally:
        watcher.close()
    held = log.read_text().count('"energy_guard.held"')
    steps = check_never_falls(watcher, topics, restarts)
    with capsys.disabled():
        print(f"\npower cuts: {len(kills)} SIGKILLs, {held} counter values held by the guard")
        for kill, (count, smallest) in zip(kills, steps, strict=True):
            print(
                f"  {kill.split(' after ')[0]}: {count} lifetime counters, smallest step "
                f"over the restart {smallest:+.2f}"
            )
    assert "state_unreadable" not in log.read_text()
    assert held > 0, "the cloud never fell behind: the guard was not put to the test"


def published_after(watcher: Watcher, child: Child, topics: dict[str, set[str]], mark: int) -> None:
    """Wait until this life of the daemon published a state on every topic."""

    def all_published() -> bool:
        if child.proc.poll() is not None:
            raise AssertionError(f"the daemon died before publishing:\n{child.tail()}")
        recent = watcher.messages[mark:]
        return topics.keys() <= {m.topic for m in recent}

    wait_until(all_published, TIMEOUT, "a state on every topic after the restart")


def check_never_falls(
    watcher: Watcher, topics: dict[str, set[str]], restarts: list[int]
) -> list[tuple[int, float]]:
    """Every lifetime counter rises or stays, across all restarts. For the report, per
    restart: how many counters had a value before it, and their smallest step over it."""
    messages = watcher.messages
    last: dict[tuple[str, str], float] = {}
    steps: list[tuple[int, float]] = []
    for life, start in enumerate(restarts):
        end = restarts[life + 1] if life + 1 < len(restarts) else len(messages)
        across: dict[tuple[str, str], float] = {}  # first value of this life minus the last
        for msg in messages[start:end]:
            if msg.topic not in topics:
                continue
            state = json.loads(msg.payload)
            for key in topics[msg.topic]:
                value = state.get(key)
                if value is None:
                    continue
                before = last.get((msg.topic, key))
                assert before is None or value >= before, (
                    f"{msg.topic} {key} fell from {before} to {value} in life {life} "
                    f"(after {life} SIGKILLs)"
                )
                if life and before is not None:
                    across.setdefault((msg.topic, key), value - before)
                last[(msg.topic, key)] = value
        if life:
            steps.append((len(across), min(across.values(), default=0.0)))
    return steps
