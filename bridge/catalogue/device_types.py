"""Sungrow's device types that the catalogue knows, and what a person calls each."""

from __future__ import annotations

from bridge.catalogue.metric import PLANT_LEVEL

INVERTER, ESS, BATTERY, METER, COMM_MODULE = 1, 14, 43, 7, 22
_TYPE_NAMES = {
    PLANT_LEVEL: "plant",
    INVERTER: "inverter",
    ESS: "energy storage system",
    BATTERY: "battery",
    METER: "meter",
    COMM_MODULE: "communication module",
}


def device_type_name(device_type: int) -> str:
    """What a person calls a device of this type (Sungrow's device-type table)."""
    return _TYPE_NAMES.get(device_type, f"type-{device_type}")
