"""One poll through the real client against the simulator: readings per plant and device."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bridge.config.model import Config, PlantsConfig
from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.onboarding import login
from bridge.isolarcloud.tokens import TokenStore
from bridge.readings.energy_guard import EnergyGuard
from bridge.readings.poller import Poller
from bridge.simulator import (
    SimClock,
    Simulator,
    demo_settings,
)

START = datetime(2026, 6, 21, 8, 0, tzinfo=UTC)


@pytest.fixture
def sim() -> Simulator:
    return Simulator(clock=SimClock(start=START))


def make_poller(sim: Simulator, tmp_path: Path, cfg: Config | None = None) -> Iterator[Poller]:
    cfg = cfg or Config()
    cfg = Config(
        isolarcloud=demo_settings("http://sim"),
        plants=cfg.plants,
    )
    transport = httpx.MockTransport(sim.handle)
    store = TokenStore(tmp_path / "tokens.toml")
    redirect = sim.authorize(cfg.isolarcloud.redirect_uri)
    login(cfg.isolarcloud, store, redirect_url=redirect, transport=transport, stdout=io.StringIO())
    with GatewayClient(cfg.isolarcloud, store, transport=transport) as client:
        yield Poller(client, cfg, EnergyGuard(None))


def test_each_reading_belongs_to_its_plant(sim: Simulator, tmp_path: Path) -> None:
    for poller in make_poller(sim, tmp_path):
        inventory = poller.load_inventory()
        result = poller.poll(inventory)
        n_devices = sum(len(ds) for ds in inventory.devices.values())
        assert len(result.readings) == len(inventory.plants) + n_devices
        for reading in result.readings:
            if reading.device is not None:
                assert reading.device.ps_id == reading.ps_id
        for plant in inventory.plants:
            plant_reading = next(
                r for r in result.readings if r.device is None and r.ps_id == plant.ps_id
            )
            device_times = [
                r.ts for r in result.readings if r.device and r.ps_id == plant.ps_id and r.ts
            ]
            assert plant_reading.ts == max(device_times)
            assert plant_reading.ts is not None
            assert plant_reading.ts.utcoffset() == plant.tz.utcoffset(None)


def test_a_subset_of_plants_is_polled_alone(sim: Simulator, tmp_path: Path) -> None:
    for poller in make_poller(sim, tmp_path):
        inventory = poller.load_inventory()
        second = inventory.plants[1].ps_id
        result = poller.poll(inventory, [second])
        assert {r.ps_id for r in result.readings} == {second}
        assert result.polled == (second,)
        assert result.missing == ()


def test_plants_include_and_exclude(sim: Simulator, tmp_path: Path) -> None:
    ids = [str(p.ps_id) for p in sim.plants]
    only_first = Config(plants=PlantsConfig(include=(ids[0],)))
    for poller in make_poller(sim, tmp_path, only_first):
        assert poller.load_inventory().ps_ids == (ids[0],)
    not_first = Config(plants=PlantsConfig(exclude=(ids[0],)))
    for poller in make_poller(sim, tmp_path, not_first):
        assert poller.load_inventory().ps_ids == (ids[1],)
