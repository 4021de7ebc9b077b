"""Every result code maps to the error class the caller acts on."""

from __future__ import annotations

import pytest

from bridge.isolarcloud import errors
from bridge.platform.secrets import SecretRegistry

CASES: list[tuple[str, type[errors.IsolarcloudError]]] = [
    ("-1", errors.TransientError),
    ("000", errors.TransientError),
    ("011", errors.TransientError),
    ("E997", errors.TransientError),
    ("E999", errors.RateLimitedError),
    ("E998", errors.RateLimitedError),
    ("E901", errors.RateLimitedError),
    ("E00003", errors.TokenExpiredError),
    ("E00000", errors.AppConfigError),
    ("E00001", errors.AppConfigError),
    ("E911", errors.AppConfigError),
    ("E912", errors.AppConfigError),
    ("E914", errors.AppConfigError),
    ("001", errors.AppConfigError),
    ("E900", errors.UnavailableError),
    ("E994", errors.UnavailableError),
    *[(f"E{n}", errors.AppConfigError) for n in range(902, 911)],
    ("E918", errors.WhitelistError),
    ("E919", errors.WhitelistError),
    ("009", errors.ParameterError),
    ("010", errors.ParameterError),
    ("42", errors.ApiError),
    ("E996", errors.UnavailableError),
]


@pytest.mark.parametrize(("code", "cls"), CASES)
def test_result_code_maps_to_class(code: str, cls: type[errors.IsolarcloudError]) -> None:
    error = errors.error_for(code, "some message", path="/openapi/platform/x")
    assert type(error) is cls
    assert error.code == code
    assert code in str(error) and "/openapi/platform/x" in str(error)


def test_e999_waits_until_the_next_hour() -> None:
    error = errors.error_for("E999", "er_hour_call_api_times_upper_limit", now=3600 * 100 + 600)
    assert isinstance(error, errors.RateLimitedError)
    assert error.retry_after == 3000


def test_retry_after_header_wins_over_the_default() -> None:
    error = errors.error_for("E901", "Call too frequently", retry_after=7.0)
    assert isinstance(error, errors.RateLimitedError) and error.retry_after == 7.0


def test_config_errors_say_what_to_fix() -> None:
    assert "secret_key" in str(errors.error_for("E912", "Illegal x-access-key"))
    assert "whitelist" in str(errors.error_for("E918", "Permit Denied By White IP Address"))
    encrypted = str(errors.error_for("E902", "Request is not encrypted"))
    assert "encrypted calls" in encrypted and "OpenAPI application" in encrypted
    assert "turn encryption off" not in encrypted  # no portal switch is known to exist


def test_secrets_are_removed_from_messages() -> None:
    secrets = SecretRegistry("tSQsoO", "")
    error = errors.error_for("2", "Invalid authorization code: tSQsoO", secrets=secrets)
    assert "tSQsoO" not in str(error)


def test_seconds_to_next_hour_is_never_zero() -> None:
    assert errors.seconds_to_next_hour(7200.0) == 3600.0
    assert errors.seconds_to_next_hour(7199.5) == 1.0
