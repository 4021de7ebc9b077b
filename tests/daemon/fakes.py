"""Fakes for the daemon's parts: a publisher that records, a clock that tests move."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bridge.mqtt.commands import Incoming
from bridge.mqtt.publisher import AuthState, Publisher


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
