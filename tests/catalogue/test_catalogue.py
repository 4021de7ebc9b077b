"""The catalogue as data: HA-valid classes, stable keys, conversions, docs in sync."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from bridge.catalogue import ha_units
from bridge.catalogue.conversions import OPERATING_STATUS_OPTIONS, UNKNOWN_STATUS
from bridge.catalogue.device_types import BATTERY, ESS, INVERTER, METER
from bridge.catalogue.metric import PLANT_LEVEL, Metric
from bridge.catalogue.metrics import CATALOGUE, LEVELS, metrics_for
from bridge.catalogue.metrics_doc import render_metrics_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
CANONICAL_UNITS = {"W", "kWh", "%", "V", "A", "Hz", "°C", "dBm", "var", "VA", "W/m²", None}


def by_key(device_type: int, key: str) -> Metric:
    return next(m for m in metrics_for(device_type) if m.key == key)


@pytest.mark.parametrize("metric", CATALOGUE, ids=lambda m: f"{m.device_type}:{m.key}")
def test_every_metric_is_a_combination_home_assistant_accepts(metric: Metric) -> None:
    assert ha_units.problem(metric.device_class, metric.unit, metric.state_class) is None
    assert metric.unit in CANONICAL_UNITS
    # options go only with the enum class, which carries neither unit nor state class
    assert bool(metric.options) == (metric.device_class == "enum")
    assert metric.entity_category in (None, "diagnostic")


def test_the_table_rejects_what_home_assistant_rejects() -> None:
    assert ha_units.problem("energy", "kWh", "measurement") is not None
    assert ha_units.problem("energy", "KWh", "total_increasing") is not None
    assert ha_units.problem("power", "W", "total") is not None
    assert ha_units.problem("temperature", "ºC", "measurement") is not None  # U+00BA, not °
    assert ha_units.problem("enum", None, "measurement") is not None
    assert ha_units.problem("battery", "%", "measurement") is None


def test_energy_is_never_a_measurement_and_power_only_one() -> None:
    for m in CATALOGUE:
        if m.device_class == "energy":
            assert m.state_class in ("total", "total_increasing"), m.key
            assert m.counter in ("daily", "lifetime"), m.key
        if m.device_class == "power":
            assert m.state_class == "measurement", m.key
        if m.counter != "none":
            assert (m.device_class, m.unit) == ("energy", "kWh"), m.key


def test_counter_kind_follows_the_name() -> None:
    for m in CATALOGUE:
        if m.key.endswith("_today"):
            assert m.counter == "daily", m.key
        if m.key.endswith("_total"):
            assert m.counter == "lifetime", m.key


def test_keys_are_unique_snake_case_and_point_ids_digits_per_level() -> None:
    assert set(LEVELS) == {PLANT_LEVEL, INVERTER, ESS, BATTERY, METER, 22}
    for level in LEVELS:
        metrics = metrics_for(level)
        assert metrics
        keys = Counter(m.key for m in metrics)
        assert [k for k, n in keys.items() if n > 1] == []
        points = Counter(m.point_id for m in metrics)
        assert [p for p, n in points.items() if n > 1] == []
        for m in metrics:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", m.key), m.key
            assert not re.fullmatch(r"p\d+", m.key), "p<id> is reserved for extra points"
            assert m.point_id.isascii() and m.point_id.isdigit(), m.point_id
            assert m.label


def test_metrics_for_an_unknown_type_is_empty() -> None:
    assert metrics_for(9999) == ()


def test_design_names_exist_at_plant_level() -> None:
    plant = {m.key: m.point_id for m in metrics_for(PLANT_LEVEL)}
    assert plant["power"] == "83033"
    assert plant["pv_power"] == "83067"
    assert plant["load_power"] == "83106"
    assert plant["grid_power"] == "83549"
    assert plant["battery_power"] == "83238"
    assert plant["battery_soc"] == "83252"
    assert plant["energy_today"] == "83022"
    assert plant["energy_total"] == "83024"
    assert plant["grid_import_today"] == "83102"
    assert plant["grid_export_total"] == "83075"


def test_wh_become_kwh() -> None:
    assert by_key(PLANT_LEVEL, "energy_total").convert(108500.0) == 108.5
    assert by_key(ESS, "battery_capacity").convert(12800.0) == 12.8
    assert by_key(METER, "grid_import_today").convert(0.0) == 0.0


def test_fractions_become_percent_without_float_noise() -> None:
    assert by_key(BATTERY, "battery_soc").convert(0.812) == 81.2
    assert by_key(ESS, "battery_soc").convert(0.791) == 79.1
    assert by_key(ESS, "battery_soh").convert(0.99) == 99.0
    assert by_key(PLANT_LEVEL, "battery_soc").convert(1.0) == 100.0


def test_millivolts_become_volts() -> None:
    assert by_key(BATTERY, "max_cell_voltage").convert(3325.0) == 3.325


def test_battery_currents_are_charge_positive() -> None:
    # the cloud's positive is discharging (gruijter: power = -V*I; Afrouper's snapshot)
    for level in (BATTERY, ESS):
        current = by_key(level, "battery_current")
        assert current.convert(-5.5) == 5.5
        assert current.convert(2.0) == -2.0
        assert current.convert(0.0) == 0.0
        assert re.search("gruijter|Afrouper", current.sign_note)


def test_signed_power_metrics_state_their_convention_and_source() -> None:
    assert "import" in by_key(PLANT_LEVEL, "grid_power").sign_note
    assert "charging" in by_key(PLANT_LEVEL, "battery_power").sign_note
    assert "import" in by_key(METER, "active_power").sign_note
    # every note names its source: one of those docs/metrics.md lists, or says there is none
    sources = r"sungrow-hass|hass-isolarcloud|gruijter|Afrouper|Sungrow|no source"
    for m in CATALOGUE:
        if m.sign_note:
            assert re.search(rf"\(.*({sources}).*\)", m.sign_note), m.key


def test_running_state_maps_codes_to_options() -> None:
    for level, key in ((INVERTER, "running_state"), (ESS, "running_state")):
        state = by_key(level, key)
        assert state.options == OPERATING_STATUS_OPTIONS
        assert state.convert(0.0) == "grid_connected"
        assert state.convert(5120.0) == "standby"
        assert state.convert(64.0) == "grid_connected_normal"
        assert state.convert(9472.0) == "lcd_dsp_comm_fault"
        assert state.convert(65.0) == "off_grid_dc_charging"
        assert state.convert(12345.0) == UNKNOWN_STATUS
        assert state.convert(0.5) == UNKNOWN_STATUS
    assert len(set(OPERATING_STATUS_OPTIONS)) == len(OPERATING_STATUS_OPTIONS)
    assert UNKNOWN_STATUS in OPERATING_STATUS_OPTIONS
    for option in OPERATING_STATUS_OPTIONS:
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", option), option


def test_docs_metrics_md_matches_the_catalogue() -> None:
    rendered = render_metrics_markdown()
    assert DOCS.read_text(encoding="utf-8") == rendered, (
        "docs/metrics.md is stale: run `python -m bridge.catalogue.metrics_doc > docs/metrics.md`"
    )
    for m in CATALOGUE:
        assert f"| `{m.key}` | {m.point_id} |" in rendered
