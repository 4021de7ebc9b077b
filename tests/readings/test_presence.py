"""Which metrics a plant or device announces: implied by its plant's devices, or delivered."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from structlog.testing import capture_logs

from bridge.catalogue.definitions import MetricBook
from bridge.catalogue.metric import MetricValue
from bridge.config.model import PointsConfig
from bridge.isolarcloud.model import Device, Plant, PointInfo
from bridge.readings.model import Reading
from bridge.readings.poller import Inventory, PollResult
from bridge.readings.presence import ABSENCE_DAYS, Presence
from tests.daemon.fakes import Clock

HOME, SHED = Plant("1", "Home", UTC), Plant("2", "Shed", UTC)
ESS = Device("1_14_1_1", "1", 14, "SH10RT(COM1-001)", serial="A1", model="SH10RT")
BATTERY = Device("1_43_1_1", "1", 43, "SBR128", serial="B1", model="SBR128")
METER = Device("1_7_254_1", "1", 7, "DTSU666", serial="M1", model="DTSU666")
INVERTER = Device("2_1_1_1", "2", 1, "SG5.0RS(COM1-001)", serial="A2", model="SG5.0RS")
INVENTORY = Inventory((HOME, SHED), {"1": (ESS, BATTERY, METER), "2": (INVERTER,)})
WHEN = datetime(2026, 6, 21, 10, 0, tzinfo=UTC)
BATTERY_KEYS = {"battery_soc", "battery_power", "battery_charge_total"}
GRID_KEYS = {"grid_power", "grid_import_total", "load_power", "self_consumption_today"}


def reading(plant: Plant, device: Device | None, **values: MetricValue) -> Reading:
    return Reading(plant.ps_id, device, WHEN, WHEN, values)


def poll(
    *readings: Reading, info: Mapping[str, Mapping[str, PointInfo]] | None = None
) -> PollResult:
    return PollResult(list(readings), dict(info or {}), ("1", "2"), ())


def make(tmp_path: Path, clock: Clock, extra: tuple[str, ...] = ()) -> Presence:
    book = MetricBook(PointsConfig(extra={"plant": extra}))
    return Presence(book, tmp_path / "entities.json", clock)


def test_a_plain_string_plant_announces_no_battery_grid_or_load(tmp_path: Path) -> None:
    presence = make(tmp_path, Clock())
    shed = set(presence.metrics(INVENTORY, "2", None))
    home = set(presence.metrics(INVENTORY, "1", None))
    assert {"pv_power", "energy_today", "energy_total"} <= shed
    assert not (BATTERY_KEYS | GRID_KEYS) & shed
    assert home >= BATTERY_KEYS | GRID_KEYS  # a battery and a meter: all of them
    ess = set(presence.metrics(INVENTORY, "1", ESS))
    assert {"battery_soc", "feed_in_power", "active_power"} <= ess
    assert "phase_b_voltage" not in ess and "mppt2_voltage" not in ess  # until delivered


def test_a_delivered_value_announces_a_metric_that_stays_through_nulls_and_restarts(
    tmp_path: Path,
) -> None:
    clock = Clock()
    presence = make(tmp_path, clock)
    assert presence.observe(INVENTORY, poll(reading(SHED, INVERTER, mppt2_voltage=None))) is False
    assert presence.observe(INVENTORY, poll(reading(SHED, INVERTER, mppt2_voltage=345.0)))
    assert "mppt2_voltage" in presence.metrics(INVENTORY, "2", INVERTER)
    clock.advance(12 * 3600)  # a night of nulls
    assert not presence.observe(INVENTORY, poll(reading(SHED, INVERTER, mppt2_voltage=None)))
    restarted = make(tmp_path, clock)
    assert "mppt2_voltage" in restarted.metrics(INVENTORY, "2", INVERTER)


def test_a_metric_only_its_values_announced_goes_after_the_absence(tmp_path: Path) -> None:
    clock = Clock()
    presence = make(tmp_path, clock)
    presence.observe(INVENTORY, poll(reading(SHED, INVERTER, phase_b_voltage=231.0)))
    clock.advance(ABSENCE_DAYS * 86400 - 60)
    assert not presence.observe(INVENTORY, poll())
    clock.advance(120)
    assert presence.observe(INVENTORY, poll())  # withdrawn: the announced set changed
    assert "phase_b_voltage" not in presence.metrics(INVENTORY, "2", INVERTER)
    # implied metrics never go, whatever the absence
    assert "active_power" in presence.metrics(INVENTORY, "2", INVERTER)


def test_a_device_that_left_takes_its_entities_along(tmp_path: Path) -> None:
    clock = Clock()
    presence = make(tmp_path, clock)
    presence.observe(INVENTORY, poll(reading(SHED, INVERTER, phase_b_voltage=231.0)))
    without = Inventory((HOME, SHED), {"1": (ESS, BATTERY, METER), "2": ()})
    presence.observe(without, poll())
    assert "phase_b_voltage" not in presence.metrics(INVENTORY, "2", INVERTER)  # if it returns


def test_an_extra_point_appears_where_delivered_with_its_unit_after_restarts(
    tmp_path: Path,
) -> None:
    clock = Clock()
    presence = make(tmp_path, clock, extra=("83119",))
    info = {"1": {"83119": PointInfo("83119", "Daily Feed-in Energy (PV)", "Wh")}}
    result = poll(reading(HOME, None, p83119=5400.0), reading(SHED, None, p83119=None), info=info)
    assert presence.observe(INVENTORY, result)
    assert "p83119" not in presence.metrics(INVENTORY, "2", None)
    extra = make(tmp_path, clock, extra=("83119",)).metrics(INVENTORY, "1", None)["p83119"]
    assert (extra.unit, extra.device_class, extra.state_class) == (
        "Wh",
        "energy",
        "total_increasing",
    )


def test_a_damaged_file_starts_over_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "entities.json").write_text("{not json")
    presence = make(tmp_path, Clock())
    with capture_logs() as logs:
        assert "pv_power" in presence.metrics(INVENTORY, "2", None)
    assert [e["event"] for e in logs] == ["presence.state_unreadable"]
