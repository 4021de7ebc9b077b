"""The cloud's reply envelope and the error it carries."""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

import httpx

JSON_TYPE = "application/json;charset=UTF-8"


class ApiError(Exception):
    """A business error: sent as HTTP 200 with a non-"1" result_code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def serial(now: datetime, rng: random.Random) -> str:
    """`req_serial_num`: yyyyMMdd + 24 hex digits."""
    return now.strftime("%Y%m%d") + f"{rng.getrandbits(96):024x}"


def envelope(
    now: datetime,
    rng: random.Random,
    code: str = "1",
    msg: str = "success",
    data: Any = None,
    **top: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "req_serial_num": serial(now, rng),
        "result_code": code,
        "result_msg": msg,
        "result_data": data,
    }
    body.update(top)
    return body


def json_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return httpx.Response(
        status, headers={"content-type": JSON_TYPE, **(headers or {})}, content=content
    )
