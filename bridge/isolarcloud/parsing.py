"""Turning the cloud's loosely typed JSON into Python values: points, ids, time zones."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from bridge.isolarcloud.model import PointInfo, PointValue

_POINT_KEY = re.compile(r"p(\d+)")
_GMT = re.compile(r"(?:GMT|UTC)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?", re.IGNORECASE)
_NO_VALUE = {"", "--", "null"}


def id_str(value: object) -> str:
    """An id (int in some replies, string in others) as a string; "" when missing."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_value(raw: object) -> PointValue:
    """A point value: float when numeric, None for null/""/"--", else the text as given."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip()
    if text in _NO_VALUE:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def point_values(item: Mapping[str, Any]) -> dict[str, PointValue]:
    """The `p<digits>` entries of a reply item, keyed by point id without the `p`."""
    values: dict[str, PointValue] = {}
    for key, raw in item.items():
        match = _POINT_KEY.fullmatch(key)
        if match:
            values[match.group(1)] = parse_value(raw)
    return values


def point_infos(point_dict: object) -> dict[str, PointInfo]:
    """The reply's `point_dict` list as PointInfo keyed by point id (tolerating junk)."""
    infos: dict[str, PointInfo] = {}
    if not isinstance(point_dict, list):
        return infos
    for entry in point_dict:
        if not isinstance(entry, Mapping):
            continue
        point_id = id_str(entry.get("point_id")).removeprefix("p")
        if point_id:
            infos[point_id] = PointInfo(
                point_id=point_id,
                name=str(entry.get("point_name") or ""),
                unit=str(entry.get("point_unit") or ""),
            )
    return infos


def parse_tz(text: object) -> tzinfo:
    """A fixed-offset zone from `GMT+8`, `GMT-2`, `GMT+5:30`, `GMT`; UTC for anything else."""
    if not isinstance(text, str):
        return UTC
    match = _GMT.fullmatch(text.strip())
    if not match:
        return UTC
    sign, hours, minutes = match.groups()
    if not sign:
        return UTC
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if offset >= timedelta(hours=24):
        return UTC
    return timezone(-offset if sign == "-" else offset)


def parse_device_time(text: object, tz: tzinfo) -> datetime | None:
    """A `yyyyMMddHHmmss` plant-local time as an aware datetime; None when absent or bad."""
    if text is None:
        return None
    try:
        return datetime.strptime(id_str(text), "%Y%m%d%H%M%S").replace(tzinfo=tz)
    except ValueError:
        return None


def parse_float(raw: object) -> float | None:
    """A number that may come as a string; None when it is not one."""
    value = parse_value(raw)
    return value if isinstance(value, float) else None


def chunks(items: Iterable[Any], size: int) -> list[list[Any]]:
    """`items` cut into lists of at most `size`."""
    batch = list(items)
    return [batch[i : i + size] for i in range(0, len(batch), size)]
