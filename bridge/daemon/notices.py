"""What the daemon tells the user about data it cannot get as configured: an endpoint or
device type the account cannot read, a schedule stretched to fit the call budget, and
values too absurd to publish. Each change is one event on `<base>/bridge/event` (and a
log line); the current state is always in `<base>/bridge/health`."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from bridge.catalogue.device_types import device_type_name
from bridge.config.model import Config
from bridge.daemon.info import Events
from bridge.isolarcloud import budget
from bridge.readings.model import Reading
from bridge.readings.poller import Inventory, Poller, Skipped

log = structlog.get_logger(__name__)


@dataclass
class Notices:
    cfg: Config
    events: Events
    fit: budget.Fit | None = field(default=None, init=False)
    _skipped: dict[str, Skipped] = field(default_factory=dict, init=False)
    _rejected: set[tuple[str, str]] = field(default_factory=set, init=False)

    @property
    def interval(self) -> int:
        """The poll interval to keep: the configured one, or longer to fit the budget."""
        return self.fit.interval if self.fit else self.cfg.poll.interval

    def after_poll(
        self, poller: Poller, inventory: Inventory, readings: list[Reading] | None
    ) -> None:
        """Compare with what was last said, and say what changed."""
        self._follow_skipped(poller.skipped)
        self._follow_budget(budget.fit(poller.estimate(inventory), self.cfg))
        if readings is not None:
            self._follow_rejected(readings)

    def health(self) -> dict[str, object]:
        """The part of `bridge/health` these notices fill."""
        return {
            "interval_s": self.interval,
            "budget_note": self.fit.note if self.fit else None,
            "unavailable": [
                {"endpoint": s.endpoint, "device_type": s.device_type, "error": s.error}
                for s in self._skipped.values()
            ],
        }

    def _follow_skipped(self, skipped: dict[str, Skipped]) -> None:
        new = [s for key, s in skipped.items() if key not in self._skipped]
        back = [s for key, s in self._skipped.items() if key not in skipped]
        for group in _by_cause(new):
            message = _unavailable_text(group, self.cfg)
            self._event("warning", "unavailable", message, **_fields(group))
        for group in _by_cause(back):
            self._event(
                "info", "available", f"{_subject(group)} can be read again", **_fields(group)
            )
        self._skipped = dict(skipped)

    def _follow_budget(self, fit: budget.Fit) -> None:
        before, self.fit = self.fit, fit
        if before is not None and (before.interval, before.note) == (fit.interval, fit.note):
            return
        if fit.stretched:
            self._event("warning", "budget", fit.note or "")
        elif before is not None and before.stretched:
            configured = self.cfg.poll.interval
            self._event(
                "info", "budget", f"the schedule fits the budget again: every {configured} s"
            )
        elif fit.note is not None:
            self._event("warning", "budget", fit.note)

    def _follow_rejected(self, readings: list[Reading]) -> None:
        seen: set[tuple[str, str]] = set()
        for reading in readings:
            for rejected in reading.rejected:
                key = (reading.source_key, rejected.metric)
                seen.add(key)
                if key in self._rejected:
                    continue
                where = reading.device.slug if reading.device else f"plant {reading.ps_id}"
                unit = f" {rejected.unit}" if rejected.unit not in ("", "fraction") else ""
                self._event(
                    "warning",
                    "implausible_value",
                    f"point {rejected.point_id} ({rejected.metric} of {where}) read "
                    f"{rejected.raw:g}{unit}, which no such device reports: published as null "
                    "until a plausible value comes",
                    point_id=rejected.point_id,
                    raw=rejected.raw,
                )
        self._rejected = seen

    def _event(self, level: str, kind: str, message: str, **extra: object) -> None:
        getattr(log, level)(f"notice.{kind}", message=message, **extra)
        self.events.emit(level, kind, message, **extra)


def _by_cause(items: list[Skipped]) -> list[list[Skipped]]:
    """One group per endpoint and error: a missing endpoint is one message, not one a type."""
    groups: dict[tuple[str, str], list[Skipped]] = {}
    for item in items:
        groups.setdefault((item.endpoint, item.error), []).append(item)
    return list(groups.values())


def _types(group: list[Skipped]) -> list[int]:
    return sorted(s.device_type for s in group if s.device_type is not None)


def _fields(group: list[Skipped]) -> dict[str, object]:
    return {"endpoint": group[0].endpoint, "device_types": _types(group)}


def _subject(group: list[Skipped]) -> str:
    types = _types(group)
    if not types:
        return group[0].endpoint
    names = ", ".join(device_type_name(t) for t in types)
    numbers = ", ".join(str(t) for t in types)
    return f"{group[0].endpoint} for {names} devices (type {numbers})"


def _unavailable_text(group: list[Skipped], cfg: Config) -> str:
    left_out = (
        "their values are left out"
        if _types(group)
        else "the plants are published without what it adds (installed power)"
    )
    return (
        f"{_subject(group)} is not available to this account ({group[0].error}); {left_out}, "
        f"plant values still flow, and it is tried again at the next device-list refresh "
        f"(every {cfg.poll.device_list_interval} s)"
    )
