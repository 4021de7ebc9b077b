"""The daemon end to end: simulator + bridge + real Mosquitto, driven as a user would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog

from bridge.simulator.demo import authorise
from tests.support.broker import MosquittoBroker, retained_snapshot, wait_until
from tests.support.rig import Rig, rig


@pytest.fixture
def env(tmp_path: Path, broker: MosquittoBroker) -> Iterator[Rig]:
    yield from rig(tmp_path, broker)


@pytest.fixture
def quick(tmp_path: Path, broker: MosquittoBroker) -> Iterator[Rig]:
    """A rig whose refresh window is one second, so tests need not wait for it."""
    yield from rig(tmp_path, broker, min_refresh_interval=1)


def test_states_and_discovery_appear(env: Rig) -> None:
    running = env.start()
    try:
        hybrid = env.plant_ids[0]
        state = env.state(hybrid)
        assert state["pv_power"] > 0  # a June morning
        assert isinstance(state["energy_total"], float | int)
        assert datetime.fromisoformat(state["ts"]).utcoffset() is not None
        env.wait_text("isolarcloud/bridge/auth", "ok")
        env.wait_text(f"isolarcloud/{hybrid}/availability", "online")
        retained = retained_snapshot(env.broker, "#")
        assert retained["isolarcloud/bridge/state"] == b"online"
        config_topic = f"homeassistant/sensor/isolarcloud_{hybrid}/pv_power/config"
        config = json.loads(retained[config_topic])
        assert config["unique_id"] == f"isolarcloud_{hybrid}_pv_power"
        assert config["availability_mode"] == "all"
        info = json.loads(retained["isolarcloud/bridge/info"])
        assert {p["ps_id"] for p in info["plants"]} == set(env.plant_ids)
        health = json.loads(retained["isolarcloud/bridge/health"])
        assert health["last_poll"]["result"] == "ok"
        assert health["api_calls_last_hour"] > 0
    finally:
        assert running.stop() == 0
    assert retained_snapshot(env.broker, "isolarcloud/bridge/state") == {
        "isolarcloud/bridge/state": b"offline"
    }


def test_device_mode_warns_openhab_users_at_start(env: Rig) -> None:
    env.cfg = replace(env.cfg, homeassistant=replace(env.cfg.homeassistant, mode="device"))
    with structlog.testing.capture_logs() as logs:
        running = env.start()
        try:
            topic = f"homeassistant/device/isolarcloud_{env.plant_ids[0]}/config"
            assert "cmps" in json.loads(env.watcher.wait_for(topic, timeout=15).payload)
        finally:
            assert running.stop() == 0
    warning = next(e for e in logs if e["event"] == "discovery.device_mode")
    assert warning["log_level"] == "warning"
    assert "openHAB" in warning["detail"]
    assert "#20225" in warning["detail"]


@pytest.fixture
def midnight(tmp_path: Path, broker: MosquittoBroker) -> Iterator[Rig]:
    """Half past midnight at the hybrid plant (GMT+1): no sun, the battery carries the load."""
    yield from rig(tmp_path, broker, start=datetime(2026, 6, 20, 23, 30, tzinfo=UTC))


def test_a_plant_asleep_at_night_is_online_with_real_values(midnight: Rig) -> None:
    running = midnight.start()
    try:
        hybrid = midnight.plant_ids[0]
        state = midnight.state(hybrid)
        assert state["pv_power"] == 0  # the cloud's value, not null and not an error
        assert state["load_power"] > 0
        assert datetime.fromisoformat(state["ts"]).hour == 0
        midnight.wait_text(f"isolarcloud/{hybrid}/availability", "online")
        midnight.wait_text("isolarcloud/bridge/auth", "ok")
        wait_until(lambda: running.service.health.polls >= 1, 10, "the first poll")
        assert running.service.health.last_poll_result == "ok"
    finally:
        running.stop()


def test_refresh_is_answered_with_fresh_data(quick: Rig) -> None:
    running = quick.start()
    try:
        hybrid = quick.plant_ids[0]
        first = quick.state(hybrid)
        running.settle()
        quick.sim.clock.advance(600)  # the cloud has two new 5-minute samples
        response = quick.request(json.dumps({"plant": hybrid, "transaction": "t-1"}), "t-1")
        assert response["status"] == "ok"
        assert response["plants"] == [hybrid]
        assert datetime.fromisoformat(response["data_ts"]) > datetime.fromisoformat(first["ts"])
        fresh = quick.state(hybrid, after=1)
        assert fresh["ts"] == response["data_ts"]
    finally:
        running.stop()


def test_burst_of_requests_is_throttled_and_costs_no_calls(env: Rig) -> None:
    running = env.start()
    try:
        env.state(env.plant_ids[0])
        wait_until(lambda: running.service.health.polls == 1, 10, "the first poll")
        calls = env.sim.total_calls
        for i in range(25):
            env.watcher.publish(
                "isolarcloud/bridge/request/refresh", json.dumps({"transaction": f"b{i}"})
            )
        answers = [env.response(f"b{i}") for i in range(25)]
        assert {a["status"] for a in answers} == {"throttled"}
        assert all(0 < a["retry_after_s"] <= 60 for a in answers)
        assert env.sim.total_calls == calls
    finally:
        running.stop()


def test_requests_during_a_poll_are_answered_by_it(quick: Rig) -> None:
    running = quick.start()
    try:
        quick.state(quick.plant_ids[0])
        running.settle()
        calls = quick.sim.total_calls
        # make the refresh poll slow, then pile requests on top of it
        quick.sim.faults.add("slow", count=1, delay=1.5)
        quick.watcher.publish("isolarcloud/bridge/request/refresh", '{"transaction": "lead"}')
        wait_until(lambda: quick.sim.total_calls > calls, 5, "the refresh poll to start")
        for i in range(5):
            quick.watcher.publish(
                "isolarcloud/bridge/request/refresh", json.dumps({"transaction": f"c{i}"})
            )
        lead = quick.response("lead")
        followers = [quick.response(f"c{i}") for i in range(5)]
        assert lead["status"] == "ok"
        assert [f["status"] for f in followers] == ["ok"] * 5
        assert {f["data_ts"] for f in followers} == {lead["data_ts"]}
        assert quick.sim.total_calls - calls == running.service.poll_cost()
    finally:
        running.stop()


def test_token_expiry_mid_run_is_survived(quick: Rig) -> None:
    running = quick.start()
    try:
        quick.state(quick.plant_ids[0])
        token_file = quick.state_dir / "tokens.toml"
        before = token_file.read_text()
        quick.sim.expire_access_tokens()
        running.settle()
        assert quick.request('{"transaction": "after-expiry"}', "after-expiry")["status"] == "ok"
        assert token_file.read_text() != before  # rotated and saved
        assert [m.text for m in quick.watcher.on("isolarcloud/bridge/auth")] == ["ok"]
    finally:
        running.stop()


def test_revoked_authorisation_then_auth_login(quick: Rig) -> None:
    running = quick.start()
    try:
        hybrid = quick.plant_ids[0]
        quick.state(hybrid)
        running.settle()
        since = quick.watcher.mark()
        quick.sim.revoke()
        answer = quick.request('{"transaction": "revoked"}', "revoked")
        assert answer["status"] == "error"
        quick.wait_text("isolarcloud/bridge/auth", "reauth_required", since=since)
        quick.wait_text(f"isolarcloud/{hybrid}/availability", "offline", since=since)
        event = quick.watcher.wait_for(
            "isolarcloud/bridge/event",
            lambda m: json.loads(m.payload)["event"] == "reauth_required",
            since=since,
        )
        assert "isolarcloud2mqtt auth login" in json.loads(event.payload)["message"]
        # the owner authorises again; the daemon notices the new tokens by itself
        since = quick.watcher.mark()
        authorise(quick.sim, quick.cfg.isolarcloud, quick.state_dir)
        quick.wait_text("isolarcloud/bridge/auth", "ok", since=since)
        quick.wait_text(f"isolarcloud/{hybrid}/availability", "online", since=since)
    finally:
        assert running.stop() == 0


def test_rate_limit_backs_off_and_shows_in_health(quick: Rig) -> None:
    running = quick.start()
    try:
        quick.state(quick.plant_ids[0])
        running.settle()
        quick.sim.faults.add("e999", count=1)
        calls = quick.sim.total_calls
        quick.request('{"transaction": "limited"}', "limited")
        health = quick.watcher.wait_for(
            "isolarcloud/bridge/health",
            lambda m: json.loads(m.payload)["status"] == "rate_limited",
        )
        payload = json.loads(health.payload)
        assert payload["rate_limited_until"] is not None
        assert payload["errors"].get("E999") == 1
        # no hammering: the client does not retry a quota error
        assert quick.sim.total_calls - calls == 1
        # and a refresh during the backoff is held, not sent to the cloud
        held = quick.request('{"transaction": "during-backoff"}', "during-backoff")
        assert held["status"] == "throttled"
        assert held["retry_after_s"] > 0
        assert quick.sim.total_calls - calls == 1
    finally:
        running.stop()
