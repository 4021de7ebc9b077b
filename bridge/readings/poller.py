"""One poll: ask the gateway client for raw snapshots and turn them into guarded readings.

This is the cloud half of the data flow (config -> gateway client -> readings); it knows
nothing of MQTT, so `isolarcloud2mqtt read` and the daemon share it.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from bridge.catalogue.definitions import MetricBook
from bridge.catalogue.metric import PLANT_LEVEL
from bridge.catalogue.selection import Selection
from bridge.config.model import Config
from bridge.isolarcloud.budget import Estimate, estimate
from bridge.isolarcloud.client import DEVICE_REALTIME, PLANT_DETAIL, GatewayClient
from bridge.isolarcloud.errors import IsolarcloudError, ParameterError
from bridge.isolarcloud.model import Device, Plant, PointInfo, RawSnapshot
from bridge.readings.convert import to_reading
from bridge.readings.energy_guard import EnergyGuard
from bridge.readings.model import Reading

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Inventory:
    """The authorised plants we publish and their devices."""

    plants: tuple[Plant, ...] = ()
    devices: Mapping[str, tuple[Device, ...]] = field(default_factory=dict)

    def plant(self, ps_id: str) -> Plant | None:
        return next((p for p in self.plants if p.ps_id == ps_id), None)

    @property
    def ps_ids(self) -> tuple[str, ...]:
        return tuple(p.ps_id for p in self.plants)

    def subset(self, ps_ids: Collection[str]) -> Inventory:
        plants = tuple(p for p in self.plants if p.ps_id in ps_ids)
        return Inventory(plants, {p.ps_id: self.devices.get(p.ps_id, ()) for p in plants})


@dataclass(frozen=True, slots=True)
class Skipped:
    """Data this account cannot read: left out until the next device-list refresh."""

    endpoint: str  # the API's name, e.g. "getDeviceRealTimeData"
    device_type: int | None  # None: the whole endpoint (or a plant-level one)
    error: str
    code: str | None

    @property
    def key(self) -> str:
        return self.endpoint if self.device_type is None else f"{self.endpoint}:{self.device_type}"


@dataclass(frozen=True, slots=True)
class PollResult:
    readings: list[Reading]
    # the reply's point_dict per source (ps_id for a plant, ps_key for a device): the
    # units of the user's extra points
    point_info: dict[str, Mapping[str, PointInfo]]
    polled: tuple[str, ...]  # ps_ids asked for
    missing: tuple[str, ...]  # ps_ids the cloud returned nothing for

    @property
    def data_ts(self) -> datetime | None:
        stamps = [r.ts for r in self.readings if r.ts is not None]
        return max(stamps) if stamps else None

    def sample_times(self) -> dict[str, float]:
        """Each plant's newest sample time (epoch seconds), for plants that sent one."""
        times: dict[str, float] = {}
        for r in self.readings:
            if r.ts is not None:
                times[r.ps_id] = max(times.get(r.ps_id, 0.0), r.ts.timestamp())
        return times


@dataclass
class Poller:
    client: GatewayClient
    cfg: Config
    guard: EnergyGuard
    clock: Callable[[], float] = time.time
    book: MetricBook | None = None  # shared with the daemon; else one of its own
    _book: MetricBook = field(init=False)
    # what the account cannot read, by Skipped.key; emptied by each new inventory
    skipped: dict[str, Skipped] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._book = self.book or MetricBook(self.cfg.points)

    def selection(self, level: int) -> Selection:
        return self._book.selection(level)

    def load_inventory(self) -> Inventory:
        wanted = set(self.cfg.plants.include)
        self.skipped = {}  # a new inventory asks again for what failed before
        listed, detail_error = self.client.plants_with_details()
        if detail_error is not None:
            self._skip(PLANT_DETAIL, None, detail_error)
        plants = tuple(
            p
            for p in listed
            if (not wanted or p.ps_id in wanted) and p.ps_id not in self.cfg.plants.exclude
        )
        missing = wanted - {p.ps_id for p in plants}
        if missing:
            log.warning("plants.not_authorised", plants=sorted(missing))
        devices = {
            p.ps_id: tuple(
                d
                for d in self.client.list_devices(p.ps_id)
                if self.selection(d.device_type).point_ids
            )
            for p in plants
        }
        return Inventory(plants, devices)

    def unreadable_types(self) -> set[int]:
        return {s.device_type for s in self.skipped.values() if s.device_type is not None}

    def estimate(self, inventory: Inventory) -> Estimate:
        """The calls a poll costs: device types the account cannot read cost none."""
        unreadable = self.unreadable_types()
        by_type = Counter(
            d.device_type
            for ds in inventory.devices.values()
            for d in ds
            if d.device_type not in unreadable
        )
        return estimate(
            self.cfg,
            {ps_id: len(ds) for ps_id, ds in inventory.devices.items()},
            len(self.selection(PLANT_LEVEL).point_ids),
            {t: len(self.selection(t).point_ids) for t in by_type},
            by_type,
        )

    def poll(self, inventory: Inventory, ps_ids: Collection[str] | None = None) -> PollResult:
        plants = [p for p in inventory.plants if ps_ids is None or p.ps_id in ps_ids]
        devices = [d for p in plants for d in inventory.devices.get(p.ps_id, ())]
        fetched_at = datetime.fromtimestamp(self.clock(), UTC)
        unreadable = self.unreadable_types()
        devices = [d for d in devices if d.device_type not in unreadable]
        types = sorted({d.device_type for d in devices})
        read = self.client.device_realtime(
            devices,
            {t: self.selection(t).point_ids for t in types},
            {p.ps_id: p.tz for p in plants},
        )
        for device_type, exc in read.unreadable.items():
            self._skip(DEVICE_REALTIME, device_type, exc)
        device_raw = read.snapshots
        # Devices first: the plant values borrow the devices' sample time, so they must not
        # be older than it. Else a poll across midnight files yesterday's daily totals under
        # today's date, and the energy guard holds them all day instead of the reset.
        plant_raw = self.client.plant_realtime(plants, self.selection(PLANT_LEVEL).point_ids)
        readings: list[Reading] = []
        point_info: dict[str, Mapping[str, PointInfo]] = {}
        for plant in plants:
            own_devices = [
                device_raw[d.ps_key]
                for d in inventory.devices.get(plant.ps_id, ())
                if d.ps_key in device_raw
            ]
            raw = plant_raw.get(plant.ps_id)
            if raw is not None:
                # the plant call carries no time; its devices' newest sample time stands in
                stamps = [s.sampled_at for s in own_devices if s.sampled_at is not None]
                raw = dataclasses.replace(raw, sampled_at=max(stamps) if stamps else None)
            for snapshot in ([raw] if raw else []) + own_devices:
                readings.append(self._convert(snapshot, plant, fetched_at))
                point_info[snapshot.source_key] = snapshot.point_info
        self.guard.save()
        missing = tuple(p.ps_id for p in plants if p.ps_id not in plant_raw)
        return PollResult(readings, point_info, tuple(p.ps_id for p in plants), missing)

    def _skip(self, path: str, device_type: int | None, exc: IsolarcloudError) -> None:
        error = str(exc)
        if isinstance(exc, ParameterError) and device_type is not None:
            # for one type of several, a parameter error is the account's, not the bridge's
            error = f"iSolarCloud error {exc.code}: it refuses this device type for this account"
        skipped = Skipped(path.rsplit("/", 1)[-1], device_type, error, exc.code)
        log.warning(
            "poll.skipped", endpoint=skipped.endpoint, device_type=device_type, error=str(exc)
        )
        self.skipped[skipped.key] = skipped

    def _convert(self, raw: RawSnapshot, plant: Plant, fetched_at: datetime) -> Reading:
        device_type = raw.device.device_type if raw.device else PLANT_LEVEL
        defs = self._book.definitions(device_type, raw.point_info)
        reading = to_reading(raw, self.selection(device_type), fetched_at)
        return self.guard.apply(raw.source_key, reading, defs, plant.tz)
