"""The schedule of polls, on an injected clock."""

from __future__ import annotations

import pytest

from bridge.daemon.outcome import OK, Outcome
from bridge.daemon.phase import PollSeen
from bridge.daemon.scheduler import FAILURE_BACKOFF_BASE_S, Scheduler
from tests.daemon.fakes import Clock, scheduler

FAILED = Outcome("error", "HTTP 500", "500", "500", backoff=True)
NOTHING = PollSeen(0.0, 0.0, (), {})  # no plants yet: the fixed grid alone


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def schedule(clock: Clock) -> Scheduler:
    return scheduler(300, clock)


def test_the_first_poll_is_due_at_once_and_then_every_interval(
    schedule: Scheduler, clock: Clock
) -> None:
    assert schedule.due()
    schedule.after_scheduled(OK, NOTHING)
    assert schedule.seconds_until_due() == 300
    clock.advance(299)
    assert not schedule.due()
    clock.advance(1)
    assert schedule.due()


def test_a_slow_poll_does_not_push_the_grid_and_missed_slots_are_skipped(
    schedule: Scheduler, clock: Clock
) -> None:
    start = clock.now
    clock.advance(40)  # the first poll took 40 s
    schedule.after_scheduled(OK, NOTHING)
    assert schedule.next_at == start + 300
    clock.advance(1000)  # the machine slept through three slots
    schedule.after_scheduled(OK, NOTHING)
    assert schedule.next_at == start + 1200


def test_failures_back_off_growing_and_a_success_starts_over() -> None:
    clock = Clock()
    schedule = scheduler(3600, clock, seed=1)
    delays = []
    for _ in range(5):
        schedule.after_scheduled(FAILED, NOTHING)
        delays.append(schedule.seconds_until_due())
        clock.advance(schedule.seconds_until_due())
    for n, delay in enumerate(delays):
        ceiling = FAILURE_BACKOFF_BASE_S * 2**n
        assert ceiling / 2 <= delay <= ceiling
    schedule.after_scheduled(OK, NOTHING)
    schedule.after_scheduled(FAILED, NOTHING)
    assert schedule.seconds_until_due() <= FAILURE_BACKOFF_BASE_S


def test_backoff_never_exceeds_the_interval() -> None:
    clock = Clock()
    schedule = scheduler(60, clock, seed=2)
    for _ in range(10):
        schedule.after_scheduled(FAILED, NOTHING)
    assert schedule.seconds_until_due() <= 60


def test_the_cloud_s_own_wait_is_kept(schedule: Scheduler) -> None:
    schedule.after_scheduled(
        Outcome("rate_limited", "E999", "E999", "E999", retry_after=1234), NOTHING
    )
    assert schedule.seconds_until_due() == 1234


def test_on_demand_polls_leave_the_grid_but_failures_delay_it(
    schedule: Scheduler, clock: Clock
) -> None:
    schedule.after_scheduled(OK, NOTHING)
    clock.advance(100)
    schedule.after_on_demand(OK, NOTHING)
    assert schedule.seconds_until_due() == 200
    schedule.after_on_demand(
        Outcome("reauth_required", "dead", None, "X", retry_after=900), NOTHING
    )
    assert schedule.seconds_until_due() == 900


def test_hold_and_poll_now(schedule: Scheduler) -> None:
    schedule.hold(17.5)
    assert schedule.seconds_until_due() == 17.5
    schedule.poll_now()
    assert schedule.due()
