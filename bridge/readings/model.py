"""A reading: the values of one plant or device in canonical units, keyed by metric name,
and the values it rejected as implausible."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bridge.catalogue.metric import MetricValue
from bridge.isolarcloud.model import Device, source_key


@dataclass(frozen=True, slots=True)
class Rejected:
    """A value outside its metric's plausible range: published as null, and reported."""

    metric: str
    point_id: str
    raw: float  # as the cloud sent it, in the point's documented unit
    unit: str


@dataclass(frozen=True, slots=True)
class Reading:
    """Values of one plant or device in canonical units, keyed by metric name."""

    ps_id: str
    device: Device | None
    ts: datetime | None
    fetched_at: datetime
    values: Mapping[str, MetricValue]
    rejected: tuple[Rejected, ...] = ()

    @property
    def source_key(self) -> str:
        return source_key(self.ps_id, self.device)
