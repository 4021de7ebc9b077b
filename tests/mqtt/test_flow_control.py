"""More messages than paho has message ids (65,535) in one burst: none may be lost.

A poll of a large fleet with per-value topics publishes tens of thousands of retained
QoS 1 messages at once; paho would overwrite unacknowledged ones past 65,535.
"""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt

from tests.mqtt.conftest import MakeBridge
from tests.mqtt.sample import config
from tests.support.broker import MosquittoBroker, Watcher, wait_until

BURST = 70_000


def test_a_burst_beyond_paho_message_ids_arrives_whole(
    broker: MosquittoBroker, make_bridge: MakeBridge
) -> None:
    bridge = make_bridge(config(broker))
    assert bridge.conn.wait_connected(10)
    seen: set[str] = set()
    lock = threading.Lock()
    watcher = Watcher(broker, ["burst/#"])

    def record(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with lock:
            seen.add(msg.topic)

    watcher.client.on_message = record
    try:
        for i in range(BURST):
            bridge.conn.publish(f"burst/{i}", b"1", retain=True)
        wait_until(lambda: len(seen) == BURST, 60, f"all {BURST} messages")
    finally:
        watcher.close()
