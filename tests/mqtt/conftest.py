"""Fixtures for the MQTT layer: a password+ACL broker and bridges that are always stopped."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bridge.config.model import Config
from bridge.mqtt.commands import Incoming
from bridge.mqtt.connection import MqttConnection
from bridge.mqtt.publisher import Publisher
from tests.mqtt.sample import topics
from tests.support.broker import BrokerUser, MosquittoBroker, retained_snapshot, wait_until

BRIDGE_USER = BrokerUser(
    "bridge",
    "bridge-secret",
    ("topic readwrite isolarcloud/#", "topic readwrite homeassistant/#"),
)
WATCHER_USER = BrokerUser(
    "watcher",
    "watcher-secret",
    (
        "topic read #",
        "topic write isolarcloud/bridge/request/#",
        "topic write homeassistant/status",
    ),
)


QUIET = 0.3  # seconds without a new retained message that end a snapshot on loopback


@pytest.fixture
def acl_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """Mosquitto with passwords and an ACL that lets the bridge touch only its own trees."""
    instance = MosquittoBroker(tmp_path / "acl-broker", users=(BRIDGE_USER, WATCHER_USER))
    instance.start()
    yield instance
    instance.stop()


@dataclass
class Bridge:
    """A connection, its publisher, and the requests it received (as the service would)."""

    conn: MqttConnection
    publisher: Publisher
    inbox: queue.Queue[Incoming] = field(default_factory=queue.Queue)

    def received(self) -> list[Incoming]:
        items = []
        while not self.inbox.empty():
            items.append(self.inbox.get_nowait())
        return items


MakeBridge = Callable[..., Bridge]


@pytest.fixture
def make_bridge(tmp_path: Path) -> Iterator[MakeBridge]:
    """Build (and at teardown stop) bridges; `start=False` leaves the connection idle."""
    made: list[Bridge] = []

    def make(
        cfg: Config,
        *,
        state_file: Path | None = None,
        start: bool = True,
        ha_delay: float = 0.05,
    ) -> Bridge:
        inbox: queue.Queue[Incoming] = queue.Queue()
        conn = MqttConnection(
            cfg.mqtt, topics(cfg), inbox.put, ha_delay=lambda: ha_delay, reconnect_max_delay=1
        )
        bridge = Bridge(conn, Publisher(conn, cfg, topics(cfg), state_file), inbox)
        made.append(bridge)
        if start:
            conn.start()
        return bridge

    yield make
    for bridge in made:
        bridge.conn.stop(timeout=2)


def wait_retained(
    broker: MosquittoBroker, expected: dict[str, bytes], pattern: str = "#", timeout: float = 15
) -> None:
    """Wait until a fresh subscriber sees exactly `expected` retained on `pattern`.

    A bridge republishes in bursts after a reconnect; a snapshot taken in the middle of
    one gets the rest live, so we wait for the complete retained set instead.
    """
    seen: list[dict[str, bytes]] = [{}]

    def complete() -> bool:
        seen[0] = retained_snapshot(broker, pattern, settle=QUIET)
        return seen[0] == expected

    try:
        wait_until(complete, timeout, f"the retained set on {pattern}")
    except AssertionError:
        missing = sorted(set(expected) - set(seen[0]))
        extra = sorted(set(seen[0]) - set(expected))
        differ = sorted(t for t in set(expected) & set(seen[0]) if expected[t] != seen[0][t])
        raise AssertionError(
            f"retained set: missing {missing}, extra {extra}, differ {differ}"
        ) from None
