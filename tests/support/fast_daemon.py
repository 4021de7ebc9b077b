"""The whole daemon on the simulator's clock at 60x (a 60-s poll takes a real second),
with a real Mosquitto and a watcher that records everything under `isolarcloud/`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bridge.config.model import Config, PointsConfig
from bridge.simulator import Account, SimClock, Simulator, SimulatorServer, serve
from bridge.simulator.demo import authorise
from bridge.simulator.plants import SimPlant
from tests.support.broker import MosquittoBroker, Watcher, wait_until
from tests.support.rig import SIM_START, make_config
from tests.support.service import Running, on_sim_time, start_service

SPEED = 60.0


@dataclass
class Daemon:
    sim: Simulator
    server: SimulatorServer
    running: Running
    watcher: Watcher
    cfg: Config
    state_dir: Path

    def restart(self) -> None:
        """Stop the service (exit 0) and start a new one on the same state directory."""
        assert self.running.stop() == 0
        self.running = start_service(self.cfg, self.state_dir, **on_sim_time(self.sim))

    def events(self, kind: str, since: int = 0) -> list[dict[str, Any]]:
        return [
            e
            for m in self.watcher.messages[since:]
            if m.topic == "isolarcloud/bridge/event"
            and (e := json.loads(m.payload))["event"] == kind
        ]

    def wait_event(self, kind: str, matching: str = "", since: int = 0) -> dict[str, Any]:
        wait_until(
            lambda: any(matching in e["message"] for e in self.events(kind, since)),
            20,
            f"a {kind} event about {matching!r}",
        )
        return next(e for e in self.events(kind, since) if matching in e["message"])

    def health(self) -> dict[str, Any]:
        return self.state("isolarcloud/bridge/health")

    def state(self, topic: str) -> dict[str, Any]:
        """The newest JSON on `topic`, waiting for the first one."""
        wait_until(lambda: self.watcher.last(topic) is not None, 20, topic)
        found = self.watcher.last(topic)
        assert found is not None
        loaded: dict[str, Any] = json.loads(found.payload)
        return loaded


def run_daemon(
    tmp_path: Path,
    broker: MosquittoBroker,
    account: Account,
    plants: list[SimPlant] | None = None,
    points: PointsConfig | None = None,
    **poll: Any,
) -> Iterator[Daemon]:
    sim = Simulator(clock=SimClock(start=SIM_START, speed=SPEED), account=account, plants=plants)
    server = serve(sim)
    poll = {"interval": 60, "min_refresh_interval": 10, "hourly_call_budget": 100_000} | poll
    cfg = replace(make_config(server.url, broker, **poll), points=points or PointsConfig())
    state_dir = tmp_path / "state"
    authorise(sim, cfg.isolarcloud, state_dir)
    watcher = Watcher(broker, ["isolarcloud/#"])
    daemon = Daemon(
        sim, server, start_service(cfg, state_dir, **on_sim_time(sim)), watcher, cfg, state_dir
    )
    try:
        yield daemon
    finally:
        code = daemon.running.stop()
        watcher.close()
        server.close()
    assert code == 0
