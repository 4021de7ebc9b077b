"""Header and appkey checks, unknown paths, the hourly quota, GET /timestamp."""

from __future__ import annotations

import pytest

from bridge.simulator import DEMO_APP_KEY, DEMO_SECRET_KEY
from tests.simulator.conftest import START, Cloud, make_cloud

LIST = "/openapi/platform/queryPowerStationList"
PAGE = {"page": 1, "size": 10}


def test_missing_access_key_is_e911(authed: Cloud) -> None:
    reply = authed.client.post(
        LIST,
        json={"appkey": DEMO_APP_KEY, **PAGE},
        headers={"authorization": f"Bearer {authed.access_token}"},
    )
    assert reply.status_code == 200
    assert reply.json()["result_code"] == "E911"


def test_wrong_secret_is_e912(authed: Cloud) -> None:
    reply = authed.post(LIST, PAGE, secret="x" * 32).json()
    assert (reply["result_code"], reply["result_msg"]) == ("E912", "Illegal x-access-key")


def test_secret_of_another_app_or_swapped_keys_is_e914(authed: Cloud) -> None:
    authed.sim.register_app("B" * 32, "other-secret-0123456789abcdefghij", 99, "http://x/cb")
    assert (
        authed.post(LIST, PAGE, secret="other-secret-0123456789abcdefghij").json()["result_code"]
        == "E914"
    )
    assert authed.post(LIST, PAGE, secret=DEMO_APP_KEY).json()["result_code"] == "E914"


def test_missing_appkey_is_001_and_unknown_appkey_is_e00000(authed: Cloud) -> None:
    headers = {"x-access-key": DEMO_SECRET_KEY, "authorization": f"Bearer {authed.access_token}"}
    missing = authed.client.post(LIST, json=PAGE, headers=headers).json()
    assert missing["result_code"] == "001"
    unknown = authed.client.post(LIST, json={"appkey": "F" * 32, **PAGE}, headers=headers).json()
    assert (unknown["result_code"], unknown["result_msg"]) == ("E00000", "er_invalid_appkey")


def test_unknown_path_is_e996(authed: Cloud) -> None:
    reply = authed.post("/openapi/platform/noSuchThing", PAGE)
    assert reply.status_code == 200
    assert (reply.json()["result_code"], reply.json()["result_msg"]) == ("E996", "api not found")
    assert authed.client.get("/nowhere").status_code == 404


def test_calls_are_counted_per_path_errors_included(authed: Cloud) -> None:
    before = authed.sim.total_calls
    authed.post(LIST, PAGE)
    authed.post(LIST, PAGE, secret="bad")
    authed.post("/openapi/platform/noSuchThing")
    assert authed.sim.calls[LIST] == 2
    assert authed.sim.total_calls == before + 3


def test_hourly_quota_gives_e999_and_resets_next_hour() -> None:
    cloud = make_cloud(hourly_quota=5)
    cloud.login()  # the token exchange counts too
    replies = [cloud.post(LIST, PAGE) for _ in range(5)]
    codes = [r.json()["result_code"] for r in replies]
    assert codes == ["1", "1", "1", "1", "E999"]
    assert replies[-1].json()["result_msg"] == "er_hour_call_api_times_upper_limit"
    assert replies[0].headers["x-ratelimit-remaining"] == "3"
    assert replies[-1].headers["x-ratelimit-remaining"] == "0"
    assert "x-ratelimit-burst-capacity" in replies[0].headers
    cloud.sim.clock.advance(60 * 60)
    assert cloud.data("queryPowerStationList", **PAGE)["result_code"] == "1"


def test_timestamp_gives_server_time_in_ms(cloud: Cloud) -> None:
    reply = cloud.client.get("/timestamp").json()
    assert reply["result_code"] == "1"
    assert reply["result_data"] == int(START.timestamp() * 1000)


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]"])
def test_body_that_is_not_a_json_object_is_rejected(authed: Cloud, content: bytes) -> None:
    reply = authed.client.post(LIST, content=content, headers={"x-access-key": DEMO_SECRET_KEY})
    assert reply.json()["result_code"] == "010"
