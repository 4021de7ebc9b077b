"""What every benchmark needs: quiet logs, a simulated fleet behind the real gateway
client and poller, and an MQTT connection that counts the broker's acknowledgements."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from bridge.catalogue.definitions import MetricBook
from bridge.catalogue.metric import Metric
from bridge.config.model import Config, MqttConfig, PollConfig
from bridge.isolarcloud.client import GatewayClient
from bridge.mqtt.connection import MqttConnection
from bridge.mqtt.publisher import Publisher
from bridge.mqtt.topics import Topics
from bridge.platform.logging import configure_logging
from bridge.platform.secrets import SecretRegistry
from bridge.readings.energy_guard import EnergyGuard
from bridge.readings.model import Reading
from bridge.readings.poller import Inventory, Poller, PollResult
from bridge.readings.presence import Presence
from bridge.simulator import SimClock, Simulator, fleet, simulator_config
from bridge.simulator.demo import authorise
from bridge.simulator.ingestion import Ingestion

# a summer morning in Europe, as in the end-to-end tests
SIM_START = datetime(2026, 6, 21, 8, 0, tzinfo=UTC)
POLL_STEP_S = 300.0  # the sim clock moves one cloud cadence per poll
UNLIMITED_QUOTA = 10**9  # benchmarks poll far faster than the cloud's hourly quota allows
MAX_OUTSTANDING = 20_000  # unacknowledged messages, well below paho's 65,535 message ids
Announced = tuple[Reading, dict[str, Metric]]  # a reading and the metrics it publishes


def quiet_logging() -> None:
    """The daemon logs at info level; keep that cost in the figures but off the screen."""
    configure_logging("info", "json", SecretRegistry(), open(os.devnull, "w"))  # noqa: SIM115 - for the process's life


def rss_kib() -> int:
    """Resident memory of this process now (VmRSS), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def make_config(
    gateway: str, host: str = "127.0.0.1", port: int = 1883, client_id: str = "bench", **poll: Any
) -> Config:
    return simulator_config(gateway, host, port, client_id=client_id, poll=PollConfig(**poll))


class AckCounter:
    """Messages sent and acknowledged by the broker (PUBACK at QoS 1): a benchmark waits
    until at most `outstanding` are still on their way."""

    def __init__(self) -> None:
        self.sent = 0
        self.acked = 0
        self._threshold = 0  # the outstanding count the waiter waits for
        self._cond = threading.Condition()

    def on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason: ReasonCode,
        properties: Properties,
    ) -> None:
        with self._cond:
            self.acked += 1
            if self.sent - self.acked <= self._threshold:  # wake the waiter once, not per ack
                self._cond.notify_all()

    def wait(self, timeout: float = 300.0, outstanding: int = 0) -> None:
        with self._cond:
            self._threshold = outstanding
            if not self._cond.wait_for(lambda: self.sent - self.acked <= outstanding, timeout):
                raise RuntimeError(f"broker acknowledged {self.acked} of {self.sent} messages")


class CountingConnection(MqttConnection):
    """The bridge's connection, counting what it hands to paho and what the broker
    acknowledges, so a benchmark can wait until everything has arrived."""

    def __init__(self, cfg: MqttConfig, topics: Topics) -> None:
        super().__init__(cfg, topics, lambda _msg: None)
        self.topics = topics
        self.acks = AckCounter()
        self._client.on_publish = self._on_publish

    def _send(
        self, topic: str, data: bytes, qos: int, retain: bool, properties: Properties | None
    ) -> None:
        self.acks.sent += 1  # always under the connection's lock
        super()._send(topic, data, qos, retain, properties)

    def _on_publish(self, *args: Any) -> None:
        self._handle_publish(*args)  # the bridge's own flow control
        self.acks.on_publish(*args)


@dataclass
class FleetRig:
    """A simulated fleet of `n` plants on a frozen sim clock, read by the real poller
    through `httpx.MockTransport`; `step()` moves the clock one poll interval."""

    n: int
    state_dir: Path
    sim: Simulator = field(init=False)
    client: GatewayClient = field(init=False)
    poller: Poller = field(init=False)
    presence: Presence = field(init=False)
    inventory: Inventory = field(init=False)
    # Start the sim clock this far ahead, so the simulator's frame store (8 days of
    # history) is full before the first poll and its memory no longer grows.
    sim_ahead_s: float = 0.0
    sim_cpu_s: float = 0.0  # thread CPU spent inside the simulator's handler
    ingestion: Ingestion = field(default_factory=Ingestion)  # how late samples show

    def __post_init__(self) -> None:
        self.sim = Simulator(
            plants=fleet(self.n),
            clock=SimClock(SIM_START, speed=0),
            hourly_quota=UNLIMITED_QUOTA,
            ingestion=self.ingestion,
        )
        self.sim.clock.advance(self.sim_ahead_s)
        transport = httpx.MockTransport(self._handle)
        cfg = make_config("http://simulator.invalid")
        store = authorise(self.sim, cfg.isolarcloud, self.state_dir, transport=transport)
        self.client = GatewayClient(cfg.isolarcloud, store, transport=transport, clock=self.now)
        guard = EnergyGuard(self.state_dir / "counters.toml")
        book = MetricBook(cfg.points)
        self.poller = Poller(self.client, cfg, guard, self.now, book)
        self.presence = Presence(book, None, self.now)
        self.inventory = self.poller.load_inventory()

    def _handle(self, request: httpx.Request) -> httpx.Response:
        started = time.thread_time()
        try:
            return self.sim.handle(request)
        finally:
            self.sim_cpu_s += time.thread_time() - started

    def announced(self, result: PollResult) -> list[Announced]:
        """Each reading with the metrics it announces, as the daemon publishes them."""
        self.presence.observe(self.inventory, result)
        return [
            (r, self.presence.metrics(self.inventory, r.ps_id, r.device)) for r in result.readings
        ]

    def now(self) -> float:
        return self.sim.clock.now().timestamp()

    def step(self) -> None:
        self.sim.clock.advance(POLL_STEP_S)

    @property
    def n_devices(self) -> int:
        return sum(len(ds) for ds in self.inventory.devices.values())

    def close(self) -> None:
        self.client.close()


def poll_and_publish(rig: FleetRig, publisher: Publisher, conn: CountingConnection) -> None:
    """One poll of every plant, each reading published, and every message acknowledged.

    paho keys unacknowledged QoS 1 messages by a 16-bit message id: with more than
    65,535 of them queued, later ones overwrite earlier ones and are lost. A poll of
    1,000 plants publishes about 80,000, so publishing pauses while too many are queued.
    """
    result = rig.poller.poll(rig.inventory)
    for reading in rig.announced(result):
        publisher.publish_reading(*reading)
        if conn.acks.sent - conn.acks.acked > MAX_OUTSTANDING:
            conn.acks.wait(outstanding=MAX_OUTSTANDING // 2)
    conn.acks.wait()


def bridge_publisher(host: str, port: int, client_id: str) -> tuple[CountingConnection, Publisher]:
    """A connected CountingConnection and the Publisher on it, with the default config.

    The publisher keeps no topic-set file: in steady state it writes none anyway, and
    its first poll of a big fleet would rewrite the file once per reading."""
    cfg = make_config("http://simulator.invalid", host, port, client_id)
    topics = Topics(cfg.mqtt.base_topic, cfg.homeassistant.prefix)
    conn = CountingConnection(cfg.mqtt, topics)
    conn.start()
    if not conn.wait_connected(10):
        raise RuntimeError(f"no MQTT connection to {host}:{port}")
    return conn, Publisher(conn, cfg, topics, None)
