"""Fixtures shared by every test package: a real Mosquitto and a simulated cloud per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.simulator import SimClock, Simulator, SimulatorServer, serve
from tests.support.broker import MosquittoBroker
from tests.support.cli import user_environment
from tests.support.rig import SIM_START


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """An anonymous Mosquitto on a free loopback port.

    Its subscribers' queues are unbounded: mosquitto drops QoS 1 messages for a client
    that falls 1,000 behind, and a test's recording watcher must see everything.
    """
    instance = MosquittoBroker(tmp_path / "broker", extra_conf="max_queued_messages 0\n")
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def cloud() -> Iterator[tuple[Simulator, SimulatorServer]]:
    """The simulated cloud over real HTTP, on a summer morning (see `SIM_START`)."""
    sim = Simulator(clock=SimClock(start=SIM_START))
    server = serve(sim)
    yield sim, server
    server.close()


@pytest.fixture
def user_env() -> dict[str, str]:
    """The environment of a user's shell, with the secret key in it."""
    return user_environment()
