"""Simulator + bridge + real Mosquitto, wired as a user would run them."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bridge.config import Config, MqttConfig, PollConfig
from bridge.isolarcloud.tokens import TokenStore, token_path
from bridge.onboarding import login
from bridge.service import Service
from bridge.simulator import (
    SimClock,
    Simulator,
    SimulatorServer,
    demo_settings,
    serve,
)
from tests.support.broker import Message, MosquittoBroker, Watcher, wait_until

# a summer morning in Europe: the hybrid plant makes power, the battery charges
SIM_START = datetime(2026, 6, 21, 8, 0, tzinfo=UTC)


def make_config(gateway: str, broker: MosquittoBroker, **poll: Any) -> Config:
    return Config(
        isolarcloud=demo_settings(gateway),
        mqtt=MqttConfig(host=broker.host, port=broker.port, client_id="bridge-under-test"),
        poll=PollConfig(**({"interval": 300, "min_refresh_interval": 60} | poll)),
    )


def authorise(sim: Simulator, cfg: Config, state_dir: Path) -> None:
    """What `auth login --redirect-url ...` does after the owner clicked Authorize."""
    login(
        cfg.isolarcloud,
        TokenStore(token_path(state_dir)),
        redirect_url=sim.authorize(cfg.isolarcloud.redirect_uri),
        stdout=io.StringIO(),
    )


@dataclass
class Running:
    service: Service
    thread: threading.Thread
    exit_codes: list[int] = field(default_factory=list)

    def settle(self, polls: int = 1) -> None:
        """Wait until `polls` polls have finished and every plant may be refreshed again."""
        service = self.service
        wait_until(lambda: service.health.polls >= polls, 15, f"{polls} finished poll(s)")
        wait_until(
            lambda: service.gate.retry_after(service.inventory.ps_ids) == 0, 10, "refresh window"
        )

    def stop(self, timeout: float = 10) -> int:
        self.service.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the service did not stop"
        return self.exit_codes[0]


@dataclass
class Rig:
    sim: Simulator
    server: SimulatorServer
    broker: MosquittoBroker
    state_dir: Path
    cfg: Config
    watcher: Watcher

    def start(self, **poll: Any) -> Running:
        if poll:
            self.cfg = replace(self.cfg, poll=replace(self.cfg.poll, **poll))
        service = Service(self.cfg, self.state_dir)
        running = Running(service, threading.Thread(target=lambda: None))

        def target() -> None:
            running.exit_codes.append(service.run())

        running.thread = threading.Thread(target=target, daemon=True)
        running.thread.start()
        return running

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
    authorise(sim, cfg, state_dir)
    watcher = Watcher(broker, ["isolarcloud/#", "homeassistant/#"])
    try:
        yield Rig(sim, server, broker, state_dir, cfg, watcher)
    finally:
        watcher.close()
        server.close()
