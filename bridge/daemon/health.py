"""What `<base>/bridge/health` reports: the last poll, API use, errors, auth, MQTT."""

from __future__ import annotations

import statistics
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bridge.daemon.outcome import Outcome
from bridge.mqtt.publisher import AuthState
from bridge.platform.timefmt import epoch_iso

AGES_KEPT_S = 3600.0


@dataclass(frozen=True, slots=True)
class Usage:
    """What the health report reads from the rest of the daemon at publish time."""

    calls_last_hour: int
    mqtt_reconnects: int
    token_expires_at: float | None
    next_poll_at: float | None
    notices: Mapping[str, object]  # the schedule and what cannot be read (daemon/notices.py)


@dataclass
class Health:
    started_at: float
    budget: int
    auth: AuthState = "ok"
    last_poll_started: float | None = None
    last_poll_duration: float | None = None
    last_poll_result: str = "pending"  # ok | error | rate_limited | reauth_required | pending
    last_error: str | None = None
    last_success: float | None = None
    last_data_ts: str | None = None
    rate_limited_until: float | None = None
    polls: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    # (published at, age of the sample published) for each plant read in the last hour
    ages: deque[tuple[float, float]] = field(default_factory=deque)
    last_age: float | None = None

    def poll_started(self, now: float) -> None:
        self.last_poll_started = now

    def poll_finished(
        self,
        now: float,
        outcome: Outcome,
        data_ts: datetime | None,
        samples: Mapping[str, float],
    ) -> None:
        """Record a finished poll and the sample times it published, per plant; `polls` is
        bumped last, as the sign that all is recorded."""
        self.last_poll_duration = round(now - (self.last_poll_started or now), 3)
        self.last_poll_result = outcome.result
        self.last_error = outcome.error
        if outcome.counted_as is not None:
            self.errors[outcome.counted_as] += 1
        if outcome.result == "rate_limited" and outcome.retry_after is not None:
            self.rate_limited_until = now + outcome.retry_after
        if outcome.ok:
            self.last_success = now
            self.rate_limited_until = None
            if data_ts is not None:
                self.last_data_ts = data_ts.isoformat()
        if samples:
            ages = [now - ts for ts in samples.values()]
            self.ages.extend((now, age) for age in ages)
            self.last_age = max(ages)  # with several plants, the oldest one's
        while self.ages and self.ages[0][0] < now - AGES_KEPT_S:
            self.ages.popleft()
        self.polls += 1

    def payload(self, now: float, usage: Usage) -> dict[str, object]:
        return {
            "status": self.last_poll_result,
            "last_poll": {
                "started_at": epoch_iso(self.last_poll_started),
                "duration_s": self.last_poll_duration,
                "result": self.last_poll_result,
                "error": self.last_error,
            },
            "last_success": epoch_iso(self.last_success),
            "data_ts": self.last_data_ts,
            "data_age_s": None if self.last_success is None else round(now - self.last_success),
            "data_age_at_publish_s": self._ages_at_publish(now),
            "polls": self.polls,
            "api_calls_last_hour": usage.calls_last_hour,
            "hourly_call_budget": self.budget,
            "errors": dict(self.errors),
            "rate_limited_until": epoch_iso(self.rate_limited_until),
            "mqtt_reconnects": usage.mqtt_reconnects,
            "auth": self.auth,
            "token_expires_at": epoch_iso(usage.token_expires_at),
            "next_poll_at": epoch_iso(usage.next_poll_at),
            **usage.notices,
            "uptime_s": round(now - self.started_at),
        }

    def _ages_at_publish(self, now: float) -> dict[str, float | None]:
        recent = [age for at, age in self.ages if at >= now - AGES_KEPT_S]
        return {
            "latest": None if self.last_age is None else round(self.last_age),
            "median_1h": round(statistics.median(recent)) if recent else None,
        }
