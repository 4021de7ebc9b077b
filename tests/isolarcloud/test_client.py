"""Endpoints against the simulator: paging, chunking, grouping, parsing, time zones, counts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bridge.isolarcloud.budget import calls_per_poll
from bridge.isolarcloud.client import (
    DEVICE_LIST,
    DEVICE_REALTIME,
    PLANT_DETAIL,
    PLANT_LIST,
    PLANT_REALTIME,
    GatewayClient,
)
from bridge.isolarcloud.errors import RateLimitedError
from bridge.simulator import fleet
from tests.isolarcloud.conftest import Harness, make_harness

PLANT_POINTS = ["83022", "83033", "83024"]


def test_default_fleet_plants(harness: Harness, client: GatewayClient) -> None:
    plants = client.list_plants()
    assert [p.ps_id for p in plants] == ["1122348203", "1122348217"]
    assert [p.name for p in plants] == ["Hybrid Home", "Beach House"]
    assert [p.tz.utcoffset(None) for p in plants] == [timedelta(hours=1), timedelta(hours=10)]
    assert all(p.install_power_w and p.install_power_w > 0 for p in plants)
    assert harness.sim.calls[PLANT_LIST] == 1
    assert harness.sim.calls[PLANT_DETAIL] == 1


def test_paging_and_detail_chunks_of_20(tmp_path: Path) -> None:
    harness = make_harness(tmp_path, plants=fleet(45))
    with harness.client() as client:
        harness.authorise(client)
        plants = client.list_plants(page_size=10)
    assert len(plants) == 45 and len({p.ps_id for p in plants}) == 45
    assert harness.sim.calls[PLANT_LIST] == 5  # 10+10+10+10+5: the short page ends it
    assert harness.sim.calls[PLANT_DETAIL] == 3  # 20+20+5
    assert all(p.install_power_w for p in plants)


def test_devices_of_the_hybrid_plant(harness: Harness, client: GatewayClient) -> None:
    devices = client.list_devices("1122348203", page_size=2)
    assert {d.device_type for d in devices} == {7, 14, 22, 43}
    assert all(d.ps_key.startswith("1122348203_") and d.ps_id == "1122348203" for d in devices)
    assert all(d.serial for d in devices)
    assert harness.sim.calls[DEVICE_LIST] == 2  # 2 + 2 = row_count: no empty third page


def test_plant_realtime_all_plants_in_one_call(harness: Harness, client: GatewayClient) -> None:
    plants = client.list_plants()
    snaps = client.plant_realtime(plants, PLANT_POINTS)
    assert harness.sim.calls[PLANT_REALTIME] == 1
    assert set(snaps) == {"1122348203", "1122348217"}
    snap = snaps["1122348203"]
    assert snap.device is None and snap.sampled_at is None
    assert set(snap.values) == set(PLANT_POINTS)
    assert all(isinstance(v, float) for v in snap.values.values())
    assert snap.point_info["83022"].unit == "Wh"


def test_plant_points_are_chunked_by_100(harness: Harness, client: GatewayClient) -> None:
    plants = client.list_plants()
    points = [*PLANT_POINTS, *(str(90000 + i) for i in range(147))]  # 150 ids
    snaps = client.plant_realtime(plants, ["p" + p for p in points[:3]] + points)
    assert harness.sim.calls[PLANT_REALTIME] == 2
    values = snaps["1122348217"].values
    assert len(values) == 150
    assert values["90000"] is None  # a point the plant lacks is null
    assert isinstance(values["83033"], float)


def test_device_realtime_grouped_by_type(harness: Harness, client: GatewayClient) -> None:
    plants = client.list_plants()
    tz_by_plant = {p.ps_id: p.tz for p in plants}
    devices = [d for p in plants for d in client.list_devices(p.ps_id)]
    types = {d.device_type for d in devices}
    points = {1: ["24", "1"], 14: ["13011", "13141"], 43: ["58604"], 7: ["8018"], 22: ["1"]}
    before = harness.sim.calls[DEVICE_REALTIME]
    snaps = client.device_realtime(devices, points, tz_by_plant).snapshots
    assert harness.sim.calls[DEVICE_REALTIME] - before == len(types & set(points))
    assert set(snaps) == {d.ps_key for d in devices if d.device_type in points}
    sim_now = harness.clock.now()
    for snap in snaps.values():
        assert snap.device is not None and snap.ps_id == snap.device.ps_id
        assert snap.sampled_at is not None
        assert snap.sampled_at.utcoffset() == tz_by_plant[snap.ps_id].utcoffset(None)
        assert snap.sampled_at.minute % 5 == 0
        assert timedelta(0) <= sim_now - snap.sampled_at <= timedelta(minutes=10)
    ess = next(s for s in snaps.values() if s.device and s.device.device_type == 14)
    assert set(ess.values) == {"13011", "13141"}


def test_device_points_chunked_by_100(harness: Harness, client: GatewayClient) -> None:
    devices = [d for d in client.list_devices("1122348203") if d.device_type == 14]
    points = {14: [str(13000 + i) for i in range(150)]}
    snaps = client.device_realtime(devices, points, {}).snapshots
    assert harness.sim.calls[DEVICE_REALTIME] == 2
    assert len(snaps[devices[0].ps_key].values) == 150


def test_a_poll_costs_the_budgeted_minimum(harness: Harness, client: GatewayClient) -> None:
    plants = client.list_plants()
    devices = [d for p in plants for d in client.list_devices(p.ps_id)]
    points_by_type = {14: 120, 43: 5, 1: 30}
    by_type: dict[int, int] = {}
    for d in devices:
        by_type[d.device_type] = by_type.get(d.device_type, 0) + 1
    before = harness.sim.total_calls
    client.plant_realtime(plants, [str(83000 + i) for i in range(101)])
    client.device_realtime(
        devices, {t: [str(i) for i in range(n)] for t, n in points_by_type.items()}, {}
    )
    spent = harness.sim.total_calls - before
    assert spent == calls_per_poll(len(plants), 101, points_by_type, by_type)


def test_calls_last_hour_counts_every_call(harness: Harness) -> None:
    with harness.client() as client:
        harness.authorise(client)  # the code exchange counts too
        client.list_plants()
        assert client.calls_last_hour() == 3 == harness.sim.total_calls
        harness.clock.advance(1800)
        client.list_devices("1122348203")
        assert client.calls_last_hour() == 4
        harness.clock.advance(1800)
        assert client.calls_last_hour() == 1


def test_server_time(harness: Harness) -> None:
    with harness.client() as client:
        assert abs((client.server_time() - harness.clock.now()).total_seconds()) < 2


def test_nothing_to_ask_costs_no_call(harness: Harness, client: GatewayClient) -> None:
    plants = client.list_plants()
    before = harness.sim.total_calls
    assert client.plant_realtime([], PLANT_POINTS) == {}
    assert client.plant_realtime(plants, []) == {}
    assert client.device_realtime([], {14: ["13011"]}, {}).snapshots == {}
    assert harness.sim.total_calls == before


def test_the_hourly_budget_is_a_hard_cap(harness: Harness) -> None:
    with harness.client(hourly_budget=4) as client:
        harness.authorise(client)  # call 1
        client.list_plants()  # calls 2 and 3 (list, details)
        client.list_devices("1122348203")  # call 4
        sent = harness.sim.total_calls
        with pytest.raises(RateLimitedError) as refused:
            client.list_devices("1122348203")
        assert refused.value.code == "budget"
        assert "hourly_call_budget" in str(refused.value)
        assert harness.sim.total_calls == sent  # nothing went out
        assert 0 < refused.value.retry_after <= 3600
        harness.clock.advance(refused.value.retry_after)
        client.list_devices("1122348203")  # the oldest call has left the window
