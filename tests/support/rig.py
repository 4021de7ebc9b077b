"""Simulator + bridge + real Mosquitto, wired as a user would run them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bridge.config.model import Config, PollConfig
from bridge.platform.secrets import SecretRegistry
from bridge.simulator import SimClock, Simulator, SimulatorServer, serve, simulator_config
from bridge.simulator.demo import authorise
from tests.support.broker import Message, MosquittoBroker, Watcher, wait_until
from tests.support.service import Running, start_service

# a summer morning in Europe: the hybrid plant makes power, the battery charges
SIM_START = datetime(2026, 6, 21, 8, 0, tzinfo=UTC)


def make_config(gateway: str, broker: MosquittoBroker, **poll: Any) -> Config:
    poll = {"interval": 300, "min_refresh_interval": 60} | poll
    return simulator_config(
        gateway, broker.host, broker.port, client_id="bridge-under-test", poll=PollConfig(**poll)
    )


@dataclass
class Rig:
    sim: Simulator
    server: SimulatorServer
    broker: MosquittoBroker
    state_dir: Path
    cfg: Config
    watcher: Watcher

    def start(self, secrets: SecretRegistry | None = None, **poll: Any) -> Running:
        if poll:
            self.cfg = replace(self.cfg, poll=replace(self.cfg.poll, **poll))
        return start_service(self.cfg, self.state_dir, secrets=secrets)

    @property
    def plant_ids(self) -> list[str]:
        return [str(p.ps_id) for p in self.sim.plants]

    def state(self, ps_id: str, after: int = 0, timeout: float = 15) -> dict[str, Any]:
        """The newest plant state JSON, waiting for the (after+1)-th one."""
        topic = f"isolarcloud/{ps_id}/state"
        wait_until(lambda: len(self.watcher.on(topic)) > after, timeout, f"state #{after + 1}")
        loaded: dict[str, Any] = json.loads(self.watcher.on(topic)[-1].payload)
        return loaded

    def request(self, payload: str, transaction: str, timeout: float = 20) -> dict[str, Any]:
        """Publish a refresh request and wait for the response carrying `transaction`."""
        self.watcher.publish("isolarcloud/bridge/request/refresh", payload)
        return self.response(transaction, timeout)

    def response(self, transaction: str, timeout: float = 20) -> dict[str, Any]:
        msg = self.watcher.wait_for(
            "isolarcloud/bridge/response/refresh",
            lambda m: json.loads(m.payload).get("transaction") == transaction,
            timeout,
        )
        loaded: dict[str, Any] = json.loads(msg.payload)
        return loaded

    def last_json(self, topic: str) -> dict[str, Any]:
        msg = self.watcher.last(topic)
        assert msg is not None, f"nothing on {topic}"
        loaded: dict[str, Any] = json.loads(msg.payload)
        return loaded

    def wait_text(self, topic: str, text: str, timeout: float = 15, since: int = 0) -> Message:
        return self.watcher.wait_for(topic, lambda m: m.text == text, timeout, since)


def rig(
    tmp_path: Path, broker: MosquittoBroker, start: datetime = SIM_START, **poll: Any
) -> Iterator[Rig]:
    sim = Simulator(clock=SimClock(start=start, speed=1.0))
    server = serve(sim)
    cfg = make_config(server.url, broker, **poll)
    state_dir = tmp_path / "state"
    authorise(sim, cfg.isolarcloud, state_dir)
    watcher = Watcher(broker, ["isolarcloud/#", "homeassistant/#"])
    try:
        yield Rig(sim, server, broker, state_dir, cfg, watcher)
    finally:
        watcher.close()
        server.close()
