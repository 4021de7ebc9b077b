"""More messages than paho has message ids (65,535) in one burst: none may be lost.

A poll of a large fleet with per-value topics publishes tens of thousands of retained
QoS 1 messages at once; paho would overwrite unacknowledged ones past 65,535.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.mqtt.conftest import MakeBridge
from tests.mqtt.sample import config
from tests.support.broker import MosquittoBroker, Watcher, wait_until

BURST = 70_000


@pytest.fixture
def roomy_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """No per-subscriber queue limit, so the watcher itself drops nothing."""
    instance = MosquittoBroker(tmp_path / "broker", extra_conf="max_queued_messages 0\n")
    instance.start()
    yield instance
    instance.stop()


def test_a_burst_beyond_paho_message_ids_arrives_whole(
    roomy_broker: MosquittoBroker, make_bridge: MakeBridge
) -> None:
    bridge = make_bridge(config(roomy_broker))
    assert bridge.conn.wait_connected(10)
    seen: set[str] = set()
    lock = threading.Lock()
    watcher = Watcher(roomy_broker, ["burst/#"])

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
