"""`auth login` end to end against the simulator over real HTTP, and `auth status`."""

from __future__ import annotations

import dataclasses
import io
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bridge.isolarcloud.errors import CodeExchangeError
from bridge.isolarcloud.onboarding import LoginError, login, status_lines
from bridge.simulator import serve
from tests.isolarcloud.conftest import Harness, assert_no_secret, make_harness
from tests.support.broker import free_port, wait_until

PRINTED_URL = re.compile(r"\?state=(\S+)#/authorized-app\?(\S+)")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Harness]:
    """A harness whose redirect URI is on loopback, with the simulator on real HTTP."""
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    harness = make_harness(tmp_path, redirect_uri=redirect)
    server = serve(harness.sim)
    harness.cfg = dataclasses.replace(harness.cfg, gateway=server.url)
    try:
        yield harness
    finally:
        server.close()


class Browser:
    """The owner: opens the printed URL, clicks Authorise, follows the redirect."""

    def __init__(self, harness: Harness, stdout: io.StringIO) -> None:
        self.harness = harness
        self.stdout = stdout
        self.page = ""
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            wait_until(lambda: PRINTED_URL.search(self.stdout.getvalue()), 10, "the URL")
            match = PRINTED_URL.search(self.stdout.getvalue())
            assert match is not None
            state, query = match.groups()
            gateway = self.harness.cfg.gateway
            with httpx.Client(follow_redirects=False) as http:
                consent = http.get(f"{gateway}/authorized-app?{query}&state={state}")
                assert consent.status_code in (302, 303), consent.text
                back = http.get(consent.headers["Location"])
                assert back.status_code == 200
                self.page = back.text
        except BaseException as exc:  # reported by the test thread
            self.error = exc


def test_login_through_the_loopback_listener(served: Harness) -> None:
    stdout = io.StringIO()
    browser = Browser(served, stdout)
    # stdin at EOF at once: the listener must keep the wait going
    tokens = login(served.cfg, served.store, stdin=io.StringIO(""), stdout=stdout, timeout=20)
    browser.thread.join(timeout=10)
    assert browser.error is None
    assert "close this tab" in browser.page
    assert served.store.load() == tokens
    assert set(tokens.auth_ps_list) == {"1122348203", "1122348217"}
    assert "Waiting for the browser to come back to http://127.0.0.1:" in stdout.getvalue()
    assert_no_secret(stdout.getvalue(), served)


def test_login_with_a_pasted_redirect_url(served: Harness) -> None:
    pasted = served.sim.authorize(served.cfg.redirect_uri)
    stdout = io.StringIO()
    stdin = io.StringIO(f"\nnot a url at all\n{pasted}\n")
    tokens = login(served.cfg, served.store, stdin=stdin, stdout=stdout, listen=False)
    assert served.store.load() == tokens
    assert "Try again" in stdout.getvalue()
    assert "#/authorized-app?cloudId=3&applicationId=" in stdout.getvalue()


def test_login_with_code_and_redirect_url_options(served: Harness) -> None:
    code = served.code()
    tokens = login(served.cfg, served.store, code=code, stdout=io.StringIO())
    assert served.store.load() == tokens
    redirect = served.sim.authorize(served.cfg.redirect_uri, state="x")
    again = login(served.cfg, served.store, redirect_url=redirect, stdout=io.StringIO())
    assert again.access_token != tokens.access_token


def test_reused_code_says_start_again(served: Harness) -> None:
    code = served.code()
    login(served.cfg, served.store, code=code, stdout=io.StringIO())
    with pytest.raises(CodeExchangeError, match="start again") as caught:
        login(served.cfg, served.store, code=code, stdout=io.StringIO())
    assert_no_secret(str(caught.value), served, code)


def test_redirect_mismatch_shows_both_uris(served: Harness) -> None:
    portal = "https://bridge.example/oauth/cb/"
    redirect = served.sim.authorize(portal, state="s")
    with pytest.raises(CodeExchangeError) as caught:
        login(served.cfg, served.store, redirect_url=redirect, stdout=io.StringIO())
    assert caught.value.code == "5"
    assert served.cfg.redirect_uri in caught.value.hint
    assert portal in caught.value.hint
    assert_no_secret(str(caught.value), served, redirect.split("code=")[1].split("&")[0])


def test_bad_redirect_url_option(served: Harness) -> None:
    with pytest.raises(LoginError, match="no `code=`"):
        login(served.cfg, served.store, redirect_url="http://127.0.0.1/cb?x=1")


def test_closed_stdin_without_listener_ends_the_wait(served: Harness) -> None:
    with pytest.raises(LoginError, match="--code"):
        login(served.cfg, served.store, stdin=io.StringIO(""), stdout=io.StringIO(), listen=False)


def test_nothing_arrives_before_the_timeout(served: Harness) -> None:
    with pytest.raises(LoginError, match="within"):
        login(served.cfg, served.store, stdin=io.StringIO(""), stdout=io.StringIO(), timeout=0.3)


def test_status_lines(served: Harness) -> None:
    assert "auth login" in status_lines(served.store, time.time)[0]
    login(served.cfg, served.store, code=served.code(), stdout=io.StringIO())
    lines = status_lines(served.store, time.time)
    text = "\n".join(lines)
    assert "access token: valid until" in text and "(in 1 d 23 h)" in text
    assert "refresh token: valid until about" in text
    assert "1122348203" in text
    assert_no_secret(text, served)
    text = "\n".join(status_lines(served.store, lambda: time.time() + 31 * 86400))
    assert "expired" in text and "auth login" in text


def test_code_option_is_checked_and_trimmed(served: Harness) -> None:
    with pytest.raises(LoginError, match="--code: that is neither"):
        login(served.cfg, served.store, code="not a code")
    tokens = login(served.cfg, served.store, code=f" {served.code()}\n")
    assert served.store.load() == tokens
