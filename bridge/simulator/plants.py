"""Simulated plants and their devices: identity, layout and sizing (no physics here)."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import timedelta, timezone
from typing import Literal

PlantKind = Literal["hybrid", "string"]

TYPE_NAMES = {
    1: "Inverter",
    7: "Meter",
    11: "Plant",
    14: "Energy Storage System",
    22: "Communication Module",
    43: "Battery",
}


@dataclass(frozen=True, slots=True)
class SimDevice:
    ps_id: int
    uuid: int
    device_type: int
    device_code: int
    chnnl_id: int
    device_sn: str
    device_model_code: str
    device_model_id: int
    device_name: str
    phases: int = 1  # AC phases of inverters and meters; missing phases answer null
    mppts: int = 2

    @property
    def ps_key(self) -> str:
        return f"{self.ps_id}_{self.device_type}_{self.device_code}_{self.chnnl_id}"

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.device_type, "Device")


@dataclass(frozen=True, slots=True)
class SimPlant:
    ps_id: int
    ps_name: str
    kind: PlantKind
    utc_offset_hours: int
    pv_peak_w: float
    base_load_w: float
    battery_wh: float  # 0 = no battery
    battery_max_w: float
    latitude: float
    longitude: float
    ps_location: str
    uuid: int
    install_date: str  # "yyyy-MM-dd HH:mm:ss"
    devices: tuple[SimDevice, ...]
    lifetime_pv_wh: float  # counter values when the simulation starts
    lifetime_load_wh: float
    valid_flag: int = 1  # 1 normal, 2 disabled, 3 connecting

    @property
    def ps_key(self) -> str:
        return f"{self.ps_id}_11_0_0"

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(hours=self.utc_offset_hours))

    @property
    def tz_name(self) -> str:
        sign = "+" if self.utc_offset_hours >= 0 else "-"
        return f"GMT{sign}{abs(self.utc_offset_hours)}"

    @property
    def ps_type(self) -> int:
        return 5 if self.kind == "hybrid" else 4  # residential storage / residential PV

    @property
    def has_meter(self) -> bool:
        return any(d.device_type == 7 for d in self.devices)

    @property
    def has_battery(self) -> bool:
        return self.battery_wh > 0

    def device(self, ps_key: str) -> SimDevice | None:
        return next((d for d in self.devices if d.ps_key == ps_key), None)


def _sn(prefix: str, ps_id: int, n: int) -> str:
    return f"{prefix}{(ps_id * 7919 + n * 104729) % 10**9:09d}"


@dataclass(frozen=True, slots=True)
class Model:
    """A device model as the cloud lists it, and where it sits on the logger's bus."""

    device_type: int
    code: str  # device_model_code
    model_id: int
    device_code: int
    sn_prefix: str
    phases: int = 1
    mppts: int = 2

    def device(self, ps_id: int, n: int) -> SimDevice:
        """The `n`-th device of plant `ps_id` (n also makes its uuid and serial)."""
        name = self.code if self.device_type == 22 else f"{self.code}(COM1-{self.device_code:03d})"
        uuid = ps_id % 10**7 * 10 + n
        serial = _sn(self.sn_prefix, ps_id, n)
        return SimDevice(
            ps_id, uuid, self.device_type, self.device_code, 1, serial, self.code,
            self.model_id, name, phases=self.phases, mppts=self.mppts,
        )  # fmt: skip


SH10RT = Model(14, "SH10RT", 3496, 1, "A22", phases=3)  # hybrid inverter (ESS)
SBR128 = Model(43, "SBR128", 3601, 1, "B23")  # battery
DTSU666_3P = Model(7, "DTSU666", 2508, 254, "M23", phases=3)  # meter
DTSU666_1P = Model(7, "DTSU666", 2508, 254, "M22")
SG5RS = Model(1, "SG5.0RS", 3310, 1, "A21")  # string inverter
WINET_S = Model(22, "WiNet-S", 2012, 247, "B21")  # communication module


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    utc_offset_hours: int
    location: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Kind:
    """What homes of one kind have: devices, sizes to draw from, history."""

    name: PlantKind
    models: dict[int, Model]  # device number (uuid, serial) -> model
    pv_peaks: tuple[float, ...]
    base_load: tuple[float, float]
    battery_wh: float
    install_date: str
    lifetime_pv: tuple[float, float]
    lifetime_load: tuple[float, float]


HYBRID = Kind(
    "hybrid",
    {1: SH10RT, 2: SBR128, 3: DTSU666_3P, 4: WINET_S},
    pv_peaks=(8000.0, 9600.0, 10000.0, 12000.0),
    base_load=(250.0, 450.0),
    battery_wh=12800.0,
    install_date="2023-04-18 10:12:31",
    lifetime_pv=(15e6, 30e6),
    lifetime_load=(10e6, 20e6),
)
STRING = Kind(
    "string",
    {1: SG5RS, 4: WINET_S, 3: DTSU666_1P},
    pv_peaks=(4500.0, 5000.0, 6600.0),
    base_load=(200.0, 350.0),
    battery_wh=0.0,
    install_date="2021-11-02 08:45:10",
    lifetime_pv=(20e6, 35e6),
    lifetime_load=(12e6, 25e6),
)


def home(ps_id: int, site: Site, kind: Kind, rng: random.Random) -> SimPlant:
    """A plant of this kind at this site (hybrid: ESS, battery, meter, dongle; string:
    inverter, dongle, meter)."""
    return SimPlant(
        ps_id=ps_id,
        ps_name=site.name,
        kind=kind.name,
        utc_offset_hours=site.utc_offset_hours,
        pv_peak_w=rng.choice(kind.pv_peaks),
        base_load_w=rng.uniform(*kind.base_load),
        battery_wh=kind.battery_wh,
        battery_max_w=5000.0 if kind.battery_wh else 0.0,
        latitude=site.latitude,
        longitude=site.longitude,
        ps_location=site.location,
        uuid=ps_id % 10**7 * 10,
        install_date=kind.install_date,
        devices=tuple(model.device(ps_id, n) for n, model in kind.models.items()),
        lifetime_pv_wh=round(rng.uniform(*kind.lifetime_pv), 1),
        lifetime_load_wh=round(rng.uniform(*kind.lifetime_load), 1),
    )


def without_meter(kind: Kind) -> Kind:
    models = {n: m for n, m in kind.models.items() if m.device_type != 7}
    return replace(kind, models=models)


PLAIN = without_meter(STRING)


def default_fleet(seed: int = 0) -> list[SimPlant]:
    """A hybrid home in GMT+1 (Europe: battery, meter) and a string-inverter home in GMT+10
    (Australia: inverter and dongle only)."""
    rng = random.Random(f"fleet:{seed}")
    utrecht = Site("Hybrid Home", 1, "Utrecht, NL", 52.09, 5.12)
    brisbane = Site("Beach House", 10, "Brisbane, AU", -27.47, 153.03)
    # the most common home: a plain string inverter, no battery and no meter
    return [home(1122348203, utrecht, HYBRID, rng), home(1122348217, brisbane, PLAIN, rng)]


_ZONES = (1, 10, 0, 2, 8, -5, 9, -3)


def fleet(n: int, seed: int = 0) -> list[SimPlant]:
    """`n` plants for scale tests: the default fleet first, then a mix of both kinds.

    Every fifth extra plant is `valid_flag` 3 ("connecting"): a client that does not
    ask for valid_flag "1,2,3" misses it, as on the real service."""
    if n < 0:
        raise ValueError(f"fleet size must be >= 0, got {n}")
    plants = default_fleet(seed)[:n]
    rng = random.Random(f"fleet-extra:{seed}")
    for i in range(len(plants), n):
        ps_id = 2000000000 + i * 113
        zone = _ZONES[i % len(_ZONES)]
        lat = rng.uniform(-40.0, 55.0)
        lon = zone * 15.0 + rng.uniform(-5.0, 5.0)
        site = Site(f"Fleet Plant {i + 1}", zone, f"Site {i + 1}", lat, lon)
        if i % 2 == 0:
            plant = home(ps_id, site, HYBRID, rng)
        else:
            plant = home(ps_id, site, STRING if i % 3 else PLAIN, rng)
        if i % 5 == 2:
            plant = replace(plant, valid_flag=3)
        plants.append(plant)
    return plants
