"""The token lifecycle against the simulator: exchange, rotation, expiry quirks, threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from bridge.isolarcloud.client import PLANT_LIST, GatewayClient
from bridge.isolarcloud.errors import AuthError, CodeExchangeError
from bridge.isolarcloud.oauth import MAX_MARGIN, SUSPECT_LIFETIME
from tests.isolarcloud.conftest import (
    EXCHANGE,
    REFRESH,
    Harness,
    assert_no_secret,
    make_harness,
)


def test_exchange_saves_before_returning(harness: Harness) -> None:
    with harness.client() as client:
        tokens = harness.authorise(client)
    assert harness.store.load() == tokens
    assert tokens.expires_at - tokens.obtained_at == pytest.approx(172799)
    assert tokens.refresh_expires_at - tokens.obtained_at == pytest.approx(30 * 86400)
    assert set(tokens.auth_ps_list) == {"1122348203", "1122348217"}
    assert tokens.auth_user
    assert harness.sim.calls[EXCHANGE] == 1


def test_proactive_refresh_one_hour_before_expiry(harness: Harness, client: GatewayClient) -> None:
    first = client.oauth.access_token()
    harness.clock.advance(172799 - MAX_MARGIN - 5)
    assert client.oauth.access_token() == first
    assert harness.sim.calls[REFRESH] == 0
    harness.clock.advance(10)
    second = client.oauth.access_token()
    assert second != first
    assert harness.sim.calls[REFRESH] == 1
    assert client.oauth.access_token() == second
    assert harness.sim.calls[REFRESH] == 1


def test_rotated_tokens_are_on_disk_before_they_are_used(harness: Harness) -> None:
    used: list[str] = []

    def observe(request: httpx.Request) -> httpx.Response:
        bearer = request.headers.get("Authorization", "")
        if bearer:
            saved = harness.store.load()
            assert saved is not None and bearer == f"Bearer {saved.access_token}"
            used.append(saved.access_token)
        return harness.sim.handle(request)

    with harness.client(observe) as client:
        harness.authorise(client)
        client.list_plants()
        old = harness.store.load()
        harness.sim.faults.add("e00003", count=1, path=PLANT_LIST)
        client.list_plants()
        new = harness.store.load()
    assert old is not None and new is not None
    assert new.refresh_token != old.refresh_token and new.access_token != old.access_token
    assert used[-1] == new.access_token
    assert harness.sim.calls[REFRESH] == 1


def test_omitted_refresh_token_keeps_the_old_one(harness: Harness, client: GatewayClient) -> None:
    before = harness.store.load()
    assert before is not None
    harness.sim.omit_refresh_token_next = True
    token = client.oauth.force_refresh(before.access_token)
    after = harness.store.load()
    assert after is not None and token == after.access_token != before.access_token
    assert after.refresh_token == before.refresh_token
    assert after.refresh_expires_at == before.refresh_expires_at
    client.oauth.force_refresh(token)  # the kept refresh token still works
    assert harness.sim.calls[REFRESH] == 2


def test_negative_expires_in_after_login_refreshes_once(harness: Harness) -> None:
    harness.sim.next_expires_in = -5
    with harness.client() as client:
        harness.authorise(client)
        token = client.oauth.access_token()
        assert harness.sim.calls[REFRESH] == 1
        for _ in range(5):
            assert client.oauth.access_token() == token
        assert harness.sim.calls[REFRESH] == 1


def test_tiny_expires_in_on_refresh_does_not_loop(harness: Harness, client: GatewayClient) -> None:
    stale = client.oauth.access_token()
    harness.sim.next_expires_in = 3
    token = client.oauth.force_refresh(stale)
    for _ in range(5):
        assert client.oauth.access_token() == token
    assert harness.sim.calls[REFRESH] == 1
    harness.clock.advance(SUSPECT_LIFETIME)  # trusted for a while, then renewed
    assert client.oauth.access_token() != token
    assert harness.sim.calls[REFRESH] == 2


def test_concurrent_callers_cause_one_refresh(harness: Harness, client: GatewayClient) -> None:
    harness.clock.advance(172799)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def worker() -> None:
        barrier.wait()
        results.append(client.oauth.access_token())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(results) == 8 and len(set(results)) == 1
    assert harness.sim.calls[REFRESH] == 1


def test_force_refresh_reuses_another_threads_refresh(
    harness: Harness, client: GatewayClient
) -> None:
    stale = client.oauth.access_token()
    fresh = client.oauth.force_refresh(stale)
    assert client.oauth.force_refresh(stale) == fresh
    assert harness.sim.calls[REFRESH] == 1


def test_reused_code_says_start_again(harness: Harness) -> None:
    code = harness.code()
    with harness.client() as client:
        client.oauth.exchange_code(code)
        with pytest.raises(CodeExchangeError) as caught:
            client.oauth.exchange_code(code)
    assert caught.value.code == "2"
    assert "start again" in caught.value.hint
    assert code not in str(caught.value)
    assert_no_secret(str(caught.value), harness, code)


def test_redirect_mismatch_names_the_uri(harness: Harness) -> None:
    code = harness.code("https://elsewhere.example/cb")
    with harness.client() as client, pytest.raises(CodeExchangeError) as caught:
        client.oauth.exchange_code(code)
    assert caught.value.code == "5"
    assert harness.cfg.redirect_uri in caught.value.hint
    assert "developer portal" in caught.value.hint
    assert_no_secret(str(caught.value), harness, code)


def test_token_fields_only_at_the_top_level_are_read(harness: Harness) -> None:
    """Some replies carry the token fields only beside the envelope (pysolarcloud's view)."""

    def top_level_only(request: httpx.Request) -> httpx.Response:
        response = harness.sim.handle(request)
        if request.url.path not in (EXCHANGE, REFRESH):
            return response
        body = json.loads(response.content)
        data = body["result_data"]
        for name in ("access_token", "refresh_token", "expires_in"):
            body[name] = data.pop(name)
        return httpx.Response(200, json=body)

    with harness.client(top_level_only) as client:
        tokens = harness.authorise(client)
        assert tokens.expires_at - tokens.obtained_at == pytest.approx(172799)
        fresh = client.oauth.force_refresh(tokens.access_token)
        assert len(client.list_plants()) == 2
    saved = harness.store.load()
    assert saved is not None and saved.access_token == fresh
    assert saved.refresh_token != tokens.refresh_token


def test_headers_and_body_of_token_and_data_calls(harness: Harness) -> None:
    seen: list[tuple[str, httpx.Headers, dict[str, object]]] = []

    def observe(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers, json.loads(request.content)))
        return harness.sim.handle(request)

    with harness.client(observe) as client:
        harness.authorise(client)
        client.oauth.force_refresh(client.oauth.access_token())
        client.list_plants()
    for path, headers, body in seen:
        assert headers["x-access-key"] == harness.cfg.secret_key
        assert headers["content-type"] == "application/json;charset=UTF-8"
        assert headers["sys_code"] == "901"
        assert body["appkey"] == harness.cfg.app_key and body["lang"] == "_en_US"
        has_bearer = headers.get("authorization", "").startswith("Bearer ")
        assert has_bearer == path.startswith("/openapi/platform/"), path
    assert [path for path, _, _ in seen][:2] == [EXCHANGE, REFRESH]


def test_renewed_tokens_that_cannot_be_saved_are_still_masked(tmp_path: Path) -> None:
    """The secret masking runs after the save (a kill before the save costs the
    authorisation), yet also when the save fails: the tokens live on in memory."""
    harness = make_harness(tmp_path)
    renewed: list[dict[str, str]] = []
    state_dir = harness.store.path.parent

    def unwritable_after_refresh(request: httpx.Request) -> httpx.Response:
        response = harness.sim.handle(request)
        if request.url.path == REFRESH:
            renewed.append(json.loads(response.content)["result_data"])
            harness.store.path.unlink()
            state_dir.rmdir()
            state_dir.write_text("not a folder")  # the save cannot make its temporary file
        return response

    with harness.client(unwritable_after_refresh) as client:
        old = harness.authorise(client)
        with pytest.raises(AuthError, match="cannot save the renewed tokens"):
            client.oauth.force_refresh(old.access_token)
        assert client.oauth.tokens is not None
        assert client.oauth.tokens.access_token == renewed[0]["access_token"]
        for token in (renewed[0]["access_token"], renewed[0]["refresh_token"]):
            assert client.secrets.redact(f"x {token} y") == "x *** y"
