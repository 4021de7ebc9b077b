"""The energy guard: counters never go backwards where Home Assistant would count twice.

HA reads any decrease of a `total_increasing` sensor as a new meter cycle, so a cloud
glitch (a total briefly lower, a daily counter dipping, a failed read as 0) would add the
whole counter to the Energy dashboard again. The rules, per source and metric:

- lifetime counters are never published below the last published value: a lower value
  is replaced by the last one (held) and logged `energy_guard.held`. A meter replacement
  therefore shows as a flat line until the new meter passes the old total; we prefer that
  to a doubled dashboard.
- daily counters may fall only when the plant-local date (of the sample time, else of
  the fetch time) differs from that of the last published value; a drop on the same day,
  or a value dated before the last one, is held.
- a negative counter is a glitch (seen on 83124): held, or None when nothing is known
  (or when the last daily value is of an earlier day).
- None stays None and leaves the memory untouched: a missing read is null, never 0.

The last published counters live in `<state>/counters.toml`, so a restart keeps the guard.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

import structlog
import tomli_w

from bridge.catalogue.metric import Metric, MetricValue
from bridge.platform.atomic import write_atomic
from bridge.readings.model import Reading

log = structlog.get_logger(__name__)

_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class _Last:
    value: float
    day: date | None  # plant-local date; kept for daily counters only


class EnergyGuard:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[str, dict[str, _Last]] | None = None  # read on first use
        self._dirty = False

    @property
    def _last(self) -> dict[str, dict[str, _Last]]:
        if self._memory is None:
            exists = self.path is not None and self.path.exists()
            self._memory = _load(self.path) if self.path is not None and exists else {}
        return self._memory

    def apply(
        self,
        source_key: str,
        reading: Reading,
        metrics: Mapping[str, Metric],
        local_tz: tzinfo,
    ) -> Reading:
        """`reading` with its counters guarded; `source_key` is the ps_id or ps_key."""
        day = _local_date(reading.ts or reading.fetched_at, local_tz)
        memory = self._last.setdefault(source_key, {})
        values: dict[str, MetricValue] = dict(reading.values)
        for key, value in reading.values.items():
            metric = metrics.get(key)
            if metric is None or metric.counter == "none":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue  # None (or text) passes untouched and teaches the guard nothing
            last = memory.get(key)
            reason = _hold_reason(metric, float(value), day, last)
            if reason is None:
                entry = _Last(float(value), day if metric.counter == "daily" else None)
                self._dirty |= entry != last
                memory[key] = entry
                continue
            held = _held_value(last, day)
            log.info(
                "energy_guard.held",
                source=source_key,
                metric=key,
                value=value,
                published=held,
                reason=reason,
            )
            values[key] = held
        if not memory:
            del self._last[source_key]
        return replace(reading, values=values)

    def save(self) -> None:
        """Persist the last published counters (atomically, 0600) if they changed."""
        if self.path is None or not self._dirty:
            return
        write_atomic(self.path, tomli_w.dumps(_dump(self._last)).encode(), mode=0o600)
        self._dirty = False


def _local_date(moment: datetime, local_tz: tzinfo) -> date:
    if moment.tzinfo is None:  # a naive time is taken to be plant-local already
        return moment.date()
    return moment.astimezone(local_tz).date()


def _hold_reason(metric: Metric, value: float, day: date, last: _Last | None) -> str | None:
    """Why `value` must not be published, or None when it may."""
    if value < 0:
        return "negative"
    if last is None:
        return None
    if metric.counter == "lifetime":
        return "decrease" if value < last.value else None
    if last.day is not None and day < last.day:
        return "older_day"
    if day == last.day and value < last.value:
        return "decrease_same_day"
    return None


def _held_value(last: _Last | None, day: date) -> float | None:
    """What to publish instead: the last value, unless it is a daily count of an earlier day."""
    if last is None or (last.day is not None and last.day < day):
        return None
    return last.value


def _dump(last: dict[str, dict[str, _Last]]) -> dict[str, Any]:
    counters: dict[str, Any] = {}
    for source, metrics in last.items():
        counters[source] = {
            key: {"value": entry.value} | ({"day": entry.day} if entry.day else {})
            for key, entry in metrics.items()
        }
    return {"version": _FORMAT_VERSION, "counters": counters}


def _load(path: Path) -> dict[str, dict[str, _Last]]:
    """The stored counters; empty (with a warning) when the file cannot be used."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        counters = data["counters"]
        if data.get("version") != _FORMAT_VERSION or not isinstance(counters, dict):
            raise ValueError(f"unsupported layout (version {data.get('version')!r})")
        return {
            str(source): {str(key): _entry(raw) for key, raw in metrics.items()}
            for source, metrics in counters.items()
        }
    except (
        OSError,
        UnicodeDecodeError,
        tomllib.TOMLDecodeError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
    ) as exc:
        log.warning(
            "energy_guard.state_unreadable",
            path=str(path),
            error=str(exc),
            hint="starting with no counter history; it is rebuilt from the next poll",
        )
        return {}


def _entry(raw: object) -> _Last:
    if not isinstance(raw, dict):
        raise TypeError(f"counter entry is {type(raw).__name__}, not a table")
    value = raw["value"]
    day = raw.get("day")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"counter value {value!r} is not a number")
    if day is not None and type(day) is not date:
        raise TypeError(f"counter day {day!r} is not a date")
    return _Last(float(value), day)
