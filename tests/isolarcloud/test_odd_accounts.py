"""The gateway client against the odd accounts real users have (the simulator's profiles):
optional data is left out and said why; a server-side refresh failure is not a dead grant;
the single-use refresh token is sent once unless the connection never opened."""

from __future__ import annotations

import httpx
import pytest

from bridge.isolarcloud.client import DEVICE_REALTIME, PLANT_DETAIL, GatewayClient
from bridge.isolarcloud.errors import (
    AuthorizationDeadError,
    ParameterError,
    TransientError,
    UnavailableError,
)
from bridge.isolarcloud.model import Device
from bridge.simulator import Account
from tests.isolarcloud.conftest import REFRESH, Harness

HYBRID_TYPES = {14: ["13011"], 43: ["58604"], 7: ["8018"], 22: ["23014"]}


def devices(client: GatewayClient) -> list[Device]:
    return [d for p in client.list_plants(details=False) for d in client.list_devices(p.ps_id)]


@pytest.mark.parametrize("refusal", ["404", "405", "E994", "E996", "E900"])
def test_a_missing_device_endpoint_costs_one_call_and_leaves_every_type_out(
    harness: Harness, client: GatewayClient, refusal: str
) -> None:
    harness.sim.account = Account(missing={"getDeviceRealTimeData": refusal})
    hybrid = [d for d in devices(client) if d.ps_id == "1122348203"]
    before = harness.sim.calls[DEVICE_REALTIME]
    read = client.device_realtime(hybrid, HYBRID_TYPES, {})
    assert read.snapshots == {}
    assert set(read.unreadable) == {14, 43, 7, 22}
    assert all(isinstance(e, UnavailableError) for e in read.unreadable.values())
    assert refusal in str(next(iter(read.unreadable.values())))
    assert harness.sim.calls[DEVICE_REALTIME] - before == 1  # the rest cannot work: not asked


def test_one_unreadable_device_type_leaves_only_that_type_out(
    harness: Harness, client: GatewayClient
) -> None:
    harness.sim.account = Account(unreadable_types=frozenset({43}))
    hybrid = [d for d in devices(client) if d.ps_id == "1122348203"]
    read = client.device_realtime(hybrid, HYBRID_TYPES, {})
    assert set(read.unreadable) == {43}
    assert isinstance(read.unreadable[43], ParameterError)
    assert {s.device.device_type for s in read.snapshots.values() if s.device} == {14, 7, 22}


def test_a_failing_plant_detail_raises_and_the_list_still_works(
    harness: Harness, client: GatewayClient
) -> None:
    harness.sim.account = Account(failing_detail="E994")
    plants = client.list_plants(details=False)
    assert [p.install_power_w for p in plants] == [None, None]
    with pytest.raises(UnavailableError, match="getPowerStationDetail"):
        client.plant_details(plants)
    assert harness.sim.calls[PLANT_DETAIL] == 1


def test_a_refresh_the_server_failed_keeps_the_authorisation(
    harness: Harness, client: GatewayClient
) -> None:
    harness.sim.account = Account(refresh_failure="-1", refresh_failures=1)
    old = harness.store.load()
    assert old is not None
    with pytest.raises(TransientError, match="code -1") as failed:
        client.oauth.force_refresh(old.access_token)
    assert not isinstance(failed.value, AuthorizationDeadError)
    assert harness.store.load() == old  # nothing rotated, nothing burned
    assert harness.sim.refresh_token_valid(old.refresh_token)
    assert client.oauth.force_refresh(old.access_token) != old.access_token  # works next time


@pytest.mark.parametrize("code", ["2", "-2", "5"])
def test_refresh_codes_that_end_the_grant_are_final(
    harness: Harness, client: GatewayClient, code: str
) -> None:
    harness.sim.account = Account(refresh_failure=code)
    old = harness.store.load()
    assert old is not None
    with pytest.raises(AuthorizationDeadError, match=f"code {code}"):
        client.oauth.force_refresh(old.access_token)


def test_the_refresh_is_not_sent_twice_after_a_lost_reply(harness: Harness) -> None:
    """A read timeout may come after the cloud rotated the token: resending it can only fail."""
    refreshes: list[httpx.Request] = []

    def lost_reply(request: httpx.Request) -> httpx.Response:
        if request.url.path == REFRESH:
            refreshes.append(request)
            raise httpx.ReadTimeout("the reply was lost", request=request)
        return harness.sim.handle(request)

    with harness.client(lost_reply) as client:
        old = harness.authorise(client)
        with pytest.raises(TransientError, match="timed out"):
            client.oauth.force_refresh(old.access_token)
    assert len(refreshes) == 1


def test_a_refresh_that_never_left_is_sent_again(harness: Harness) -> None:
    attempts: list[httpx.Request] = []

    def refused_once(request: httpx.Request) -> httpx.Response:
        if request.url.path == REFRESH and not attempts:
            attempts.append(request)
            raise httpx.ConnectError("connection refused", request=request)
        return harness.sim.handle(request)

    with harness.client(refused_once) as client:
        old = harness.authorise(client)
        assert client.oauth.force_refresh(old.access_token) != old.access_token
    assert len(attempts) == 1 and len(harness.delays) == 1  # one backoff, one resend
