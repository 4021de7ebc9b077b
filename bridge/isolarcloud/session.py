"""One HTTP call to the gateway: headers, the JSON envelope check, error mapping, retries."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any, TypedDict

import httpx
import structlog

from bridge.config.model import IsolarcloudConfig
from bridge.isolarcloud.call_counter import CallCounter
from bridge.isolarcloud.errors import (
    HTTP_429_WAIT,
    ApiError,
    NotSentError,
    RateLimitedError,
    TokenExpiredError,
    TransientError,
    UnavailableError,
    error_for,
)
from bridge.isolarcloud.regions import endpoints_for
from bridge.platform.backoff import Backoff
from bridge.platform.secrets import SecretRegistry

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT = 10.0
RETRY_BASE = 1.0
RETRY_CAP = 30.0


class SessionOptions(TypedDict, total=False):
    """How calls are made: what tests (transport, time) and doctor (patience) change."""

    transport: httpx.BaseTransport | None
    clock: Callable[[], float]
    sleep: Callable[[float], object]
    rng: random.Random | None
    retries: int
    timeout: float
    hourly_budget: int | None


class ApiSession:
    """Posts JSON to the gateway and returns the checked envelope (not an httpx transport:
    it sits on an httpx client, whose `transport` the tests replace).

    Every attempt counts in `counter` (the cloud's quota counts them all). Transient
    failures are retried `retries` times with exponential backoff and jitter.
    """

    def __init__(
        self,
        cfg: IsolarcloudConfig,
        *,
        secrets: SecretRegistry,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = time.sleep,
        rng: random.Random | None = None,
        retries: int = 3,
        timeout: float = 20.0,
        hourly_budget: int | None = None,
    ) -> None:
        self._cfg = cfg
        self._secrets = secrets
        self._hourly_budget = hourly_budget
        self.gateway, self.web = endpoints_for(cfg)
        self.clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._retries = retries
        self.counter = CallCounter(clock)
        self._http = httpx.Client(
            base_url=self.gateway,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
            headers={
                "x-access-key": cfg.secret_key,
                "sys_code": "901",
                "Content-Type": "application/json;charset=UTF-8",
            },
        )

    def post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        bearer: str | None = None,
        resend: type[TransientError] = TransientError,
    ) -> dict[str, Any]:
        """The envelope of a successful call (`result_code` "1"), else a typed error.

        Failures of the kind `resend` are retried with backoff: every transient one by
        default; `NotSentError` only, for a call that must not reach the gateway twice.
        """
        backoff = Backoff(base=RETRY_BASE, cap=RETRY_CAP, rng=self._rng)
        attempt = 0
        while True:
            try:
                return self._post_once(path, body, bearer)
            except resend as exc:
                if attempt >= self._retries:
                    raise
                attempt += 1
                delay = backoff.next_delay()
                log.warning(
                    "api.retry", path=path, attempt=attempt, delay=round(delay, 3), error=str(exc)
                )
                self._sleep(delay)

    def get_text(self, path: str) -> str:
        """A plain GET (e.g. `/timestamp`); transport failures become TransientError."""
        self.counter.record()
        try:
            response = self._http.get(path)
        except httpx.TransportError as exc:
            raise _transport_error(path, exc, self._secrets) from None
        if response.status_code >= 400:
            raise TransientError(f"HTTP {response.status_code} from {path}")
        return response.text

    def close(self) -> None:
        self._http.close()

    def seconds_until_room(self, calls: int) -> float:
        """How long until `calls` more fit in the hourly budget (0 = now, or no budget)."""
        if self._hourly_budget is None:
            return 0.0
        return self.counter.seconds_until_room(calls, self._hourly_budget)

    def _check_budget(self, path: str) -> None:
        """Refuse a call the bridge's own hourly budget has no room for (retries included)."""
        wait = self.seconds_until_room(1)
        if wait > 0:
            raise RateLimitedError(
                f"not calling {path}: {self._hourly_budget} calls in the last hour reach "
                "[poll] hourly_call_budget",
                "budget",
                wait,
            )

    def _post_once(self, path: str, body: dict[str, Any], bearer: str | None) -> dict[str, Any]:
        payload = {"appkey": self._cfg.app_key, "lang": self._cfg.language, **body}
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        self._check_budget(path)
        self.counter.record()
        try:
            response = self._http.post(path, content=json.dumps(payload), headers=headers)
        except httpx.TransportError as exc:
            raise _transport_error(path, exc, self._secrets) from None
        status = response.status_code
        if status == 429:
            wait = _retry_after(response.headers.get("Retry-After"), HTTP_429_WAIT)
            log.warning("api.rate_limited", path=path, http_status=429, retry_after=wait)
            raise RateLimitedError(f"HTTP 429 (too many requests) from {path}", "429", wait)
        if status >= 500:
            raise TransientError(f"HTTP {status} from {path}", str(status))
        if status == 401 and bearer:
            raise TokenExpiredError(f"HTTP 401 from {path}: the access token was refused", "401")
        if status in (404, 405):
            raise UnavailableError(
                f"HTTP {status} from {path}: this account or region does not offer it", str(status)
            )
        if status >= 400:
            raise ApiError(f"HTTP {status} from {path}", str(status))
        try:
            envelope = response.json()
        except ValueError:
            raise TransientError(f"malformed JSON from {path} (HTTP {status})") from None
        if not isinstance(envelope, dict):
            raise TransientError(f"malformed reply from {path}: not a JSON object")
        code = str(envelope.get("result_code"))
        if code == "1":
            return envelope
        error = error_for(
            code,
            str(envelope.get("result_msg") or ""),
            path=path,
            now=self.clock(),
            retry_after=_header_seconds(response.headers.get("Retry-After")),
            secrets=self._secrets,
        )
        if isinstance(error, RateLimitedError):
            log.warning("api.rate_limited", path=path, code=code, retry_after=error.retry_after)
        raise error


def _transport_error(
    path: str, exc: httpx.TransportError, secrets: SecretRegistry
) -> TransientError:
    detail = secrets.redact(str(exc)) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return NotSentError(f"cannot connect to the gateway for {path}: {detail}")
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection failed"
    return TransientError(f"{kind} calling {path}: {detail}")


def _header_seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _retry_after(value: str | None, default: float) -> float:
    seconds = _header_seconds(value)
    return default if seconds is None else seconds
