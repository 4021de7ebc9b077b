"""The shape of one published metric: where it comes from and how Home Assistant sees it.

The catalogue (`bridge/catalogue/metrics.py`) holds the curated instances; discovery and the
publisher read these fields and never hard-code a unit or class of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

# A metric value once converted: a number in canonical units, an enum text, or None.
MetricValue = float | int | str | None
CounterKind = Literal["lifetime", "daily", "none"]
# (lowest, highest) plausible published value; None: no bound on that side or at all
Bounds = tuple[float | None, float | None] | None
# What makes a plant or device have a metric: being that plant or device ("level"), a
# battery or a meter in its plant, or a value the cloud has delivered for it ("value").
Needs = Literal["level", "battery", "meter", "value"]
# device_type of the plant itself in Sungrow's device-type table; plant metrics use it
PLANT_LEVEL = 11


def identity(value: float) -> MetricValue:
    return value


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric: a cloud point converted to a canonical unit, with its HA metadata.

    `device_type` is PLANT_LEVEL (11) for plant metrics, else Sungrow's device type.
    `convert` maps the parsed source value (a float in `source_unit`) to the published
    value in `unit`. `counter` drives the energy guard.
    """

    key: str
    point_id: str
    device_type: int
    label: str
    source_unit: str
    unit: str | None
    device_class: str | None
    state_class: str | None
    precision: int | None = None
    enabled_by_default: bool = True
    counter: CounterKind = "none"
    convert: Callable[[float], MetricValue] = identity
    options: tuple[str, ...] = ()
    entity_category: Literal["diagnostic"] | None = None
    icon: str | None = None
    # the sign convention of a signed value and the source it rests on (docs/metrics.md)
    sign_note: str = ""
    bounds: Bounds = None
    needs: Needs = "level"

    def plausible(self, value: MetricValue) -> bool:
        """Whether a converted value lies within the metric's bounds (text always does)."""
        if self.bounds is None or not isinstance(value, int | float):
            return True
        low, high = self.bounds
        return (low is None or value >= low) and (high is None or value <= high)
