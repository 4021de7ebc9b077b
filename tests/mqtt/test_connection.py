"""MqttConnection against a real Mosquitto: will, clean stop, restarts, outages, auth, ACL."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import structlog

from tests.mqtt.conftest import BRIDGE_USER, QUIET, WATCHER_USER, MakeBridge, wait_retained
from tests.mqtt.sample import (
    DEVICE_BY_KEY,
    PLANT_BY_KEY,
    config,
    discovery,
    inverter_reading,
    plant_reading,
)
from tests.support.broker import MosquittoBroker, Watcher, retained_snapshot, wait_until

STATE = "isolarcloud/bridge/state"


def test_online_on_connect_and_offline_after_clean_stop(
    broker: MosquittoBroker, make_bridge: MakeBridge
) -> None:
    bridge = make_bridge(config(broker))
    assert bridge.conn.wait_connected(10)
    assert retained_snapshot(broker, STATE, QUIET) == {STATE: b"online"}
    bridge.conn.stop()
    assert not bridge.conn.connected
    assert retained_snapshot(broker, STATE, QUIET) == {STATE: b"offline"}


def test_will_fires_when_the_bridge_process_is_killed(
    broker: MosquittoBroker, tmp_path: Path
) -> None:
    script = textwrap.dedent(
        f"""
        import threading
        from bridge.config.model import MqttConfig
        from bridge.mqtt.connection import MqttConnection
        from bridge.mqtt.topics import Topics
        conn = MqttConnection(MqttConfig(host="{broker.host}", port={broker.port}),
                              Topics("isolarcloud", "homeassistant"), lambda m: None)
        conn.start()
        threading.Event().wait()
        """
    )
    watcher = Watcher(broker, [STATE])
    err = tmp_path / "bridge.err"
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.DEVNULL,
        stderr=err.open("w"),
        cwd=Path.cwd(),
    )
    try:
        watcher.wait_for(STATE, lambda m: m.text == "online", timeout=20)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        watcher.wait_for(STATE, lambda m: m.text == "offline")
        assert retained_snapshot(broker, STATE, QUIET) == {STATE: b"offline"}
    finally:
        proc.kill()
        proc.wait(10)
        watcher.close()


def test_retained_set_is_complete_again_after_a_broker_restart(
    broker: MosquittoBroker, make_bridge: MakeBridge
) -> None:
    cfg = config(broker)
    bridge = make_bridge(cfg)
    bridge.publisher.publish_discovery(discovery(cfg))
    bridge.publisher.set_availability("1234567", True)
    bridge.publisher.publish_reading(plant_reading(), PLANT_BY_KEY)
    bridge.publisher.publish_reading(inverter_reading(), DEVICE_BY_KEY)
    bridge.publisher.publish_auth("ok")
    assert bridge.conn.wait_connected(10)
    before = bridge.conn.retained()
    assert len(before) > 20
    wait_retained(broker, before)
    broker.restart()  # no persistence: the broker comes back empty
    wait_until(lambda: bridge.conn.reconnects == 1 and bridge.conn.connected, 15, "reconnect")
    wait_retained(broker, before)


def test_home_assistant_birth_triggers_a_delayed_republish(
    broker: MosquittoBroker, make_bridge: MakeBridge
) -> None:
    cfg = config(broker)
    bridge = make_bridge(cfg, ha_delay=0.2)
    bridge.publisher.publish_discovery(discovery(cfg))
    assert bridge.conn.wait_connected(10)
    config_topic = "homeassistant/sensor/isolarcloud_1234567/pv_power/config"
    watcher = Watcher(broker, ["homeassistant/#"])
    try:
        watcher.wait_for(config_topic, lambda m: m.retain)
        watcher.publish("homeassistant/status", "online")
        # the republish arrives live (retain flag off on delivery), after the delay
        republished = watcher.wait_for(config_topic, lambda m: not m.retain)
        assert republished.payload == watcher.on(config_topic)[0].payload
        # HA going offline triggers nothing
        count = len(watcher.messages)
        watcher.publish("homeassistant/status", "offline")
        watcher.publish("homeassistant/status", "online")
        wait_until(lambda: len(watcher.on(config_topic)) == 3, 10, "second republish")
        assert len(watcher.messages) > count
        assert bridge.received() == []  # the birth is handled inside the MQTT layer
    finally:
        watcher.close()


def test_long_outage_keeps_only_the_latest_value_per_topic(
    broker: MosquittoBroker, make_bridge: MakeBridge
) -> None:
    bridge = make_bridge(config(broker))
    conn = bridge.conn
    assert conn.wait_connected(10)
    broker.stop()
    wait_until(lambda: not conn.connected, 10, "the bridge to notice the outage")
    in_paho = len(conn._client._out_messages)  # at most the `online` still awaiting its ack
    for i in range(10_000):
        conn.publish(f"isolarcloud/test/t{i % 50}", str(i), retain=True)
        if i % 100 == 0:
            conn.publish("isolarcloud/bridge/event", "{}")  # non-retained: dropped
    assert len(conn.retained()) == 51  # 50 + bridge/state
    assert conn.dropped == 100
    assert len(conn._client._out_messages) == in_paho <= 1  # nothing queued inside paho
    broker.start()
    wait_until(lambda: conn.connected, 15, "reconnect")
    latest = {f"isolarcloud/test/t{k}": str(9950 + k).encode() for k in range(50)}
    wait_retained(broker, latest, "isolarcloud/test/#")


def test_clear_during_outage_reaches_a_persistent_broker_after_reconnect(
    tmp_path: Path, make_bridge: MakeBridge
) -> None:
    workdir = tmp_path / "persistent"
    broker = MosquittoBroker(
        workdir, extra_conf=f"persistence true\npersistence_location {workdir}/\n"
    )
    broker.start()
    try:
        conn = make_bridge(config(broker)).conn
        assert conn.wait_connected(10)
        conn.publish("isolarcloud/old/topic", "ghost", retain=True)
        wait_until(lambda: retained_snapshot(broker, "isolarcloud/old/#", QUIET), 10, "ghost")
        broker.stop()  # saves the retained ghost to disk
        wait_until(lambda: not conn.connected, 10, "the bridge to notice the outage")
        conn.publish("isolarcloud/old/topic", b"", retain=True)
        assert "isolarcloud/old/topic" in conn.retained()  # the clear is pending
        broker.start()
        wait_until(lambda: conn.connected, 15, "reconnect")
        # the clear leaves conn.retained() when handed to paho; the broker has it later
        wait_until(lambda: "isolarcloud/old/topic" not in conn.retained(), 10, "clear sent")
        wait_retained(broker, {}, "isolarcloud/old/#")
    finally:
        broker.stop()


def test_bridge_works_with_only_its_own_topics_allowed(
    acl_broker: MosquittoBroker, make_bridge: MakeBridge
) -> None:
    cfg = config(acl_broker, username=BRIDGE_USER.name, password=BRIDGE_USER.password)
    bridge = make_bridge(cfg)
    bridge.publisher.publish_discovery(discovery(cfg))
    bridge.publisher.publish_reading(plant_reading(), PLANT_BY_KEY)
    assert bridge.conn.wait_connected(10)
    watcher = Watcher(acl_broker, ["#"], WATCHER_USER.name, WATCHER_USER.password)
    try:
        watcher.wait_for("isolarcloud/1234567/state")
        watcher.wait_for("homeassistant/sensor/isolarcloud_1234567/pv_power/config")
        watcher.publish("isolarcloud/bridge/request/refresh", "PRESS")
        wait_until(lambda: not bridge.inbox.empty(), 10, "the request to reach the bridge")
        assert bridge.inbox.get_nowait().payload == b"PRESS"
    finally:
        watcher.close()


def test_wrong_password_logs_a_clear_reason_and_never_leaks_it(
    acl_broker: MosquittoBroker, make_bridge: MakeBridge
) -> None:
    cfg = config(acl_broker, username=BRIDGE_USER.name, password="wrong-password-123")
    with structlog.testing.capture_logs() as logs:
        bridge = make_bridge(cfg)
        wait_until(
            lambda: any(e["event"] == "mqtt.connect_failed" for e in logs), 10, "connect_failed"
        )
        assert not bridge.conn.connected
        bridge.conn.stop()
    failure = next(e for e in logs if e["event"] == "mqtt.connect_failed")
    assert failure["reason"] in ("Not authorized", "Bad user name or password")
    assert "[mqtt] username and password" in failure["fix"]
    assert failure["username"] == "bridge"
    assert "wrong-password-123" not in repr(logs)
    assert "wrong-password-123" not in repr(cfg)
