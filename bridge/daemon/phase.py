"""When each plant's next sample becomes readable, learned from the samples polls see.

The cloud stores 5-minute samples; each becomes readable some time (the lag) after its
slot starts: the logger's upload plus the cloud's processing. A poll that sees a sample
`age` seconds old tells two things: that sample's lag was at most `age`, and the next
one's lag is over `age - 300` (it was not there yet).

- Bisection: from nothing, each poll aims at the middle of those bounds; about seven polls
  bring them within a few seconds, and after eight the learning stops bisecting anyway
  (jittery lags keep the bounds apart or cross them).
- Tracking: then each poll aims at the learned lag. A hit moves the aim a little earlier,
  a miss much later, so it settles where about 3% of polls miss: the lag's 97th
  percentile. A long run of hits speeds the earlier steps up, so a lag that shrank is
  found within hours; one that grew is followed within a few polls.
- Stale plants: a sample over 900 s old, one from the future (the host clock is off), or
  one two samples behind the aim (the logger went quiet, or the lag jumped) makes the
  plant forgotten: it goes back to the fixed schedule until fresh samples return.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

SLOT_S = 300.0  # the cloud's sample cadence
STALE_S = 900.0  # a newest sample older than this: the plant's data has stopped
CONVERGED_S = 5.0  # bounds this close: the lag is learned
BISECTION_POLLS = 8
EARLIER_S = 0.6  # a hit moves the aim this much earlier...
LATER_S = 19.4  # ...a miss this much later: 0.6 / (0.6 + 19.4) = 3% of polls miss
STEADY_HITS = 24  # after this many hits in a row, the earlier steps...
DOUBLE_EVERY = 3  # ...double every this many hits
AT_AIM_S = 2.0  # a poll this soon after the aim tests it; a later hit says nothing of it


@dataclass(frozen=True, slots=True)
class PollSeen:
    """What a poll saw: when it ran (wall clock), which plants it read, and for each the
    time of its newest sample (epoch seconds; absent when the cloud sent none)."""

    started: float
    finished: float
    plants: tuple[str, ...]
    samples: Mapping[str, float]


@dataclass
class Lag:
    """One plant's lag: bounds while bisecting, then the aim it tracks."""

    newest: float  # the newest sample time seen: the grid of the plant's samples
    low: float
    high: float
    polls: int = 1
    aim: float | None = None  # set once learned
    hits: int = 0  # in a row, at the aim

    @property
    def target(self) -> float:
        """The lag the next poll aims at."""
        return (self.low + self.high) / 2 if self.aim is None else self.aim

    def phase(self, circle: float) -> float:
        """When in every `circle` seconds (wall clock) the next poll should run."""
        return (self.newest + self.target) % circle

    def bisect(self, started: float, finished: float, sample: float) -> None:
        self.high = min(self.high, finished - sample)
        self.low = max(self.low, started - sample - SLOT_S)
        self.polls += 1
        settled = self.high - self.low <= CONVERGED_S or self.polls >= BISECTION_POLLS
        if settled:
            self.aim = max(self.low, self.high)  # crossed bounds: the larger lag was seen

    def track(self, started: float, sample: float) -> bool:
        """Move the aim by what this poll saw; False when the plant's data has stopped."""
        assert self.aim is not None
        # how many samples the one seen is behind the one the aim says is readable now
        behind = math.floor((started - self.aim - sample) / SLOT_S)
        if behind >= 2:
            return False
        if behind == 1:
            self.aim += LATER_S
            self.hits = 0
        elif 0 <= started - self.aim - sample <= AT_AIM_S:
            self.hits += 1
            self.aim -= EARLIER_S * 2 ** max(0, (self.hits - STEADY_HITS + 2) // DOUBLE_EVERY)
        return True


def first_bounds(started: float, finished: float, sample: float) -> Lag:
    return Lag(sample, max(0.0, started - sample - SLOT_S), finished - sample)


class Learning:
    """The lags of every plant that has shown fresh samples."""

    def __init__(self) -> None:
        self._lags: dict[str, Lag] = {}

    def observe(self, seen: PollSeen) -> None:
        for ps_id in seen.plants:
            sample = seen.samples.get(ps_id)
            if sample is not None:
                self._observe(ps_id, seen, sample)

    def phases(self, plants: Collection[str], circle: float) -> dict[str, float]:
        """The wall-clock phase of each learned plant among `plants`."""
        return {p: lag.phase(circle) for p, lag in self._lags.items() if p in plants}

    def keep(self, plants: Collection[str]) -> None:
        """Forget plants no longer published."""
        self._lags = {p: lag for p, lag in self._lags.items() if p in plants}

    def get(self, ps_id: str) -> Lag | None:
        return self._lags.get(ps_id)

    def _observe(self, ps_id: str, seen: PollSeen, sample: float) -> None:
        lag = self._lags.get(ps_id)
        if not 0 <= seen.started - sample <= STALE_S:
            self._lags.pop(ps_id, None)
        elif lag is None:
            self._lags[ps_id] = first_bounds(seen.started, seen.finished, sample)
        elif lag.aim is None:
            lag.bisect(seen.started, seen.finished, sample)
        elif not lag.track(seen.started, sample):
            del self._lags[ps_id]
        if ps_id in self._lags:
            self._lags[ps_id].newest = max(self._lags[ps_id].newest, sample)
