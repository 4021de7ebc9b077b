"""Parsing refresh/republish requests: every accepted form, every rejection, any bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.mqtt.commands import (
    BadRequest,
    Incoming,
    RefreshRequest,
    RepublishRequest,
    parse_request,
    response_payload,
)
from bridge.mqtt.topics import Topics

TOPICS = Topics("isolarcloud", "homeassistant")
REFRESH = TOPICS.request_refresh
REPUBLISH = TOPICS.request_republish


def msg(topic: str, payload: bytes | str, retain: bool = False) -> Incoming:
    data = payload.encode() if isinstance(payload, str) else payload
    return Incoming(topic, data, retain)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("", RefreshRequest(None, None)),
        ("PRESS", RefreshRequest(None, None)),
        (" PRESS\n", RefreshRequest(None, None)),
        ("{}", RefreshRequest(None, None)),
        ("1717243200000", RefreshRequest(None, None)),  # Node-RED inject's default timestamp
        ("2.5", RefreshRequest(None, None)),
        ('{"plant": "1234567"}', RefreshRequest("1234567", None)),
        ('{"plant": 1234567, "transaction": "t1"}', RefreshRequest("1234567", "t1")),
        ('{"plant": null, "transaction": {"id": [1, 2]}}', RefreshRequest(None, {"id": [1, 2]})),
    ],
)
def test_refresh_forms(payload: str, expected: RefreshRequest) -> None:
    assert parse_request(msg(REFRESH, payload), TOPICS) == expected


@pytest.mark.parametrize(
    ("payload", "fragment", "transaction"),
    [
        ("{plant", "not JSON", None),
        ('"1234567"', "must be a JSON object, not str", None),
        ("[1]", "must be a JSON object, not list", None),
        ("true", "must be a JSON object, not bool", None),
        ('{"plant": true, "transaction": 7}', "plant must be a plant id", 7),
        ('{"plant": ""}', "plant must be a plant id", None),
        ('{"plant": [1]}', "plant must be a plant id", None),
        ('{"plant_id": "1", "transaction": "x"}', "unknown key 'plant_id'", "x"),
        (b"\xff\xfe", "not UTF-8", None),
        ("[" * 5000, "too large", None),
        ("[" * 4000, "not JSON", None),
    ],
)
def test_refresh_rejections_name_the_problem(
    payload: str | bytes, fragment: str, transaction: object
) -> None:
    result = parse_request(msg(REFRESH, payload), TOPICS)
    assert isinstance(result, BadRequest)
    assert fragment in result.error
    assert result.transaction == transaction
    assert result.kind == "refresh"


def test_republish_forms() -> None:
    assert parse_request(msg(REPUBLISH, ""), TOPICS) == RepublishRequest(None)
    assert parse_request(msg(REPUBLISH, '{"transaction": 5}'), TOPICS) == RepublishRequest(5)
    assert parse_request(msg(REPUBLISH, "1717243200000"), TOPICS) == RepublishRequest(None)
    bad = parse_request(msg(REPUBLISH, '{"plant": "1"}'), TOPICS)
    assert isinstance(bad, BadRequest)
    assert bad.kind == "republish"
    assert "unknown key 'plant'" in bad.error


def test_retained_commands_and_other_topics_are_ignored() -> None:
    assert parse_request(msg(REFRESH, "PRESS", retain=True), TOPICS) is None
    assert parse_request(msg("isolarcloud/1234567/state", "{}"), TOPICS) is None


def test_unknown_request_kind_is_answered_on_its_own_response_topic() -> None:
    result = parse_request(msg(TOPICS.request("reboot"), ""), TOPICS)
    assert isinstance(result, BadRequest)
    assert result.kind == "reboot"
    assert REFRESH in result.error
    assert TOPICS.response(result.kind) == "isolarcloud/bridge/response/reboot"


@given(
    payload=st.binary(max_size=6000),
    topic=st.sampled_from([REFRESH, REPUBLISH, TOPICS.request("x"), "isolarcloud/other"]),
    retain=st.booleans(),
)
def test_parse_request_never_raises_on_bytes(payload: bytes, topic: str, retain: bool) -> None:
    parse_request(Incoming(topic, payload, retain), TOPICS)


@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=20,
    )
)
def test_parse_request_never_raises_on_json(body: object) -> None:
    result = parse_request(msg(REFRESH, json.dumps(body)), TOPICS)
    assert isinstance(result, RefreshRequest | BadRequest)


def test_response_payload_shape() -> None:
    ts = datetime(2026, 5, 1, 10, 35, tzinfo=UTC)
    assert response_payload("ok", transaction="t1", plants=["1"], data_ts=ts) == {
        "status": "ok",
        "transaction": "t1",
        "plants": ["1"],
        "data_ts": "2026-05-01T10:35:00+00:00",
        "error": None,
        "retry_after_s": None,
    }
    throttled = response_payload("throttled", transaction=None, retry_after_s=42)
    assert throttled["status"] == "throttled"
    assert throttled["retry_after_s"] == 42
