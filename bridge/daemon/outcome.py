"""What came of a poll, and what the daemon does about it: one classification of the
gateway client's errors, read by the schedule, the health report, the auth monitor and
the events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bridge.isolarcloud.errors import (
    AppConfigError,
    AuthorizationDeadError,
    IsolarcloudError,
    RateLimitedError,
    WhitelistError,
)

Result = Literal["ok", "error", "rate_limited", "reauth_required"]

REAUTH_RETRY_S = 900.0  # a dead authorisation only heals by `auth login`; probe it slowly
CONFIG_ERROR_RETRY_S = 900.0  # app key / whitelist trouble: fixed in the portal, not here


@dataclass(frozen=True, slots=True)
class Outcome:
    result: Result
    error: str | None = None
    code: str | None = None  # the cloud's result code, when there is one
    counted_as: str | None = None  # the key under `errors` in bridge/health
    retry_after: float | None = None  # seconds until the next scheduled poll; None: on time
    backoff: bool = False  # retry after the schedule's growing backoff instead

    @property
    def ok(self) -> bool:
        return self.result == "ok"


OK = Outcome("ok")


def classify(exc: IsolarcloudError) -> Outcome:
    """The outcome of a poll that raised `exc`."""
    error, counted = str(exc), exc.code or type(exc).__name__
    if isinstance(exc, AuthorizationDeadError):
        return Outcome("reauth_required", error, exc.code, counted, REAUTH_RETRY_S)
    if isinstance(exc, RateLimitedError):
        return Outcome("rate_limited", error, exc.code, counted, max(exc.retry_after, 1.0))
    if isinstance(exc, AppConfigError | WhitelistError):
        return Outcome("error", error, exc.code, counted, CONFIG_ERROR_RETRY_S)
    return Outcome("error", error, exc.code, counted, backoff=True)
