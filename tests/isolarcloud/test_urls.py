"""Regions, the authorisation URL, reading the code from a redirect, the call counter."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from bridge.config.model import IsolarcloudConfig
from bridge.isolarcloud.call_counter import CallCounter
from bridge.isolarcloud.oauth import authorization_url, code_from_redirect
from bridge.isolarcloud.regions import REGIONS, endpoints_for


def test_regions_match_the_reference() -> None:
    assert set(REGIONS) == {"cn", "intl", "eu", "au", "in"}
    assert REGIONS["eu"].gateway == "https://gateway.isolarcloud.eu"
    assert REGIONS["au"].web == "https://auweb3.isolarcloud.com"
    assert {code: r.cloud_id for code, r in REGIONS.items()} == {
        "cn": 1,
        "intl": 2,
        "eu": 3,
        "au": 7,
        "in": 9,
    }


def test_endpoints_and_gateway_override() -> None:
    assert endpoints_for(IsolarcloudConfig(region="intl")) == (
        "https://gateway.isolarcloud.com.hk",
        "https://web3.isolarcloud.com.hk",
    )
    cfg = IsolarcloudConfig(region="eu", gateway="http://127.0.0.1:9999/")
    assert endpoints_for(cfg) == ("http://127.0.0.1:9999", "http://127.0.0.1:9999")


def test_authorization_url_has_state_before_the_fragment() -> None:
    cfg = IsolarcloudConfig(
        region="eu", application_id=815, redirect_uri="http://localhost:8765/callback?x=1"
    )
    url = authorization_url(cfg, "st/ate")
    base, _, fragment = url.partition("#")
    assert base == "https://web3.isolarcloud.eu?state=st%2Fate"
    assert fragment.startswith("/authorized-app?")
    params = parse_qs(fragment.partition("?")[2])
    assert params == {
        "cloudId": ["3"],
        "applicationId": ["815"],
        "redirectUrl": ["http://localhost:8765/callback?x=1"],
    }
    assert "%3Fx%3D1" in fragment  # encoded, so it does not leak into the fragment's query


def test_code_from_a_redirect_url() -> None:
    assert (
        code_from_redirect("http://localhost:8765/callback?code=EMfgmJ&state=s1", "s1") == "EMfgmJ"
    )
    assert code_from_redirect("  https://x.example/cb?code=T3xxjv\n") == "T3xxjv"
    assert code_from_redirect("https://x.example/cb?code=T3xxjv", "s1") == "T3xxjv"  # state lost
    assert code_from_redirect("https://x.example/#/cb?code=abc123") == "abc123"
    assert code_from_redirect("code=abc123&state=s") == "abc123"


def test_bare_code() -> None:
    assert code_from_redirect("rFrnww") == "rFrnww"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "nothing was pasted"),
        ("two words", "neither a redirect URL nor"),
        ("http://localhost:8765/callback?state=s1", "no `code=`"),
        ("http://localhost:8765/callback?error=access_denied", "refused"),
        ("http://localhost:8765/callback?code=SECRET&state=other", "does not match"),
    ],
)
def test_bad_redirects_name_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        code_from_redirect(text, "s1")
    assert "SECRET" not in str(caught.value)


def test_calls_rolling_window() -> None:
    now = [1000.0]
    counter = CallCounter(lambda: now[0])
    for _ in range(3):
        counter.record()
    now[0] += 1800
    counter.record()
    assert counter.last_hour() == 4
    now[0] += 1800  # the first three are exactly an hour old
    assert counter.last_hour() == 1
    now[0] += 1799
    assert counter.last_hour() == 1
    now[0] += 1
    assert counter.last_hour() == 0
