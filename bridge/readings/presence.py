"""Which metrics each plant and device announces, as a discovery config, a key of its state
JSON and a per-value topic: those its plant's devices imply (a battery's figures need a
battery, grid and load figures a meter), and those the cloud has delivered a value for.

What was delivered is kept in `<state>/entities.json`, so an entity stays through nights
of nulls and restarts. A metric that only its values announced is withdrawn after
ABSENCE_DAYS without one; a device's go when the device leaves its plant.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from bridge.catalogue.definitions import MetricBook
from bridge.catalogue.device_types import BATTERY, METER
from bridge.catalogue.metric import PLANT_LEVEL, Metric, Needs
from bridge.isolarcloud.model import Device, PointInfo, source_key
from bridge.platform.atomic import write_atomic
from bridge.readings.poller import Inventory, PollResult

log = structlog.get_logger(__name__)

ABSENCE_DAYS = 30
FILE_VERSION = 1
# Last-seen times only matter at the scale of ABSENCE_DAYS: rewrite the file for them
# at most this often (a new or withdrawn metric is written at once).
TOUCH_EVERY_S = 3600.0


@dataclass
class Presence:
    book: MetricBook
    path: Path | None
    clock: Callable[[], float] = time.time
    _seen: dict[str, dict[str, float]] | None = field(default=None, init=False)
    _units: dict[str, dict[str, PointInfo]] = field(default_factory=dict, init=False)
    _saved_at: float = field(default=0.0, init=False)

    def metrics(self, inventory: Inventory, ps_id: str, device: Device | None) -> dict[str, Metric]:
        """The metrics this plant (device None) or device announces, by key."""
        source = source_key(ps_id, device)
        level = device.device_type if device else PLANT_LEVEL
        has = _features(inventory.devices.get(ps_id, ()))
        seen = self._memory().get(source, {})
        defs = self.book.definitions(level, self._units.get(source))
        return {k: m for k, m in defs.items() if m.needs == "level" or m.needs in has or k in seen}

    def observe(self, inventory: Inventory, result: PollResult) -> bool:
        """Remember what the cloud delivered; True when what is announced has changed."""
        before = self._announced(inventory)
        now, seen = self.clock(), self._memory()
        for reading in result.readings:
            source = reading.source_key
            delivered = [k for k, v in reading.values.items() if v is not None]
            seen.setdefault(source, {}).update(dict.fromkeys(delivered, now))
            info = result.point_info.get(source, {})
            units = self._units.setdefault(source, {})
            # an extra point's key is p<id>: keep its point_dict entry, for its unit
            units.update({k[1:]: info[k[1:]] for k in delivered if k[1:] in info})
        sources = {
            source_key(p.ps_id, d)
            for p in inventory.plants
            for d in _and_devices(inventory, p.ps_id)
        }
        for source in list(seen):
            kept = {k: t for k, t in seen[source].items() if now - t < ABSENCE_DAYS * 86400}
            if source in sources and kept:
                seen[source] = kept
            else:
                del seen[source]  # its device left, or nothing came for ABSENCE_DAYS
        after = self._announced(inventory)
        if after != before or now - self._saved_at >= TOUCH_EVERY_S:
            self._save(now)
        return after != before

    def _announced(self, inventory: Inventory) -> dict[str, frozenset[str]]:
        return {
            source_key(p.ps_id, d): frozenset(self.metrics(inventory, p.ps_id, d))
            for p in inventory.plants
            for d in _and_devices(inventory, p.ps_id)
        }

    def _memory(self) -> dict[str, dict[str, float]]:
        if self._seen is None:
            self._seen = self._load()
        return self._seen

    def _load(self) -> dict[str, dict[str, float]]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data["version"] != FILE_VERSION:
                raise ValueError(f"unsupported version {data['version']!r}")
            seen = {
                str(s): {str(k): float(t) for k, t in v.items()} for s, v in data["seen"].items()
            }
            self._units = {
                str(s): {
                    str(p): PointInfo(str(p), str(i["name"]), str(i["unit"])) for p, i in v.items()
                }
                for s, v in data.get("units", {}).items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning(
                "presence.state_unreadable",
                path=str(self.path),
                error=str(exc),
                effect="entities reappear as the cloud delivers their values",
            )
            return {}
        return seen

    def _save(self, now: float) -> None:
        self._saved_at = now
        if self.path is None:
            return
        data = {
            "version": FILE_VERSION,
            "seen": self._memory(),
            "units": {
                s: {p: {"name": i.name, "unit": i.unit} for p, i in units.items()}
                for s, units in self._units.items()
            },
        }
        write_atomic(self.path, json.dumps(data, indent=1).encode(), mode=0o600)


def _and_devices(inventory: Inventory, ps_id: str) -> Sequence[Device | None]:
    return (None, *inventory.devices.get(ps_id, ()))


def _features(devices: Sequence[Device]) -> set[Needs]:
    """What the devices of a plant imply for its metrics and theirs."""
    types = {d.device_type for d in devices}
    found: set[Needs] = set()
    if BATTERY in types:
        found.add("battery")
    if METER in types:
        found.add("meter")
    return found
