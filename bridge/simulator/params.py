"""Request-body parsing shared by the endpoints: the cloud's 009/010 rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bridge.simulator.envelope import ApiError

MAX_POINTS = 100
POINT_TIME = "%Y%m%d%H%M%S"


def missing(key: str) -> ApiError:
    return ApiError("009", f"er_missing_parameter:{key}")


def invalid(key: str) -> ApiError:
    return ApiError("010", f"er_parameter_value_invalid:{key}")


def as_int(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if value is None or value == "":
        raise missing(key)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(key) from None


def as_list(body: dict[str, Any], key: str, *, required: bool = True) -> list[str]:
    value = body.get(key)
    if value is None or value in ([], ""):
        if required:
            raise missing(key)
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise invalid(key)
    return [str(v) for v in value]


def csv(value: Any) -> list[str]:
    if isinstance(value, int):
        return [str(value)]
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def point_id_list(body: dict[str, Any]) -> list[str]:
    ids = as_list(body, "point_id_list")
    if len(ids) > MAX_POINTS:
        raise ApiError("010", "Parameters point_id_list size is over 100")
    return ids


def wants_dict(body: dict[str, Any]) -> bool:
    return str(body.get("is_get_point_dict", "")) == "1"


def page(body: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    number, size = as_int(body, "page"), as_int(body, "size")
    if number < 1:
        raise invalid("page")
    if size < 1:
        raise invalid("size")
    start = (number - 1) * size
    return {"pageList": items[start : start + size], "row_count": len(items)}


def stamp(body: dict[str, Any], key: str) -> datetime:
    value = body.get(key)
    if not value:
        raise missing(key)
    try:
        return datetime.strptime(str(value), POINT_TIME)
    except ValueError:
        raise invalid(key) from None
