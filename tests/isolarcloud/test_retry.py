"""Transient faults are retried with backoff; quota, auth and config errors are typed."""

from __future__ import annotations

import dataclasses

import pytest
from structlog.testing import capture_logs

from bridge.isolarcloud.client import PLANT_LIST, GatewayClient
from bridge.isolarcloud.errors import (
    AppConfigError,
    AuthorizationDeadError,
    RateLimitedError,
    TokenExpiredError,
    TransientError,
)
from tests.isolarcloud.conftest import REFRESH, Harness, assert_no_secret


@pytest.mark.parametrize("kind", ["http_500", "timeout", "malformed_json"])
def test_transient_faults_are_retried_with_growing_delays(
    harness: Harness, client: GatewayClient, kind: str
) -> None:
    harness.sim.faults.add(kind, count=3, path=PLANT_LIST)
    plants = client.list_plants()
    assert len(plants) == 2
    assert harness.sim.calls[PLANT_LIST] == 4
    assert len(harness.delays) == 3
    for attempt, delay in enumerate(harness.delays):
        ceiling = 2.0**attempt
        assert ceiling / 2 <= delay <= ceiling


@pytest.mark.parametrize("kind", ["http_500", "timeout", "malformed_json"])
def test_transient_faults_raise_after_the_retries(
    harness: Harness, client: GatewayClient, kind: str
) -> None:
    harness.sim.faults.add(kind, count=10, path=PLANT_LIST)
    with pytest.raises(TransientError) as caught:
        client.list_plants()
    assert harness.sim.calls[PLANT_LIST] == 4  # 1 + retries=3
    assert len(harness.delays) == 3
    assert_no_secret(str(caught.value), harness)


def test_retries_are_configurable(harness: Harness) -> None:
    with harness.client(retries=0) as client:
        harness.authorise(client)
        harness.sim.faults.add("http_500", count=1, path=PLANT_LIST)
        with pytest.raises(TransientError, match="HTTP 500"):
            client.list_plants()
    assert harness.delays == []


def test_hourly_quota_waits_for_the_next_hour(harness: Harness, client: GatewayClient) -> None:
    harness.sim.faults.add("e999", count=1, path=PLANT_LIST)
    with pytest.raises(RateLimitedError) as caught:
        client.list_plants()
    assert caught.value.code == "E999"
    now = harness.now()
    assert caught.value.retry_after == pytest.approx(3600 - now % 3600, abs=1)
    assert harness.delays == []  # not retried: the caller backs off


def test_http_429_uses_retry_after(harness: Harness, client: GatewayClient) -> None:
    harness.sim.faults.add("http_429", count=1, path=PLANT_LIST)
    with pytest.raises(RateLimitedError) as caught:
        client.list_plants()
    assert caught.value.retry_after > 0
    assert harness.sim.calls[PLANT_LIST] == 1


def test_expired_token_is_refreshed_once_and_the_call_retried(
    harness: Harness, client: GatewayClient
) -> None:
    old = harness.store.load()
    harness.sim.faults.add("e00003", count=1, path=PLANT_LIST)
    assert len(client.list_plants()) == 2
    assert harness.sim.calls[REFRESH] == 1
    assert harness.sim.calls[PLANT_LIST] == 2
    new = harness.store.load()
    assert old is not None and new is not None
    assert new.refresh_token != old.refresh_token


def test_token_refused_twice_is_token_expired(harness: Harness, client: GatewayClient) -> None:
    harness.sim.faults.add("e00003", count=2, path=PLANT_LIST)
    with pytest.raises(TokenExpiredError) as caught:
        client.list_plants()
    assert harness.sim.calls[REFRESH] == 1
    assert_no_secret(str(caught.value), harness)


def test_server_side_expiry_is_renewed(harness: Harness, client: GatewayClient) -> None:
    harness.sim.expire_access_tokens()
    assert len(client.list_plants()) == 2
    assert harness.sim.calls[REFRESH] == 1


def test_revoked_authorisation_is_dead(harness: Harness, client: GatewayClient) -> None:
    harness.sim.revoke()
    with pytest.raises(AuthorizationDeadError, match="auth login") as caught:
        client.list_plants()
    assert_no_secret(str(caught.value), harness)
    refreshes = harness.sim.calls[REFRESH]
    with pytest.raises(AuthorizationDeadError):
        client.list_plants()
    assert harness.sim.calls[REFRESH] == refreshes  # a refused refresh token is not retried


def test_new_login_revives_a_dead_client(harness: Harness, client: GatewayClient) -> None:
    harness.sim.revoke()
    with pytest.raises(AuthorizationDeadError):
        client.list_plants()
    with harness.client() as cli:  # `auth login` in another process, same token file
        harness.authorise(cli)
    assert len(client.list_plants()) == 2


def test_no_token_file(harness: Harness) -> None:
    with harness.client() as client, pytest.raises(AuthorizationDeadError, match="auth login"):
        client.list_plants()
    assert harness.sim.total_calls == 0


def test_wrong_secret_is_an_app_config_error(harness: Harness, client: GatewayClient) -> None:
    harness.cfg = dataclasses.replace(harness.cfg, secret_key="0" * 32)
    with harness.client() as bad, pytest.raises(AppConfigError, match="secret_key") as caught:
        bad.list_plants()
    assert caught.value.code == "E912"
    assert_no_secret(str(caught.value), harness, "0" * 32)


def test_logs_have_stable_events_and_no_secrets(harness: Harness, client: GatewayClient) -> None:
    with capture_logs() as logs:
        harness.sim.faults.add("http_500", count=1, path=PLANT_LIST)
        harness.sim.faults.add("e00003", count=1, path=PLANT_LIST)
        client.list_plants()
        harness.sim.faults.add("e999", count=1, path=PLANT_LIST)
        with pytest.raises(RateLimitedError):
            client.list_plants()
        tokens = harness.store.load()
        harness.sim.revoke()
        with pytest.raises(AuthorizationDeadError):
            client.list_plants()
    events = [entry["event"] for entry in logs]
    for event in ("api.retry", "auth.refreshed", "api.rate_limited", "auth.refresh_failed"):
        assert event in events
    assert tokens is not None
    assert_no_secret(repr(logs), harness, tokens.access_token, tokens.refresh_token)
