"""Which measuring points each device type serves, with names, units and values.

Values come out as the cloud sends them: strings in base units, `None` (JSON null) for a
point the device does not have. SOC/SOH are fractions, except 83334 (EMS SOC) which the
real cloud sends as a percentage."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from bridge.simulator.physics import Frame
from bridge.simulator.plants import SimDevice, SimPlant

Getter = Callable[[Frame, SimPlant, SimDevice | None], float | None]

PLANT_TYPE = 11
RUNNING, STANDBY = 0, 5120  # Sungrow's operating-status enum (points 29, 13146)
CELLS = 96  # cells in series in the simulated HV battery


@dataclass(frozen=True, slots=True)
class PointDef:
    name: str
    unit: str
    get: Getter
    decimals: int = 1  # -1: an enum, sent without ".0"


def _bat(fn: Callable[[Frame, SimPlant], float]) -> Getter:
    return lambda f, p, _d: fn(f, p) if p.has_battery else None


def _meter(fn: Callable[[Frame], float]) -> Getter:
    return lambda f, p, _d: fn(f) if p.has_meter else None


def _phase(n: int, fn: Callable[[Frame], float]) -> Getter:
    """Phase `n` (0-2) of a per-phase value; single-phase devices lack phases B and C."""

    def get(f: Frame, _p: SimPlant, d: SimDevice | None) -> float | None:
        phases = d.phases if d else 1
        if n >= phases:
            return None
        return fn(f) / phases

    return get


def _voltage(n: int) -> Getter:
    def get(f: Frame, _p: SimPlant, d: SimDevice | None) -> float | None:
        return None if n >= (d.phases if d else 1) else f.grid_v + n * 0.7

    return get


def _mppt(n: int, current: bool) -> Getter:
    """MPPT `n` (0-based) voltage or current; the PV splits 55/45 over two trackers."""

    def get(f: Frame, _p: SimPlant, d: SimDevice | None) -> float | None:
        if d is None or n >= d.mppts:
            return None
        share = f.pv_w * (0.55 if n == 0 else 0.45)
        volts = 0.0 if f.pv_w <= 0 else 330.0 + 40 * n + 0.01 * f.pv_w
        if not current:
            return volts
        return share / volts if volts else 0.0

    return get


def _status(f: Frame, _p: SimPlant, _d: SimDevice | None) -> float:
    return RUNNING if f.pv_w > 0 or f.discharge_w > 0 or f.charge_w > 0 else STANDBY


def _ess_status(f: Frame, _p: SimPlant, _d: SimDevice | None) -> float:
    return RUNNING  # a hybrid inverter stays up at night to run the battery


def _d(key: str) -> Getter:
    return lambda f, _p, _d: f.daily[key]


def _t(key: str) -> Getter:
    return lambda f, _p, _d: f.total[key]


def _q(f: Frame) -> float:
    return 0.03 * f.ac_w


PLANT_POINTS: dict[int, PointDef] = {
    83022: PointDef("Daily Yield of Plant", "Wh", _d("pv")),
    83024: PointDef("Plant Total Yield", "Wh", _t("pv")),
    83033: PointDef("Plant Power", "W", lambda f, _p, _d: f.ac_w),
    83002: PointDef("Inverter AC Power", "W", lambda f, _p, _d: f.ac_w),
    83009: PointDef("Inverter Daily Yield", "Wh", _d("pv")),
    83004: PointDef("Inverter Total Yield", "Wh", _t("pv")),
    83067: PointDef("Total Active Power of PV", "W", lambda f, _p, _d: f.pv_w),
    83106: PointDef("Load Power", "W", _meter(lambda f: f.load_w)),
    83118: PointDef("Daily Load Consumption", "Wh", _meter(lambda f: f.daily["load"])),
    83124: PointDef("Total Load Consumption", "Wh", _meter(lambda f: f.total["load"])),
    83097: PointDef("Daily Direct Energy Consumption", "Wh", _meter(lambda f: f.daily["direct"])),
    83100: PointDef("Total Direct Energy Consumption", "Wh", _meter(lambda f: f.total["direct"])),
    83102: PointDef("Energy Purchased Today", "Wh", _meter(lambda f: f.daily["import"])),
    83105: PointDef("Total Purchased Energy", "Wh", _meter(lambda f: f.total["import"])),
    83072: PointDef("Feed-in Energy Today", "Wh", _meter(lambda f: f.daily["export"])),
    83075: PointDef("Total Feed-in Energy", "Wh", _meter(lambda f: f.total["export"])),
    83119: PointDef("Daily Feed-in Energy (PV)", "Wh", _meter(lambda f: f.daily["export"])),
    83549: PointDef("Grid Active Power", "W", _meter(lambda f: f.grid_w)),
    83252: PointDef("Battery Level (SOC)", "", _bat(lambda f, _p: f.soc), 3),
    83129: PointDef("Battery SOC", "", _bat(lambda f, _p: f.soc), 3),
    83232: PointDef("Total Field SOC", "", _bat(lambda f, _p: f.soc), 3),
    83238: PointDef(
        "Total Field Energy Storage Active Power", "W", _bat(lambda f, _p: f.battery_w)
    ),
    83243: PointDef("Daily Field Charge Capacity", "Wh", _bat(lambda f, _p: f.daily["charge"])),
    83244: PointDef(
        "Daily Field Discharge Capacity", "Wh", _bat(lambda f, _p: f.daily["discharge"])
    ),
    83241: PointDef("Total Field Charge Capacity", "Wh", _bat(lambda f, _p: f.total["charge"])),
    83242: PointDef(
        "Total Field Discharge Capacity", "Wh", _bat(lambda f, _p: f.total["discharge"])
    ),
    83334: PointDef("Energy Storage SOC (EMS)", "", _bat(lambda f, _p: round(f.soc * 100)), 0),
}

INVERTER_POINTS: dict[int, PointDef] = {
    1: PointDef("Yield Today", "Wh", _d("pv")),
    2: PointDef("Total Yield", "Wh", _t("pv")),
    24: PointDef("Total Active Power", "W", lambda f, _p, _d: f.ac_w),
    14: PointDef("Total DC Power", "W", lambda f, _p, _d: f.pv_w / 0.975),
    25: PointDef("Total Reactive Power", "var", lambda f, _p, _d: _q(f)),
    43: PointDef("Total Apparent Power", "VA", lambda f, _p, _d: math.hypot(f.ac_w, _q(f))),
    26: PointDef("Total Power Factor", "", lambda f, _p, _d: 0.999 if f.ac_w > 0 else 0.0, 3),
    27: PointDef("Grid Frequency", "Hz", lambda f, _p, _d: f.freq_hz, 2),
    18: PointDef("Phase A Voltage", "V", _voltage(0)),
    19: PointDef("Phase B Voltage", "V", _voltage(1)),
    20: PointDef("Phase C Voltage", "V", _voltage(2)),
    21: PointDef("Phase A Current", "A", _phase(0, lambda f: f.ac_w / f.grid_v), 2),
    22: PointDef("Phase B Current", "A", _phase(1, lambda f: f.ac_w / f.grid_v), 2),
    23: PointDef("Phase C Current", "A", _phase(2, lambda f: f.ac_w / f.grid_v), 2),
    4: PointDef("Internal Air Temperature", "℃", lambda f, _p, _d: f.inverter_c),
    5: PointDef("MPPT1 Voltage", "V", _mppt(0, False)),
    6: PointDef("MPPT1 Current", "A", _mppt(0, True), 2),
    7: PointDef("MPPT2 Voltage", "V", _mppt(1, False)),
    8: PointDef("MPPT2 Current", "A", _mppt(1, True), 2),
    9: PointDef("MPPT3 Voltage", "V", _mppt(2, False)),
    10: PointDef("MPPT3 Current", "A", _mppt(2, True), 2),
    29: PointDef("Operating Status", "", _status, -1),
}

ESS_POINTS: dict[int, PointDef] = {
    13011: PointDef("Active Power", "W", lambda f, _p, _d: f.ac_w),
    13003: PointDef("Total DC Power", "W", lambda f, _p, _d: f.pv_w),
    13119: PointDef("Load Power", "W", lambda f, _p, _d: f.load_w),
    13121: PointDef("Feed-in Power", "W", lambda f, _p, _d: f.export_w),
    13149: PointDef("Purchased Power", "W", lambda f, _p, _d: f.import_w),
    13126: PointDef("Battery Charging Power", "W", lambda f, _p, _d: f.charge_w),
    13150: PointDef("Battery Discharging Power", "W", lambda f, _p, _d: f.discharge_w),
    13141: PointDef("Battery Level (SOC)", "", _bat(lambda f, _p: f.soc), 3),
    13142: PointDef("Battery Health (SOH)", "", _bat(lambda f, _p: 0.99), 3),
    13138: PointDef("Battery Voltage", "V", _bat(lambda f, _p: f.battery_v)),
    13139: PointDef("Battery Current", "A", _bat(lambda f, _p: -f.battery_w / f.battery_v), 2),
    13143: PointDef("Battery Temperature", "℃", _bat(lambda f, _p: f.battery_c)),
    13112: PointDef("Daily PV Yield", "Wh", _d("pv")),
    13134: PointDef("Total PV Yield", "Wh", _t("pv")),
    13122: PointDef("Daily Feed-in Energy", "Wh", _d("export")),
    13125: PointDef("Total Feed-in Energy", "Wh", _t("export")),
    13147: PointDef("Daily Purchased Energy", "Wh", _d("import")),
    13148: PointDef("Total Purchased Energy", "Wh", _t("import")),
    13028: PointDef("Daily Battery Charging Energy", "Wh", _d("charge")),
    13029: PointDef("Daily Battery Discharging Energy", "Wh", _d("discharge")),
    13034: PointDef("Total Battery Charging Energy", "Wh", _t("charge")),
    13035: PointDef("Total Battery Discharging Energy", "Wh", _t("discharge")),
    13199: PointDef("Daily Load Consumption", "Wh", _d("load")),
    13130: PointDef("Total Load Consumption", "Wh", _t("load")),
    13007: PointDef("Grid Frequency", "Hz", lambda f, _p, _d: f.freq_hz, 2),
    13157: PointDef("Phase A Voltage", "V", _voltage(0)),
    13158: PointDef("Phase B Voltage", "V", _voltage(1)),
    13159: PointDef("Phase C Voltage", "V", _voltage(2)),
    13008: PointDef("Phase A Current", "A", _phase(0, lambda f: abs(f.ac_w) / f.grid_v), 2),
    13009: PointDef("Phase B Current", "A", _phase(1, lambda f: abs(f.ac_w) / f.grid_v), 2),
    13010: PointDef("Phase C Current", "A", _phase(2, lambda f: abs(f.ac_w) / f.grid_v), 2),
    13001: PointDef("MPPT1 Voltage", "V", _mppt(0, False)),
    13002: PointDef("MPPT1 Current", "A", _mppt(0, True), 2),
    13105: PointDef("MPPT2 Voltage", "V", _mppt(1, False)),
    13106: PointDef("MPPT2 Current", "A", _mppt(1, True), 2),
    13019: PointDef("Internal Air Temperature", "℃", lambda f, _p, _d: f.inverter_c),
    13140: PointDef("Battery Capacity", "Wh", _bat(lambda _f, p: p.battery_wh)),
    13146: PointDef("Operating Status", "", _ess_status, -1),
}

BATTERY_POINTS: dict[int, PointDef] = {
    58601: PointDef("Battery Voltage", "V", _bat(lambda f, _p: f.battery_v)),
    # Positive current = discharging (gruijter computes power = -V*I).
    58602: PointDef("Battery Current", "A", _bat(lambda f, _p: -f.battery_w / f.battery_v), 2),
    58603: PointDef("Battery Temperature", "℃", _bat(lambda f, _p: f.battery_c)),
    58604: PointDef("Battery Level (SOC)", "", _bat(lambda f, _p: f.soc), 3),
    58605: PointDef("Battery Health (SOH)", "", _bat(lambda f, _p: 0.99), 3),
    58606: PointDef("Total Battery Charging Energy", "Wh", _bat(lambda f, _p: f.total["charge"])),
    58607: PointDef(
        "Total Battery Discharging Energy", "Wh", _bat(lambda f, _p: f.total["discharge"])
    ),
    58610: PointDef(
        "Max Cell Voltage", "mV", _bat(lambda f, _p: f.battery_v / CELLS * 1000 + 6), 0
    ),
    58612: PointDef(
        "Min Cell Voltage", "mV", _bat(lambda f, _p: f.battery_v / CELLS * 1000 - 5), 0
    ),
}

METER_POINTS: dict[int, PointDef] = {
    8018: PointDef("Meter Active Power", "W", lambda f, _p, _d: f.grid_w),  # import positive
    8076: PointDef("Phase A Active Power", "W", _phase(0, lambda f: f.grid_w)),
    8077: PointDef("Phase B Active Power", "W", _phase(1, lambda f: f.grid_w)),
    8078: PointDef("Phase C Active Power", "W", _phase(2, lambda f: f.grid_w)),
    8000: PointDef("Phase A Voltage", "V", _voltage(0)),
    8001: PointDef("Phase B Voltage", "V", _voltage(1)),
    8002: PointDef("Phase C Voltage", "V", _voltage(2)),
    8006: PointDef("Phase A Current", "A", _phase(0, lambda f: abs(f.grid_w) / f.grid_v), 2),
    8007: PointDef("Phase B Current", "A", _phase(1, lambda f: abs(f.grid_w) / f.grid_v), 2),
    8008: PointDef("Phase C Current", "A", _phase(2, lambda f: abs(f.grid_w) / f.grid_v), 2),
    8064: PointDef("Frequency", "Hz", lambda f, _p, _d: f.freq_hz, 2),
    8030: PointDef("Forward Active Energy", "Wh", _t("import")),
    8031: PointDef("Reverse Active Energy", "Wh", _t("export")),
    8062: PointDef("Daily Forward Active Energy", "Wh", _d("import")),
    8063: PointDef("Daily Reverse Active Energy", "Wh", _d("export")),
}

COMM_POINTS: dict[int, PointDef] = {
    23001: PointDef("Wireless Signal Strength", "", lambda f, _p, _d: 78.0, 0),
    23014: PointDef("WLAN Signal Strength", "dBm", lambda f, _p, _d: f.wifi_dbm, 0),
}

CATALOGUE: dict[int, dict[int, PointDef]] = {
    PLANT_TYPE: PLANT_POINTS,
    1: INVERTER_POINTS,
    14: ESS_POINTS,
    43: BATTERY_POINTS,
    7: METER_POINTS,
    22: COMM_POINTS,
}


def format_value(value: float, decimals: int) -> str:
    """`1234.0`, `0.812`, or `5120` for enums: the cloud's string form."""
    if decimals < 0:
        return str(round(value))
    return str(float(round(value, decimals)) + 0.0)  # + 0.0 turns -0.0 into 0.0


def point_value(
    device_type: int, point_id: str, frame: Frame, plant: SimPlant, device: SimDevice | None
) -> str | None:
    pdef = CATALOGUE.get(device_type, {}).get(int(point_id)) if point_id.isdigit() else None
    if pdef is None:
        return None
    value = pdef.get(frame, plant, device)
    return None if value is None else format_value(value, pdef.decimals)


def point_dict(device_type: int, point_ids: list[str]) -> list[dict[str, object]]:
    """The `point_dict` list for the known ids among `point_ids` (numeric point_id)."""
    table = CATALOGUE.get(device_type, {})
    out: list[dict[str, object]] = []
    for pid in point_ids:
        pdef = table.get(int(pid)) if pid.isdigit() else None
        if pdef is not None:
            out.append({"point_id": int(pid), "point_name": pdef.name, "point_unit": pdef.unit})
    return out
