"""The whole daemon against the odd accounts real users have: plant data keeps flowing,
and bridge/health and bridge/event say what is missing and why.

The service runs on the simulator's clock at 60x, so a 60-s poll takes a real second.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.isolarcloud.client import DEVICE_REALTIME
from bridge.simulator import PROFILES, Account
from bridge.simulator.plants import SBR128, default_fleet
from tests.support.broker import MosquittoBroker, wait_until
from tests.support.fast_daemon import Daemon, run_daemon

HYBRID, STRING = "1122348203", "1122348217"


@pytest.fixture
def without_device_endpoint(tmp_path: Path, broker: MosquittoBroker) -> Iterator[Daemon]:
    yield from run_daemon(tmp_path, broker, Account(missing={"getDeviceRealTimeData": "404"}))


def test_an_account_without_the_device_endpoint_still_publishes_its_plants(
    without_device_endpoint: Daemon,
) -> None:
    daemon = without_device_endpoint
    for ps_id in (HYBRID, STRING):
        assert daemon.state(f"isolarcloud/{ps_id}/state")["pv_power"] is not None
    event = daemon.wait_event("unavailable", "getDeviceRealTimeData")
    assert "HTTP 404" in event["message"]
    assert "plant values still flow" in event["message"]
    assert event["device_types"] == [1, 7, 14, 22, 43]  # one event for the missing endpoint
    assert len(daemon.events("unavailable")) == 1
    polls = daemon.running.service.health.polls
    daemon.running.wait_polls(polls + 3)
    health = daemon.health()
    assert health["status"] == "ok"
    assert {(u["endpoint"], u["device_type"]) for u in health["unavailable"]} == {
        ("getDeviceRealTimeData", t) for t in (1, 7, 14, 22, 43)
    }
    assert daemon.sim.calls[DEVICE_REALTIME] == 1  # found out once, never asked again
    device_states = [
        m for m in daemon.watcher.messages if m.topic.count("/") == 3 and m.topic.endswith("/state")
    ]
    assert device_states == []
    assert {m.text for m in daemon.watcher.on("isolarcloud/bridge/auth")} == {"ok"}


@pytest.fixture
def odd(tmp_path: Path, broker: MosquittoBroker) -> Iterator[Daemon]:
    account = PROFILES["odd"]
    yield from run_daemon(tmp_path, broker, Account(**vars(account) | {"refresh_failures": 0}))


def test_an_odd_account_names_what_it_cannot_read_and_keeps_its_authorisation(
    odd: Daemon,
) -> None:
    daemon = odd
    detail = daemon.wait_event("unavailable", "getPowerStationDetail")
    assert "E994" in detail["message"] and "installed power" in detail["message"]
    battery = daemon.wait_event("unavailable", "battery devices (type 43)")
    assert battery["device_types"] == [43]
    ess = next(d for d in daemon.sim.plants[0].devices if d.device_type == 14)
    capacity = daemon.state(f"isolarcloud/{HYBRID}/{ess.device_sn}/state")["battery_capacity"]
    assert capacity == 12.8  # 12800 Wh, whatever point_dict's "kWh" label says
    # the authorisation server fails the next token refresh (code -1): a passing trouble
    since = daemon.watcher.mark()
    daemon.sim.account.refresh_failures = 1
    daemon.sim.expire_access_tokens()
    failed = daemon.wait_event("poll_failed", "code -1", since)
    assert "tried again at the next poll" in failed["message"]
    wait_until(lambda: daemon.health()["errors"].get("-1") == 1, 20, "the failure counted")
    wait_until(lambda: daemon.health()["status"] == "ok", 20, "a poll after the failure")
    assert {m.text for m in daemon.watcher.on("isolarcloud/bridge/auth")} == {"ok"}
    assert daemon.events("reauth_required") == []


@pytest.fixture
def growing(tmp_path: Path, broker: MosquittoBroker) -> Iterator[Daemon]:
    # The string plant alone (inverter, dongle): 3 calls a poll, every 60 s, 3 for each
    # inventory (every 120 s) and one for a token refresh: 271 calls an hour of 300.
    yield from run_daemon(
        tmp_path,
        broker,
        Account(),
        plants=default_fleet()[1:],
        hourly_call_budget=300,
        device_list_interval=120,
    )


def test_a_device_added_over_the_budget_slows_the_polls_and_nothing_stops(
    growing: Daemon,
) -> None:
    daemon = growing
    daemon.state(f"isolarcloud/{STRING}/state")
    assert daemon.health()["interval_s"] == 60
    since = daemon.watcher.mark()
    daemon.sim.add_device(int(STRING), SBR128)  # an installer adds a battery: 4 calls a poll
    # 4 calls a poll: 331 an hour at 60 s; 4 x 3600 / (300 - 91) s fits: 69 s
    event = daemon.wait_event("budget", "polling every 69 s instead", since)
    assert event["level"] == "warning"
    wait_until(lambda: daemon.health()["interval_s"] == 69, 20, "the stretched interval")
    assert "hourly_call_budget = 300" in daemon.health()["budget_note"]
    daemon.watcher.publish("isolarcloud/bridge/request/refresh", '{"transaction": "after"}')
    answer = daemon.watcher.wait_for(
        "isolarcloud/bridge/response/refresh",
        lambda m: json.loads(m.payload)["transaction"] == "after",
        20,
    )
    assert json.loads(answer.payload)["status"] in ("ok", "throttled")
    assert daemon.running.thread.is_alive()
    assert daemon.events("config_error") == []


@pytest.fixture
def absurd(tmp_path: Path, broker: MosquittoBroker) -> Iterator[Daemon]:
    yield from run_daemon(tmp_path, broker, Account(point_values={83252: "65.535"}))


def test_an_absurd_value_is_null_with_an_event_naming_the_point(absurd: Daemon) -> None:
    state = absurd.state(f"isolarcloud/{HYBRID}/state")
    assert state["battery_soc"] is None
    assert state["pv_power"] is not None
    event = absurd.wait_event("implausible_value", "point 83252")
    assert event["raw"] == 65.535
    assert "battery_soc" in event["message"]
    polls = absurd.running.service.health.polls
    absurd.running.wait_polls(polls + 2)
    assert len(absurd.events("implausible_value")) == 1  # told once, not every poll
