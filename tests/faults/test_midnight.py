"""A poll whose calls straddle the plant's midnight: the daily counters still reset.

The plant call carries no sample time and borrows its devices'. When the plant values
were read before the devices', a poll across midnight filed yesterday's daily totals
under today's date, and the energy guard then held them for the whole day.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.onboarding import login
from bridge.isolarcloud.tokens import TokenStore
from bridge.readings.energy_guard import EnergyGuard
from bridge.readings.poller import Poller
from bridge.simulator import SimClock, Simulator
from tests.support.broker import MosquittoBroker
from tests.support.rig import make_config

UTRECHT = "1122348203"  # GMT+1 in the simulator: local midnight is 23:00 UTC


def test_daily_counters_reset_after_a_poll_across_midnight(tmp_path: Path) -> None:
    # the first poll starts two seconds before the plant's midnight; each call takes 5 s
    clock = SimClock(start=datetime(2026, 6, 21, 22, 59, 58, tzinfo=UTC), speed=0)
    sim = Simulator(clock=clock)

    def slow_cloud(request: httpx.Request) -> httpx.Response:
        response = sim.handle(request)
        if request.url.path.endswith("RealTimeData"):
            clock.advance(5)
        return response

    transport = httpx.MockTransport(slow_cloud)
    cfg = make_config("http://sim.invalid", MosquittoBroker(tmp_path / "unused"))
    store = TokenStore(tmp_path / "tokens.toml")
    redirect = sim.authorize(cfg.isolarcloud.redirect_uri)
    login(cfg.isolarcloud, store, redirect_url=redirect, stdout=io.StringIO(), transport=transport)

    def now() -> float:
        return clock.now().timestamp()

    with GatewayClient(cfg.isolarcloud, store, transport=transport, clock=now) as client:
        poller = Poller(client, cfg, EnergyGuard(None), now)
        inventory = poller.load_inventory()
        samples = []
        for _ in range(3):
            result = poller.poll(inventory)
            plant = next(r for r in result.readings if r.device is None and r.ps_id == UTRECHT)
            samples.append((plant.ts, plant.values["energy_today"]))
            clock.advance(600)
    assert any(ts is not None and ts.date() == date(2026, 6, 22) for ts, _ in samples)
    for ts, value in samples:
        assert ts is not None
        if ts.date() == date(2026, 6, 22):  # the plant-local date of the sample
            assert isinstance(value, float) and value < 5, (ts, value)  # reset, not yesterday's
