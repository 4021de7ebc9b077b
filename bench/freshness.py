"""Freshness: how old the data is when it is published, with the learning schedule and
with a fixed-interval poller of the same interval, against the same simulated cloud whose
samples become readable `LAG_S` ± `JITTER_S` after their slot starts.

Both run the real poller against the simulator on its own frozen clock, moved by the
benchmark from one poll to the next: hours of polling in seconds, and no wall-clock
timing in the figures. A daemon starts at any moment, so the fixed poller's figures pool
runs started at moments spread evenly over the 5-minute slot.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from pathlib import Path

from bench.rig import POLL_STEP_S, FleetRig
from bridge.daemon.outcome import OK
from bridge.daemon.phase import PollSeen
from bridge.daemon.scheduler import Fleet, Scheduler
from bridge.isolarcloud.client import DEVICE_REALTIME, PLANT_REALTIME
from bridge.simulator import fleet
from bridge.simulator.ingestion import Ingestion, spread

LAG_S = 90.0
JITTER_S = 15.0
INTERVAL_S = 300
FIXED_STARTS = 10  # fixed pollers started at moments spread over the slot
GOALS = {1: 0.25, 100: 0.5}  # the adaptive excess over the lag, as a share of the fixed one's


@dataclass(frozen=True, slots=True)
class Ages:
    """How old the published values were, and the real-time calls that polled them."""

    median_age_s: float
    p95_age_s: float
    calls_per_hour: float

    @classmethod
    def of(cls, ages: list[float], calls_per_hour: float) -> Ages:
        p95 = statistics.quantiles(ages, n=20, method="inclusive")[-1]
        return cls(round(statistics.median(ages), 1), round(p95, 1), round(calls_per_hour, 1))


@dataclass(frozen=True, slots=True)
class Case:
    """One fleet read both ways; its loggers' upload phases spread over `phase_spread_s`."""

    plants: int
    phase_spread_s: float
    adaptive: Ages
    fixed: Ages


class _Run:
    """One simulated cloud, read by the real poller; ages and calls counted once measuring."""

    def __init__(self, plants: int, spread_s: float, state_dir: Path) -> None:
        ids = [p.ps_id for p in fleet(plants)]
        ingestion = Ingestion(LAG_S, JITTER_S, spread(ids, spread_s))
        self.rig = FleetRig(plants, state_dir, ingestion=ingestion)
        self.ages: list[float] = []
        self.measuring = False
        self._calls = 0

    def poll(self, ps_ids: tuple[str, ...] | None) -> PollSeen:
        started = self.rig.now()
        result = self.rig.poller.poll(self.rig.inventory, ps_ids)
        seen = PollSeen(started, self.rig.now(), result.polled, result.sample_times())
        if self.measuring:
            self.ages.extend(seen.finished - ts for ts in seen.samples.values())
        return seen

    def measure(self) -> None:
        self.measuring = True
        self._calls = self._realtime_calls()

    def result(self, hours: float) -> Ages:
        self.rig.close()
        return Ages.of(self.ages, (self._realtime_calls() - self._calls) / hours)

    def until(self, hours: float) -> float:
        return self.rig.now() + hours * 3600

    def advance_to(self, at: float) -> None:
        # the sim clock counts whole microseconds: a hair more, so a poll is never early
        self.rig.sim.clock.advance(max(0.0, at - self.rig.now()) + 1e-6)

    def _realtime_calls(self) -> int:
        return self.rig.sim.calls[DEVICE_REALTIME] + self.rig.sim.calls[PLANT_REALTIME]


def adaptive(plants: int, spread_s: float, state_dir: Path, warmup_h: float, hours: float) -> Ages:
    run = _Run(plants, spread_s, state_dir)
    rig = run.rig
    schedule = Scheduler(
        INTERVAL_S,
        Fleet(
            lambda: rig.inventory.ps_ids,
            lambda ps_ids: rig.poller.estimate(rig.inventory.subset(ps_ids)).per_poll,
            lambda: rig.poller.estimate(rig.inventory).polling_allowance,
        ),
        monotonic=rig.now,
        clock=rig.now,
        rng=random.Random(0),
    )

    def follow(span_h: float) -> None:
        until = run.until(span_h)
        while schedule.next_at < until:
            run.advance_to(schedule.next_at)
            schedule.after_scheduled(OK, run.poll(schedule.due_plants()))

    follow(warmup_h)
    run.measure()
    follow(hours)
    return run.result(hours)


def fixed(plants: int, spread_s: float, state_dir: Path, hours: float) -> Ages:
    run = _Run(plants, spread_s, state_dir)
    run.measure()
    slot = POLL_STEP_S / FIXED_STARTS
    polls = round(hours * 3600 / INTERVAL_S / FIXED_STARTS)
    for start in range(FIXED_STARTS):
        # each daemon starts in a fresh slot, its share of the slot later than the last
        next_slot = (run.rig.now() // POLL_STEP_S + 1) * POLL_STEP_S
        run.advance_to(next_slot + (start + 0.5) * slot)
        for _ in range(polls):
            run.poll(None)
            run.rig.sim.clock.advance(INTERVAL_S)
    return run.result(polls * FIXED_STARTS * INTERVAL_S / 3600)


def measure(workdir: Path, hours: float) -> list[Case]:
    cases = []
    for plants, spread_s in ((1, 0.0), (100, 120.0)):
        case_dir = workdir / f"freshness-{plants}"
        (case_dir / "adaptive").mkdir(parents=True)
        (case_dir / "fixed").mkdir()
        cases.append(
            Case(
                plants,
                spread_s,
                adaptive(plants, spread_s, case_dir / "adaptive", warmup_h=2, hours=hours),
                fixed(plants, spread_s, case_dir / "fixed", hours),
            )
        )
    return cases
