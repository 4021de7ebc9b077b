"""A simulated cloud over real HTTP, a real Mosquitto, and a config wired to both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bridge.config.model import Config
from bridge.doctor import Check, run_checks
from bridge.simulator import SimClock, Simulator, SimulatorServer, serve
from bridge.simulator.demo import authorise
from tests.support.broker import MosquittoBroker
from tests.support.rig import make_config


@dataclass
class Setup:
    sim: Simulator
    server: SimulatorServer
    cfg: Config
    state_dir: Path

    def login(self) -> None:
        authorise(self.sim, self.cfg.isolarcloud, self.state_dir)

    def mqtt(self, **changes: Any) -> None:
        self.cfg = replace(self.cfg, mqtt=replace(self.cfg.mqtt, **changes))

    def run(self, birth_wait: float = 0.5) -> dict[str, Check]:
        checks = run_checks(self.cfg, self.state_dir, timeout=3.0, birth_wait=birth_wait)
        by_name = {c.name: c for c in checks}
        assert len(by_name) == len(checks), "check names must be unique"
        return by_name


def start_cloud(skew_s: float = 0.0) -> tuple[Simulator, SimulatorServer]:
    # the simulated cloud's clock runs at real time, `skew_s` away from this machine's
    sim = Simulator(clock=SimClock(start=datetime.now(UTC) + timedelta(seconds=skew_s)))
    return sim, serve(sim)


@pytest.fixture
def setup(tmp_path: Path, broker: MosquittoBroker) -> Iterator[Setup]:
    sim, server = start_cloud()
    try:
        yield Setup(sim, server, make_config(server.url, broker), tmp_path / "state")
    finally:
        server.close()


def statuses(checks: dict[str, Check]) -> dict[str, str]:
    return {name: c.status for name, c in checks.items()}
