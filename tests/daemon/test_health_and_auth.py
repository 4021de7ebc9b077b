"""What bridge/health says after each outcome, and how the auth monitor follows them."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from bridge.daemon.auth_watch import AuthMonitor
from bridge.daemon.health import Health, Usage
from bridge.daemon.info import Events
from bridge.daemon.outcome import OK, Outcome
from tests.daemon.fakes import RecordingPublisher

START = 1_750_000_000.0
USAGE = Usage(
    calls_last_hour=12,
    mqtt_reconnects=1,
    token_expires_at=None,
    next_poll_at=None,
    notices={"interval_s": 300},
)
DEAD = Outcome("reauth_required", "refused (code 5)", "5", "5", retry_after=900)


def test_health_counts_outcomes_and_bumps_polls_last() -> None:
    health = Health(started_at=START, budget=1800)
    health.poll_started(START + 10)
    health.poll_finished(START + 12.5, OK, datetime(2026, 6, 21, 10, 5, tzinfo=UTC), {})
    health.poll_started(START + 20)
    limited = Outcome("rate_limited", "E999", "E999", "E999", retry_after=600)
    health.poll_finished(START + 21, limited, None, {})
    payload = health.payload(START + 30, USAGE)
    assert payload["polls"] == 2
    assert payload["status"] == "rate_limited"
    assert payload["errors"] == {"E999": 1}
    assert payload["rate_limited_until"] == "2025-06-15T15:17:01Z"  # 21 s + 600 s
    assert payload["data_ts"] == "2026-06-21T10:05:00+00:00"
    assert payload["data_age_s"] == 18  # since the last success, 17.5 s ago
    assert payload["last_poll"] == {
        "started_at": "2025-06-15T15:07:00Z",  # START + 20 s
        "duration_s": 1.0,
        "result": "rate_limited",
        "error": "E999",
    }
    health.poll_finished(START + 40, OK, None, {})
    assert health.rate_limited_until is None


def test_health_reports_the_age_of_the_data_at_publish_latest_and_over_the_hour() -> None:
    health = Health(started_at=START, budget=1800)
    assert health.payload(START, USAGE)["data_age_at_publish_s"] == {
        "latest": None,
        "median_1h": None,
    }
    health.poll_finished(START + 100, OK, None, {"1": START - 300, "2": START - 50})  # 400, 150
    health.poll_finished(START + 400, OK, None, {"1": START + 300})  # 100
    health.poll_finished(START + 500, OK, None, {})  # nothing new to say
    payload = health.payload(START + 500, USAGE)
    assert payload["data_age_at_publish_s"] == {"latest": 100, "median_1h": 150}
    health.poll_finished(START + 3750, OK, None, {"1": START + 3600})  # the first poll is old
    payload = health.payload(START + 3750, USAGE)
    assert payload["data_age_at_publish_s"] == {"latest": 150, "median_1h": 125}


def test_auth_is_published_once_per_change_and_death_is_told_once(tmp_path: Path) -> None:
    publisher = RecordingPublisher()
    health = Health(started_at=START, budget=1800)
    tokens = tmp_path / "tokens.toml"
    tokens.write_text("x")
    auth = AuthMonitor(tokens, publisher, Events(publisher, lambda: START), health)
    auth.after(OK, ["1"])
    auth.after(OK, ["1"])
    assert publisher.auth == ["ok"]
    auth.after(DEAD, ["1", "2"])
    auth.after(DEAD, ["1", "2"])
    assert publisher.auth == ["ok", "reauth_required"]
    assert [e["event"] for e in publisher.events] == ["reauth_required"]
    assert "isolarcloud2mqtt auth login" in str(publisher.events[0]["message"])
    assert publisher.availability == [("1", False), ("2", False)] * 2
    assert not auth.tokens_changed()
    os.utime(tokens, (START + 100, START + 100))  # `auth login` wrote new tokens
    assert auth.tokens_changed()
    assert not auth.tokens_changed()  # told once
    auth.after(OK, ["1"])
    assert publisher.auth[-1] == "ok" and not auth.reauth_required
