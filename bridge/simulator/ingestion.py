"""When the simulated cloud can show a sample: its 5-minute slot starts, the plant's logger
uploads it at its own phase, and the cloud takes a while (mean ± jitter) to process it.

A plant's readable sample is the newest one whose slot start + phase + lag has passed, so
the bridge sees what it would see on the real cloud: data some 1-2 minutes late, by a
different margin for each plant and each sample."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bridge.simulator.physics import STEP_S, Frame, PlantModel
from bridge.simulator.plants import SimPlant


@dataclass(frozen=True, slots=True)
class Ingestion:
    lag_s: float = 0.0  # mean seconds from a slot's start until its sample is readable
    jitter_s: float = 0.0  # each sample's lag varies uniformly by up to this much
    phases: Mapping[int, float] = field(default_factory=dict)  # ps_id -> upload offset, s

    def model(self, plant: SimPlant, seed: int, clock_start: datetime) -> PlantModel:
        return LaggedModel(plant, seed, clock_start, self)

    def delay(self, ps_id: int, step: int, seed: int) -> float:
        """Seconds after slot `step` starts until plant `ps_id`'s sample is readable."""
        jitter = 0.0
        if self.jitter_s:
            jitter = random.Random(f"ingest:{seed}:{ps_id}:{step}").uniform(-1, 1)
        return max(0.0, self.lag_s + self.phases.get(ps_id, 0.0) + jitter * self.jitter_s)

    def newest(self, ps_id: int, seed: int, now: float) -> float:
        """The start of the newest slot whose sample plant `ps_id` shows at `now`."""
        step = math.floor(now / STEP_S)
        while step * STEP_S + self.delay(ps_id, step, seed) > now:
            step -= 1
        return float(step * STEP_S)


def spread(ps_ids: Sequence[int], width_s: float) -> dict[int, float]:
    """Upload phases evenly spread over `width_s` seconds, centred on zero (so the mean
    lag stays the configured one)."""
    count = len(ps_ids)
    return {p: width_s * ((i + 0.5) / count - 0.5) for i, p in enumerate(ps_ids)}


class LaggedModel(PlantModel):
    """A plant model that shows, at any time, only the samples readable by then."""

    def __init__(
        self, plant: SimPlant, seed: int, clock_start: datetime, ingestion: Ingestion
    ) -> None:
        super().__init__(plant, seed, clock_start)
        self._seed = seed
        self._ingestion = ingestion

    def frame_at(self, t: datetime) -> Frame:
        newest = self._ingestion.newest(self.plant.ps_id, self._seed, t.timestamp())
        return super().frame_at(datetime.fromtimestamp(newest, UTC))
