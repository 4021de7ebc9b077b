"""API call budget: what a configuration costs per hour, before the daemon commits to it.

The Basic plan allows 2000 calls an hour per app; `poll.hourly_call_budget` is the share
this bridge may use. Scheduled work (real-time polls, inventory refreshes, token refresh)
must fit the budget; on-demand refreshes get what is left and are held to it at run time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from bridge.config.model import Config, ConfigError
from bridge.isolarcloud.limits import MAX_DETAIL_IDS, MAX_POINTS, MAX_PS_KEYS, PAGE_SIZE

BASIC_PLAN_CALLS_PER_HOUR = 2000
WARN_FRACTION = 0.8


def chunk_count(count: int, size: int) -> int:
    """How many requests of at most `size` items `count` items take."""
    return math.ceil(count / size) if count > 0 else 0


def calls_per_poll(
    n_plants: int,
    plant_points: int,
    points_by_type: Mapping[int, int],
    devices_by_type: Mapping[int, int],
) -> int:
    """The fewest calls that read every plant and device once under the batching rules.

    All plants share one plant call per 100-point chunk; the devices of one type share one
    call per 100-point chunk and per 100 devices, whatever plants they belong to.
    """
    if n_plants == 0:
        return 0
    plant_calls = chunk_count(plant_points, MAX_POINTS)
    device_calls = sum(
        chunk_count(n_devices, MAX_PS_KEYS)
        * chunk_count(points_by_type.get(device_type, 0), MAX_POINTS)
        for device_type, n_devices in devices_by_type.items()
    )
    return plant_calls + device_calls


def calls_per_inventory(n_plants: int, devices_per_plant: Mapping[str, int]) -> int:
    """Plant list pages, detail chunks, and one device-list page (or more) per plant."""
    plant_pages = chunk_count(n_plants, PAGE_SIZE) or 1
    details = chunk_count(n_plants, MAX_DETAIL_IDS)
    device_pages = sum(max(1, chunk_count(n, PAGE_SIZE)) for n in devices_per_plant.values())
    return plant_pages + details + device_pages


@dataclass(frozen=True, slots=True)
class Estimate:
    per_poll: int  # calls one poll of every plant costs
    other_per_hour: float  # inventory refreshes and token refresh
    interval: int
    budget: int

    @property
    def scheduled_per_hour(self) -> int:
        return math.ceil(self.per_poll * 3600 / self.interval + self.other_per_hour)

    @property
    def headroom(self) -> int:
        return self.budget - self.scheduled_per_hour

    @property
    def over(self) -> bool:
        return self.scheduled_per_hour > self.budget

    @property
    def near(self) -> bool:
        return self.scheduled_per_hour > WARN_FRACTION * self.budget

    def interval_that_fits(self) -> int | None:
        spare = self.budget - self.other_per_hour
        return math.ceil(self.per_poll * 3600 / spare) if spare > 0 else None

    def fix(self) -> str:
        """What to change in the config when the schedule does not fit the budget."""
        fits = self.interval_that_fits()
        first = (
            f"raise [poll] interval to at least {fits}"
            if fits
            else "raise [poll] device_list_interval"
        )
        return f"{first}, narrow [plants] include, or exclude points"


def estimate(
    cfg: Config,
    devices_per_plant: Mapping[str, int],
    plant_points: int,
    points_by_type: Mapping[int, int],
    devices_by_type: Mapping[int, int],
) -> Estimate:
    n_plants = len(devices_per_plant)
    per_poll = calls_per_poll(n_plants, plant_points, points_by_type, devices_by_type)
    inventory = calls_per_inventory(n_plants, devices_per_plant)
    # a token refresh costs one call about every two days; count one an hour to stay safe
    other = inventory * 3600 / cfg.poll.device_list_interval + 1
    return Estimate(per_poll, other, cfg.poll.interval, cfg.poll.hourly_call_budget)


def check(est: Estimate, cfg: Config) -> str | None:
    """Raise ConfigError when the schedule cannot fit; return a warning text when it is close."""
    where = f"{cfg.path or 'config'}: [poll]"
    if est.over:
        raise ConfigError(
            f"{where} the schedule costs about {est.scheduled_per_hour} API calls an hour "
            f"({est.per_poll} per poll every {est.interval} s), over hourly_call_budget = "
            f"{est.budget}; {est.fix()}"
        )
    if est.near:
        return (
            f"the schedule uses {est.scheduled_per_hour} of {est.budget} API calls an hour; "
            f"on-demand refreshes have {est.headroom} left"
        )
    # a gateway override (simulator, proxy) may have another quota; the real cloud has this one
    if est.budget > BASIC_PLAN_CALLS_PER_HOUR and cfg.isolarcloud.gateway is None:
        return (
            f"hourly_call_budget = {est.budget} is above the Basic plan's "
            f"{BASIC_PLAN_CALLS_PER_HOUR} calls an hour; E999 errors will follow"
        )
    return None
