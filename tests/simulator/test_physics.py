"""Plant physics over simulated days, read through the API like a client would."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from bridge.simulator import SimClock
from tests.simulator.conftest import HYBRID, Cloud, make_cloud

ESS = f"{HYBRID}_14_1_1"
ESS_POINTS = [
    "13003",
    "13119",
    "13121",
    "13149",
    "13126",
    "13150",
    "13141",
    "13112",
    "13199",
    "13122",
    "13147",
    "13028",
    "13029",
    "13134",
    "13130",
    "13125",
    "13148",
    "13034",
    "13035",
]
PLANT_POINTS = ["83067", "83549", "83238", "83106", "83022", "83024"]


def _day(seed: int = 0) -> tuple[Cloud, list[dict[str, Any]]]:
    """Every 5-minute frame of the hybrid plant from 00:00 GMT+1 on 2026-06-21 to 03:00 next day."""
    cloud = make_cloud(seed=seed, clock=SimClock(datetime(2026, 6, 20, 23, 0, tzinfo=UTC), 0))
    cloud.sim.expires_in = 10**7
    cloud.login()
    frames = []
    for _ in range(27 * 12):
        ess = cloud.data(
            "getDeviceRealTimeData", device_type=14, ps_key_list=[ESS], point_id_list=ESS_POINTS
        )["result_data"]["device_point_list"][0]
        plant = cloud.data(
            "getPowerStationRealTimeData", ps_id_list=[HYBRID], point_id_list=PLANT_POINTS
        )["result_data"]["device_point_list"][0]
        frame = {
            k: float(v)
            for k, v in {**ess["device_point"], **plant}.items()
            if k[:1] == "p" and k[1:].isdigit() and v is not None
        }
        frame["time"] = ess["device_point"]["device_time"]
        frames.append(frame)
        cloud.sim.clock.advance(300)
    return cloud, frames


def test_a_simulated_day() -> None:
    _cloud, frames = _day()
    day = [f for f in frames if f["time"].startswith("20260621")]
    assert len(day) == 288 and day[0]["time"] == "20260621000000"
    hour = {f["time"][8:12]: f for f in day}
    # PV: nothing at night, most around noon.
    assert hour["0100"]["p13003"] == 0 and hour["2330"]["p13003"] == 0
    noon = sum(hour[f"{h:02d}00"]["p13003"] for h in (11, 12, 13))
    assert noon > 3 * sum(hour[f"{h:02d}00"]["p13003"] for h in (6, 7, 18))
    # The battery covers the night within its SOC window and charges by day.
    assert all(0.1 <= f["p13141"] <= 1.0 for f in day)
    assert hour["0100"]["p13150"] > 0 and hour["0100"]["p13126"] == 0
    assert max(f["p13141"] for f in day) > hour["0500"]["p13141"]
    for f in day:
        # Power balance of every frame, and the sign conventions.
        supply = f["p13003"] + f["p13149"] + f["p13150"]
        demand = f["p13119"] + f["p13121"] + f["p13126"]
        assert abs(supply - demand) < 1.0
        assert abs(f["p83549"] - (f["p13149"] - f["p13121"])) < 0.5  # import positive
        assert abs(f["p83238"] - (f["p13126"] - f["p13150"])) < 0.5  # charging positive
        assert f["p83067"] == f["p13003"] and f["p83022"] == f["p13112"]


def test_counters_integrate_reset_at_local_midnight_and_balance() -> None:
    _cloud, frames = _day()
    daily = ["p13112", "p13199", "p13122", "p13147", "p13028", "p13029"]
    total = ["p13134", "p13130", "p13125", "p13148", "p13034", "p13035", "p83024"]
    for a, b in itertools.pairwise(frames):
        for key in total:
            assert b[key] >= a[key], (key, b["time"])
        for key in daily:
            if b["time"][:8] == a["time"][:8]:
                assert b[key] >= a[key], (key, b["time"])
            else:
                assert b["time"].endswith("000000") and b[key] == 0
    last = next(f for f in frames if f["time"] == "20260621235500")
    supply = last["p13112"] + last["p13147"] + last["p13029"]
    demand = last["p13199"] + last["p13122"] + last["p13028"]
    assert last["p13112"] > 10_000
    assert abs(supply - demand) < 0.001 * supply + 5
    # The daily PV counter integrates the PV power of the day (5-minute rectangles).
    pv = sum(f["p13003"] for f in frames if f["time"].startswith("20260621")) * 300 / 3600
    assert abs(last["p13112"] - pv) < 0.01 * pv


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = _day(seed=7)[1][150:160]
    b = _day(seed=7)[1][150:160]
    c = _day(seed=8)[1][150:160]
    assert a == b
    assert a != c


def test_string_plant_at_night_is_reachable_with_zero_pv(authed: Cloud) -> None:
    # 20:02 in GMT+10.
    reply = authed.data(
        "getDeviceRealTimeData",
        device_type=1,
        point_id_list=["24", "1", "29"],
        ps_key_list=["1122348217_1_1_1"],
    )
    point = reply["result_data"]["device_point_list"][0]["device_point"]
    assert point["p24"] == "0.0" and float(point["p1"]) > 0
    assert point["p29"] == "5120"  # standby
