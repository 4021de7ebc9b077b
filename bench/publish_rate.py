"""MQTT publish rate: the bridge publishing a whole fleet's poll beside a bare paho loop.

Both publish the same messages (topics and payloads the bridge produced) at QoS 1,
retained, to the same private Mosquitto in the same run, and the clock stops when the
broker has acknowledged the last one. Steady state: a first bridge pass is not timed.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from bench.rig import AckCounter, Announced, CountingConnection, FleetRig, bridge_publisher
from bridge.mqtt.publisher import Publisher

GOAL = 0.8  # the bridge should reach 80% of the bare loop


@dataclass(frozen=True, slots=True)
class PublishRate:
    plants: int
    messages: int
    payload_bytes: int
    bridge_msgs_per_s: float
    bare_msgs_per_s: float
    profile_top: list[str]

    @property
    def ratio(self) -> float:
        return self.bridge_msgs_per_s / self.bare_msgs_per_s


class BareLoop:
    """A plain paho client: connect, publish in a loop, count PUBACKs."""

    def __init__(self, host: str, port: int) -> None:
        self.acks = AckCounter()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id="bench-bare",
            protocol=MQTTProtocolVersion.MQTTv311,
            clean_session=True,
        )
        self.client.on_publish = self.acks.on_publish
        self.client.connect(host, port)
        self.client.loop_start()

    def run(self, messages: list[tuple[str, bytes]]) -> float:
        """Seconds from the first publish to the last PUBACK."""
        self.acks.sent += len(messages)
        started = time.perf_counter()
        for topic, payload in messages:
            self.client.publish(topic, payload, qos=1, retain=True)
        self.acks.wait(timeout=60)
        return time.perf_counter() - started

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _bridge_pass(
    conn: CountingConnection, publisher: Publisher, announced: list[Announced]
) -> float:
    started = time.perf_counter()
    for reading in announced:
        publisher.publish_reading(*reading)
    conn.acks.wait()
    return time.perf_counter() - started


def _profile(conn: CountingConnection, publisher: Publisher, result: list[Announced]) -> list[str]:
    """The functions with the most own time in one bridge pass, as `name: seconds`."""
    profiler = cProfile.Profile()
    profiler.enable()
    _bridge_pass(conn, publisher, result)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]  # pstats.Stats.stats is untyped
    return [f"{Path(f).name}:{line}({fn}) {tt:.3f}s" for (f, line, fn), (_, _, tt, *_) in rows[:5]]


def measure(rig: FleetRig, host: str, port: int, rounds: int) -> PublishRate:
    result = rig.announced(rig.poller.poll(rig.inventory))
    conn, publisher = bridge_publisher(host, port, "bench-bridge")
    bare = BareLoop(host, port)
    try:
        sent = conn.acks.sent
        _bridge_pass(conn, publisher, result)  # warm-up
        per_pass = conn.acks.sent - sent
        state_topic = conn.topics.bridge_state
        messages = [(t, p) for t, p in conn.retained().items() if t != state_topic]
        if len(messages) != per_pass:
            raise RuntimeError(f"captured {len(messages)} messages, the bridge sent {per_pass}")
        bridge_s, bare_s = [], []
        for _ in range(rounds):  # interleaved, so drift on the machine hits both alike
            bridge_s.append(_bridge_pass(conn, publisher, result))
            bare_s.append(bare.run(messages))
        bridge_rate = per_pass / statistics.median(bridge_s)
        bare_rate = per_pass / statistics.median(bare_s)
        top = _profile(conn, publisher, result) if bridge_rate < GOAL * bare_rate else []
        return PublishRate(
            plants=rig.n,
            messages=per_pass,
            payload_bytes=sum(len(p) for _, p in messages),
            bridge_msgs_per_s=bridge_rate,
            bare_msgs_per_s=bare_rate,
            profile_top=top,
        )
    finally:
        bare.close()
        conn.stop()
