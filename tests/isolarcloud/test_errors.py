"""Every result code maps to the error class the caller acts on."""

from __future__ import annotations

import pytest

from bridge.isolarcloud.errors import (
    ApiError,
    AppConfigError,
    IsolarcloudError,
    ParameterError,
    RateLimitedError,
    TokenExpiredError,
    TransientError,
    WhitelistError,
    error_for,
    seconds_to_next_hour,
)
from bridge.platform.secrets import SecretRegistry

CASES: list[tuple[str, type[IsolarcloudError]]] = [
    ("-1", TransientError),
    ("000", TransientError),
    ("011", TransientError),
    ("E997", TransientError),
    ("E999", RateLimitedError),
    ("E998", RateLimitedError),
    ("E901", RateLimitedError),
    ("E00003", TokenExpiredError),
    ("E00000", AppConfigError),
    ("E00001", AppConfigError),
    ("E911", AppConfigError),
    ("E912", AppConfigError),
    ("E914", AppConfigError),
    ("001", AppConfigError),
    ("E900", AppConfigError),
    *[(f"E{n}", AppConfigError) for n in range(902, 911)],
    ("E918", WhitelistError),
    ("E919", WhitelistError),
    ("009", ParameterError),
    ("010", ParameterError),
    ("42", ApiError),
    ("E996", ApiError),
]


@pytest.mark.parametrize(("code", "cls"), CASES)
def test_result_code_maps_to_class(code: str, cls: type[IsolarcloudError]) -> None:
    error = error_for(code, "some message", path="/openapi/platform/x")
    assert type(error) is cls
    assert error.code == code
    assert code in str(error) and "/openapi/platform/x" in str(error)


def test_e999_waits_until_the_next_hour() -> None:
    error = error_for("E999", "er_hour_call_api_times_upper_limit", now=3600 * 100 + 600)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 3000


def test_retry_after_header_wins_over_the_default() -> None:
    error = error_for("E901", "Call too frequently", retry_after=7.0)
    assert isinstance(error, RateLimitedError) and error.retry_after == 7.0


def test_config_errors_say_what_to_fix() -> None:
    assert "secret_key" in str(error_for("E912", "Illegal x-access-key"))
    assert "whitelist" in str(error_for("E918", "Permit Denied By White IP Address"))
    assert "encrypt" in str(error_for("E902", "Request is not encrypted"))


def test_secrets_are_removed_from_messages() -> None:
    secrets = SecretRegistry("tSQsoO", "")
    error = error_for("2", "Invalid authorization code: tSQsoO", secrets=secrets)
    assert "tSQsoO" not in str(error)


def test_seconds_to_next_hour_is_never_zero() -> None:
    assert seconds_to_next_hour(7200.0) == 3600.0
    assert seconds_to_next_hour(7199.5) == 1.0
