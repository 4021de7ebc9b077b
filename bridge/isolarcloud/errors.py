"""Errors of the iSolarCloud gateway client, one class per thing the caller does about it.

    IsolarcloudError                 base; `.code` is the cloud's result_code (or None)
    ├── TransientError               timeouts, connection errors, HTTP 5xx, malformed JSON,
    │   │                            result codes -1, 000, 011, E997, a token refresh the
    │   │                            authorisation server failed (code -1). Retried by the
    │   │                            client with backoff (the token refresh only when the
    │   │                            request never left: see oauth.py); raised when the
    │   │                            retries are used up. The caller tries again later.
    │   └── NotSentError             the connection failed: the gateway never saw the call.
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
    ├── AppConfigError               E00000, E00001, E911, E912, E914, 001, E902-E910:
    │   │                            the app key, secret or portal settings are wrong.
    │   └── UnavailableError         HTTP 404/405, E900, E994, E996: this account or app
    │                                cannot use the endpoint. Optional data (device values,
    │                                plant details) is skipped; a required endpoint fails.
    ├── WhitelistError               E918, E919: the portal's IP/user whitelist blocks us.
    │                                Fix the whitelist; keep retrying slowly, do NOT re-auth.
    ├── ParameterError               009, 010 and other request bugs (a bug in the bridge,
    │                                or, for one device type only, a type the account
    │                                cannot read).
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
_APP_CONFIG = {"E00000", "E00001", "E00002", "E911", "E912", "E914", "001", "002"}
_UNAVAILABLE = {"E900", "E994", "E996"}
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
}


class IsolarcloudError(Exception):
    """Base class; `code` is the cloud's result_code when there is one."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class TransientError(IsolarcloudError):
    """A temporary failure (network, 5xx, malformed reply); try again later."""


class NotSentError(TransientError):
    """The connection failed before the request left: safe to send again, even a
    single-use refresh token."""


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


class UnavailableError(AppConfigError):
    """This account or application cannot use the endpoint (or a device type on it)."""


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
        # Sungrow marks encryption optional, and no OAuth client is known to need it; these
        # codes are reported from the private app API, whose keys do not work here.
        return AppConfigError(
            f"{text}: the gateway wants encrypted calls, which this bridge does not make; "
            "check that [isolarcloud] app_key and secret_key come from an OpenAPI "
            "application with OAuth2.0 in the developer portal of your region (keys of the "
            "iSolarCloud app's own API do not work here)",
            code,
        )
    if code in _UNAVAILABLE:
        return UnavailableError(
            f"{text}: this account or application cannot use this API (check the "
            "application's API permissions in the developer portal)",
            code,
        )
    if code in _APP_CONFIG:
        fix = _APP_CONFIG_FIXES.get(code, "check the application in the developer portal")
        return AppConfigError(f"{text}: {fix}", code)
    if code in _PARAMETER:
        return ParameterError(f"{text}: the bridge sent a bad request (please report it)", code)
    return ApiError(text, code)
