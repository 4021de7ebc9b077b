"""What to request and publish for one level: the catalogue after the user's `[points]`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bridge.catalogue.metric import PLANT_LEVEL, Metric
from bridge.catalogue.metrics import CATALOGUE, metrics_for
from bridge.config.model import ConfigError, PointsConfig


@dataclass(frozen=True, slots=True)
class Selection:
    """What to request and publish for one level: catalogue metrics and user-added points."""

    device_type: int
    metrics: tuple[Metric, ...]
    extra_point_ids: tuple[str, ...]

    @property
    def point_ids(self) -> tuple[str, ...]:
        """Distinct point ids in order: the ones the client requests."""
        return tuple(dict.fromkeys([*(m.point_id for m in self.metrics), *self.extra_point_ids]))


def _extra_ids(device_type: int, points: PointsConfig) -> tuple[str, ...]:
    # the plant is device type 11 in Appendix 1, so "11" names it as well as "plant"
    keys = ("plant", str(PLANT_LEVEL)) if device_type == PLANT_LEVEL else (str(device_type),)
    return tuple(dict.fromkeys(i for k in keys for i in points.extra.get(k, ())))


def _check_exclude(points: PointsConfig) -> None:
    valid = {m.key for m in CATALOGUE} | {f"p{i}" for ids in points.extra.values() for i in ids}
    unknown = [name for name in points.exclude if name not in valid]
    if not unknown:
        return
    parts = []
    for name in unknown:
        near = difflib.get_close_matches(name, sorted(valid), n=1)
        parts.append(f"{name!r} (did you mean {near[0]!r}?)" if near else repr(name))
    raise ConfigError(
        f"points.exclude: unknown metric name {', '.join(parts)}; "
        "use the names listed in docs/metrics.md or p<id> of an extra point"
    )


def select(device_type: int, points: PointsConfig) -> Selection:
    """The metrics and extra points of one level after the user's `[points]` settings."""
    _check_exclude(points)
    excluded = set(points.exclude)
    return Selection(
        device_type=device_type,
        metrics=tuple(m for m in metrics_for(device_type) if m.key not in excluded),
        extra_point_ids=tuple(
            i for i in _extra_ids(device_type, points) if f"p{i}" not in excluded
        ),
    )
