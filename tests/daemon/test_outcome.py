"""One classification of the gateway client's errors."""

from __future__ import annotations

from bridge.daemon.outcome import CONFIG_ERROR_RETRY_S, REAUTH_RETRY_S, classify
from bridge.isolarcloud.errors import (
    AppConfigError,
    AuthorizationDeadError,
    RateLimitedError,
    TransientError,
    WhitelistError,
)


def test_a_dead_authorisation_is_probed_slowly() -> None:
    outcome = classify(AuthorizationDeadError("refused", "5"))
    assert (outcome.result, outcome.retry_after, outcome.counted_as) == (
        "reauth_required",
        REAUTH_RETRY_S,
        "5",
    )


def test_a_rate_limit_waits_what_the_cloud_asks_and_at_least_a_second() -> None:
    assert classify(RateLimitedError("E999", "E999", 842.0)).retry_after == 842.0
    assert classify(RateLimitedError("budget", "budget", 0.0)).retry_after == 1.0
    assert classify(RateLimitedError("x", "E999", 5.0)).result == "rate_limited"


def test_portal_trouble_waits_long_and_transient_trouble_backs_off() -> None:
    for exc in (AppConfigError("E912", "E912"), WhitelistError("E918", "E918")):
        outcome = classify(exc)
        assert (outcome.result, outcome.retry_after) == ("error", CONFIG_ERROR_RETRY_S)
    transient = classify(TransientError("timed out"))
    assert transient.backoff and transient.retry_after is None
    assert transient.counted_as == "TransientError"  # no result code: the kind is counted
