"""The curated metric catalogue: which point becomes which metric, in which unit.

Point ids and units are Sungrow's measuring-point tables (developer portal, "Common ...
Measuring Points"); every metric has a fixed canonical unit and a Home Assistant class
pair that HA accepts (`bridge.catalogue.ha_units`). The published list with signs and
their sources is `docs/metrics.md` (`bridge.catalogue.metrics_doc`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bridge.catalogue.conversions import (
    OPERATING_STATUS_OPTIONS,
    fraction_to_percent,
    mv_to_v,
    negate,
    operating_status,
    wh_to_kwh,
)
from bridge.catalogue.device_types import BATTERY, COMM_MODULE, ESS, INVERTER, METER
from bridge.catalogue.metric import (
    PLANT_LEVEL,
    Bounds,
    CounterKind,
    Metric,
    MetricValue,
    Needs,
    identity,
)


@dataclass(frozen=True, slots=True)
class _Kind:
    """What metrics of one physical quantity share: units, classes, conversion."""

    source_unit: str
    unit: str | None
    device_class: str | None
    state_class: str | None
    precision: int | None
    convert: Callable[[float], MetricValue] = identity
    counter: CounterKind = "none"
    options: tuple[str, ...] = ()
    bounds: Bounds = None


# Plausibility bounds in the canonical unit: wide enough for a utility plant, narrow
# enough to catch a 1000x unit mix-up or a sentinel such as 6553.5 °C. Energy counters
# have no lower bound: a negative one is the energy guard's to hold.
_POWER = (-1e9, 1e9)
_KINDS: dict[str, _Kind] = {
    "power": _Kind("W", "W", "power", "measurement", 0, bounds=_POWER),
    "daily": _Kind(
        "Wh", "kWh", "energy", "total_increasing", 2, wh_to_kwh, "daily", bounds=(None, 1e7)
    ),
    "lifetime": _Kind(
        "Wh", "kWh", "energy", "total_increasing", 2, wh_to_kwh, "lifetime", bounds=(None, 1e10)
    ),
    "stored": _Kind("Wh", "kWh", "energy_storage", "measurement", 1, wh_to_kwh, bounds=(0, 1e6)),
    "voltage": _Kind("V", "V", "voltage", "measurement", 1, bounds=(0, 2000)),
    "cell_voltage": _Kind("mV", "V", "voltage", "measurement", 3, mv_to_v, bounds=(0, 10)),
    "current": _Kind("A", "A", "current", "measurement", 1, bounds=(-1e5, 1e5)),
    "frequency": _Kind("Hz", "Hz", "frequency", "measurement", 2, bounds=(0, 70)),
    "temperature": _Kind("°C", "°C", "temperature", "measurement", 1, bounds=(-60, 200)),
    "soc": _Kind(
        "fraction", "%", "battery", "measurement", 0, fraction_to_percent, bounds=(0, 100)
    ),
    # HA has no class for state of health; a plain percentage measurement
    "soh": _Kind("fraction", "%", None, "measurement", 0, fraction_to_percent, bounds=(0, 100)),
    "reactive": _Kind("var", "var", "reactive_power", "measurement", 0, bounds=_POWER),
    "apparent": _Kind("VA", "VA", "apparent_power", "measurement", 0, bounds=_POWER),
    # unitless as the cloud sends it (0.99); HA accepts power_factor without a unit
    "power_factor": _Kind("", None, "power_factor", "measurement", 2, bounds=(-1.05, 1.05)),
    "irradiance": _Kind("W/m²", "W/m²", "irradiance", "measurement", 0, bounds=(0, 2000)),
    "rssi": _Kind("dBm", "dBm", "signal_strength", "measurement", 0, bounds=(-150, 0)),
    # a number whose unit no source documents: published bare, without a class
    "plain": _Kind("", None, None, "measurement", 0),
    "status": _Kind(
        "code", None, "enum", None, None, operating_status, options=OPERATING_STATUS_OPTIONS
    ),
}

# Sign conventions (docs/metrics.md): grid import positive, battery charging positive.
# Sungrow documents no sign; each note names the public source it follows.
_GRID_SIGN = "+ import, - export; as reported (sungrow-hass sensor list; Sungrow is silent)"
_BATTERY_SIGN = "+ charging, - discharging; as reported (sungrow-hass sensor list)"
_METER_SIGN = (
    "+ import (forward), - export; as reported, assumed to follow forward energy 8030 "
    "(no source confirms the sign)"
)
_DIRECTION_IN_NAME = "magnitude >= 0, the direction is in the name (Sungrow's point name)"


def _metric(
    device_type: int,
    key: str,
    point_id: int,
    label: str,
    kind: str,
    *,
    enabled: bool = True,
    sign: str = "",
    diagnostic: bool = False,
    convert: Callable[[float], MetricValue] | None = None,
) -> Metric:
    k = _KINDS[kind]
    return Metric(
        key=key,
        point_id=str(point_id),
        device_type=device_type,
        label=label,
        source_unit=k.source_unit,
        unit=k.unit,
        device_class=k.device_class,
        state_class=k.state_class,
        precision=k.precision,
        enabled_by_default=enabled,
        counter=k.counter,
        convert=convert or k.convert,
        options=k.options,
        entity_category="diagnostic" if diagnostic else None,
        sign_note=sign,
        bounds=k.bounds,
    )


def _phases(device_type: int, first_voltage: int, first_current: int) -> list[Metric]:
    """Phase A-C voltage and current from consecutive point ids; off by default."""
    return [
        _metric(
            device_type, f"phase_{p}_{q}", first + i, f"Phase {p.upper()} {q}", q, enabled=False
        )
        for q, first in (("voltage", first_voltage), ("current", first_current))
        for i, p in enumerate("abc")
    ]


def _plant() -> list[Metric]:
    m = PLANT_LEVEL
    return [
        _metric(
            m,
            "power",
            83033,
            "Plant power",
            "power",
            sign="net inverter AC power incl. battery, as reported (hass-isolarcloud README)",
        ),
        _metric(m, "pv_power", 83067, "PV power", "power"),
        _metric(m, "load_power", 83106, "Load power", "power"),
        _metric(m, "grid_power", 83549, "Grid power", "power", sign=_GRID_SIGN),
        _metric(m, "battery_power", 83238, "Battery power", "power", sign=_BATTERY_SIGN),
        _metric(m, "battery_soc", 83252, "Battery level", "soc"),
        _metric(m, "energy_today", 83022, "Energy today", "daily"),
        _metric(m, "energy_total", 83024, "Energy total", "lifetime"),
        _metric(m, "load_energy_today", 83118, "Load energy today", "daily"),
        _metric(m, "load_energy_total", 83124, "Load energy total", "lifetime"),
        _metric(m, "self_consumption_today", 83097, "Self-consumption today", "daily"),
        _metric(m, "self_consumption_total", 83100, "Self-consumption total", "lifetime"),
        _metric(m, "grid_import_today", 83102, "Grid import today", "daily"),
        _metric(m, "grid_import_total", 83105, "Grid import total", "lifetime"),
        _metric(m, "grid_export_today", 83072, "Grid export today", "daily"),
        _metric(m, "grid_export_total", 83075, "Grid export total", "lifetime"),
        _metric(m, "battery_charge_today", 83243, "Battery charge today", "daily"),
        _metric(m, "battery_discharge_today", 83244, "Battery discharge today", "daily"),
        _metric(m, "battery_charge_total", 83241, "Battery charge total", "lifetime"),
        _metric(m, "battery_discharge_total", 83242, "Battery discharge total", "lifetime"),
        _metric(m, "inverter_power", 83002, "Inverter AC power", "power", enabled=False),
        _metric(m, "irradiance", 83012, "Irradiance", "irradiance", enabled=False),
        _metric(
            m, "ambient_temperature", 83016, "Ambient temperature", "temperature", enabled=False
        ),
        _metric(m, "module_temperature", 83017, "Module temperature", "temperature", enabled=False),
    ]


def _inverter() -> list[Metric]:
    d = INVERTER
    return [
        _metric(d, "active_power", 24, "Active power", "power"),
        _metric(d, "dc_power", 14, "DC power", "power"),
        _metric(d, "reactive_power", 25, "Reactive power", "reactive", enabled=False),
        _metric(d, "apparent_power", 43, "Apparent power", "apparent", enabled=False),
        _metric(d, "power_factor", 26, "Power factor", "power_factor", enabled=False),
        _metric(d, "grid_frequency", 27, "Grid frequency", "frequency"),
        *_phases(d, 18, 21),
        _metric(d, "internal_temperature", 4, "Internal temperature", "temperature"),
        _metric(d, "mppt1_voltage", 5, "MPPT1 voltage", "voltage"),
        _metric(d, "mppt1_current", 6, "MPPT1 current", "current"),
        _metric(d, "mppt2_voltage", 7, "MPPT2 voltage", "voltage"),
        _metric(d, "mppt2_current", 8, "MPPT2 current", "current"),
        _metric(d, "energy_today", 1, "Energy today", "daily"),
        _metric(d, "energy_total", 2, "Energy total", "lifetime"),
        _metric(d, "running_state", 29, "Running state", "status"),
    ]


def _ess() -> list[Metric]:
    d = ESS
    return [
        _metric(
            d,
            "active_power",
            13011,
            "Active power",
            "power",
            sign="as reported (Sungrow documents no sign)",
        ),
        _metric(d, "pv_power", 13003, "PV power", "power"),
        _metric(d, "load_power", 13119, "Load power", "power"),
        _metric(d, "feed_in_power", 13121, "Feed-in power", "power", sign=_DIRECTION_IN_NAME),
        _metric(d, "purchased_power", 13149, "Purchased power", "power", sign=_DIRECTION_IN_NAME),
        _metric(
            d,
            "battery_charge_power",
            13126,
            "Battery charging power",
            "power",
            sign=_DIRECTION_IN_NAME,
        ),
        _metric(
            d,
            "battery_discharge_power",
            13150,
            "Battery discharging power",
            "power",
            sign=_DIRECTION_IN_NAME,
        ),
        _metric(d, "battery_soc", 13141, "Battery level", "soc"),
        _metric(d, "battery_soh", 13142, "Battery health", "soh"),
        _metric(d, "battery_voltage", 13138, "Battery voltage", "voltage"),
        _metric(
            d,
            "battery_current",
            13139,
            "Battery current",
            "current",
            enabled=False,
            convert=negate,
            sign="+ charging: the cloud value is negated, since the cloud's + is "
            "discharging (Afrouper: +3.2 A while discharging 854 W)",
        ),
        _metric(d, "battery_temperature", 13143, "Battery temperature", "temperature"),
        _metric(d, "pv_energy_today", 13112, "PV energy today", "daily"),
        _metric(d, "pv_energy_total", 13134, "PV energy total", "lifetime"),
        _metric(d, "grid_export_today", 13122, "Grid export today", "daily"),
        _metric(d, "grid_export_total", 13125, "Grid export total", "lifetime"),
        _metric(d, "grid_import_today", 13147, "Grid import today", "daily"),
        _metric(d, "grid_import_total", 13148, "Grid import total", "lifetime"),
        _metric(d, "battery_charge_today", 13028, "Battery charge today", "daily"),
        _metric(d, "battery_discharge_today", 13029, "Battery discharge today", "daily"),
        _metric(d, "battery_charge_total", 13034, "Battery charge total", "lifetime"),
        _metric(d, "battery_discharge_total", 13035, "Battery discharge total", "lifetime"),
        _metric(d, "load_energy_today", 13199, "Load energy today", "daily"),
        _metric(d, "load_energy_total", 13130, "Load energy total", "lifetime"),
        _metric(
            d, "self_consumption_today", 13116, "Self-consumption today", "daily", enabled=False
        ),
        _metric(d, "grid_frequency", 13007, "Grid frequency", "frequency"),
        *_phases(d, 13157, 13008),
        _metric(d, "mppt1_voltage", 13001, "MPPT1 voltage", "voltage", enabled=False),
        _metric(d, "mppt1_current", 13002, "MPPT1 current", "current", enabled=False),
        _metric(d, "mppt2_voltage", 13105, "MPPT2 voltage", "voltage", enabled=False),
        _metric(d, "mppt2_current", 13106, "MPPT2 current", "current", enabled=False),
        _metric(d, "internal_temperature", 13019, "Internal temperature", "temperature"),
        _metric(d, "battery_capacity", 13140, "Battery capacity", "stored", diagnostic=True),
        _metric(d, "running_state", 13146, "Running state", "status"),
    ]


def _battery() -> list[Metric]:
    d = BATTERY
    return [
        _metric(d, "battery_voltage", 58601, "Voltage", "voltage"),
        _metric(
            d,
            "battery_current",
            58602,
            "Current",
            "current",
            convert=negate,
            sign="+ charging: the cloud value is negated, since the cloud's + is "
            "discharging (gruijter sungrowPointMap.js: power = -V*I)",
        ),
        _metric(d, "battery_temperature", 58603, "Temperature", "temperature"),
        _metric(d, "battery_soc", 58604, "Level", "soc"),
        _metric(d, "battery_soh", 58605, "Health", "soh"),
        _metric(d, "battery_charge_total", 58606, "Charge total", "lifetime"),
        _metric(d, "battery_discharge_total", 58607, "Discharge total", "lifetime"),
        _metric(d, "max_cell_voltage", 58610, "Max cell voltage", "cell_voltage", enabled=False),
        _metric(d, "min_cell_voltage", 58612, "Min cell voltage", "cell_voltage", enabled=False),
        _metric(
            d,
            "max_module_temperature",
            58614,
            "Max module temperature",
            "temperature",
            enabled=False,
        ),
        _metric(
            d,
            "min_module_temperature",
            58616,
            "Min module temperature",
            "temperature",
            enabled=False,
        ),
    ]


def _meter() -> list[Metric]:
    d = METER
    return [
        _metric(d, "active_power", 8018, "Active power", "power", sign=_METER_SIGN),
        *(
            _metric(
                d,
                f"phase_{p}_power",
                8076 + i,
                f"Phase {p.upper()} power",
                "power",
                enabled=False,
                sign=_METER_SIGN,
            )
            for i, p in enumerate("abc")
        ),
        *_phases(d, 8000, 8006),
        _metric(d, "reactive_power", 8022, "Reactive power", "reactive", enabled=False),
        _metric(d, "apparent_power", 8026, "Apparent power", "apparent", enabled=False),
        _metric(d, "power_factor", 8014, "Power factor", "power_factor", enabled=False),
        _metric(d, "grid_frequency", 8064, "Grid frequency", "frequency"),
        _metric(d, "grid_import_total", 8030, "Grid import total", "lifetime"),
        _metric(d, "grid_export_total", 8031, "Grid export total", "lifetime"),
        _metric(d, "grid_import_today", 8062, "Grid import today", "daily"),
        _metric(d, "grid_export_today", 8063, "Grid export today", "daily"),
    ]


def _comm_module() -> list[Metric]:
    d = COMM_MODULE
    return [
        _metric(
            d,
            "wlan_signal_strength",
            23014,
            "WLAN signal strength",
            "rssi",
            enabled=False,
            diagnostic=True,
        ),
        _metric(
            d,
            "wireless_signal_strength",
            23001,
            "Wireless signal strength",
            "plain",
            enabled=False,
            diagnostic=True,
        ),
    ]


_METER_WORDS = ("grid_", "load_", "self_consumption", "feed_in", "purchased")
_SENSORS = ("irradiance", "ambient_temperature", "module_temperature")


def _needs(metric: Metric) -> Needs:
    """What a plant or device needs to have this metric (see `Metric.needs`).

    A plant's or a hybrid inverter's battery figures need a battery in the plant, its grid
    and load figures a meter; the phases a single-phase device lacks, a second MPPT and the
    weather sensors need a delivered value.
    """
    key, level = metric.key, metric.device_type
    if key.startswith(("phase_b_", "phase_c_", "mppt2_")) or key in _SENSORS:
        return "value"
    if level in (PLANT_LEVEL, ESS) and key.startswith("battery_"):
        return "battery"
    if level in (PLANT_LEVEL, ESS) and key.startswith(_METER_WORDS) and key != "grid_frequency":
        return "meter"
    return "level"


CATALOGUE: tuple[Metric, ...] = tuple(
    replace(m, needs=_needs(m))
    for m in (*_plant(), *_inverter(), *_ess(), *_battery(), *_meter(), *_comm_module())
)
LEVELS: tuple[int, ...] = tuple(dict.fromkeys(m.device_type for m in CATALOGUE))


def metrics_for(device_type: int) -> tuple[Metric, ...]:
    """The catalogue metrics of one level (PLANT_LEVEL for plants); () for other types."""
    return tuple(m for m in CATALOGUE if m.device_type == device_type)
