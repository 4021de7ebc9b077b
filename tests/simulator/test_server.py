"""The simulator over real HTTP on loopback, including the authorisation pages."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from bridge.simulator import Simulator, SimulatorServer, config_snippet, serve
from bridge.simulator import api as demo
from tests.simulator.conftest import HYBRID
from tests.support.broker import wait_until


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    srv = serve(Simulator())
    yield srv
    srv.close()


def _consent_url(server: SimulatorServer, **extra: str) -> str:
    params = {
        "cloudId": "3",
        "applicationId": str(demo.DEMO_APPLICATION_ID),
        "redirectUrl": demo.DEMO_REDIRECT_URI,
        **extra,
    }
    return f"{server.url}/authorized-app?{urlencode(params)}"


def test_full_flow_over_http(server: SimulatorServer) -> None:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        page = client.get("/", params={"state": "s1"})
        assert page.status_code == 200 and "location.hash" in page.text
        consent = client.get(_consent_url(server, state="s1"))
        assert consent.status_code == 302
        location = urlsplit(consent.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == demo.DEMO_REDIRECT_URI
        query = parse_qs(location.query)
        assert query["state"] == ["s1"] and len(query["code"][0]) == 6
        headers = {"x-access-key": demo.DEMO_SECRET_KEY}
        token = client.post(
            "/openapi/apiManage/token",
            headers=headers,
            json={
                "appkey": demo.DEMO_APP_KEY,
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": demo.DEMO_REDIRECT_URI,
            },
        ).json()
        assert token["result_code"] == "1"
        headers["authorization"] = f"Bearer {token['access_token']}"
        reply = client.post(
            "/openapi/platform/getPowerStationRealTimeData",
            headers=headers,
            json={"appkey": demo.DEMO_APP_KEY, "ps_id_list": [HYBRID], "point_id_list": ["83033"]},
        )
        assert reply.headers["content-type"].startswith("application/json")
        assert reply.json()["result_data"]["device_point_list"][0]["ps_id"] == HYBRID
        assert "x-ratelimit-remaining" in reply.headers


def test_wrong_application_id_shows_an_error_page(server: SimulatorServer) -> None:
    reply = httpx.get(_consent_url(server, applicationId="815"), timeout=5)
    assert reply.status_code == 200 and "location" not in reply.headers
    assert "Authorization failed" in reply.text


def test_timeout_fault_stalls_without_blocking_other_requests(server: SimulatorServer) -> None:
    server.sim.faults.add("timeout", path="/openapi/platform/getDeviceRealTimeData", delay=6)
    outcome: list[BaseException] = []

    def stalled() -> None:
        try:
            httpx.post(f"{server.url}/openapi/platform/getDeviceRealTimeData", json={}, timeout=3)
        except httpx.TimeoutException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=stalled)
    thread.start()
    wait_until(lambda: server.sim.faults.pending() == 0, 5, "the stalled call to arrive")
    assert httpx.get(f"{server.url}/timestamp", timeout=30).status_code == 200
    # answered while the stalled call still waits: a blocked server would have answered
    # only after its 6-s stall, long after the stalled client gave up at 3 s
    assert thread.is_alive()
    thread.join(timeout=10)
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.ReadTimeout)


def test_config_snippet_points_at_the_server(server: SimulatorServer) -> None:
    snippet = config_snippet(server.url)
    assert f'gateway = "{server.url}"' in snippet
    assert f"application_id = {demo.DEMO_APPLICATION_ID}" in snippet


@pytest.mark.parametrize(("asked", "served"), [(3, 3), (0, 2)])
def test_run_simulator_serves_until_sigterm(asked: int, served: int) -> None:
    """`isolarcloud2mqtt simulator --plants N`; 0 (the default) serves the two demo plants."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "simulator", "--port", "0", "--plants", str(asked)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", first)
        assert match, first
        assert f"{served} plants" in first
        assert httpx.get(f"{match.group(1)}/timestamp", timeout=5).json()["result_code"] == "1"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        rest = proc.stdout.read()
        assert f'gateway = "{match.group(1)}"' in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
