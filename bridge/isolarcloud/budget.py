"""API call budget: what a configuration costs per hour, and the interval that fits.

The Basic plan allows 2000 calls an hour per app; `poll.hourly_call_budget` is the share
this bridge may use. Scheduled work (real-time polls, inventory refreshes, token refresh)
should fit the budget; on-demand refreshes get what is left and are held to it at run
time. When the plants grow past it (an installer adds a battery), the daemon polls less
often instead of stopping: `fit` says how often.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from bridge.config.model import Config
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

    @property
    def polling_allowance(self) -> float:
        """Calls an hour scheduled polls may spend: half the budget, less the inventory and
        token calls; the other half is kept for on-demand refreshes."""
        return self.budget / 2 - self.other_per_hour

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
        return f"{first}, narrow [plants] include, or exclude points in [points]"


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


# When even the inventory alone is over the budget, poll at most this often.
SLOWEST_INTERVAL = 3600


@dataclass(frozen=True, slots=True)
class Fit:
    """How often the budget lets the daemon poll, and what to tell the user about it."""

    interval: int  # the configured interval, or a longer one when the budget is too small
    stretched: bool
    note: str | None  # why it is stretched, or a warning that the budget is close


def fit(est: Estimate, cfg: Config) -> Fit:
    """The poll interval that keeps the schedule within the budget, and a note for the user."""
    if est.over:
        interval = max(
            est.interval, min(est.interval_that_fits() or SLOWEST_INTERVAL, SLOWEST_INTERVAL)
        )
        note = (
            f"the schedule costs about {est.scheduled_per_hour} API calls an hour "
            f"({est.per_poll} per poll every {est.interval} s), over hourly_call_budget = "
            f"{est.budget}: polling every {interval} s instead; to poll as configured, "
            f"{est.fix()}"
        )
        return Fit(interval, True, note)
    if est.near:
        note = (
            f"the schedule uses {est.scheduled_per_hour} of {est.budget} API calls an hour; "
            f"on-demand refreshes have {est.headroom} left"
        )
        return Fit(est.interval, False, note)
    # a gateway override (simulator, proxy) may have another quota; the real cloud has this one
    if est.budget > BASIC_PLAN_CALLS_PER_HOUR and cfg.isolarcloud.gateway is None:
        note = (
            f"hourly_call_budget = {est.budget} is above the Basic plan's "
            f"{BASIC_PLAN_CALLS_PER_HOUR} calls an hour; E999 errors will follow"
        )
        return Fit(est.interval, False, note)
    return Fit(est.interval, False, None)
