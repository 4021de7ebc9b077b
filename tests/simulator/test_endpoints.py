"""Request validation and reply shapes of the data endpoints."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bridge.simulator import fleet
from tests.simulator.conftest import HYBRID, STRING, Cloud, make_cloud

ESS = f"{HYBRID}_14_1_1"
BATTERY = f"{HYBRID}_43_1_1"
METER = f"{HYBRID}_7_254_1"
INVERTER = f"{STRING}_1_1_1"


def test_plant_list_items_are_flat_cards_with_int_ids(authed: Cloud) -> None:
    data = authed.data("queryPowerStationList", page=1, size=10)["result_data"]
    assert data["row_count"] == 2
    hybrid, string = data["pageList"]
    assert hybrid["ps_id"] == int(HYBRID) and hybrid["valid_flag"] == 1
    assert hybrid["ps_current_time_zone"] == "GMT+1"
    assert string["ps_current_time_zone"] == "GMT+10"
    assert hybrid["update_time"] == "2026-06-21 11:00:00"  # plant-local, last 5-min boundary


def test_plant_list_paging_and_valid_flag() -> None:
    cloud = make_cloud(plants=fleet(12))
    cloud.login()
    connecting = [p.ps_id for p in cloud.sim.plants if p.valid_flag == 3]
    assert connecting  # the fleet hides some plants from clients that forget valid_flag
    seen: list[int] = []
    page = 1
    while True:
        data = cloud.data("queryPowerStationList", page=page, size=5, valid_flag="1,2,3")[
            "result_data"
        ]
        seen += [p["ps_id"] for p in data["pageList"]]
        assert data["row_count"] == 12
        if len(data["pageList"]) < 5:
            break
        page += 1
    assert page == 3 and len(seen) == 12 and len(set(seen)) == 12
    default = cloud.data("queryPowerStationList", page=1, size=100)["result_data"]
    assert {p["ps_id"] for p in default["pageList"]} == set(seen) - set(connecting)


def test_plant_list_needs_page_and_size(authed: Cloud) -> None:
    assert authed.data("queryPowerStationList", size=10)["result_code"] == "009"
    assert authed.data("queryPowerStationList", page=0, size=10)["result_code"] == "010"


def test_plant_details(authed: Cloud) -> None:
    data = authed.data("getPowerStationDetail", ps_ids=f"{HYBRID},{STRING},123")["result_data"]
    assert data["code"] == "1"
    assert data["not_authorization_ps_list"] == ["123"]
    hybrid = data["data_list"][0]
    assert hybrid["ps_key"] == f"{HYBRID}_11_0_0"
    assert hybrid["install_power"] > 0 and hybrid["ps_current_time_zone"] == "GMT+1"
    too_many = ",".join(str(i) for i in range(21))
    over = authed.data("getPowerStationDetail", ps_ids=too_many)
    assert over["result_code"] == "1" and over["result_data"]["code"] == "5"


def test_device_list_paging_and_type_filter(authed: Cloud) -> None:
    data = authed.data("getDeviceListByPsId", ps_id=HYBRID, page=1, size=3)["result_data"]
    assert data["row_count"] == 4 and len(data["pageList"]) == 3
    last = authed.data("getDeviceListByPsId", ps_id=HYBRID, page=2, size=3)["result_data"]
    assert len(last["pageList"]) == 1
    types = {d["device_type"] for d in data["pageList"] + last["pageList"]}
    assert types == {14, 43, 7, 22}
    only = authed.data("getDeviceListByPsId", ps_id=STRING, page=1, size=10, device_type_list=[1])[
        "result_data"
    ]["pageList"]
    assert [d["ps_key"] for d in only] == [INVERTER]
    assert only[0]["device_model_code"] == "SG5.0RS"


def test_plant_real_time_values_are_strings_nulls_and_fractions(authed: Cloud) -> None:
    reply = authed.data(
        "getPowerStationRealTimeData",
        ps_id_list=[HYBRID, STRING],
        point_id_list=["83022", "83033", "83252", "83334", "83549", "424242"],
    )
    data = reply["result_data"]
    assert "point_dict" not in data
    hybrid, string = data["device_point_list"]
    assert hybrid["ps_id"] == HYBRID and hybrid["ps_key"] == f"{HYBRID}_11_0_0"
    assert re.fullmatch(r"\d+\.\d", hybrid["p83022"])
    soc = float(hybrid["p83252"])
    assert 0.1 <= soc <= 1.0
    assert float(hybrid["p83334"]) == round(soc * 100)  # the EMS SOC is a percentage
    assert hybrid["p424242"] is None
    assert string["p83252"] is None  # no battery


def test_point_dict_only_on_request(authed: Cloud) -> None:
    data = authed.data(
        "getPowerStationRealTimeData",
        ps_id_list=[HYBRID],
        point_id_list=["83022", "83033"],
        is_get_point_dict="1",
    )["result_data"]
    assert data["point_dict"] == [
        {"point_id": 83022, "point_name": "Daily Yield of Plant", "point_unit": "Wh"},
        {"point_id": 83033, "point_name": "Plant Power", "point_unit": "W"},
    ]


def test_point_id_list_over_100_is_010(authed: Cloud) -> None:
    ids = [str(i) for i in range(101)]
    for endpoint, extra in (
        ("getPowerStationRealTimeData", {"ps_id_list": [HYBRID]}),
        ("getDeviceRealTimeData", {"device_type": 14, "ps_key_list": [ESS]}),
    ):
        reply = authed.data(endpoint, point_id_list=ids, **extra)
        assert reply["result_code"] == "010"
        assert reply["result_msg"] == "Parameters point_id_list size is over 100"
    ok = authed.data("getPowerStationRealTimeData", ps_id_list=[HYBRID], point_id_list=ids[:100])
    assert ok["result_code"] == "1"


def test_device_real_time_needs_ps_keys_or_sns(authed: Cloud) -> None:
    reply = authed.data("getDeviceRealTimeData", device_type=14, point_id_list=["13011"])
    assert reply["result_code"] == "009"


def test_device_types_must_not_mix(authed: Cloud) -> None:
    reply = authed.data(
        "getDeviceRealTimeData", device_type=14, ps_key_list=[ESS, BATTERY], point_id_list=["13011"]
    )
    assert reply["result_code"] == "010"


def test_device_points_are_wrapped_with_local_five_minute_time(authed: Cloud) -> None:
    authed.sim.clock.advance(7 * 60)  # 10:09:30 UTC
    data = authed.data(
        "getDeviceRealTimeData",
        device_type=14,
        point_id_list=["13011", "13141"],
        ps_key_list=[ESS, f"{HYBRID}_14_9_9"],
    )["result_data"]
    assert data["illegal_ps_key_list"] == [f"{HYBRID}_14_9_9"]
    [item] = data["device_point_list"]
    point = item["device_point"]
    assert point["ps_key"] == ESS and point["ps_id"] == int(HYBRID)
    assert point["device_time"] == "20260621110500"  # GMT+1
    inverter = authed.data(
        "getDeviceRealTimeData", device_type=1, point_id_list=["24", "19"], ps_key_list=[INVERTER]
    )["result_data"]["device_point_list"][0]
    assert inverter["device_point"]["device_time"] == "20260621200500"  # GMT+10
    assert inverter["device_point"]["p19"] is None  # single-phase: no phase B


def test_device_real_time_by_serial_number(authed: Cloud) -> None:
    sn = authed.sim.plants[0].devices[1].device_sn
    data = authed.data(
        "getDeviceRealTimeData", device_type=43, point_id_list=["58604"], sn_list=[sn, "NOPE"]
    )["result_data"]
    assert data["device_point_list"][0]["device_point"]["ps_key"] == BATTERY
    assert data["illgal_sn_list"] == ["NOPE"]


def test_values_change_only_on_five_minute_boundaries(authed: Cloud) -> None:
    def read() -> object:
        return authed.data(
            "getDeviceRealTimeData", device_type=7, point_id_list=["8018"], ps_key_list=[METER]
        )["result_data"]["device_point_list"]

    first = read()
    authed.sim.clock.advance(120)  # 10:04:30: still the 10:00 frame
    assert read() == first
    authed.sim.clock.advance(60)
    assert read() != first


def test_minute_history_windows_and_no_data_for_today(authed: Cloud) -> None:
    authed.sim.clock.advance(86400)
    body = {"ps_id_list": [HYBRID, "777"], "points": "p83022,p83033,p83252"}
    data = authed.data(
        "getPowerStationPointMinuteDataList",
        start_time_stamp="20260621100000",
        end_time_stamp="20260621120000",
        minute_interval="15",
        **body,
    )["result_data"]
    rows = data[HYBRID]
    assert [r["time_stamp"] for r in rows] == [
        (datetime(2026, 6, 21, 10) + timedelta(minutes=15 * i)).strftime("%Y%m%d%H%M%S")
        for i in range(9)
    ]
    assert set(rows[0]) == {"time_stamp", "p83022", "p83033", "p83252"}
    assert data["illegal_ps_id_list"] == ["777"]
    today = authed.data(
        "getPowerStationPointMinuteDataList",
        start_time_stamp="20260622080000",
        end_time_stamp="20260622100000",
        **body,
    )["result_data"]
    assert today[HYBRID] == []
    wide = authed.data(
        "getPowerStationPointMinuteDataList",
        start_time_stamp="20260621080000",
        end_time_stamp="20260621110500",
        **body,
    )
    assert wide["result_code"] == "010"


def test_device_minute_history(authed: Cloud) -> None:
    authed.sim.clock.advance(86400)
    data = authed.data(
        "getDevicePointMinuteDataList",
        ps_key_list=[BATTERY, "1_43_1_1"],
        points="p58604,p99",
        start_time_stamp="20260621020000",
        end_time_stamp="20260621030000",
        is_get_point_dict="1",
    )["result_data"]
    rows = data[BATTERY]
    assert len(rows) == 13 and rows[0]["time_stamp"] == "20260621020000"
    assert all(0.1 <= float(r["p58604"]) <= 1 and "p99" not in r for r in rows)
    assert data["illegal_ps_key_list"] == ["1_43_1_1"]
    assert data["point_dict"] == [
        {"point_id": 58604, "point_name": "Battery Level (SOC)", "point_unit": ""}
    ]
    mixed = authed.data(
        "getDevicePointMinuteDataList",
        ps_key_list=[BATTERY, METER],
        points="p58604",
        start_time_stamp="20260621020000",
        end_time_stamp="20260621030000",
    )
    assert mixed["result_code"] == "010"
