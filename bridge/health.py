"""What `<base>/bridge/health` reports: the last poll, API use, errors, auth, MQTT."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

AuthState = Literal["ok", "reauth_required"]


def iso_utc(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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
    polls: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    rate_limited_until: float | None = None

    def poll_started(self, now: float) -> None:
        self.last_poll_started = now

    def poll_finished(self, now: float, result: str, error: str | None = None) -> None:
        self.polls += 1
        self.last_poll_duration = round(now - (self.last_poll_started or now), 3)
        self.last_poll_result = result
        self.last_error = error
        if result == "ok":
            self.last_success = now
            self.rate_limited_until = None

    def count_error(self, code: str) -> None:
        self.errors[code] += 1

    def payload(
        self,
        now: float,
        calls_last_hour: int,
        mqtt_reconnects: int,
        token_expires_at: float | None,
        next_poll_at: float | None,
    ) -> dict[str, object]:
        return {
            "status": self.last_poll_result,
            "last_poll": {
                "started_at": iso_utc(self.last_poll_started),
                "duration_s": self.last_poll_duration,
                "result": self.last_poll_result,
                "error": self.last_error,
            },
            "last_success": iso_utc(self.last_success),
            "data_ts": self.last_data_ts,
            "data_age_s": None if self.last_success is None else round(now - self.last_success),
            "polls": self.polls,
            "api_calls_last_hour": calls_last_hour,
            "hourly_call_budget": self.budget,
            "errors": dict(self.errors),
            "rate_limited_until": iso_utc(self.rate_limited_until),
            "mqtt_reconnects": mqtt_reconnects,
            "auth": self.auth,
            "token_expires_at": iso_utc(token_expires_at),
            "next_poll_at": iso_utc(next_poll_at),
            "uptime_s": round(now - self.started_at),
        }
