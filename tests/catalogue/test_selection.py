"""select() and to_reading(): what is requested, what is published, and exclusions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bridge.catalogue.device_types import ESS, INVERTER
from bridge.catalogue.metric import PLANT_LEVEL
from bridge.catalogue.metrics import metrics_for
from bridge.catalogue.selection import select
from bridge.config.model import ConfigError, PointsConfig
from bridge.isolarcloud.model import Device, PointInfo, RawSnapshot
from bridge.isolarcloud.parsing import point_values
from bridge.readings.convert import to_reading

PLANT_TZ = timezone(timedelta(hours=8))
SAMPLED = datetime(2026, 3, 1, 12, 5, tzinfo=PLANT_TZ)
FETCHED = datetime(2026, 3, 1, 4, 6, tzinfo=UTC)


def plant_raw(values: dict[str, object]) -> RawSnapshot:
    # through the gateway's own parser, as the client does: "--", "" and null are None
    return RawSnapshot("4711", None, SAMPLED, point_values({f"p{k}": v for k, v in values.items()}))


def test_default_selection_requests_every_catalogue_point_once() -> None:
    sel = select(PLANT_LEVEL, PointsConfig())
    assert sel.metrics == metrics_for(PLANT_LEVEL)
    assert sel.extra_point_ids == ()
    assert sel.point_ids == tuple(m.point_id for m in metrics_for(PLANT_LEVEL))
    assert len(sel.point_ids) <= 100  # the cloud's cap per real-time call


def test_values_are_converted_and_missing_ones_are_none_never_zero() -> None:
    raw = plant_raw(
        {
            "83022": "9276.0",
            "83024": "108500.0",
            "83252": "0.812",
            "83033": "3200",
            "83067": None,
            "83106": "--",
            "83549": "",
            "83238": "n/a",
        }
    )
    reading = to_reading(raw, select(PLANT_LEVEL, PointsConfig()), FETCHED)
    assert reading.values["energy_today"] == 9.276
    assert reading.values["energy_total"] == 108.5
    assert reading.values["battery_soc"] == 81.2
    assert reading.values["power"] == 3200.0
    for key in ("pv_power", "load_power", "grid_power", "battery_power", "grid_import_total"):
        assert reading.values[key] is None, key  # null, "--", "", text, absent
    assert set(reading.values) == {m.key for m in metrics_for(PLANT_LEVEL)}
    assert (reading.ps_id, reading.device, reading.ts, reading.fetched_at) == (
        "4711",
        None,
        SAMPLED,
        FETCHED,
    )


def test_nan_and_infinity_are_not_published() -> None:
    raw = RawSnapshot("4711", None, None, {"83033": float("nan"), "83067": float("inf")})
    reading = to_reading(raw, select(PLANT_LEVEL, PointsConfig()), FETCHED)
    assert reading.values["power"] is None
    assert reading.values["pv_power"] is None
    assert reading.ts is None


def test_device_reading_converts_the_running_state() -> None:
    device = Device("4711_14_1_1", "4711", ESS, "SH10RT", serial="A2231234567")
    raw = RawSnapshot("4711", device, SAMPLED, point_values({"p13146": "5120", "p13141": "0.5"}))
    reading = to_reading(raw, select(ESS, PointsConfig()), FETCHED)
    assert reading.device == device
    assert reading.values["running_state"] == "standby"
    assert reading.values["battery_soc"] == 50.0
    assert reading.values["battery_capacity"] is None


def test_extra_points_publish_raw_as_p_id() -> None:
    points = PointsConfig(extra={"plant": ("83012", "83999", "83033"), "14": ("13150", "18062")})
    sel = select(PLANT_LEVEL, points)
    assert sel.extra_point_ids == ("83012", "83999", "83033")
    assert sel.point_ids.count("83033") == 1
    assert sel.point_ids[-1] == "83999"
    raw = plant_raw({"83012": "612.5", "83999": "--", "83033": "3200"})
    reading = to_reading(raw, sel, FETCHED)
    assert reading.values["p83012"] == 612.5
    assert reading.values["p83999"] is None
    assert reading.values["p83033"] == 3200.0  # raw, beside the converted `power`
    assert reading.values["power"] == 3200.0
    assert select(ESS, points).extra_point_ids == ("13150", "18062")
    assert select(INVERTER, points).extra_point_ids == ()


def test_extra_points_for_the_plant_may_also_be_keyed_11() -> None:
    points = PointsConfig(extra={"11": ("83013",), "plant": ("83012",)})
    assert select(PLANT_LEVEL, points).extra_point_ids == ("83012", "83013")


def test_exclude_removes_metrics_and_extra_points() -> None:
    points = PointsConfig(
        extra={"plant": ("83012",)}, exclude=("pv_power", "p83012", "running_state")
    )
    sel = select(PLANT_LEVEL, points)
    assert "pv_power" not in {m.key for m in sel.metrics}
    assert "83067" not in sel.point_ids
    assert sel.extra_point_ids == ()
    assert "running_state" not in {m.key for m in select(INVERTER, points).metrics}
    reading = to_reading(plant_raw({"83067": "100"}), sel, FETCHED)
    assert "pv_power" not in reading.values


def test_unknown_exclude_name_is_a_config_error_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as info:
        select(PLANT_LEVEL, PointsConfig(exclude=("pv_powr", "grid_power", "zzzz")))
    message = str(info.value)
    assert "points.exclude" in message
    assert "'pv_powr' (did you mean 'pv_power'?)" in message
    assert "'zzzz'" in message
    assert "grid_power" not in message
    assert "\n" not in message


def test_a_curated_metric_keeps_its_documented_unit_whatever_point_dict_says() -> None:
    # Sungrow's own labels are wrong at times: 13140 is labelled kWh and sends Wh
    infos = {
        "83024": PointInfo("83024", "Plant Total Yield", "kWh"),
        "83033": PointInfo("83033", "Plant Power", "kW"),
        "83022": PointInfo("83022", "Daily Yield of Plant", "Wh"),
        "83067": PointInfo("83067", "Total Active Power of PV", "W/m²"),
    }
    values = point_values({"p83024": "108500", "p83033": "3200", "p83022": "9276", "p83067": "5"})
    raw = RawSnapshot("4711", None, SAMPLED, values, infos)
    reading = to_reading(raw, select(PLANT_LEVEL, PointsConfig()), FETCHED)
    assert reading.values["energy_total"] == 108.5  # Wh, as documented: 108.5 kWh
    assert reading.values["power"] == 3200.0
    assert reading.values["energy_today"] == 9.276
    assert reading.values["pv_power"] == 5.0
    assert reading.rejected == ()


def test_an_implausible_value_is_null_and_reported() -> None:
    values = point_values({"p83252": "65.535", "p83033": "2500", "p83016": "6553.5"})
    raw = RawSnapshot("4711", None, SAMPLED, values)
    reading = to_reading(raw, select(PLANT_LEVEL, PointsConfig()), FETCHED)
    assert reading.values["battery_soc"] is None  # 6553.5 %
    assert reading.values["ambient_temperature"] is None  # 6553.5 °C
    assert reading.values["power"] == 2500.0
    assert {(r.metric, r.point_id, r.raw) for r in reading.rejected} == {
        ("battery_soc", "83252", 65.535),
        ("ambient_temperature", "83016", 6553.5),
    }
