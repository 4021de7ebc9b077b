"""When the next scheduled poll is due and which plants it reads, in monotonic seconds.

The budget: each plant is polled at most once a period, the periods counted from the
first poll. A period is one interval, or an even share of the 5-minute slot (300 /
interval polls a slot, rounded down) when the interval is shorter. So the schedule never
runs ahead of the fixed grid, and one plant costs exactly the fixed schedule's calls.

Within that, each plant is polled when its next sample should have become readable
(daemon/phase.py), in groups that keep the batched calls few (daemon/grouping.py).
Until a plant's samples have been seen, and again once they stop, it keeps the fixed
grid: whole missed periods are skipped, not made up.

A failed poll moves the next one: after the cloud's own wait, or after a backoff that
grows with each failure and starts over at the first success. A poll the call budget has
no room for is held, not sent. Either way the grid starts over from the retry.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from bridge.daemon.grouping import Group, plan
from bridge.daemon.outcome import Outcome
from bridge.daemon.phase import SLOT_S, Learning, PollSeen
from bridge.platform.backoff import Backoff

FAILURE_BACKOFF_BASE_S = 30.0


@dataclass(frozen=True, slots=True)
class Fleet:
    """What planning reads from the rest of the daemon, at every re-plan."""

    plants: Callable[[], Sequence[str]]
    cost: Callable[[Collection[str]], int]  # API calls one poll of these plants costs
    allowance: Callable[[], float]  # API calls an hour scheduled polls may spend


class Scheduler:
    def __init__(
        self,
        interval: float,
        fleet: Fleet,
        *,
        monotonic: Callable[[], float],
        clock: Callable[[], float],
        rng: random.Random,
    ) -> None:
        self.interval = interval  # read at every re-plan: the call budget may stretch it
        self.learning = Learning()
        self.groups: list[Group] = []
        self._fleet = fleet
        self._monotonic = monotonic
        self._clock = clock  # sample times are wall-clock times
        self._anchor = monotonic()  # the fixed grid: one period after another from here
        self._not_before = self._anchor
        self._everything = True  # no plan yet (or `poll_now`): poll every plant
        self._period_end: dict[str, float] = {}  # per plant: when its next period starts
        self._due: dict[str, float] = {}
        self._next_due = self._anchor
        self._backoff = Backoff(base=FAILURE_BACKOFF_BASE_S, cap=interval, rng=rng)

    @property
    def period(self) -> float:
        if self.interval >= SLOT_S:
            return float(self.interval)
        return SLOT_S / (SLOT_S // self.interval)

    @property
    def next_at(self) -> float:
        if self._everything:
            return self._not_before
        return max(self._not_before, self._next_due)

    def seconds_until_due(self) -> float:
        return max(0.0, self.next_at - self._monotonic())

    def due(self) -> bool:
        return self._monotonic() >= self.next_at

    def due_plants(self) -> tuple[str, ...] | None:
        """The plants the poll due now reads; None: every plant."""
        if self._everything:
            return None
        now = self._monotonic()
        due = tuple(p for p, at in self._due.items() if at <= now)
        return None if len(due) == len(self._due) else due

    def poll_now(self) -> None:
        self._everything = True
        self._not_before = self._monotonic()

    def hold(self, seconds: float) -> None:
        """Try again in `seconds` (the call budget is full)."""
        self._restart(seconds)

    def after_scheduled(self, outcome: Outcome, seen: PollSeen) -> None:
        self.learning.observe(seen)
        delay = self._delay(outcome)
        if delay is None:
            now = self._monotonic()
            period_end = self._grid_after(now)
            for ps_id in seen.plants:
                self._period_end[ps_id] = period_end
            # no plants to plan for (none authorised yet): keep to the grid
            self._everything = not self._fleet.plants()
            self._not_before = period_end if self._everything else now
        else:
            self._restart(delay)
        self._replan()

    def after_on_demand(self, outcome: Outcome, seen: PollSeen) -> None:
        """An on-demand poll teaches the learning, but a failure delays the next poll."""
        self.learning.observe(seen)
        delay = self._delay(outcome)
        if delay is not None:
            self._not_before = max(self._not_before, self._monotonic() + delay)
        self._replan()

    def _restart(self, delay: float) -> None:
        self._not_before = self._anchor = self._monotonic() + delay

    def _grid_after(self, now: float) -> float:
        periods = math.floor((now - self._anchor) / self.period) + 1
        return self._anchor + periods * self.period

    def _replan(self) -> None:
        now = self._monotonic()
        offset = self._clock() - now  # wall clock minus monotonic
        period = self.period
        circle = min(period, SLOT_S)
        polls_per_hour = 3600 / period
        plants = tuple(self._fleet.plants())
        self.learning.keep(plants)
        self._period_end = {p: t for p, t in self._period_end.items() if p in plants}
        phases = self.learning.phases(plants, circle)
        fixed = [p for p in plants if p not in phases]
        spare = self._fleet.allowance() - self._fleet.cost(fixed) * polls_per_hour
        self.groups = plan(
            phases, circle, lambda members: self._fleet.cost(members) * polls_per_hour, spare
        )
        due = {p: self._period_end.get(p, now) for p in fixed}
        for group in self.groups:
            for ps_id in group.members:
                start = self._period_end.get(ps_id, now) + offset
                due[ps_id] = start + (group.phase - start) % circle - offset
        self._due = due
        self._next_due = min(due.values(), default=self._grid_after(now))

    def _delay(self, outcome: Outcome) -> float | None:
        if outcome.ok:
            self._backoff.reset()
            return None
        if outcome.backoff:
            return self._backoff.next_delay()
        return outcome.retry_after
