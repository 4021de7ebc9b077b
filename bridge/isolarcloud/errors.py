"""Errors of the iSolarCloud gateway client, one class per thing the caller does about it.

    IsolarcloudError                 base; `.code` is the cloud's result_code (or None)
    ├── TransientError               timeouts, connection errors, HTTP 5xx, malformed JSON,
    │                                result codes -1, 000, 011, E997. Retried by the client
    │                                with backoff; raised when the retries are used up.
    │                                The caller tries again at the next poll.
    ├── RateLimitedError             E999 (hourly quota), E998 (monthly quota), E901 (too
    │                                frequent), HTTP 429. `.retry_after` says how many
    │                                seconds to wait; the caller backs off that long.
    ├── AuthError
    │   ├── TokenExpiredError        E00003 (or HTTP 401). The client refreshes once and
    │   │                            retries once; raised only if that fails too.
    │   ├── AuthorizationDeadError   no token file, corrupt token file, refresh rejected
    │   │                            (revoked, expired or burned refresh token). Only the
    │   │                            owner can fix it: run `isolarcloud2mqtt auth login`.
    │   └── CodeExchangeError        the token endpoint refused an authorisation code
    │                                (codes 2-6); `.hint` says what to do.
    ├── AppConfigError               E00000, E00001, E911, E912, E914, 001, E900, E902-E910:
    │                                the app key, secret or portal settings are wrong.
    ├── WhitelistError               E918, E919: the portal's IP/user whitelist blocks us.
    │                                Fix the whitelist; keep retrying slowly, do NOT re-auth.
    ├── ParameterError               009, 010 and other request bugs (a bug in the bridge).
    └── ApiError                     anything else.

Messages never contain a secret: `error_for` masks every secret of the registry it is given.
"""

from __future__ import annotations

from bridge.platform.secrets import SecretRegistry

LOGIN_FIX = "run `isolarcloud2mqtt auth login` to authorise again"
DEFAULT_RATE_LIMIT_WAIT = 60.0
HTTP_429_WAIT = 15.0  # what a live-tested peer waits after a 429 burst
MONTHLY_QUOTA_WAIT = 3600.0

_TRANSIENT = {"-1", "000", "011", "E997"}
_APP_CONFIG = {"E00000", "E00001", "E00002", "E911", "E912", "E914", "001", "002", "E900"}
_ENCRYPTION = {f"E{n}" for n in range(902, 911)}
_WHITELIST = {"E918", "E919"}
_PARAMETER = {"003", "009", "010", "E995"}
_APP_CONFIG_FIXES = {
    "E00000": "the app key is invalid: copy the Appkey from the developer portal into "
    "[isolarcloud] app_key",
    "E00001": "the API service of this application has expired: renew it in the developer portal",
    "E911": "the x-access-key header is missing: set [isolarcloud] secret_key",
    "E912": "the secret key is wrong: copy the Secret key from the developer portal into "
    "[isolarcloud] secret_key",
    "E914": "the app key and the secret key do not belong together: copy both from the same "
    "application in the developer portal",
    "001": "the app key is empty: set [isolarcloud] app_key",
    "E900": "this application is not allowed to call this API: check its API permissions "
    "in the developer portal",
}


class IsolarcloudError(Exception):
    """Base class; `code` is the cloud's result_code when there is one."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class TransientError(IsolarcloudError):
    """A temporary failure (network, 5xx, malformed reply); try again later."""


class RateLimitedError(IsolarcloudError):
    """The cloud asks us to slow down; wait `retry_after` seconds."""

    def __init__(self, message: str, code: str | None = None, retry_after: float = 60.0) -> None:
        super().__init__(message, code)
        self.retry_after = retry_after


class AuthError(IsolarcloudError):
    """Something is wrong with the OAuth authorisation."""


class TokenExpiredError(AuthError):
    """The access token was refused even after a refresh."""


class AuthorizationDeadError(AuthError):
    """The authorisation cannot be renewed without the owner: run `auth login`."""


class CodeExchangeError(AuthError):
    """The token endpoint refused the authorisation code; `hint` says what to do."""

    def __init__(self, message: str, code: str | None = None, hint: str = "") -> None:
        super().__init__(f"{message}: {hint}" if hint else message, code)
        self.hint = hint


class AppConfigError(IsolarcloudError):
    """The app key, secret key or the application's portal settings are wrong."""


class WhitelistError(IsolarcloudError):
    """The portal's IP or user whitelist refuses us; fix the whitelist, do not re-authorise."""


class ParameterError(IsolarcloudError):
    """The request was malformed (a bridge bug)."""


class ApiError(IsolarcloudError):
    """Any other refusal by the cloud."""


def seconds_to_next_hour(now: float) -> float:
    """Seconds from `now` (epoch) until the top of the next hour, at least 1."""
    return max(1.0, 3600.0 - now % 3600.0)


def error_for(
    result_code: str,
    result_msg: str,
    *,
    path: str = "",
    now: float = 0.0,
    retry_after: float | None = None,
    secrets: SecretRegistry | None = None,
) -> IsolarcloudError:
    """The exception for a non-"1" `result_code` returned by `path`."""
    code = str(result_code)
    msg = str(result_msg or "no message")
    if secrets is not None:
        msg = secrets.redact(msg)
    where = f" from {path}" if path else ""
    text = f"iSolarCloud error {code} ({msg}){where}"
    if code == "E999":
        wait = retry_after if retry_after is not None else seconds_to_next_hour(now)
        return RateLimitedError(f"{text}: hourly call quota used up", code, wait)
    if code == "E998":
        wait = retry_after if retry_after is not None else MONTHLY_QUOTA_WAIT
        return RateLimitedError(f"{text}: monthly call quota used up", code, wait)
    if code in {"E901", "E916"}:
        wait = retry_after if retry_after is not None else DEFAULT_RATE_LIMIT_WAIT
        return RateLimitedError(f"{text}: calling too often", code, wait)
    if code in _TRANSIENT:
        return TransientError(f"{text}: a temporary cloud failure", code)
    if code == "E00003":
        return TokenExpiredError(f"{text}: the access token is invalid or has expired", code)
    if code in _WHITELIST:
        return WhitelistError(
            f"{text}: the application's IP/user whitelist in the developer portal refuses "
            "this request; fix the whitelist (re-authorising does not help)",
            code,
        )
    if code in _ENCRYPTION:
        return AppConfigError(
            f"{text}: the application demands encrypted calls, which this bridge does not "
            "make; turn encryption off for the application in the developer portal",
            code,
        )
    if code in _APP_CONFIG:
        fix = _APP_CONFIG_FIXES.get(code, "check the application in the developer portal")
        return AppConfigError(f"{text}: {fix}", code)
    if code in _PARAMETER:
        return ParameterError(f"{text}: the bridge sent a bad request (please report it)", code)
    return ApiError(text, code)
