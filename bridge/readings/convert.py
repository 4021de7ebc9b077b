"""A raw snapshot of the cloud's points -> a Reading in canonical units.

A curated metric is read in the unit Sungrow documents for its point, whatever label the
reply's `point_dict` carries: Sungrow states that the real-time endpoints send the
smallest unit (W, Wh), and its own labels are wrong at times (point 13140, battery
capacity, is labelled kWh yet sends 12800 for a 12.8 kWh battery). A value outside the
metric's plausible range is published as null and reported, never as an absurd number.
"""

from __future__ import annotations

import math
from datetime import datetime

from bridge.catalogue.metric import MetricValue
from bridge.catalogue.selection import Selection
from bridge.isolarcloud.model import RawSnapshot
from bridge.readings.model import Reading, Rejected


def _number(value: object) -> float | None:
    """A finite number, else None (a missing point or text where a number belongs)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def to_reading(raw: RawSnapshot, selection: Selection, fetched_at: datetime) -> Reading:
    """Catalogue metrics in canonical units, extra points raw as `p<id>`; missing is None."""
    values: dict[str, MetricValue] = {}
    rejected: list[Rejected] = []
    for metric in selection.metrics:
        number = _number(raw.values.get(metric.point_id))
        value = None if number is None else metric.convert(number)
        if number is not None and not metric.plausible(value):
            rejected.append(Rejected(metric.key, metric.point_id, number, metric.source_unit))
            value = None
        values[metric.key] = value
    for point_id in selection.extra_point_ids:
        values[f"p{point_id}"] = _number(raw.values.get(point_id))
    return Reading(raw.ps_id, raw.device, raw.sampled_at, fetched_at, values, tuple(rejected))
