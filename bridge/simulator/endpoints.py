"""The `/openapi/platform/...` data endpoints: request validation and reply shapes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.simulator.envelope import ApiError
from bridge.simulator.params import (
    POINT_TIME,
    as_int,
    as_list,
    csv,
    page,
    point_id_list,
    wants_dict,
)
from bridge.simulator.physics import Frame, PlantModel
from bridge.simulator.plants import TYPE_NAMES, SimDevice, SimPlant
from bridge.simulator.points import PLANT_TYPE, point_dict, point_value

MAX_DETAIL_IDS = 20
LIST_TIME = "%Y-%m-%d %H:%M:%S"


@dataclass(slots=True)
class Query:
    """One authorised data call: the body, the plants the token may see, the sim time."""

    body: dict[str, Any]
    plants: dict[int, SimPlant]  # only the authorised ones
    models: dict[int, PlantModel]
    now: datetime

    def frame(self, plant: SimPlant) -> Frame:
        return self.models[plant.ps_id].frame_at(self.now)


Endpoint = Callable[[Query], Any]


def _plant_by_id(q: Query, ps_id: str) -> SimPlant | None:
    return q.plants.get(int(ps_id)) if ps_id.isdigit() else None


# -- plants ----------------------------------------------------------------------------


def _plant_card(q: Query, p: SimPlant) -> dict[str, Any]:
    return {
        "ps_id": p.ps_id,
        "ps_name": p.ps_name,
        "description": None,
        "ps_type": p.ps_type,
        "online_status": 1,
        "valid_flag": p.valid_flag,
        "grid_connection_status": 1,
        "install_date": p.install_date,
        "ps_location": p.ps_location,
        "latitude": p.latitude,
        "longitude": p.longitude,
        "ps_fault_status": 3,
        "connect_type": 2,
        "update_time": q.frame(p).time.strftime(LIST_TIME),
        "ps_current_time_zone": p.tz_name,
        "grid_connection_time": int(
            datetime.strptime(p.install_date, LIST_TIME).strftime(POINT_TIME)
        ),
        "build_status": 2,
    }


def query_power_station_list(q: Query) -> dict[str, Any]:
    # Only "normal" plants unless valid_flag asks for more, as on the real service.
    flags = {int(f) for f in csv(q.body.get("valid_flag")) if f.isdigit()} or {1}
    types = {int(t) for t in csv(q.body.get("ps_type")) if t.isdigit()}
    name = str(q.body.get("ps_name") or "").lower()
    items = [
        _plant_card(q, p)
        for p in sorted(q.plants.values(), key=lambda p: p.ps_id)
        if p.valid_flag in flags and (not types or p.ps_type in types) and name in p.ps_name.lower()
    ]
    return page(q.body, items)


def get_power_station_detail(q: Query) -> dict[str, Any]:
    ids = csv(q.body.get("ps_ids"))
    sns = csv(q.body.get("sns"))
    if len(ids) > MAX_DETAIL_IDS or len(sns) > MAX_DETAIL_IDS:
        return {"code": "5", "data_list": [], "not_authorization_ps_list": []}
    if not ids and sns:
        ids = [
            str(p.ps_id)
            for p in q.plants.values()
            if any(d.device_sn in sns for d in p.devices if d.device_type == 22)
        ]
    if not ids:
        return {"code": "4", "data_list": [], "not_authorization_ps_list": []}
    found = [p for i in ids if (p := _plant_by_id(q, i)) is not None]
    refused = [i for i in ids if _plant_by_id(q, i) is None]
    remarks = str(q.body.get("is_get_ps_remarks", "")) == "1"
    return {
        "code": "1" if found else "7",
        "data_list": [_plant_detail(q, p, remarks) for p in found],
        "not_authorization_ps_list": refused,
    }


def _plant_detail(q: Query, p: SimPlant, remarks: bool) -> dict[str, Any]:
    card = _plant_card(q, p)
    detail = {
        **{
            k: card[k]
            for k in (
                "ps_id",
                "ps_name",
                "description",
                "ps_type",
                "online_status",
                "build_status",
                "install_date",
                "connect_type",
                "grid_connection_time",
                "ps_fault_status",
                "ps_location",
                "latitude",
                "longitude",
                "ps_current_time_zone",
            )
        },
        "ps_key": p.ps_key,
        "ps_type_name": "Residential storage" if p.kind == "hybrid" else "Residential PV",
        "fault_count": 0,
        "alarm_count": 0,
        "install_power": p.pv_peak_w,
        "ps_feedin_power_price_wh": 0.00008,
        "ps_feedin_power_price_kwh": 0.08,
        "ps_consumption_power_price_wh": 0.00028,
        "ps_consumption_power_price_kwh": 0.28,
        "power_price_unit": "EUR",
        "owner_mobile": None,
        "owner_email": "owner@example.invalid",
        "communication_dev_detail_list": [
            {"sn": d.device_sn, "is_enable": 1} for d in p.devices if d.device_type == 22
        ],
        "param_income_unit_name": "EUR",
        "user_moble_tel": None,  # sic, as documented
    }
    if remarks:
        detail["ps_remarks"] = {f"remark{i}": "" for i in range(1, 6)}
    return detail


# -- devices ---------------------------------------------------------------------------


def _comm_sn(p: SimPlant) -> str | None:
    return next((d.device_sn for d in p.devices if d.device_type == 22), None)


def get_device_list(q: Query) -> dict[str, Any]:
    plant = _plant_by_id(q, str(as_int(q.body, "ps_id")))
    types = {
        int(t) for t in as_list(q.body, "device_type_list", required=False) if str(t).isdigit()
    }
    firmware = str(q.body.get("is_get_firmware_version", "")) == "1"
    devices = (
        [] if plant is None else [d for d in plant.devices if not types or d.device_type in types]
    )
    return page(q.body, [_device_card(plant, d, firmware) for d in devices if plant])


def _device_card(p: SimPlant, d: SimDevice, firmware: bool) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": d.uuid,
        "ps_key": d.ps_key,
        "ps_id": p.ps_id,
        "device_sn": d.device_sn,
        "device_name": d.device_name,
        "device_type": d.device_type,
        "type_name": TYPE_NAMES.get(d.device_type, "Device"),
        "device_model_id": d.device_model_id,
        "device_model_code": d.device_model_code,
        "factory_name": "SUNGROW",
        "dev_fault_status": 4,
        "dev_status": 1,
        "claim_state": 1,
        "device_code": d.device_code,
        "chnnl_id": d.chnnl_id,
        "communication_dev_sn": None if d.device_type == 22 else _comm_sn(p),
        "rel_time": p.install_date,
        "grid_connection_date": p.install_date,
    }
    if firmware:
        card["firmware_version_info"] = {"m_version": f"{d.device_model_code}-V11.2.1"}
    return card


# -- real-time data --------------------------------------------------------------------


def get_power_station_real_time_data(q: Query) -> dict[str, Any]:
    ps_ids = as_list(q.body, "ps_id_list")
    point_ids = point_id_list(q.body)
    items, failed = [], []
    for ps_id in ps_ids:
        plant = _plant_by_id(q, ps_id)
        if plant is None:
            failed.append(ps_id)
            continue
        frame = q.frame(plant)
        item: dict[str, Any] = {
            "ps_id": str(plant.ps_id),
            "uuid": plant.uuid,
            "ps_name": plant.ps_name,
            "ps_key": plant.ps_key,
        }
        for pid in point_ids:
            item[f"p{pid}"] = point_value(PLANT_TYPE, pid, frame, plant, None)
        items.append(item)
    data: dict[str, Any] = {"device_point_list": items, "fail_ps_id_list": failed}
    if wants_dict(q.body):
        data["point_dict"] = point_dict(PLANT_TYPE, point_ids)
    return data


def get_device_real_time_data(q: Query) -> dict[str, Any]:
    device_type = as_int(q.body, "device_type")
    point_ids = point_id_list(q.body)
    ps_keys = as_list(q.body, "ps_key_list", required=False)
    sns = as_list(q.body, "sn_list", required=False)
    if not ps_keys and not sns:
        raise ApiError("009", "er_missing_parameter:ps_key_list")
    by_key = {d.ps_key: (p, d) for p in q.plants.values() for d in p.devices}
    by_sn = {d.device_sn: (p, d) for p in q.plants.values() for d in p.devices}
    wanted = [by_key.get(k) for k in ps_keys] if ps_keys else [by_sn.get(s) for s in sns]
    if any(w is not None and w[1].device_type != device_type for w in wanted):
        raise ApiError("010", "er_parameter_value_invalid:ps_key_list must all be of device_type")
    items = []
    for found in wanted:
        if found is None:
            continue
        plant, device = found
        frame = q.frame(plant)
        point: dict[str, Any] = {
            "ps_key": device.ps_key,
            "device_sn": device.device_sn,
            "uuid": device.uuid,
            "device_name": device.device_name,
            "device_time": frame.time.strftime(POINT_TIME),
            "ps_id": plant.ps_id,
            "dev_status": 1,
            "dev_fault_status": 4,
            "communication_dev_sn": None if device.device_type == 22 else _comm_sn(plant),
        }
        for pid in point_ids:
            point[f"p{pid}"] = point_value(device_type, pid, frame, plant, device)
        items.append({"device_point": point})
    data: dict[str, Any] = {
        "device_point_list": items,
        "illegal_ps_key_list": [k for k in ps_keys if k not in by_key],
        "illgal_sn_list": [s for s in sns if s not in by_sn],  # sic, as documented
    }
    if wants_dict(q.body):
        data["point_dict"] = point_dict(device_type, point_ids)
    return data


PLATFORM_ENDPOINTS: dict[str, Endpoint] = {
    "queryPowerStationList": query_power_station_list,
    "getPowerStationDetail": get_power_station_detail,
    "getDeviceListByPsId": get_device_list,
    "getPowerStationRealTimeData": get_power_station_real_time_data,
    "getDeviceRealTimeData": get_device_real_time_data,
}
