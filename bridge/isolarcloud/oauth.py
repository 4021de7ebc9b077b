"""OAuth2 for the iSolarCloud V2 API: the authorisation URL, the code, and the token lifecycle.

Refresh tokens are single-use and rotate, so a refresh runs under a lock, and the new
tokens are saved (atomically) before the new access token is handed out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import structlog

from bridge.config.model import IsolarcloudConfig
from bridge.isolarcloud.errors import (
    LOGIN_FIX,
    ApiError,
    AuthError,
    AuthorizationDeadError,
    CodeExchangeError,
    NotSentError,
    ParameterError,
    TransientError,
)
from bridge.isolarcloud.parsing import id_str, parse_float
from bridge.isolarcloud.regions import endpoints_for, region_for
from bridge.isolarcloud.session import ApiSession
from bridge.isolarcloud.tokens import TokenSet, TokenStore
from bridge.platform.secrets import SecretRegistry

log = structlog.get_logger(__name__)

EXCHANGE_PATH = "/openapi/apiManage/token"
# Refresh answers that end the grant (Sungrow's refresh codes: 2 no authorisation
# information, -2 refresh token expired, 5 invalid refresh token). The rest, such as -1
# "authorization server token refresh failed", are the server's trouble: try again later.
DEAD_GRANT_CODES = frozenset({"2", "-2", "5"})
RENEW_PATH = "/openapi/apiManage/refreshToken"
REFRESH_TOKEN_LIFETIME = 30 * 86400.0
# The cloud sometimes reports a negative or tiny expires_in right after login.
SHORT_EXPIRES_IN = 10.0
# A refresh that reports a tiny expires_in again: trust the token this long, so we never loop.
SUSPECT_LIFETIME = 600.0
MARGIN_FRACTION = 0.1
MAX_MARGIN = 3600.0
_BARE_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def authorization_url(cfg: IsolarcloudConfig, state: str) -> str:
    """The page the owner opens to authorise us (parameters in the SPA fragment).

    `state` goes in the real query before the `#`, the only place it survives the redirect.
    """
    _, web = endpoints_for(cfg)
    return (
        f"{web}?state={quote(state, safe='')}#/authorized-app?cloudId={region_for(cfg).cloud_id}"
        f"&applicationId={cfg.application_id}&redirectUrl={quote(cfg.redirect_uri, safe='')}"
    )


def code_from_redirect(text: str, expected_state: str | None = None) -> str:
    """The authorisation code from the redirect URL the browser landed on, or a bare code.

    Raises ValueError naming the problem (never echoing the code).
    """
    text = text.strip()
    if not text:
        raise ValueError("nothing was pasted: paste the address the browser was sent to")
    if not any(mark in text for mark in ("://", "?", "=")):
        if set(text) <= _BARE_CODE_CHARS and len(text) <= 64:
            return text
        raise ValueError(
            "that is neither a redirect URL nor an authorisation code: paste the whole "
            "address from the browser's address bar"
        )
    params = _query_params(text)
    if "error" in params:
        reason = params.get("error_description") or params["error"]
        raise ValueError(f"the authorisation was refused ({reason}): start again")
    code = params.get("code", "")
    if not code:
        raise ValueError(
            "the pasted URL has no `code=` parameter: paste the address the browser was "
            "sent to after you clicked Authorise"
        )
    state = params.get("state")
    if expected_state is not None and state is not None and state != expected_state:
        raise ValueError(
            "the URL's `state` does not match this login attempt: it comes from an older "
            "attempt; use the URL the browser shows after authorising this one"
        )
    return code


def _query_params(url: str) -> dict[str, str]:
    parts = urlsplit(url if "://" in url or url.startswith("?") else f"?{url}")
    params: dict[str, str] = {}
    for query in (parts.query, parts.fragment.partition("?")[2]):
        for key, values in parse_qs(query).items():
            params.setdefault(key, values[0])
    return params


@dataclass
class OAuth:
    """Holds the current TokenSet; hands out valid access tokens, refreshing as needed."""

    cfg: IsolarcloudConfig
    store: TokenStore
    session: ApiSession
    secrets: SecretRegistry
    clock: Callable[[], float] = time.time
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _tokens: TokenSet | None = field(default=None, init=False)
    # a refresh token the cloud already refused
    _dead_refresh: str | None = field(default=None, init=False)

    @property
    def tokens(self) -> TokenSet | None:
        with self._lock:
            return self._current()

    @property
    def token_expires_at(self) -> float | None:
        """When the access token in memory expires (None before any is loaded); no I/O."""
        tokens = self._tokens
        return tokens.expires_at if tokens is not None else None

    def exchange_code(self, code: str) -> TokenSet:
        """Trade an authorisation code for tokens and save them before returning."""
        self.secrets.add(code, rotating=True)
        now = self.clock()
        body = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.cfg.redirect_uri,
        }
        try:
            envelope = self.session.post(EXCHANGE_PATH, body)
        except (ApiError, ParameterError) as exc:
            raise self._exchange_error(exc.code) from None
        tokens = _tokens_from(envelope, now, None, from_refresh=False)
        self._remember(tokens)
        with self._lock:
            self.store.save(tokens)
            self._tokens = tokens
            self._dead_refresh = None
        log.info("auth.authorized", plants=len(tokens.auth_ps_list))
        return tokens

    def access_token(self) -> str:
        """A valid access token, refreshed first when it is close to its expiry."""
        with self._lock:
            tokens = self._require()
            if _needs_refresh(tokens, self.clock()):
                tokens = self._refresh(tokens, tokens.access_token)
            return tokens.access_token

    def force_refresh(self, stale_access_token: str) -> str:
        """After the cloud refused `stale_access_token`: refresh, unless another thread did."""
        with self._lock:
            tokens = self._require()
            if tokens.access_token != stale_access_token:
                return tokens.access_token
            return self._refresh(tokens, stale_access_token).access_token

    def _current(self) -> TokenSet | None:
        if self._tokens is None:
            self._tokens = self._load()
        return self._tokens

    def _load(self) -> TokenSet | None:
        tokens = self.store.load()
        if tokens is not None:
            self._remember(tokens)
        return tokens

    def _remember(self, tokens: TokenSet) -> None:
        """Mask both tokens in every log line from now on (they rotate: the newest are kept)."""
        self.secrets.add(tokens.access_token, rotating=True)
        self.secrets.add(tokens.refresh_token, rotating=True)

    def _require(self) -> TokenSet:
        tokens = self._current()
        if tokens is None:
            raise AuthorizationDeadError(
                f"not authorised yet (no token file at {self.store.path}); {LOGIN_FIX}"
            )
        return tokens

    def _refresh(self, tokens: TokenSet, stale: str) -> TokenSet:
        # Another process (e.g. a CLI command) may have rotated the tokens on disk already.
        on_disk = self._load()
        if on_disk is not None and on_disk.refresh_token != tokens.refresh_token:
            self._tokens = tokens = on_disk
            if on_disk.access_token != stale and not _needs_refresh(on_disk, self.clock()):
                return on_disk
        if tokens.refresh_token == self._dead_refresh:
            raise AuthorizationDeadError(f"the authorisation has ended; {LOGIN_FIX}")
        now = self.clock()
        body = {"refresh_token": tokens.refresh_token, "grant_type": "refresh_token"}
        try:
            # Sent once: the refresh token is single-use, so after a reply lost on its way
            # back the old token is already burned, and sending it again would only turn a
            # network hiccup into a dead authorisation. Only a connection that failed
            # before the request left is retried; anything else waits for the next poll.
            envelope = self.session.post(RENEW_PATH, body, resend=NotSentError)
            inner = _result_data(envelope).get("code")
            if inner is not None and str(inner) != "1":
                raise ApiError(f"the token refresh answered code {inner}", str(inner))
        except (ApiError, ParameterError, AuthError) as exc:
            if isinstance(exc, ApiError | ParameterError) and exc.code not in DEAD_GRANT_CODES:
                log.warning("auth.refresh_failed", code=exc.code, permanent=False)
                raise TransientError(
                    f"iSolarCloud could not renew the access token this time (code {exc.code}); "
                    "the authorisation is kept and the renewal tried again at the next poll",
                    exc.code,
                ) from None
            self._dead_refresh = tokens.refresh_token
            self._tokens = None  # re-read the file next time: `auth login` may have run
            log.warning("auth.refresh_failed", code=exc.code, permanent=True)
            raise AuthorizationDeadError(
                f"iSolarCloud refused to renew the authorisation (code {exc.code}: revoked, "
                f"expired or already used); {LOGIN_FIX}",
                exc.code,
            ) from None
        fresh = _tokens_from(envelope, now, tokens, from_refresh=True)
        # The old refresh token is burned: a kill before the save loses the authorisation,
        # so nothing comes first, not even the (slow) secret masking, which logs nothing.
        try:
            self.store.save(fresh)
        except OSError as exc:
            self._tokens = fresh
            raise AuthError(
                f"cannot save the renewed tokens to {self.store.path} ({exc.strerror}); fix "
                "the state directory (the tokens are kept in memory until the bridge stops)"
            ) from None
        finally:
            self._remember(fresh)
        self._tokens = fresh
        log.info("auth.refreshed", expires_in=round(fresh.expires_at - now))
        return fresh

    def _exchange_error(self, code: str | None) -> CodeExchangeError:
        hints = {
            "2": "the authorisation code is invalid: it was already used or has expired "
            "(codes work once, for a short time); start again with "
            "`isolarcloud2mqtt auth login` and use the new code at once",
            "3": "unauthorised access: check that [isolarcloud] app_key and secret_key come "
            "from the same application in the developer portal",
            "4": "invalid client: check [isolarcloud] app_key, and that the application is "
            "approved with 'Authorize with OAuth2.0' turned on",
            "5": f"redirect URI mismatch: the bridge sent redirect_uri = "
            f"{self.cfg.redirect_uri!r} (from [isolarcloud] redirect_uri); the application's "
            "Redirect URL in the developer portal must be exactly this, byte for byte "
            "(scheme, host, port, path, trailing slash)",
            "6": "grant type not supported: turn on 'Authorize with OAuth2.0' for the "
            "application in the developer portal",
        }
        hint = hints.get(code or "", "start again with `isolarcloud2mqtt auth login`")
        return CodeExchangeError(
            f"iSolarCloud refused the authorisation code (result_code {code})", code, hint
        )


def _needs_refresh(tokens: TokenSet, now: float) -> bool:
    """True within the last 10 % of the lifetime (at most the last hour), or after expiry."""
    lifetime = max(0.0, tokens.expires_at - tokens.obtained_at)
    margin = min(MARGIN_FRACTION * lifetime, MAX_MARGIN)
    return now >= tokens.expires_at - margin


def _result_data(envelope: Mapping[str, Any]) -> Mapping[str, Any]:
    data = envelope.get("result_data")
    return data if isinstance(data, Mapping) else {}


def _tokens_from(
    envelope: Mapping[str, Any], now: float, previous: TokenSet | None, *, from_refresh: bool
) -> TokenSet:
    """A TokenSet from a token or refresh reply: `result_data` first, then the top level."""
    data = _result_data(envelope)

    def field(name: str) -> Any:
        value = data.get(name)
        return envelope.get(name) if value in (None, "") else value

    access = field("access_token")
    if not isinstance(access, str) or not access:
        raise ApiError("iSolarCloud's token reply holds no access token; try again later")
    refresh = field("refresh_token")
    if isinstance(refresh, str) and refresh:
        refresh_expires_at = now + REFRESH_TOKEN_LIFETIME
    elif previous is not None:
        refresh, refresh_expires_at = previous.refresh_token, previous.refresh_expires_at
    else:
        raise ApiError("iSolarCloud's token reply holds no refresh token; start again")
    expires_in = parse_float(field("expires_in"))
    if expires_in is None or expires_in < SHORT_EXPIRES_IN:
        log.warning("auth.short_expiry", expires_in=expires_in)
        expires_at = now + SUSPECT_LIFETIME if from_refresh else now
    else:
        expires_at = now + expires_in
    ps_list = field("auth_ps_list")
    user = field("auth_user")
    previous_user = previous.auth_user if previous else None
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=expires_at,
        refresh_expires_at=refresh_expires_at,
        obtained_at=now,
        auth_ps_list=(
            tuple(id_str(ps) for ps in ps_list)
            if isinstance(ps_list, list)
            else (previous.auth_ps_list if previous else ())
        ),
        auth_user=id_str(user) if user not in (None, "") else previous_user,
    )
