"""One definition per metric: the catalogue's, and for an extra point the classes its
`point_dict` unit implies."""

from __future__ import annotations

import pytest

from bridge.catalogue.definitions import UNIT_CLASSES, MetricBook, extra_metric
from bridge.catalogue.device_types import ESS, INVERTER
from bridge.catalogue.ha_units import problem
from bridge.catalogue.metric import PLANT_LEVEL
from bridge.config.model import PointsConfig
from bridge.isolarcloud.model import PointInfo


@pytest.mark.parametrize(("unit", "classes"), sorted(UNIT_CLASSES.items()))
def test_every_unit_s_classes_are_accepted_by_home_assistant(
    unit: str, classes: tuple[str | None, str]
) -> None:
    assert problem(classes[0], unit, classes[1]) is None


@pytest.mark.parametrize(
    ("name", "unit", "device_class", "state_class", "counter"),
    [
        ("Daily Feed-in Energy (PV)", "Wh", "energy", "total_increasing", "daily"),
        ("Total Yield", "kWh", "energy", "total_increasing", "lifetime"),
        ("Energy Storage Remaining Charge", "Wh", "energy", "total_increasing", "none"),
        ("Grid Active Power (EMS)", "W", "power", "measurement", "none"),
        ("Irradiance", "W/m²", "irradiance", "measurement", "none"),
        ("Internal Air Temperature", "℃", "temperature", "measurement", "none"),
        ("Array Insulation Resistance", "kΩ", None, None, "none"),
        ("Energy Storage SOC (EMS)", "", None, None, "none"),
    ],
)
def test_an_extra_point_carries_what_its_unit_implies(
    name: str, unit: str, device_class: str | None, state_class: str | None, counter: str
) -> None:
    m = extra_metric("83119", PLANT_LEVEL, PointInfo("83119", name, unit))
    assert (m.key, m.point_id, m.label) == ("p83119", "83119", name)
    assert (m.device_class, m.state_class, m.counter) == (device_class, state_class, counter)
    assert m.needs == "value"  # announced only where the cloud delivers it


def test_an_extra_point_without_point_dict_is_bare() -> None:
    bare = extra_metric("18062", ESS, None)
    assert (bare.key, bare.unit, bare.label, bare.device_class) == (
        "p18062",
        None,
        "Point 18062",
        None,
    )
    assert extra_metric("1", INVERTER, PointInfo("1", "", " ")).unit is None
    assert extra_metric("13019", ESS, PointInfo("13019", "Temp", "℃")).unit == "°C"


def test_the_book_builds_one_level_s_definitions_with_its_extras() -> None:
    book = MetricBook(PointsConfig(extra={"plant": ("83119",)}))
    info = {"83119": PointInfo("83119", "Daily Feed-in Energy (PV)", "Wh")}
    defs = book.definitions(PLANT_LEVEL, info)
    assert defs["p83119"].unit == "Wh" and defs["p83119"].counter == "daily"
    assert defs["pv_power"].point_id == "83067"
    assert book.selection(PLANT_LEVEL) is book.selection(PLANT_LEVEL)  # built once
    assert book.definitions(PLANT_LEVEL)["p83119"].unit is None  # not known yet
