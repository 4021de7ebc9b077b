"""Authorisation codes, token exchange, refresh rotation and token death."""

from __future__ import annotations

import re
import uuid

from bridge.simulator import DEMO_REDIRECT_URI
from bridge.simulator.clock import SimClock
from tests.simulator.conftest import HYBRID, START, STRING, Cloud, make_cloud


def test_authorize_returns_redirect_with_six_char_code_and_state(cloud: Cloud) -> None:
    url = cloud.sim.authorize("http://localhost:8765/callback?drop=me", state="xyz 1")
    assert re.fullmatch(r"http://localhost:8765/callback\?code=[A-Za-z0-9]{6}&state=xyz\+1", url)


def test_exchange_returns_envelope_and_top_level_copies(cloud: Cloud) -> None:
    reply = cloud.exchange(cloud.code())
    assert reply["result_code"] == "1" and reply["result_msg"] == "success"
    assert re.fullmatch(r"2026062[01][0-9a-f]{24}", reply["req_serial_num"])
    data = reply["result_data"]
    uuid.UUID(data["access_token"])
    uuid.UUID(data["refresh_token"])
    assert data["token_type"] == "bearer"
    assert data["expires_in"] == 172799
    assert data["auth_ps_list"] == [HYBRID, STRING]
    assert isinstance(data["auth_user"], int)
    for key in ("access_token", "token_type", "refresh_token", "expires_in", "auth_ps_list"):
        assert reply[key] == data[key]


def test_code_is_single_use(cloud: Cloud) -> None:
    code = cloud.code()
    assert cloud.exchange(code)["result_code"] == "1"
    again = cloud.exchange(code)
    assert again["result_code"] == "2"
    assert again["result_msg"] == f"Invalid authorization code: {code}"
    assert again["error"] == "invalid_grant"
    assert again["error_description"] == again["result_msg"]
    assert "result_data" not in again


def test_unknown_and_expired_codes_are_invalid(cloud: Cloud) -> None:
    assert cloud.exchange("ZZZZZZ")["result_code"] == "2"
    code = cloud.code()
    cloud.sim.clock.advance(6 * 60)
    assert cloud.exchange(code)["result_code"] == "2"


def test_a_code_lives_five_real_minutes_on_a_fast_clock() -> None:
    real = [0.0]
    fast = make_cloud(clock=SimClock(START, speed=1200, monotonic=lambda: real[0]))
    code, late = fast.code(), fast.code()
    real[0] = 4 * 60  # 80 simulated hours: the plants moved on, the person did not
    assert fast.exchange(code)["result_code"] == "1"
    real[0] = 6 * 60
    assert fast.exchange(late)["result_code"] == "2"


def test_redirect_uri_must_match_exactly_and_burns_the_code(cloud: Cloud) -> None:
    code = cloud.code()
    reply = cloud.exchange(code, redirect_uri=DEMO_REDIRECT_URI + "/")
    assert (reply["result_code"], reply["result_msg"]) == ("5", "Redirect URI mismatch.")
    assert reply["error"] == "invalid_grant"
    assert cloud.exchange(code)["result_code"] == "2"


def test_grant_type_must_be_authorization_code(cloud: Cloud) -> None:
    code = cloud.code()
    reply = cloud.exchange(code, grant_type="password")
    assert reply["result_code"] == "6"
    assert reply["error"] == "unsupported_grant_type"
    assert cloud.exchange(code)["result_code"] == "1"  # not consumed by a bad grant type


def test_negative_expires_in_is_reported_once_but_token_works(cloud: Cloud) -> None:
    cloud.sim.next_expires_in = -5
    reply = cloud.login()
    assert reply["expires_in"] == -5 == reply["result_data"]["expires_in"]
    assert cloud.data("queryPowerStationList", page=1, size=10)["result_code"] == "1"
    assert cloud.refresh()["result_data"]["expires_in"] == 172799


def test_refresh_rotates_and_old_token_dies(authed: Cloud) -> None:
    old_access, old_refresh = authed.access_token, authed.refresh_token
    reply = authed.refresh()
    assert reply["result_code"] == "1"
    data = reply["result_data"]
    assert data["code"] == "1" and data["token_type"] == "bearer"
    assert data["refresh_token"] != old_refresh and reply["refresh_token"] == data["refresh_token"]
    assert reply["access_token"] == data["access_token"] != old_access
    assert not authed.sim.refresh_token_valid(old_refresh)
    assert authed.sim.refresh_token_valid(data["refresh_token"])
    reused = authed.refresh(old_refresh)
    assert reused["result_code"] != "1" and reused["result_data"]["code"] == "5"
    authed.access_token = data["access_token"]
    assert authed.data("queryPowerStationList", page=1, size=10)["result_code"] == "1"
    assert authed.refresh(data["refresh_token"])["result_code"] == "1"


def test_refresh_reply_without_refresh_token_keeps_old_one_valid(authed: Cloud) -> None:
    authed.sim.omit_refresh_token_next = True
    reply = authed.refresh()
    assert reply["result_code"] == "1"
    assert "refresh_token" not in reply["result_data"] and "refresh_token" not in reply
    second = authed.refresh()
    assert second["result_code"] == "1" and "refresh_token" in second["result_data"]


def test_unknown_and_expired_refresh_tokens(authed: Cloud) -> None:
    assert not authed.sim.refresh_token_valid(str(uuid.uuid4()))
    unknown = authed.refresh(str(uuid.uuid4()))
    assert unknown["result_data"]["code"] == "5" and unknown["result_code"] == "5"
    authed.sim.clock.advance(31 * 86400)
    assert not authed.sim.refresh_token_valid(authed.refresh_token)
    expired = authed.refresh()
    assert expired["result_code"] == "-2" and expired["result_data"]["code"] == "-2"


def test_expired_access_token_gives_e00003_and_refresh_recovers(authed: Cloud) -> None:
    authed.sim.expire_access_tokens()
    reply = authed.data("queryPowerStationList", page=1, size=10)
    assert (reply["result_code"], reply["result_msg"]) == ("E00003", "er_token_login_invalid")
    assert reply["result_data"] is None
    authed.access_token = authed.refresh()["result_data"]["access_token"]
    assert authed.data("queryPowerStationList", page=1, size=10)["result_code"] == "1"


def test_access_token_lifetime_follows_expires_in() -> None:
    from tests.simulator.conftest import make_cloud

    cloud = make_cloud(expires_in=600)
    cloud.login()
    cloud.sim.clock.advance(599)
    assert cloud.data("queryPowerStationList", page=1, size=10)["result_code"] == "1"
    cloud.sim.clock.advance(2)
    assert cloud.data("queryPowerStationList", page=1, size=10)["result_code"] == "E00003"


def test_unknown_or_missing_bearer_gives_e00003(authed: Cloud) -> None:
    body = {"page": 1, "size": 10}
    path = "/openapi/platform/queryPowerStationList"
    assert authed.post(path, body, token=str(uuid.uuid4())).json()["result_code"] == "E00003"
    missing = authed.post(path, body, token="")
    assert missing.status_code == 200 and missing.json()["result_code"] == "E00003"


def test_revoke_kills_access_and_refresh_tokens(authed: Cloud) -> None:
    authed.sim.revoke()
    assert authed.data("queryPowerStationList", page=1, size=10)["result_code"] == "E00003"
    assert authed.refresh()["result_data"]["code"] == "5"
    authed.login()  # the owner authorises again
    assert authed.data("queryPowerStationList", page=1, size=10)["result_code"] == "1"


def test_token_sees_only_authorised_plants(cloud: Cloud) -> None:
    cloud.login(ps_ids=[STRING])
    reply = cloud.data("queryPowerStationList", page=1, size=10)
    assert [p["ps_id"] for p in reply["result_data"]["pageList"]] == [int(STRING)]
    rt = cloud.data(
        "getPowerStationRealTimeData", ps_id_list=[HYBRID, STRING], point_id_list=["83033"]
    )
    assert rt["result_data"]["fail_ps_id_list"] == [HYBRID]
