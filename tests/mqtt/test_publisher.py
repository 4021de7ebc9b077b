"""Publisher against a real Mosquitto: the retained set, cleanup, mode switch, responses."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bridge.mqtt.commands import RefreshRequest, parse_request, response_payload
from bridge.mqtt.publisher import bare_value, json_value
from tests.mqtt.conftest import QUIET, MakeBridge, wait_retained
from tests.mqtt.sample import (
    BARN,
    DEVICE_BY_KEY,
    PLANT_BY_KEY,
    PV_POWER,
    config,
    discovery,
    inverter_reading,
    plant_reading,
    topics,
)
from tests.support.broker import MosquittoBroker, Watcher, retained_snapshot, wait_until

PV_CONFIG = "homeassistant/sensor/isolarcloud_1234567/pv_power/config"
ENERGY_CONFIG = "homeassistant/sensor/isolarcloud_1234567/energy_today/config"


def test_a_fresh_subscriber_sees_the_whole_retained_set(
    broker: MosquittoBroker, make_bridge: MakeBridge
) -> None:
    cfg = config(broker)
    bridge = make_bridge(cfg)
    pub = bridge.publisher
    pub.publish_discovery(discovery(cfg))
    pub.set_availability("1234567", True)
    pub.publish_reading(plant_reading(), PLANT_BY_KEY)
    pub.publish_reading(inverter_reading(), DEVICE_BY_KEY)
    pub.publish_info({"version": "9.9.9", "plants": ["1234567"]})
    pub.publish_health({"api_calls_last_hour": 3})
    pub.publish_auth("ok")
    pub.publish_event({"level": "info", "code": "started"})  # not retained
    assert bridge.conn.wait_connected(10)
    wait_retained(broker, bridge.conn.retained())
    seen = retained_snapshot(broker, "isolarcloud/#", QUIET)
    assert json.loads(seen["isolarcloud/1234567/state"]) == {
        "ts": "2026-05-01T12:35:00+02:00",
        "fetched_at": "2026-05-01T10:36:12Z",
        "pv_power": 5234,
        "energy_today": 18.4,
        "battery_soc": None,
    }
    assert json.loads(seen["isolarcloud/1234567/A2212345678/state"]) == {
        "ts": None,
        "fetched_at": "2026-05-01T10:36:12Z",
        "run_state": "Running",
        "internal_temperature": 41.3,
    }
    assert seen["isolarcloud/1234567/pv_power"] == b"5234"
    assert seen["isolarcloud/1234567/energy_today"] == b"18.4"
    assert seen["isolarcloud/1234567/battery_soc"] == b"null"
    assert seen["isolarcloud/1234567/A2212345678/run_state"] == b"Running"
    assert seen["isolarcloud/1234567/availability"] == b"online"
    assert seen["isolarcloud/bridge/state"] == b"online"
    assert seen["isolarcloud/bridge/auth"] == b"ok"
    assert json.loads(seen["isolarcloud/bridge/health"]) == {"api_calls_last_hour": 3}
    assert "isolarcloud/bridge/event" not in seen
    assert PV_CONFIG in retained_snapshot(broker, "homeassistant/#", QUIET)


def test_removed_metric_and_plant_are_cleared_across_a_restart(
    broker: MosquittoBroker, make_bridge: MakeBridge, tmp_path: Path
) -> None:
    cfg = config(broker)
    state_file = tmp_path / "state" / "published.json"
    first = make_bridge(cfg, state_file=state_file)
    first.publisher.publish_discovery(discovery(cfg, plants=(BARN,), with_inverter=False))
    first.publisher.publish_discovery(discovery(cfg))  # BARN gone within one run
    first.publisher.publish_reading(plant_reading(), PLANT_BY_KEY)
    first.publisher.set_availability("1234567", True)
    assert first.conn.wait_connected(10)
    wait_retained(broker, first.conn.retained())
    assert not any("7654321" in topic for topic in retained_snapshot(broker, settle=QUIET))
    first.conn.stop()
    assert state_file.stat().st_mode & 0o777 == 0o600

    # a restart with energy_today no longer produced and the plant removed entirely
    second = make_bridge(cfg, state_file=state_file)
    second.publisher.publish_discovery(discovery(cfg, plant_metrics=(PV_POWER,)))
    assert second.conn.wait_connected(10)
    stale = {ENERGY_CONFIG, "isolarcloud/1234567/energy_today"}
    wait_until(
        lambda: not stale & set(retained_snapshot(broker, "#", QUIET)), 15, "the stale topics"
    )
    seen = retained_snapshot(broker, settle=QUIET)
    assert PV_CONFIG in seen
    assert seen["isolarcloud/1234567/pv_power"] == b"5234"  # still produced: kept
    second.conn.stop()  # one client id: two live bridges would keep kicking each other off

    third = make_bridge(cfg, state_file=state_file)
    third.publisher.publish_discovery(discovery(cfg, plants=()))
    assert third.conn.wait_connected(10)
    wait_until(
        lambda: not any("1234567" in t for t in retained_snapshot(broker, "#", QUIET)),
        15,
        "the plant's topics to be cleared",
    )
    assert set(retained_snapshot(broker, settle=QUIET)) == set(third.conn.retained())


def test_switching_modes_clears_the_other_form(
    broker: MosquittoBroker, make_bridge: MakeBridge, tmp_path: Path
) -> None:
    state_file = tmp_path / "published.json"
    entity_cfg = config(broker)
    first = make_bridge(entity_cfg, state_file=state_file)
    first.publisher.publish_discovery(discovery(entity_cfg))
    assert first.conn.wait_connected(10)
    wait_retained(broker, first.conn.retained())
    first.conn.stop()

    device_cfg = config(broker, mode="device")
    second = make_bridge(device_cfg, state_file=state_file)
    second.publisher.publish_discovery(discovery(device_cfg))
    assert second.conn.wait_connected(10)
    expected = {t: p for t, p in second.conn.retained().items() if t.startswith("homeassistant/")}
    wait_retained(broker, expected, "homeassistant/#")
    assert all("/device/" in topic for topic in expected)

    third = make_bridge(entity_cfg, state_file=state_file)
    third.publisher.publish_discovery(discovery(entity_cfg))
    assert third.conn.wait_connected(10)
    expected = {t: p for t, p in third.conn.retained().items() if t.startswith("homeassistant/")}
    wait_retained(broker, expected, "homeassistant/#")
    assert PV_CONFIG in expected
    assert not any("/device/" in topic for topic in expected)


def test_retained_commands_are_ignored_and_live_ones_answered(
    broker: MosquittoBroker, make_bridge: MakeBridge
) -> None:
    cfg = config(broker)
    tpc = topics(cfg)
    watcher = Watcher(broker, ["isolarcloud/bridge/response/#"])
    try:
        watcher.publish(tpc.request_refresh, '{"plant": "1"}', retain=True)
        bridge = make_bridge(cfg)
        assert bridge.conn.wait_connected(10)
        wait_until(lambda: not bridge.inbox.empty(), 10, "the retained command")
        stale = bridge.inbox.get_nowait()
        assert stale.retain
        assert parse_request(stale, tpc) is None
        watcher.publish(tpc.request_refresh, '{"plant": "1234567", "transaction": "t9"}')
        wait_until(lambda: not bridge.inbox.empty(), 10, "the live command")
        live = bridge.inbox.get_nowait()
        request = parse_request(live, tpc)
        assert request == RefreshRequest("1234567", "t9")
        payload = response_payload("ok", transaction="t9", plants=["1234567"])
        bridge.publisher.respond(live, tpc.response_refresh, payload)
        answer = watcher.wait_for(tpc.response_refresh)
        assert json.loads(answer.payload) == payload
        assert not answer.retain
    finally:
        watcher.publish(tpc.request_refresh, b"", retain=True)
        watcher.close()


def test_mqtt5_response_topic_and_correlation_data_are_honoured(
    broker: MosquittoBroker, make_bridge: MakeBridge
) -> None:
    cfg = config(broker, protocol="5")
    tpc = topics(cfg)
    bridge = make_bridge(cfg)
    assert bridge.conn.wait_connected(10)

    replies: list[mqtt.MQTTMessage] = []
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    client.on_message = lambda c, u, m: replies.append(m)
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        client.subscribe("client/replies/#", qos=1)
        assert subscribed.wait(10)
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.ResponseTopic = "client/replies/42"
        props.CorrelationData = b"\x00corr"
        client.publish(tpc.request_refresh, "PRESS", qos=1, properties=props).wait_for_publish(5)
        wait_until(lambda: not bridge.inbox.empty(), 10, "the v5 request")
        request = bridge.inbox.get_nowait()
        assert request.response_topic == "client/replies/42"
        assert request.correlation_data == b"\x00corr"
        payload = response_payload("throttled", transaction=None, retry_after_s=30)
        bridge.publisher.respond(request, tpc.response_refresh, payload)
        wait_until(lambda: replies, 10, "the reply on the response topic")
        assert replies[0].topic == "client/replies/42"
        assert replies[0].properties.CorrelationData == b"\x00corr"  # type: ignore[union-attr]
        assert json.loads(replies[0].payload) == payload
    finally:
        client.loop_stop()
        client.disconnect()


def test_values_are_rounded_to_precision_and_never_nan() -> None:
    assert json_value(5234.6, PV_POWER) == 5235
    assert isinstance(json_value(5234.4, PV_POWER), int)
    assert json_value(18.4449, PLANT_BY_KEY["energy_today"]) == 18.4
    assert json_value(18.4449, None) == 18.4449  # unknown metric: as is
    assert json_value(float("nan"), PV_POWER) is None
    assert json_value(float("inf"), None) is None
    assert json_value("Running", None) == "Running"
    assert [bare_value(v) for v in (5234, 18.4, "Running", None)] == [
        "5234",
        "18.4",
        "Running",
        "null",
    ]
