"""Unit conversions from the cloud's base units to the published canonical units.

Each takes the parsed point value (a float) and returns the published value; the
catalogue names one per metric, so every conversion happens once, here.
"""

from __future__ import annotations

import re

from bridge.catalogue.metric import MetricValue

# Decimal places kept after scaling, so 0.812 x 100 publishes 81.2, not 81.20000000000002.
_SCALED_DIGITS = 6


# Spellings of a unit that mean the documented one (the cloud writes U+2103 for °C).
UNIT_ALIASES = {"℃": "°C", "℉": "°F"}


def wh_to_kwh(value: float) -> MetricValue:
    return round(value / 1000, _SCALED_DIGITS)


def fraction_to_percent(value: float) -> MetricValue:
    return round(value * 100, _SCALED_DIGITS)


def mv_to_v(value: float) -> MetricValue:
    return round(value / 1000, _SCALED_DIGITS)


def negate(value: float) -> MetricValue:
    return -value + 0.0  # + 0.0 turns -0.0 into 0.0


# The operating-status enum of points 29 and 13146 (Sungrow's measuring-point docs),
# as the texts the portal documents; published as snake_case slugs.
_OPERATING_STATUS_TEXT: dict[int, str] = {
    0: "grid-connected",
    1024: "maintenance mode",
    2048: "forced mode",
    4096: "off-grid",
    8192: "open loop",
    16384: "energy dispatch mode",
    16385: "emergency charging mode",
    4369: "uninitialized",
    32768: "shut down",
    4864: "awaiting startup",
    5376: "emergency stop",
    5120: "standby",
    4608: "initial standby",
    5632: "starting up",
    37120: "running with alarm",
    33024: "derated running",
    33280: "dispatched running",
    21760: "shut down due to faults",
    5888: "AFCI self-test",
    1: "shut down",
    2: "awaiting startup",
    4: "emergency stop",
    8: "standby",
    16: "initial standby",
    32: "starting up",
    64: "grid-connected, normal",
    128: "derated",
    256: "operation fault",
    512: "update failed",
    9472: "LCD/DSP comm fault",
    9473: "restarting",
    16435: "low insulation resistance",
    16439: "insulation board anomaly",
    20992: "shutting down",
    33792: "anti-PID running",
    6400: "security mode",
    65: "off-grid (DC) charging",
    6144: "smart plant building status",
    20: "microgrid operation",
}
UNKNOWN_STATUS = "unknown"


def snake_case(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


OPERATING_STATUS: dict[int, str] = {
    code: snake_case(text) for code, text in _OPERATING_STATUS_TEXT.items()
}
# HA rejects an enum state outside `options`, so codes we do not know publish "unknown".
OPERATING_STATUS_OPTIONS: tuple[str, ...] = (
    *dict.fromkeys(OPERATING_STATUS.values()),
    UNKNOWN_STATUS,
)


def operating_status(value: float) -> MetricValue:
    if not value.is_integer():
        return UNKNOWN_STATUS
    return OPERATING_STATUS.get(int(value), UNKNOWN_STATUS)
