"""What the gateway client produces: plants, devices and raw snapshots of their points.

Values are as the cloud gives them, parsed to floats; `bridge.readings` turns a
`RawSnapshot` into a `Reading` in canonical units.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

_UNSAFE_TOPIC_CHARS = re.compile(r"[^A-Za-z0-9_-]")

# A point value once parsed: a float, a non-numeric string kept as-is, or None (missing).
PointValue = float | str | None


def topic_slug(text: str) -> str:
    """Reduce an identifier to the characters allowed in our topic levels."""
    return _UNSAFE_TOPIC_CHARS.sub("_", text)


def source_key(ps_id: str, device: Device | None) -> str:
    """What names a plant (its ps_id) or a device (its ps_key) in the bridge's memory."""
    return device.ps_key if device is not None else ps_id


@dataclass(frozen=True, slots=True)
class Plant:
    """An authorised plant (power station)."""

    ps_id: str
    name: str
    tz: tzinfo
    ps_type: int | None = None
    online: bool = True
    install_power_w: float | None = None


@dataclass(frozen=True, slots=True)
class Device:
    """A device of a plant; `ps_key` is `<ps_id>_<device_type>_<device_code>_<chnnl_id>`."""

    ps_key: str
    ps_id: str
    device_type: int
    name: str
    serial: str | None = None
    model: str | None = None

    @property
    def slug(self) -> str:
        """The topic level for this device: its serial number, else its ps_key."""
        return topic_slug(self.serial or self.ps_key)


@dataclass(frozen=True, slots=True)
class PointInfo:
    """One entry of the cloud's `point_dict`."""

    point_id: str
    name: str
    unit: str


@dataclass(frozen=True, slots=True)
class RawSnapshot:
    """Real-time values of one plant (device is None) or one device, as the cloud sent them.

    `values` maps a point id without the `p` prefix ("83022") to its parsed value.
    `sampled_at` is the cloud's sample time, aware, in the plant's time zone, when known.
    """

    ps_id: str
    device: Device | None
    sampled_at: datetime | None
    values: Mapping[str, PointValue]
    point_info: Mapping[str, PointInfo] = field(default_factory=dict)

    @property
    def source_key(self) -> str:
        return source_key(self.ps_id, self.device)
