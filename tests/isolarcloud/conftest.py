"""A simulator, a config pointing at it, a token store and clients with injected time."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.config.model import IsolarcloudConfig
from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.oauth import code_from_redirect
from bridge.isolarcloud.tokens import TokenSet, TokenStore
from bridge.simulator import (
    DEMO_REDIRECT_URI,
    SimClock,
    Simulator,
    demo_settings,
)

START = datetime(2026, 6, 21, 10, 0, tzinfo=UTC)
REFRESH = "/openapi/apiManage/refreshToken"
EXCHANGE = "/openapi/apiManage/token"


@dataclass
class Harness:
    sim: Simulator
    clock: SimClock
    cfg: IsolarcloudConfig
    store: TokenStore
    delays: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.clock.now().timestamp()

    def client(
        self, handler: Callable[[httpx.Request], httpx.Response] | None = None, **kwargs: Any
    ) -> GatewayClient:
        return GatewayClient(
            self.cfg,
            self.store,
            transport=httpx.MockTransport(handler or self.sim.handle),
            clock=self.now,
            sleep=self.delays.append,
            rng=random.Random(0),
            **kwargs,
        )

    def code(self, redirect_uri: str | None = None) -> str:
        """The code the owner's click produces."""
        return code_from_redirect(self.sim.authorize(redirect_uri or self.cfg.redirect_uri))

    def authorise(self, client: GatewayClient) -> TokenSet:
        return client.oauth.exchange_code(self.code())


def make_harness(
    tmp_path: Path,
    plants: Any = None,
    redirect_uri: str = DEMO_REDIRECT_URI,
    gateway: str = "http://simulator.test",
    **sim_kwargs: Any,
) -> Harness:
    clock = SimClock(START, speed=0)
    sim = Simulator(
        redirect_uri=redirect_uri,
        plants=plants,
        clock=clock,
        seed=0,
        **sim_kwargs,
    )
    cfg = demo_settings(gateway, redirect_uri)
    return Harness(sim, clock, cfg, TokenStore(tmp_path / "state" / "tokens.toml"))


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


@pytest.fixture
def client(harness: Harness) -> Iterator[GatewayClient]:
    """A client already authorised by the owner."""
    with harness.client() as gateway:
        harness.authorise(gateway)
        yield gateway


def assert_no_secret(text: str, harness: Harness, *extra: str) -> None:
    tokens = harness.store.load()
    secrets = [harness.cfg.secret_key, *extra]
    if tokens is not None:
        secrets += [tokens.access_token, tokens.refresh_token]
    for secret in secrets:
        assert secret not in text, "a secret leaked into a message"
