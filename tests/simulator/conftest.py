"""Fixtures for the simulator's own tests: a frozen clock, a client on MockTransport."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bridge.simulator import (
    DEMO_APP_KEY,
    DEMO_REDIRECT_URI,
    DEMO_SECRET_KEY,
    SimClock,
    Simulator,
)

# 10:02 UTC = 11:02 in the GMT+1 plant, 20:02 in the GMT+10 plant.
START = datetime(2026, 6, 21, 10, 2, 30, tzinfo=UTC)
HYBRID = "1122348203"
STRING = "1122348217"


class Cloud:
    """A test's view of the simulator: raw calls plus the usual OAuth steps."""

    def __init__(self, sim: Simulator, client: httpx.Client) -> None:
        self.sim = sim
        self.client = client
        self.access_token = ""
        self.refresh_token = ""

    def code(self, redirect_uri: str = DEMO_REDIRECT_URI, **kwargs: Any) -> str:
        url = self.sim.authorize(redirect_uri, **kwargs)
        return parse_qs(urlsplit(url).query)["code"][0]

    def post(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        secret: str | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        headers = {"x-access-key": DEMO_SECRET_KEY if secret is None else secret}
        bearer = self.access_token if token is None else token
        if bearer:
            headers["authorization"] = f"Bearer {bearer}"
        return self.client.post(
            path, headers=headers, json={"appkey": DEMO_APP_KEY, **(body or {})}
        )

    def exchange(
        self,
        code: str,
        redirect_uri: str = DEMO_REDIRECT_URI,
        grant_type: str = "authorization_code",
    ) -> dict[str, Any]:
        reply: dict[str, Any] = self.post(
            "/openapi/apiManage/token",
            {"grant_type": grant_type, "code": code, "redirect_uri": redirect_uri},
        ).json()
        return reply

    def login(self, **kwargs: Any) -> dict[str, Any]:
        reply = self.exchange(self.code(**kwargs))
        assert reply["result_code"] == "1", reply
        self.access_token = reply["result_data"]["access_token"]
        self.refresh_token = reply["result_data"]["refresh_token"]
        return reply

    def refresh(self, refresh_token: str | None = None) -> dict[str, Any]:
        token = self.refresh_token if refresh_token is None else refresh_token
        reply: dict[str, Any] = self.post(
            "/openapi/apiManage/refreshToken", {"refresh_token": token}, token=""
        ).json()
        return reply

    def data(self, endpoint: str, **body: Any) -> dict[str, Any]:
        reply: dict[str, Any] = self.post(f"/openapi/platform/{endpoint}", body).json()
        return reply


def make_cloud(**kwargs: Any) -> Cloud:
    kwargs.setdefault("clock", SimClock(START, speed=0))
    sim = Simulator(**kwargs)
    client = httpx.Client(transport=httpx.MockTransport(sim.handle), base_url="http://sim")
    return Cloud(sim, client)


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    c = make_cloud()
    yield c
    c.client.close()


@pytest.fixture
def authed(cloud: Cloud) -> Cloud:
    cloud.login()
    return cloud
