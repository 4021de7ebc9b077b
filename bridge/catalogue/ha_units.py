"""The sensor device_class / unit / state_class combinations Home Assistant accepts.

Transcribed from HA core `homeassistant/components/sensor/const.py` (`DEVICE_CLASS_UNITS`,
`DEVICE_CLASS_STATE_CLASSES`). Units compare
exactly and case-sensitively (`kWh`, `°C` with U+00B0). The catalogue test and the
discovery tests check every published entity against this table.
"""

from __future__ import annotations

from dataclasses import dataclass

STATE_CLASSES = frozenset({"measurement", "measurement_angle", "total", "total_increasing"})

_ENERGY_UNITS = frozenset(
    {"J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh", "cal", "kcal", "Mcal", "Gcal"}
)
_MEASUREMENT = frozenset({"measurement"})


@dataclass(frozen=True, slots=True)
class Rule:
    """What one device class allows. `units` None means HA does not check the unit."""

    units: frozenset[str | None] | None
    state_classes: frozenset[str | None]


ACCEPTED: dict[str | None, Rule] = {
    "power": Rule(frozenset({"mW", "W", "kW", "MW", "GW", "TW"}), _MEASUREMENT),
    "apparent_power": Rule(frozenset({"mVA", "VA", "kVA"}), _MEASUREMENT),
    "reactive_power": Rule(frozenset({"mvar", "var", "kvar"}), _MEASUREMENT),
    # unitless 0.99 leaves the unit out; 99 % carries "%"
    "power_factor": Rule(frozenset({"%", None}), _MEASUREMENT),
    "energy": Rule(frozenset(_ENERGY_UNITS), frozenset({"total", "total_increasing"})),
    "energy_storage": Rule(frozenset(_ENERGY_UNITS), _MEASUREMENT),
    "battery": Rule(frozenset({"%"}), _MEASUREMENT),
    "voltage": Rule(frozenset({"V", "mV", "µV", "kV", "MV"}), _MEASUREMENT),
    "current": Rule(frozenset({"A", "mA"}), _MEASUREMENT),
    "frequency": Rule(frozenset({"Hz", "kHz", "MHz", "GHz"}), _MEASUREMENT),
    "temperature": Rule(frozenset({"°C", "°F", "K"}), _MEASUREMENT),
    "monetary": Rule(None, frozenset({"total"})),
    "irradiance": Rule(frozenset({"W/m²", "BTU/(h⋅ft²)"}), _MEASUREMENT),
    "duration": Rule(
        frozenset({"d", "h", "min", "s", "ms", "µs"}), frozenset({*STATE_CLASSES, None})
    ),
    "timestamp": Rule(frozenset({None}), frozenset({None})),
    "enum": Rule(frozenset({None}), frozenset({None})),
    "signal_strength": Rule(frozenset({"dB", "dBm"}), _MEASUREMENT),
    # no device class: HA checks neither unit nor (beyond the known names) state class
    None: Rule(None, frozenset({*STATE_CLASSES, None})),
}


def problem(device_class: str | None, unit: str | None, state_class: str | None) -> str | None:
    """Why HA would reject this combination, or None when it accepts it."""
    rule = ACCEPTED.get(device_class)
    if rule is None:
        return f"device_class {device_class!r} is not one this table knows"
    if rule.units is not None and unit not in rule.units:
        allowed = sorted(repr(u) for u in rule.units)
        return (
            f"unit {unit!r} is not valid for device_class {device_class!r} ({', '.join(allowed)})"
        )
    if state_class not in rule.state_classes:
        allowed = sorted(repr(s) for s in rule.state_classes)
        return (
            f"state_class {state_class!r} is not valid for device_class {device_class!r} "
            f"({', '.join(allowed)})"
        )
    return None
