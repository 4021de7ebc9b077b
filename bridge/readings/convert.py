"""A raw snapshot of the cloud's points -> a Reading in canonical units."""

from __future__ import annotations

import math
from datetime import datetime

from bridge.catalogue.conversions import in_source_unit
from bridge.catalogue.metric import MetricValue
from bridge.catalogue.selection import Selection
from bridge.isolarcloud.model import RawSnapshot
from bridge.readings.model import Reading


def _number(value: object) -> float | None:
    """A finite number, else None (a missing point or text where a number belongs)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def to_reading(raw: RawSnapshot, selection: Selection, fetched_at: datetime) -> Reading:
    """Catalogue metrics in canonical units, extra points raw as `p<id>`; missing is None.

    A point whose point_dict unit is a scaled form of the documented one (kWh for Wh, kW
    for W) is rescaled first, so a cloud that changes units cannot fake a 1000x jump.
    """
    values: dict[str, MetricValue] = {}
    for metric in selection.metrics:
        number = _number(raw.values.get(metric.point_id))
        info = raw.point_info.get(metric.point_id)
        if number is not None and info is not None:
            number = in_source_unit(number, info.unit, metric.source_unit)
        values[metric.key] = None if number is None else metric.convert(number)
    for point_id in selection.extra_point_ids:
        values[f"p{point_id}"] = _number(raw.values.get(point_id))
    return Reading(raw.ps_id, raw.device, raw.sampled_at, fetched_at, values)
