"""One poll through the real client against the simulator: readings per plant and device."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bridge.config.model import Config, PlantsConfig
from bridge.isolarcloud.client import DEVICE_REALTIME, GatewayClient
from bridge.isolarcloud.onboarding import login
from bridge.isolarcloud.tokens import TokenStore
from bridge.readings.energy_guard import EnergyGuard
from bridge.readings.poller import Poller
from bridge.simulator import (
    Account,
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


def test_an_unreadable_device_type_is_not_asked_again_until_the_next_inventory(
    sim: Simulator, tmp_path: Path
) -> None:
    sim.account = Account(unreadable_types=frozenset({43}))
    for poller in make_poller(sim, tmp_path):
        inventory = poller.load_inventory()
        full_cost = poller.estimate(inventory).per_poll
        first = poller.poll(inventory)
        assert [(s.endpoint, s.device_type) for s in poller.skipped.values()] == [
            ("getDeviceRealTimeData", 43)
        ]
        assert not any(r.device and r.device.device_type == 43 for r in first.readings)
        assert any(r.device is None for r in first.readings)  # plant data flows
        assert poller.estimate(inventory).per_poll == full_cost - 1  # costs no call now
        calls = sim.calls[DEVICE_REALTIME]
        poller.poll(inventory)
        assert sim.calls[DEVICE_REALTIME] - calls == 4  # types 1, 14, 7, 22: not 43
        sim.account = Account()  # the account may read batteries after all
        inventory = poller.load_inventory()
        assert poller.skipped == {}
        again = poller.poll(inventory)
        assert any(r.device and r.device.device_type == 43 for r in again.readings)


def test_a_failing_plant_detail_leaves_the_plants_without_their_details(
    sim: Simulator, tmp_path: Path
) -> None:
    sim.account = Account(failing_detail="E994")
    for poller in make_poller(sim, tmp_path):
        inventory = poller.load_inventory()
        assert [p.ps_id for p in inventory.plants] == ["1122348203", "1122348217"]
        assert all(p.install_power_w is None for p in inventory.plants)
        assert list(poller.skipped) == ["getPowerStationDetail"]
        result = poller.poll(inventory)
        assert {r.ps_id for r in result.readings if r.device is None} == set(inventory.ps_ids)
