"""When the next scheduled poll is due, in monotonic seconds.

Polls keep a fixed grid of `interval` from the first one (a slow poll does not push the
grid; whole missed intervals are skipped, not made up). A failed poll moves the next one:
after the cloud's own wait, or after a backoff that grows with each failure and starts
over at the first success. A poll the call budget has no room for is held, not sent.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from bridge.daemon.outcome import Outcome
from bridge.platform.backoff import Backoff

FAILURE_BACKOFF_BASE_S = 30.0


class Scheduler:
    def __init__(self, interval: float, monotonic: Callable[[], float], rng: random.Random) -> None:
        self.interval = interval
        self._monotonic = monotonic
        self._next = monotonic()
        self._backoff = Backoff(base=FAILURE_BACKOFF_BASE_S, cap=interval, rng=rng)

    @property
    def next_at(self) -> float:
        return self._next

    def seconds_until_due(self) -> float:
        return max(0.0, self._next - self._monotonic())

    def due(self) -> bool:
        return self._monotonic() >= self._next

    def poll_now(self) -> None:
        self._next = self._monotonic()

    def hold(self, seconds: float) -> None:
        """Try again in `seconds` (the call budget is full)."""
        self._next = self._monotonic() + seconds

    def after_scheduled(self, outcome: Outcome) -> None:
        now = self._monotonic()
        delay = self._delay(outcome)
        if delay is None:
            while self._next <= now:
                self._next += self.interval
        else:
            self._next = now + delay

    def after_on_demand(self, outcome: Outcome) -> None:
        """An on-demand poll leaves the grid alone, but a failure delays the next poll."""
        delay = self._delay(outcome)
        if delay is not None:
            self._next = max(self._next, self._monotonic() + delay)

    def _delay(self, outcome: Outcome) -> float | None:
        if outcome.ok:
            self._backoff.reset()
            return None
        if outcome.backoff:
            return self._backoff.next_delay()
        return outcome.retry_after
