"""Minute history: `getPowerStationPointMinuteDataList` and `getDevicePointMinuteDataList`.

As on the real service: plant-local times, at most a 3-hour window and 50 items and
points per call, nothing for today, points without data left out of a frame."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bridge.simulator.endpoints import Query
from bridge.simulator.envelope import ApiError
from bridge.simulator.params import POINT_TIME, as_list, csv, invalid, missing, stamp, wants_dict
from bridge.simulator.physics import STEP_S, floor_step
from bridge.simulator.plants import SimDevice, SimPlant
from bridge.simulator.points import PLANT_TYPE, point_dict, point_value

MAX_ITEMS = 50
MAX_SPAN = timedelta(hours=3)


@dataclass(frozen=True, slots=True)
class _Window:
    points: list[str]
    start: datetime  # naive, plant-local
    end: datetime
    steps: int  # 5-minute steps between rows


def _window(body: dict[str, Any], items: int) -> _Window:
    points = [p.removeprefix("p") for p in csv(body.get("points"))]
    if not points:
        raise missing("points")
    if items > MAX_ITEMS or len(points) > MAX_ITEMS:
        raise ApiError("010", "er_parameter_value_invalid:at most 50 items and 50 points")
    start, end = stamp(body, "start_time_stamp"), stamp(body, "end_time_stamp")
    if end < start or end - start > MAX_SPAN:
        raise ApiError("010", "er_parameter_value_invalid:time span must be within 3 hours")
    text = str(body.get("minute_interval") or "5")
    interval = int(text) if text.isdigit() else 0
    if interval < 5 or interval % 5:
        raise invalid("minute_interval")
    return _Window(points, start, end, interval * 60 // STEP_S)


def _series(
    q: Query, plant: SimPlant, device: SimDevice | None, w: _Window, device_type: int
) -> Iterable[dict[str, Any]]:
    model = q.models[plant.ps_id]
    today = model.frame_at(q.now).time.date()
    first = floor_step(w.start.replace(tzinfo=plant.tz))
    last = floor_step(w.end.replace(tzinfo=plant.tz))
    for step in range(first, last + 1, w.steps):
        frame = model.stored(step)
        if frame is None or frame.time.date() >= today:
            continue
        row: dict[str, Any] = {"time_stamp": frame.time.strftime(POINT_TIME)}
        for pid in w.points:
            value = point_value(device_type, pid, frame, plant, device)
            if value is not None:
                row[f"p{pid}"] = value
        yield row


def plant_minutes(q: Query) -> dict[str, Any]:
    ps_ids = as_list(q.body, "ps_id_list")
    w = _window(q.body, len(ps_ids))
    data: dict[str, Any] = {}
    illegal = []
    for ps_id in ps_ids:
        plant = q.plants.get(int(ps_id)) if ps_id.isdigit() else None
        if plant is None:
            illegal.append(ps_id)
        else:
            data[str(plant.ps_id)] = list(_series(q, plant, None, w, PLANT_TYPE))
    data["illegal_ps_id_list"] = illegal
    if wants_dict(q.body):
        data["point_dict"] = point_dict(PLANT_TYPE, w.points)
    return data


def device_minutes(q: Query) -> dict[str, Any]:
    ps_keys = as_list(q.body, "ps_key_list")
    w = _window(q.body, len(ps_keys))
    by_key = {d.ps_key: (p, d) for p in q.plants.values() for d in p.devices}
    found = [by_key[k] for k in ps_keys if k in by_key]
    types = {d.device_type for _p, d in found}
    if len(types) > 1:
        raise ApiError("010", "er_parameter_value_invalid:ps_key_list must be of one device type")
    data: dict[str, Any] = {d.ps_key: list(_series(q, p, d, w, d.device_type)) for p, d in found}
    data["illegal_ps_key_list"] = [k for k in ps_keys if k not in by_key]
    if wants_dict(q.body) and types:
        data["point_dict"] = point_dict(types.pop(), w.points)
    return data


HISTORY_ENDPOINTS = {
    "getPowerStationPointMinuteDataList": plant_minutes,
    "getDevicePointMinuteDataList": device_minutes,
}
