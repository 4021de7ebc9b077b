"""Fault injection through the MockTransport handler."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.simulator.conftest import Cloud, make_cloud

LIST = "queryPowerStationList"


def _list(cloud: Cloud) -> httpx.Response:
    return cloud.post(f"/openapi/platform/{LIST}", {"page": 1, "size": 10})


def test_http_500_on_the_next_call_only(authed: Cloud) -> None:
    authed.sim.faults.add("http_500")
    assert _list(authed).status_code == 500
    assert _list(authed).json()["result_code"] == "1"


def test_timeout_raises_read_timeout(authed: Cloud) -> None:
    authed.sim.faults.add("timeout", count=2)
    for _ in range(2):
        with pytest.raises(httpx.ReadTimeout):
            _list(authed)
    assert _list(authed).status_code == 200


def test_malformed_json(authed: Cloud) -> None:
    authed.sim.faults.add("malformed_json")
    reply = _list(authed)
    assert reply.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        reply.json()


def test_e00003_once_then_the_same_token_works(authed: Cloud) -> None:
    authed.sim.faults.add("e00003")
    assert _list(authed).json()["result_code"] == "E00003"
    assert _list(authed).json()["result_code"] == "1"


def test_e999(authed: Cloud) -> None:
    authed.sim.faults.add("e999")
    reply = _list(authed).json()
    assert (reply["result_code"], reply["result_msg"]) == (
        "E999",
        "er_hour_call_api_times_upper_limit",
    )


def test_http_429_with_retry_after(authed: Cloud) -> None:
    authed.sim.faults.add("http_429", delay=7)
    reply = _list(authed)
    assert reply.status_code == 429 and reply.headers["retry-after"] == "7"


def test_slow_delays_through_the_sleep_function(authed: Cloud) -> None:
    slept: list[float] = []
    authed.sim.sleep = slept.append
    authed.sim.faults.add("slow", delay=3.5)
    assert _list(authed).json()["result_code"] == "1"
    assert slept == [3.5]


def test_revoke_fault_kills_the_authorisation(authed: Cloud) -> None:
    authed.sim.faults.add("revoke")
    assert _list(authed).json()["result_code"] == "E00003"
    assert authed.refresh()["result_data"]["code"] == "5"


def test_fault_limited_to_a_path(authed: Cloud) -> None:
    authed.sim.faults.add("http_500", path="getDeviceRealTimeData")
    assert _list(authed).status_code == 200
    assert authed.sim.faults.pending() == 1
    reply = authed.post("/openapi/platform/getDeviceRealTimeData", {})
    assert reply.status_code == 500 and authed.sim.faults.pending() == 0


def test_fault_on_the_token_endpoint(cloud: Cloud) -> None:
    cloud.sim.faults.add("http_500", path="/openapi/apiManage/token")
    code = cloud.code()
    reply = cloud.post(
        "/openapi/apiManage/token", {"grant_type": "authorization_code", "code": code}
    )
    assert reply.status_code == 500
    assert cloud.exchange(code)["result_code"] == "1"  # the code survived the outage


def test_random_rate_is_seeded_and_removable() -> None:
    def run() -> list[int]:
        cloud = make_cloud(seed=3)
        cloud.login()
        cloud.sim.faults.set_rate("http_500", 0.3)
        return [_list(cloud).status_code for _ in range(60)]

    first = run()
    assert first == run()
    assert 5 < first.count(500) < 35
    cloud = make_cloud(seed=3)
    cloud.login()
    cloud.sim.faults.set_rate("http_500", 0.5)
    cloud.sim.faults.set_rate("http_500", 0)
    assert all(_list(cloud).status_code == 200 for _ in range(20))


def test_bad_fault_arguments_are_refused(cloud: Cloud) -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'boom'"):
        cloud.sim.faults.add("boom")
    with pytest.raises(ValueError, match="probability"):
        cloud.sim.faults.set_rate("e999", 1.5)
