"""Fakes for the daemon's parts: a publisher that records, a clock that tests move, and a
cloud whose samples arrive late, for the schedule."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bridge.daemon.outcome import OK
from bridge.daemon.phase import PollSeen
from bridge.daemon.scheduler import Fleet, Scheduler
from bridge.mqtt.commands import Incoming
from bridge.mqtt.publisher import AuthState, Publisher
from bridge.simulator.ingestion import Ingestion


class Clock:
    """Monotonic seconds that only move when the test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RecordingPublisher(Publisher):
    """Records what would go to MQTT instead of sending it."""

    responses: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    events: list[Mapping[str, object]] = field(default_factory=list)
    auth: list[AuthState] = field(default_factory=list)
    availability: list[tuple[str, bool]] = field(default_factory=list)
    republished: int = 0

    def respond(self, request: Incoming, default_topic: str, payload: Mapping[str, object]) -> None:
        self.responses.append((default_topic, dict(payload)))

    def republish(self) -> None:
        self.republished += 1

    def publish_event(self, event: Mapping[str, object]) -> None:
        self.events.append(event)

    def publish_auth(self, state: AuthState) -> None:
        self.auth.append(state)

    def set_availability(self, ps_id: str, online: bool) -> None:
        self.availability.append((ps_id, online))


CALLS_PER_POLL = 6  # a batched poll of any number of plants (up to 100 devices a type)


def scheduler(
    interval: float,
    clock: Clock,
    *,
    plants: Sequence[str] = (),
    allowance: float = 793.0,
    seed: int = 0,
) -> Scheduler:
    """A scheduler on the test's clock (as monotonic and wall clock) for these plants."""
    fleet = Fleet(
        lambda: plants, lambda members: CALLS_PER_POLL if members else 0, lambda: allowance
    )
    return Scheduler(interval, fleet, monotonic=clock, clock=clock, rng=random.Random(seed))


@dataclass
class Cloud:
    """Plants whose samples become readable as `ingestion` says; none after `stops_at`."""

    ingestion: Ingestion
    plants: tuple[str, ...]
    stops_at: float = math.inf

    def read(self, plants: Sequence[str], started: float) -> PollSeen:
        now = min(started, self.stops_at)
        samples = {p: self.ingestion.newest(int(p), 0, now) for p in plants}
        return PollSeen(started, started, tuple(plants), samples)

    def step(self, schedule: Scheduler, clock: Clock) -> PollSeen:
        """Wait for the next scheduled poll and run it: what it saw."""
        clock.now = max(clock.now, schedule.next_at)
        due = schedule.due_plants()
        seen = self.read(self.plants if due is None else due, clock.now)
        schedule.after_scheduled(OK, seen)
        return seen

    def run(self, schedule: Scheduler, clock: Clock, hours: float) -> list[PollSeen]:
        """Every scheduled poll of the next `hours`: what each saw."""
        until = clock.now + hours * 3600
        polls = []
        while schedule.next_at < until:
            polls.append(self.step(schedule, clock))
        return polls
