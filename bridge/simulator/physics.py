"""Plant physics on 5-minute steps: PV, household load, battery, grid, energy counters.

A `PlantModel` integrates forward from a fixed origin (local midnight two days before the
clock's start) with one seeded random stream, so a given seed and clock always give the
same frames, whatever the order of the queries."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bridge.simulator.plants import SimPlant

STEP_S = 300  # the cloud refreshes data every 5 minutes
STEP_H = STEP_S / 3600
SOC_MIN, SOC_MAX = 0.10, 1.00
ETA = 0.95  # one-way battery efficiency
RETENTION = timedelta(days=8)  # frames kept for history queries
COUNTERS = ("pv", "load", "import", "export", "charge", "discharge", "direct")


@dataclass(frozen=True, slots=True)
class Frame:
    """The plant at one 5-minute boundary; powers in W, energies in Wh."""

    time: datetime  # aware, plant-local
    pv_w: float
    load_w: float
    charge_w: float
    discharge_w: float
    import_w: float
    export_w: float
    soc: float  # fraction
    daily: dict[str, float] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)
    grid_v: float = 230.0
    freq_hz: float = 50.0
    ambient_c: float = 15.0
    inverter_c: float = 25.0
    battery_c: float = 22.0
    battery_v: float = 0.0
    wifi_dbm: float = -60.0

    @property
    def grid_w(self) -> float:
        """Grid power, import positive."""
        return self.import_w - self.export_w

    @property
    def battery_w(self) -> float:
        """Battery power, charging positive."""
        return self.charge_w - self.discharge_w

    @property
    def ac_w(self) -> float:
        """Inverter AC output: PV plus battery discharge minus charge."""
        return self.pv_w - self.charge_w + self.discharge_w


def floor_step(t: datetime) -> int:
    """Index of the 5-minute boundary at or before `t`."""
    return math.floor(t.timestamp() / STEP_S)


class PlantModel:
    def __init__(self, plant: SimPlant, seed: int, clock_start: datetime) -> None:
        self.plant = plant
        self._rng = random.Random(f"physics:{seed}:{plant.ps_id}")
        local = clock_start.astimezone(plant.tz)
        origin = datetime(local.year, local.month, local.day, tzinfo=plant.tz) - timedelta(days=2)
        self._first = floor_step(origin)
        self._frames: dict[int, Frame] = {}
        self._last = self._first - 1
        self._soc = 0.55
        self._cloud = 0.0
        self._day_cloud: tuple[date, float] | None = None
        self._prev: Frame | None = None

    @property
    def first_step(self) -> int:
        return self._first

    def frame_at(self, t: datetime) -> Frame:
        """The frame of the last 5-minute boundary at or before `t`."""
        step = max(floor_step(t), self._first)
        while self._last < step:
            self._last += 1
            frame = self._compute(self._last)
            self._frames[self._last] = frame
            self._prev = frame
            self._frames.pop(self._last - int(RETENTION.total_seconds()) // STEP_S, None)
        return self._frames.get(step) or self._frames[min(self._frames)]

    def stored(self, step: int) -> Frame | None:
        return self._frames.get(step)

    # -- the model -------------------------------------------------------------------

    def _compute(self, step: int) -> Frame:
        plant, rng = self.plant, self._rng
        t = datetime.fromtimestamp(step * STEP_S, plant.tz)
        hour = t.hour + t.minute / 60
        pv = plant.pv_peak_w * 0.82 * self._sun(t, hour) * self._cloudiness(t.date())
        load = self._load(hour)
        charge = discharge = 0.0
        surplus = pv - load
        if plant.has_battery:
            cap = plant.battery_wh
            if surplus > 0:
                room = (SOC_MAX - self._soc) * cap / (ETA * STEP_H)
                charge = max(0.0, min(surplus, plant.battery_max_w, room))
                self._soc += charge * STEP_H * ETA / cap
            else:
                stock = (self._soc - SOC_MIN) * cap * ETA / STEP_H
                discharge = max(0.0, min(-surplus, plant.battery_max_w, stock))
                self._soc -= discharge * STEP_H / (ETA * cap)
            self._soc = min(SOC_MAX, max(SOC_MIN, self._soc))
        net = pv - load - charge + discharge
        export, imp = max(net, 0.0), max(-net, 0.0)
        daily, total = self._counters(t)
        ambient = 12 + 8 * math.sin(math.pi * (hour - 9) / 12) + rng.gauss(0, 0.3)
        return Frame(
            time=t,
            pv_w=round(pv, 1),
            load_w=round(load, 1),
            charge_w=round(charge, 1),
            discharge_w=round(discharge, 1),
            import_w=round(imp, 1),
            export_w=round(export, 1),
            soc=self._soc,
            daily=daily,
            total=total,
            grid_v=230 + rng.gauss(0, 1.2),
            freq_hz=50 + rng.gauss(0, 0.015),
            ambient_c=ambient,
            inverter_c=ambient + 18 * pv / plant.pv_peak_w + 4,
            battery_c=20 + 4 * (charge + discharge) / max(plant.battery_max_w, 1.0),
            battery_v=(360 + 40 * self._soc) if plant.has_battery else 0.0,
            wifi_dbm=-62 + rng.gauss(0, 2),
        )

    def _counters(self, t: datetime) -> tuple[dict[str, float], dict[str, float]]:
        prev = self._prev
        if prev is None:
            total = dict.fromkeys(COUNTERS, 0.0)
            total["pv"] = self.plant.lifetime_pv_wh
            total["load"] = self.plant.lifetime_load_wh
            total["import"] = round(self.plant.lifetime_load_wh * 0.45, 1)
            total["export"] = round(self.plant.lifetime_pv_wh * 0.4, 1)
            total["direct"] = round(self.plant.lifetime_pv_wh * 0.35, 1)
            if self.plant.has_battery:
                total["charge"] = round(self.plant.lifetime_pv_wh * 0.2, 1)
                total["discharge"] = round(total["charge"] * ETA * ETA, 1)
            return dict.fromkeys(COUNTERS, 0.0), total
        energy = {
            "pv": prev.pv_w,
            "load": prev.load_w,
            "import": prev.import_w,
            "export": prev.export_w,
            "charge": prev.charge_w,
            "discharge": prev.discharge_w,
            "direct": min(prev.pv_w, prev.load_w),
        }
        # Daily counters restart at plant-local midnight; the last interval of the
        # previous day goes to the lifetime counters only.
        new_day = t.date() != prev.time.date()
        daily = {k: 0.0 if new_day else prev.daily[k] + energy[k] * STEP_H for k in COUNTERS}
        total = {k: prev.total[k] + energy[k] * STEP_H for k in COUNTERS}
        return daily, total

    def _sun(self, t: datetime, hour: float) -> float:
        """Clear-sky shape 0..1, solar noon at 12:00 local, day length by season."""
        season = math.sin(2 * math.pi * (t.timetuple().tm_yday - 80) / 365.25)
        day_len = 12 + 3.5 * season * (1 if self.plant.latitude >= 0 else -1)
        sunrise = 12 - day_len / 2
        x = (hour - sunrise) / day_len
        if not 0 < x < 1:
            return 0.0
        return float(math.sin(math.pi * x) ** 1.6)

    def _cloudiness(self, day: date) -> float:
        if self._day_cloud is None or self._day_cloud[0] != day:
            self._day_cloud = (day, self._rng.uniform(0.55, 1.0))
        self._cloud = 0.85 * self._cloud + 0.15 * self._rng.gauss(0, 1)
        return min(1.0, max(0.2, self._day_cloud[1] + 0.12 * self._cloud))

    def _load(self, hour: float) -> float:
        base = self.plant.base_load_w
        morning = 1400 * math.exp(-(((hour - 7.3) / 0.9) ** 2))
        evening = 2300 * math.exp(-(((hour - 19.0) / 1.6) ** 2))
        noon = 500 * math.exp(-(((hour - 12.5) / 1.0) ** 2))
        spike = self._rng.choice((0.0, 0.0, 0.0, 0.0, 1800.0))  # kettle, oven, washer...
        return max(120.0, base * (1 + self._rng.gauss(0, 0.08)) + morning + evening + noon + spike)
