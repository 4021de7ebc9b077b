"""Every metric's one definition: the catalogue's for its points, and for a user's extra
point (`[points] extra`) one built from the cloud's `point_dict`: its unit, and the Home
Assistant classes that unit implies. Readings, the energy guard, the state JSON, the
per-value topics and discovery all read these, so they cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bridge.catalogue.conversions import UNIT_ALIASES
from bridge.catalogue.metric import CounterKind, Metric
from bridge.catalogue.selection import Selection, select
from bridge.config.model import PointsConfig
from bridge.isolarcloud.model import PointInfo

_ENERGY = ("energy", "total_increasing")
# A point_dict unit -> the device class and state class Home Assistant accepts with it.
UNIT_CLASSES: dict[str, tuple[str | None, str]] = {
    **dict.fromkeys(("W", "kW", "MW"), ("power", "measurement")),
    **dict.fromkeys(("Wh", "kWh", "MWh"), _ENERGY),
    **dict.fromkeys(("var", "kvar"), ("reactive_power", "measurement")),
    **dict.fromkeys(("VA", "kVA"), ("apparent_power", "measurement")),
    **dict.fromkeys(("V", "mV", "kV"), ("voltage", "measurement")),
    **dict.fromkeys(("A", "mA"), ("current", "measurement")),
    "Hz": ("frequency", "measurement"),
    **dict.fromkeys(("°C", "°F"), ("temperature", "measurement")),
    "W/m²": ("irradiance", "measurement"),
    "dBm": ("signal_strength", "measurement"),
    "h": ("duration", "total_increasing"),  # running hours only grow
    "%": (None, "measurement"),
}
# An energy point's name says whether it restarts at midnight: Sungrow names them so.
_DAILY = re.compile(r"\b(daily|today|day)\b", re.IGNORECASE)
_LIFETIME = re.compile(r"\b(total|cumulative|accumulated|lifetime)\b", re.IGNORECASE)


def extra_metric(point_id: str, device_type: int, info: PointInfo | None) -> Metric:
    """The Metric of a user-added point: published raw in the unit point_dict gives, with
    the classes that unit implies, or none where the unit is unknown."""
    unit = info.unit.strip() if info else ""
    unit = UNIT_ALIASES.get(unit, unit)
    label = (info.name.strip() if info else "") or f"Point {point_id}"
    device_class, state_class = UNIT_CLASSES.get(unit, (None, None))
    counter: CounterKind = "none"
    if device_class == "energy" and _DAILY.search(label):
        counter = "daily"
    elif device_class == "energy" and _LIFETIME.search(label):
        counter = "lifetime"
    return Metric(
        key=f"p{point_id}",
        point_id=point_id,
        device_type=device_type,
        label=label,
        source_unit=unit,
        unit=unit or None,
        device_class=device_class,
        state_class=state_class,
        counter=counter,
        needs="value",  # announced where the cloud delivers it
    )


@dataclass
class MetricBook:
    """The definitions of every level after the user's `[points]`, built once."""

    points: PointsConfig
    _selections: dict[int, Selection] = field(default_factory=dict, init=False)

    def selection(self, level: int) -> Selection:
        """What to request and publish for one level (PLANT_LEVEL or a device type)."""
        if level not in self._selections:
            self._selections[level] = select(level, self.points)
        return self._selections[level]

    def definitions(
        self, level: int, point_info: Mapping[str, PointInfo] | None = None
    ) -> dict[str, Metric]:
        """The metrics of one level by key: the catalogue's and the extra points', whose
        units come from `point_info` (the reply's point_dict, or what was kept of it)."""
        sel = self.selection(level)
        defs = {m.key: m for m in sel.metrics}
        for point_id in sel.extra_point_ids:
            extra = extra_metric(point_id, level, (point_info or {}).get(point_id))
            defs[extra.key] = extra
        return defs
