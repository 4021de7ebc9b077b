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


def hybrid_plant(
    ps_id: int,
    name: str,
    utc_offset_hours: int,
    *,
    rng: random.Random,
    location: str,
    latitude: float,
    longitude: float,
) -> SimPlant:
    """A home with a hybrid inverter (ESS), a battery, a meter and a WiNet-S dongle."""
    uuid = ps_id % 10**7 * 10
    devices = (
        SimDevice(
            ps_id,
            uuid + 1,
            14,
            1,
            1,
            _sn("A22", ps_id, 1),
            "SH10RT",
            3496,
            "SH10RT(COM1-001)",
            phases=3,
            mppts=2,
        ),
        SimDevice(
            ps_id, uuid + 2, 43, 1, 1, _sn("B23", ps_id, 2), "SBR128", 3601, "SBR128(COM1-001)"
        ),
        SimDevice(
            ps_id,
            uuid + 3,
            7,
            254,
            1,
            _sn("M23", ps_id, 3),
            "DTSU666",
            2508,
            "DTSU666(COM1-254)",
            phases=3,
        ),
        SimDevice(ps_id, uuid + 4, 22, 247, 1, _sn("B21", ps_id, 4), "WiNet-S", 2012, "WiNet-S"),
    )
    return SimPlant(
        ps_id=ps_id,
        ps_name=name,
        kind="hybrid",
        utc_offset_hours=utc_offset_hours,
        pv_peak_w=rng.choice([8000.0, 9600.0, 10000.0, 12000.0]),
        base_load_w=rng.uniform(250.0, 450.0),
        battery_wh=12800.0,
        battery_max_w=5000.0,
        latitude=latitude,
        longitude=longitude,
        ps_location=location,
        uuid=uuid,
        install_date="2023-04-18 10:12:31",
        devices=devices,
        lifetime_pv_wh=round(rng.uniform(15e6, 30e6), 1),
        lifetime_load_wh=round(rng.uniform(10e6, 20e6), 1),
    )


def string_plant(
    ps_id: int,
    name: str,
    utc_offset_hours: int,
    *,
    rng: random.Random,
    location: str,
    latitude: float,
    longitude: float,
    meter: bool = True,
) -> SimPlant:
    """A single-phase string inverter with a dongle and (optionally) a meter."""
    uuid = ps_id % 10**7 * 10
    devices: tuple[SimDevice, ...] = (
        SimDevice(
            ps_id, uuid + 1, 1, 1, 1, _sn("A21", ps_id, 1), "SG5.0RS", 3310, "SG5.0RS(COM1-001)"
        ),
        SimDevice(ps_id, uuid + 4, 22, 247, 1, _sn("B21", ps_id, 4), "WiNet-S", 2012, "WiNet-S"),
    )
    if meter:
        devices += (
            SimDevice(
                ps_id,
                uuid + 3,
                7,
                254,
                1,
                _sn("M22", ps_id, 3),
                "DTSU666",
                2508,
                "DTSU666(COM1-254)",
                phases=1,
            ),
        )
    return SimPlant(
        ps_id=ps_id,
        ps_name=name,
        kind="string",
        utc_offset_hours=utc_offset_hours,
        pv_peak_w=rng.choice([4500.0, 5000.0, 6600.0]),
        base_load_w=rng.uniform(200.0, 350.0),
        battery_wh=0.0,
        battery_max_w=0.0,
        latitude=latitude,
        longitude=longitude,
        ps_location=location,
        uuid=uuid,
        install_date="2021-11-02 08:45:10",
        devices=devices,
        lifetime_pv_wh=round(rng.uniform(20e6, 35e6), 1),
        lifetime_load_wh=round(rng.uniform(12e6, 25e6), 1),
    )


def default_fleet(seed: int = 0) -> list[SimPlant]:
    """A hybrid home in GMT+1 (Europe) and a string-inverter home in GMT+10 (Australia)."""
    rng = random.Random(f"fleet:{seed}")
    return [
        hybrid_plant(
            1122348203,
            "Hybrid Home",
            1,
            rng=rng,
            location="Utrecht, NL",
            latitude=52.09,
            longitude=5.12,
        ),
        string_plant(
            1122348217,
            "Beach House",
            10,
            rng=rng,
            location="Brisbane, AU",
            latitude=-27.47,
            longitude=153.03,
        ),
    ]


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
        if i % 2 == 0:
            plant = hybrid_plant(
                ps_id,
                f"Fleet Plant {i + 1}",
                zone,
                rng=rng,
                location=f"Site {i + 1}",
                latitude=lat,
                longitude=lon,
            )
        else:
            plant = string_plant(
                ps_id,
                f"Fleet Plant {i + 1}",
                zone,
                rng=rng,
                location=f"Site {i + 1}",
                latitude=lat,
                longitude=lon,
                meter=i % 3 != 0,
            )
        if i % 5 == 2:
            plant = replace(plant, valid_flag=3)
        plants.append(plant)
    return plants
