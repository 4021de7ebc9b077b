"""The schedule that learns when new samples become readable, on an injected clock against
a cloud whose samples arrive late (the simulator's ingestion lag)."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter

import pytest

from bridge.daemon.outcome import OK
from bridge.daemon.phase import BISECTION_POLLS, CONVERGED_S, PollSeen
from bridge.simulator.ingestion import Ingestion, spread
from tests.daemon.fakes import CALLS_PER_POLL, Clock, Cloud, scheduler

ONE = ("1",)


def ages(polls: list[PollSeen]) -> list[float]:
    return [seen.started - ts for seen in polls for ts in seen.samples.values()]


def missed(polls: list[PollSeen]) -> int:
    """Values published more than one slot late: the poll came before their sample."""
    return sum(age > 300 for age in ages(polls))


def test_one_plant_learns_its_lag_within_a_few_samples_and_polls_right_after_it() -> None:
    clock = Clock()
    cloud = Cloud(Ingestion(lag_s=90.0), ONE)
    schedule = scheduler(300, clock, plants=ONE)
    for _ in range(BISECTION_POLLS):
        cloud.step(schedule, clock)
    lag = schedule.learning.get("1")
    assert lag is not None and lag.aim is not None
    assert abs(lag.aim - 90) <= CONVERGED_S
    polls = cloud.run(schedule, clock, hours=12)
    assert statistics.median(ages(polls)) <= 90 + 20  # the fixed schedule: 90 + 150
    assert missed(polls) <= 0.05 * len(polls)
    assert len(polls) <= 12 * 12 + 1  # never more polls than the fixed schedule


def test_jittery_lags_settle_where_few_polls_miss() -> None:
    clock = Clock()
    cloud = Cloud(Ingestion(lag_s=90.0, jitter_s=15.0), ONE)
    schedule = scheduler(300, clock, plants=ONE)
    cloud.run(schedule, clock, hours=2)
    polls = cloud.run(schedule, clock, hours=24)
    assert statistics.median(ages(polls)) <= 90 + 30
    assert missed(polls) <= 0.06 * len(polls)


def test_a_lag_that_grows_is_followed_within_polls_and_one_that_shrinks_within_hours() -> None:
    clock = Clock()
    cloud = Cloud(Ingestion(lag_s=90.0), ONE)
    schedule = scheduler(300, clock, plants=ONE)
    cloud.run(schedule, clock, hours=2)
    cloud.ingestion = Ingestion(lag_s=150.0)
    polls = cloud.run(schedule, clock, hours=3)
    assert missed(polls[:6]) <= 5  # caught up within a few polls...
    assert statistics.median(ages(polls[6:])) <= 150 + 20  # ...and right after it since
    assert missed(polls[6:]) <= 0.05 * len(polls)
    cloud.ingestion = Ingestion(lag_s=60.0)
    cloud.run(schedule, clock, hours=3.5)
    polls = cloud.run(schedule, clock, hours=3)
    assert statistics.median(ages(polls)) <= 60 + 20


def test_a_plant_whose_data_stops_falls_back_to_the_fixed_grid_until_it_returns() -> None:
    clock = Clock()
    first_poll = clock.now
    cloud = Cloud(Ingestion(lag_s=90.0), ONE)
    schedule = scheduler(300, clock, plants=ONE)
    cloud.run(schedule, clock, hours=2)
    cloud.stops_at = clock.now
    polls = cloud.run(schedule, clock, hours=2)
    assert schedule.learning.get("1") is None
    assert schedule.groups == []
    fixed = [seen.started for seen in polls[-4:]]
    assert all((at - first_poll) % 300 == 0 for at in fixed)  # the fixed grid's own slots
    cloud.stops_at = float("inf")
    cloud.run(schedule, clock, hours=1)
    assert schedule.learning.get("1") is not None


def test_samples_from_the_future_mean_the_clock_is_off_the_plant_is_forgotten() -> None:
    clock = Clock()
    cloud = Cloud(Ingestion(lag_s=90.0), ONE)
    schedule = scheduler(300, clock, plants=ONE)
    cloud.run(schedule, clock, hours=1)
    assert schedule.learning.get("1") is not None
    clock.now = schedule.next_at
    schedule.after_scheduled(OK, PollSeen(clock.now, clock.now, ONE, {"1": clock.now + 600}))
    assert schedule.learning.get("1") is None


def test_on_demand_polls_teach_the_schedule_too() -> None:
    clock = Clock(3000.0)
    schedule = scheduler(300, clock, plants=ONE)
    schedule.after_on_demand(OK, PollSeen(3000.0, 3001.0, ONE, {"1": 2700.0}))
    lag = schedule.learning.get("1")
    assert lag is not None and (lag.low, lag.high) == (0.0, 301.0)


def test_a_fleet_sharing_one_phase_stays_one_batched_poll() -> None:
    plants = tuple(str(n) for n in range(1, 21))
    clock = Clock()
    cloud = Cloud(Ingestion(lag_s=90.0, jitter_s=15.0), plants)
    schedule = scheduler(300, clock, plants=plants)
    cloud.run(schedule, clock, hours=3)
    polls = cloud.run(schedule, clock, hours=12)
    assert len(schedule.groups) == 1
    assert all(len(seen.plants) == 20 for seen in polls)
    assert len(polls) <= 12 * 12 + 1


@pytest.mark.parametrize("allowance", [150.0, 793.0])
def test_a_spread_fleet_keeps_to_the_budget_and_each_plant_to_its_period(
    allowance: float,
) -> None:
    plants = tuple(str(n) for n in range(1, 101))
    clock = Clock()
    first_poll = clock.now
    phases = spread([int(p) for p in plants], 120.0)
    cloud = Cloud(Ingestion(lag_s=90.0, jitter_s=15.0, phases=phases), plants)
    schedule = scheduler(300, clock, plants=plants, allowance=allowance)
    cloud.run(schedule, clock, hours=3)
    polls = cloud.run(schedule, clock, hours=6)
    assert len(polls) * CALLS_PER_POLL / 6 <= allowance
    windows = Counter(
        (ps_id, (seen.started - first_poll) // 300) for seen in polls for ps_id in seen.plants
    )
    assert max(windows.values()) == 1
    assert statistics.median(ages(polls)) <= 90 + 75  # the fixed schedule: about 90 + 150


@pytest.mark.parametrize(
    ("interval", "period"), [(60, 60), (100, 100), (120, 150), (200, 300), (300, 300), (600, 600)]
)
def test_the_period_is_the_interval_or_an_even_share_of_the_slot(
    interval: int, period: float
) -> None:
    assert scheduler(interval, Clock()).period == period


def test_an_interval_the_budget_stretches_is_kept_from_the_next_poll() -> None:
    clock = Clock()
    cloud = Cloud(Ingestion(lag_s=90.0), ONE)
    schedule = scheduler(300, clock, plants=ONE)
    cloud.run(schedule, clock, hours=2)
    schedule.interval = 900
    polls = cloud.run(schedule, clock, hours=6)
    starts = [seen.started for seen in polls]
    assert all(b - a >= 600 for a, b in itertools.pairwise(starts))
    assert len(polls) <= 6 * 4 + 1
