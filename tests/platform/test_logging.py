"""Logging set-up: formats, levels, and that no secret ever reaches a line."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote

import pytest
import structlog

from bridge.platform.logging import PAHO_LOGGER, configure_logging
from bridge.platform.secrets import SecretRegistry

pytestmark = pytest.mark.usefixtures("restore_logging")

SECRET_KEY = "sk_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
ACCESS_TOKEN = "at_3a1f0c9e-5d2b-4e7f-8a6c-1b0d9e8f7a6c"
REFRESH_TOKEN = "rt_7b6a5c4d+3e2f/1a0b9c8d7e6f=="
AUTH_CODE = "code_58d1e2f3a4b5"
MQTT_PASSWORD = "p@ss w0rd&;=?"
ALL_SECRETS = (SECRET_KEY, ACCESS_TOKEN, REFRESH_TOKEN, AUTH_CODE, MQTT_PASSWORD)


class TtyStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def registry() -> SecretRegistry:
    secrets = SecretRegistry()
    secrets.add(SECRET_KEY)
    secrets.add(MQTT_PASSWORD)
    secrets.add(AUTH_CODE, rotating=True)
    secrets.add(ACCESS_TOKEN, rotating=True)
    secrets.add(REFRESH_TOKEN, rotating=True)
    return secrets


class Holder:
    """An object whose repr carries a secret: only the rendered line can be checked."""

    def __repr__(self) -> str:
        return f"Holder(token={ACCESS_TOKEN!r})"


def log_everything() -> None:
    """Every way a secret could try to reach a line: ours, the stdlib's, exceptions."""
    log = structlog.get_logger("bridge.test")
    log.debug("auth.refreshed", plant="5182", access_token=ACCESS_TOKEN, expires_in=7200)
    log.debug(f"token is {ACCESS_TOKEN}", attempt=2)
    log.info(
        "auth.request",
        body={"refresh_token": REFRESH_TOKEN, "appkey": "A1B2", "list": [SECRET_KEY]},
        headers=(("x-access-key", SECRET_KEY), ("Authorization", f"Bearer {ACCESS_TOKEN}")),
        note=f"pasted http://localhost:8765/callback?code={quote(AUTH_CODE)}&state=x",
    )
    log.info("mqtt.connecting", password=MQTT_PASSWORD, username="bridge", client=Holder())
    log.warning("odd", detail=f"pw={quote(MQTT_PASSWORD, safe='')}")
    try:
        raise RuntimeError(f"refresh failed for {REFRESH_TOKEN} with {AUTH_CODE}")
    except RuntimeError:
        log.exception("auth.refresh_failed", plant="5182")
    try:
        raise ValueError(f"bad secret {SECRET_KEY}")
    except ValueError:
        logging.getLogger(PAHO_LOGGER).debug("paho %s", MQTT_PASSWORD, exc_info=True)
    logging.getLogger("bridge.stdlib").info("stdlib with %s", ACCESS_TOKEN)
    logging.getLogger("httpx").warning("HTTP error %s", ACCESS_TOKEN)


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_no_secret_reaches_a_line_at_debug(fmt: Literal["json", "console"]) -> None:
    stream = io.StringIO()
    configure_logging("debug", fmt, registry(), stream)
    log_everything()
    out = stream.getvalue()
    for secret in ALL_SECRETS:
        assert secret not in out
        assert quote(secret, safe="") not in out
        assert json.dumps(secret)[1:-1] not in out
    # the lines themselves are there, with their harmless context, and the masks show
    for expected in (
        "auth.refreshed",
        "5182",
        "auth.refresh_failed",
        "RuntimeError",
        "ValueError",
        "paho",
        "bridge",
        "A1B2",
        "HTTP error",
    ):
        assert expected in out
    assert out.count("***") >= 12


def test_secret_key_names_are_masked_even_when_not_registered() -> None:
    stream = io.StringIO()
    configure_logging("debug", "json", SecretRegistry(), stream)
    structlog.get_logger("t").info(
        "x", Password="hunter2", secret_key="s", result_code="E00003", code="E999", token=None
    )
    line = json.loads(stream.getvalue())
    assert line["Password"] == "***"
    assert line["secret_key"] == "***"
    assert line["code"] == "E999"  # a result code, which users search for, stays readable
    assert line["result_code"] == "E00003"
    assert line["token"] is None


def test_an_authorisation_code_is_masked_by_its_value_under_any_key() -> None:
    stream = io.StringIO()
    secrets = SecretRegistry()
    secrets.add("tSQsoO", rotating=True)  # as OAuth registers a code when it arrives
    configure_logging("debug", "json", secrets, stream)
    structlog.get_logger("t").info("x", code="tSQsoO", url="http://h/cb?code=tSQsoO&state=1")
    line = json.loads(stream.getvalue())
    assert line["code"] == "***"
    assert line["url"] == "http://h/cb?code=***&state=1"


def test_json_lines_parse_with_event_level_and_utc_timestamp() -> None:
    stream = io.StringIO()
    configure_logging("info", "auto", SecretRegistry(), stream)
    structlog.get_logger("bridge.daemon.service").info("poll.completed", plant="1", duration_s=0.5)
    logging.getLogger("bridge.other").warning("from stdlib %d", 7)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["poll.completed", "from stdlib 7"]
    assert [line["level"] for line in lines] == ["info", "warning"]
    assert lines[0]["logger"] == "bridge.daemon.service"
    assert lines[0]["plant"] == "1"
    for line in lines:
        stamp = datetime.fromisoformat(line["timestamp"])
        assert stamp.utcoffset() == UTC.utcoffset(None)
        assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60


def test_json_exception_is_structured() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", SecretRegistry(), stream)
    try:
        raise KeyError("missing")
    except KeyError:
        structlog.get_logger("t").exception("poll.failed")
    line = json.loads(stream.getvalue())
    assert line["event"] == "poll.failed"
    assert line["exception"][0]["exc_type"] == "KeyError"
    assert "locals" not in line["exception"][0]["frames"][0]


def test_console_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    stream = TtyStream()
    configure_logging("info", "auto", SecretRegistry(), stream)
    structlog.get_logger("bridge.daemon.service").info("poll.completed", plant="1")
    out = stream.getvalue()
    assert "poll.completed" in out
    assert "plant=1" in out
    assert "\x1b[" not in out  # NO_COLOR honoured
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_console_on_a_terminal_has_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    stream = TtyStream()
    configure_logging("info", "auto", SecretRegistry(), stream)
    structlog.get_logger("t").info("hello")
    assert "\x1b[" in stream.getvalue()


def test_level_filtering_and_quiet_http_loggers() -> None:
    stream = io.StringIO()
    configure_logging("warning", "json", SecretRegistry(), stream)
    log = structlog.get_logger("t")
    log.info("dropped.info")
    log.warning("kept.warning")
    logging.getLogger("bridge.x").info("dropped.stdlib")
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events == ["kept.warning"]

    stream = io.StringIO()
    configure_logging("debug", "json", SecretRegistry(), stream)
    logging.getLogger("httpx").info("HTTP Request: POST https://gateway/x")
    logging.getLogger("httpcore.connection").debug("connect_tcp.started")
    logging.getLogger(PAHO_LOGGER).debug("Sending PINGREQ")
    structlog.get_logger("t").debug("kept.debug")
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events == ["Sending PINGREQ", "kept.debug"]


def test_reconfiguring_replaces_the_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("info", "json", SecretRegistry(), first)
    log = structlog.get_logger("t")
    log.info("one")
    configure_logging("info", "json", SecretRegistry(), second)
    log.info("two")
    assert "two" not in first.getvalue()
    assert json.loads(second.getvalue())["event"] == "two"


def test_unknown_level_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        configure_logging("loud", "json", SecretRegistry(), io.StringIO())


def test_positional_arguments_are_formatted() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", SecretRegistry(), stream)
    structlog.get_logger("t").info("polled %d plants", 3)
    assert json.loads(stream.getvalue())["event"] == "polled 3 plants"
