"""Values, ids, time zones and device times as the cloud sends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.isolarcloud.model import PointInfo
from bridge.isolarcloud.parsing import (
    chunks,
    id_str,
    parse_device_time,
    parse_tz,
    parse_value,
    point_infos,
    point_values,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("108500.0", 108500.0),
        ("0.52", 0.52),
        ("-3", -3.0),
        (12, 12.0),
        (1.5, 1.5),
        (None, None),
        ("", None),
        ("--", None),
        (" -- ", None),
        ("abc", "abc"),
        (True, None),
    ],
)
def test_parse_value(raw: object, expected: object) -> None:
    assert parse_value(raw) == expected


def test_point_values_takes_only_p_digit_keys() -> None:
    item = {
        "ps_id": 1,
        "ps_key": "1_11_0_0",
        "p83022": "15900.0",
        "p83549": None,
        "pST001": "x",
        "p": "1",
        "device_time": "20241127151500",
        "p13141": "--",
    }
    assert point_values(item) == {"83022": 15900.0, "83549": None, "13141": None}


def test_point_infos_tolerates_numbers_and_junk() -> None:
    infos = point_infos(
        [
            {"point_id": 83022, "point_name": "Daily Yield", "point_unit": "Wh"},
            {"point_id": "p83033", "point_name": "Power"},
            "junk",
            {"x": 1},
        ]
    )
    assert infos == {
        "83022": PointInfo("83022", "Daily Yield", "Wh"),
        "83033": PointInfo("83033", "Power", ""),
    }
    assert point_infos(None) == {}


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("GMT+8", timedelta(hours=8)),
        ("GMT-2", timedelta(hours=-2)),
        ("GMT+5:30", timedelta(hours=5, minutes=30)),
        ("GMT+0530", timedelta(hours=5, minutes=30)),
        ("GMT", timedelta(0)),
        ("UTC+1", timedelta(hours=1)),
        ("garbage", timedelta(0)),
        ("GMT+99", timedelta(0)),
        ("", timedelta(0)),
    ],
)
def test_parse_tz(text: str, offset: timedelta) -> None:
    assert parse_tz(text).utcoffset(None) == offset


def test_parse_tz_of_non_strings_is_utc() -> None:
    assert parse_tz(None) is UTC
    assert parse_tz(8) is UTC


@given(st.text(max_size=20))
def test_parse_tz_never_crashes(text: str) -> None:
    assert parse_tz(text).utcoffset(None) is not None


def test_device_time_is_aware_in_the_plant_zone() -> None:
    tz = timezone(timedelta(hours=8))
    when = parse_device_time("20241127151500", tz)
    assert when == datetime(2024, 11, 27, 15, 15, tzinfo=tz)
    assert when is not None and when.astimezone(UTC).hour == 7
    assert parse_device_time(20241127151500, tz) == when
    assert parse_device_time("2024-11-27", tz) is None
    assert parse_device_time(None, tz) is None


def test_ids_become_strings() -> None:
    assert id_str(342459181) == "342459181"
    assert id_str(342459181.0) == "342459181"
    assert id_str(" 12 ") == "12"
    assert id_str(None) == ""


def test_chunks() -> None:
    assert chunks(range(5), 2) == [[0, 1], [2, 3], [4]]
    assert chunks([], 3) == []


@given(st.one_of(st.none(), st.text(max_size=12), st.integers(), st.floats(), st.booleans()))
def test_parse_value_never_crashes(raw: object) -> None:
    value = parse_value(raw)
    assert value is None or isinstance(value, float | str)
