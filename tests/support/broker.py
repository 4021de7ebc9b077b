"""A real Mosquitto on a free loopback port, and a subscriber that records what it sees.

The broker itself lives in `bridge.simulator.mosquitto` (the demo uses it too).

Broker tests never skip: without `mosquitto` they fail and name the install command.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from bridge.simulator.mosquitto import (
    INSTALL_HINT,
    BrokerUser,
    MosquittoBroker,
    free_port,
    mosquitto_executable,
)


def wait_until(condition: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Poll `condition` until it is truthy or the deadline passes (then fail naming `what`)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(0.02)


@dataclass
class Message:
    topic: str
    payload: bytes
    retain: bool
    qos: int

    @property
    def text(self) -> str:
        return self.payload.decode()


class Watcher:
    """A plain paho subscriber that records every message, for assertions in tests."""

    def __init__(
        self,
        broker: MosquittoBroker,
        topics: Iterable[str] = ("#",),
        username: str | None = None,
        password: str | None = None,
        protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv311,
    ) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._topics = list(topics)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=protocol)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise AssertionError("watcher could not subscribe")

    def _on_connect(
        self, client: mqtt.Client, userdata: object, flags: object, rc: ReasonCode, props: object
    ) -> None:
        client.subscribe([(topic, 1) for topic in self._topics])

    def _on_subscribe(self, *args: object) -> None:
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Message(msg.topic, bytes(msg.payload), bool(msg.retain), msg.qos))

    def on(self, topic: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def last(self, topic: str) -> Message | None:
        found = self.on(topic)
        return found[-1] if found else None

    def mark(self) -> int:
        """A bookmark: pass it as `since` to wait only for messages that arrive after now."""
        with self._lock:
            return len(self.messages)

    def wait_for(
        self,
        topic: str,
        predicate: Callable[[Message], bool] = lambda m: True,
        timeout: float = 10,
        since: int = 0,
    ) -> Message:
        result: list[Message] = []

        def seen() -> bool:
            with self._lock:
                recent = self.messages[since:]
            result[:] = [m for m in recent if m.topic == topic and predicate(m)]
            return bool(result)

        wait_until(seen, timeout, f"a message on {topic}")
        return result[-1]

    def publish(self, topic: str, payload: str | bytes = b"", retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        # disconnect while the loop still runs: the other order waits out a loop timeout
        self.client.disconnect()
        self.client.loop_stop()


def retained_snapshot(
    broker: MosquittoBroker,
    pattern: str = "#",
    settle: float = 1.0,
    username: str | None = None,
    password: str | None = None,
) -> dict[str, bytes]:
    """What a fresh subscriber receives as retained messages on `pattern`.

    Retained messages arrive right after SUBACK; we stop once no new one came for `settle`
    seconds, which is a quiet-period wait, not a fixed sleep.
    """
    watcher = Watcher(broker, [pattern], username, password)
    try:
        count = -1
        while count != len(watcher.messages):
            count = len(watcher.messages)
            deadline = time.monotonic() + settle
            while time.monotonic() < deadline and len(watcher.messages) == count:
                time.sleep(0.02)
        return {m.topic: m.payload for m in watcher.messages if m.retain}
    finally:
        watcher.close()


__all__ = [
    "INSTALL_HINT",
    "BrokerUser",
    "Message",
    "MosquittoBroker",
    "Watcher",
    "free_port",
    "mosquitto_executable",
    "retained_snapshot",
    "wait_until",
]
