"""Requests on `<base>/bridge/request/<kind>` as they arrive, their parsing (which never
raises), and the payload and MQTT 5 properties of the answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bridge.mqtt.topics import Topics

MAX_REQUEST_BYTES = 4096
PRESS = "PRESS"
_REFRESH_KEYS = ("plant", "transaction")
_REPUBLISH_KEYS = ("transaction",)

Status = Literal["ok", "error", "throttled"]


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message received on a subscribed topic, detached from paho."""

    topic: str
    payload: bytes
    retain: bool
    response_topic: str | None = None
    correlation_data: bytes | None = None


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    plant: str | None  # None: every plant
    transaction: object | None


@dataclass(frozen=True, slots=True)
class RepublishRequest:
    transaction: object | None


@dataclass(frozen=True, slots=True)
class BadRequest:
    """A request that cannot be served; `kind` names the response topic to answer on."""

    error: str
    transaction: object | None
    kind: str


Request = RefreshRequest | RepublishRequest | BadRequest


def parse_request(msg: Incoming, topics: Topics) -> Request | None:
    """Parse one request; None means ignore it (retained, or not a request topic)."""
    prefix = topics.request("")
    if msg.retain or not msg.topic.startswith(prefix):
        return None
    kind = msg.topic[len(prefix) :]
    if kind not in ("refresh", "republish"):
        return BadRequest(
            f"unknown request {kind!r}: use {topics.request_refresh} or {topics.request_republish}",
            None,
            kind,
        )
    if len(msg.payload) > MAX_REQUEST_BYTES:
        return BadRequest(
            f"payload too large ({len(msg.payload)} bytes, at most {MAX_REQUEST_BYTES})",
            None,
            kind,
        )
    body = _decode(msg.payload, kind)
    if isinstance(body, BadRequest):
        return body
    transaction = body.get("transaction")
    allowed = _REFRESH_KEYS if kind == "refresh" else _REPUBLISH_KEYS
    unknown = sorted(key for key in body if key not in allowed)
    if unknown:
        return BadRequest(
            f"unknown key {unknown[0]!r}: allowed keys are {', '.join(allowed)}",
            transaction,
            kind,
        )
    if kind == "republish":
        return RepublishRequest(transaction)
    plant = body.get("plant")
    if plant is None:
        return RefreshRequest(None, transaction)
    if isinstance(plant, bool) or not isinstance(plant, str | int) or plant == "":
        return BadRequest(
            'plant must be a plant id such as "1234567" (a string or an integer)',
            transaction,
            kind,
        )
    return RefreshRequest(str(plant), transaction)


def _decode(payload: bytes, kind: str) -> dict[str, object] | BadRequest:
    """The request body as a JSON object; empty, PRESS and a bare number are an empty
    request (a number is what Node-RED's inject node sends by default: its timestamp)."""
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return BadRequest("payload is not UTF-8 text", None, kind)
    if text in ("", PRESS):
        return {}
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return BadRequest(
            f"payload is not JSON ({_short(exc)}): send nothing, PRESS, a number, or a JSON object",
            None,
            kind,
        )
    if isinstance(body, int | float) and not isinstance(body, bool):
        return {}
    if not isinstance(body, dict):
        return BadRequest(f"payload must be a JSON object, not {type(body).__name__}", None, kind)
    return body


def _short(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0][:80] or type(exc).__name__


def response_payload(
    status: Status,
    *,
    transaction: object | None,
    plants: tuple[str, ...] | list[str] = (),
    data_ts: datetime | str | None = None,
    error: str | None = None,
    retry_after_s: float | None = None,
) -> dict[str, object]:
    """The JSON object answered on `<base>/bridge/response/<kind>`."""
    return {
        "status": status,
        "transaction": transaction,
        "plants": list(plants),
        "data_ts": data_ts.isoformat() if isinstance(data_ts, datetime) else data_ts,
        "error": error,
        "retry_after_s": retry_after_s,
    }


def response_properties(correlation_data: bytes | None) -> Properties | None:
    """PUBLISH properties for an MQTT 5 response carrying the request's correlation data."""
    if correlation_data is None:
        return None
    # paho's Properties.__init__ carries no annotations
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.CorrelationData = correlation_data
    return props
