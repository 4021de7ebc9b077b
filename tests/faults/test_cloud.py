"""Cloud trouble: a mixed fault rate over hundreds of polls on a fast simulated clock.

The whole service runs on the simulator's time (clock, monotonic and the client's retry
pauses), so a 60-s poll interval takes 50 ms and E999's "wait for the next hour" three
seconds. A second thread keeps pressing Refresh so the hourly call budget binds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

import pytest

from bridge.catalogue.metric import PLANT_LEVEL
from bridge.catalogue.metrics import metrics_for
from bridge.daemon.service import Service
from bridge.simulator import SimClock, Simulator, serve
from bridge.simulator.demo import authorise
from tests.support.broker import Message, MosquittoBroker, Watcher, wait_until
from tests.support.rig import make_config
from tests.support.service import on_sim_time, sim_seconds, start_service

SPEED = 1200.0
# Brisbane's (GMT+10) midnight falls two simulated hours in; Utrecht is in full sun
START = datetime(2026, 6, 21, 12, 0, tzinfo=UTC)
BUDGET = 370  # the schedule needs 365: refreshes get what little is left
POLLS = 200
FAULTS = {
    "http_500": 0.03,
    "malformed_json": 0.03,
    "timeout": 0.02,  # over real HTTP: the gateway stalls `delay`, then answers 504
    "slow": 0.03,
    "http_429": 0.01,
    "e999": 0.002,
}
DATA_PATHS = ("getPowerStationRealTimeData", "getDeviceRealTimeData")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    yield Simulator(clock=SimClock(start=START, speed=SPEED))


def counter_kinds(service: Service) -> dict[str, tuple[tzinfo, dict[str, str]]]:
    """Per state topic: the plant's zone and the counter kind of each counter metric."""

    def kinds(device_type: int) -> dict[str, str]:
        return {m.key: m.counter for m in metrics_for(device_type) if m.counter != "none"}

    found = {}
    for plant in service.inventory.plants:
        found[service.topics.state(plant.ps_id, None)] = (plant.tz, kinds(PLANT_LEVEL))
        for device in service.inventory.devices.get(plant.ps_id, ()):
            found[service.topics.state(plant.ps_id, device)] = (plant.tz, kinds(device.device_type))
    return found


def local_day(state: dict[str, object], tz: tzinfo) -> date:
    stamp = state["ts"] or state["fetched_at"]
    assert isinstance(stamp, str)
    return datetime.fromisoformat(stamp).astimezone(tz).date()


def check_counters(
    topic: str, states: list[dict[str, object]], tz: tzinfo, kinds: dict[str, str]
) -> int:
    """Energy correctness along one topic's published sequence; returns local-day changes."""
    last: dict[str, tuple[float, date]] = {}
    day_changes = 0
    previous_day: date | None = None
    closing: dict[str, float] = {}  # the previous day's last daily values
    into_day = 0
    for state in states:
        day = local_day(state, tz)
        if previous_day is not None and day != previous_day:
            day_changes += 1
            closing = {k: v for k, (v, _) in last.items() if kinds[k] == "daily" and v > 0}
            into_day = 0
        into_day += 1
        previous_day = day
        if into_day > 3:  # a daily counter resets: yesterday's total must not linger
            for key, total in closing.items():
                assert state.get(key) != total, f"{topic} {key}: {total} of yesterday on {day}"
        for key, kind in kinds.items():
            value = state.get(key)
            if value is None:
                continue
            assert isinstance(value, int | float), (topic, key, value)
            before = last.get(key)
            if before is not None and value < before[0]:
                assert kind == "daily" and day > before[1], (
                    f"{topic} {key} fell from {before[0]} to {value} ({kind}, {before[1]} -> {day})"
                )
            last[key] = (float(value), day)
    return day_changes


def check_no_stale_with_fresh_time(
    topic: str, states: list[dict[str, object]], own_time: bool
) -> None:
    """One sample time, one set of values (where the cloud stamps them: devices; a plant
    borrows its devices' time); and no sample older than the fetch allows."""
    by_ts: dict[object, dict[str, object]] = {}
    for state in states:
        values = {k: v for k, v in state.items() if k != "fetched_at"}
        first = by_ts.setdefault(state["ts"], values)
        if own_time:
            assert values == first, f"{topic}: other values under the sample time {state['ts']}"
        if state["ts"] is not None:
            fetched = datetime.fromisoformat(str(state["fetched_at"]))
            ts = datetime.fromisoformat(str(state["ts"]))
            # fetched_at is the poll's start, and every call comes after it: the sample is at
            # most one 5-minute step older. (Newer is fine: on this clock a poll runs
            # simulated minutes, more on a loaded machine.)
            assert fetched - ts <= timedelta(minutes=5), (topic, state)


def press_refresh(watcher: Watcher, stop: threading.Event) -> None:
    n = 0
    while not stop.wait(0.1):
        n += 1
        watcher.publish("isolarcloud/bridge/request/refresh", json.dumps({"transaction": n}))


Sample = tuple[float, int, float]  # simulated time before, calls, simulated time after


def sample_calls(sim: Simulator, stop: threading.Event, into: list[Sample]) -> None:
    clock = sim_seconds(sim)
    while not stop.wait(0.005):
        # the count lies between two clock reads: a pause of this thread between them
        # (a busy machine, a 1200x clock) widens the sample, never hides a call
        before = clock()
        calls = sim.total_calls
        into.append((before, calls, clock()))


def max_calls_in_an_hour(samples: list[Sample]) -> int:
    """The most calls the cloud received in any simulated hour the samples fully cover."""
    worst, start = 0, 0
    for end in range(len(samples)):
        while start < end and samples[end][2] - samples[start][0] > 3600:
            start += 1
        worst = max(worst, samples[end][1] - samples[start][1])
    return worst


def test_mixed_cloud_faults_over_hundreds_of_polls(
    tmp_path: Path,
    sim: Simulator,
    broker: MosquittoBroker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = serve(sim)
    cfg = make_config(
        server.url,
        broker,
        interval=60,
        device_list_interval=3600,
        min_refresh_interval=10,
        hourly_call_budget=BUDGET,
    )
    state_dir = tmp_path / "state"
    authorise(sim, cfg.isolarcloud, state_dir)
    for kind, rate in FAULTS.items():
        sim.faults.set_rate(kind, rate, delay={"http_429": 60.0}.get(kind, 0.005))
    for path in DATA_PATHS:  # the cloud answers E00003 on data calls, not on the token call
        sim.faults.set_rate("e00003", 0.04, path=path)
    watcher = Watcher(broker, ["isolarcloud/#"])
    presser = Watcher(broker, ["isolarcloud/bridge/response/refresh"])
    stop = threading.Event()
    samples: list[Sample] = []
    threads = [
        threading.Thread(target=press_refresh, args=(presser, stop), daemon=True),
        threading.Thread(target=sample_calls, args=(sim, stop, samples), daemon=True),
    ]
    running = start_service(cfg, state_dir, **on_sim_time(sim))
    service = running.service
    started = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: service.health.polls >= POLLS, 60, f"{POLLS} polls")
        assert running.thread.is_alive()
        kinds = counter_kinds(service)
    finally:
        stop.set()
        code = running.stop()
        for thread in threads:
            thread.join(5)
        presser.close()
        server.close()
    elapsed = time.monotonic() - started
    assert code == 0

    def decoded(topic: str) -> list[dict[str, object]]:
        return [json.loads(m.payload) for m in watcher.on(topic)]

    # energy correctness and freshness, topic by topic
    day_changes = 0
    for topic, (tz, metric_kinds) in kinds.items():
        states = decoded(topic)
        assert len(states) > POLLS / 3, f"few states on {topic}"
        day_changes += check_counters(topic, states, tz, metric_kinds)
        check_no_stale_with_fresh_time(topic, states, own_time=topic.count("/") == 3)
    assert day_changes > 0, "no plant-local midnight was crossed: the daily rule went untested"

    # health counts every failed poll, by code
    health: list[Message] = watcher.on("isolarcloud/bridge/health")
    payloads = [json.loads(m.payload) for m in health]
    failed = sum(1 for p in payloads if p["last_poll"]["result"] != "ok")
    assert sum(payloads[-1]["errors"].values()) == failed > 0
    assert {"429", "E999"} <= payloads[-1]["errors"].keys()
    assert all(p["api_calls_last_hour"] <= BUDGET for p in payloads)

    # auth survived every E00003 (the refresh healed it); plants stayed online
    assert {m.text for m in watcher.on("isolarcloud/bridge/auth")} == {"ok"}
    for plant in service.inventory.plants:
        assert {m.text for m in watcher.on(f"isolarcloud/{plant.ps_id}/availability")} == {"online"}
    tokens_rotated = sim.calls["/openapi/apiManage/refreshToken"]
    assert tokens_rotated > 0

    # the budget held in every simulated hour, with the refresh button pressed non-stop
    worst = max_calls_in_an_hour(samples)
    watcher.close()
    with capsys.disabled():
        print(
            f"\ncloud faults: {service.health.polls} polls ({failed} failed, errors "
            f"{payloads[-1]['errors']}), {sim.total_calls} calls, {tokens_rotated} token "
            f"refreshes, worst simulated hour {worst}/{BUDGET} calls, {elapsed:.1f} s real"
        )
    # The bridge counts a call when it sends it, the cloud when it arrives; calls go one
    # at a time, so the one in flight at an hour's edge is the most the two counts differ.
    assert worst <= BUDGET + 1
