"""Fixtures of the command-line tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.simulator import SimClock, Simulator, SimulatorServer, serve
from tests.support.rig import SIM_START


@pytest.fixture
def cloud() -> Iterator[tuple[Simulator, SimulatorServer]]:
    sim = Simulator(clock=SimClock(start=SIM_START))
    server = serve(sim)
    yield sim, server
    server.close()
