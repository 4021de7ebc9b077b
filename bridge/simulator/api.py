"""The simulated cloud: one request handler shared by `httpx.MockTransport` and the server."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from bridge.simulator import webpage
from bridge.simulator.account import Account
from bridge.simulator.clock import SimClock
from bridge.simulator.endpoints import PLATFORM_ENDPOINTS, Endpoint, Query
from bridge.simulator.envelope import ApiError, envelope, json_response
from bridge.simulator.faults import Fault, Faults
from bridge.simulator.history import HISTORY_ENDPOINTS
from bridge.simulator.ingestion import Ingestion
from bridge.simulator.oauth import CODE_TTL, Issued, OAuthError, OAuthState
from bridge.simulator.plants import Model, SimDevice, SimPlant, default_fleet

DEMO_APP_KEY = "3F7A1C9E5B2D4E6F8A0B1C2D3E4F5A6B"
DEMO_SECRET_KEY = "demosecretk3y0123456789abcdefghi"  # noqa: S105 - public demo value
DEMO_APPLICATION_ID = 4242
DEMO_REDIRECT_URI = "http://localhost:8765/callback"

EXCHANGE_PATH = "/openapi/apiManage/token"
REFRESH_PATH = "/openapi/apiManage/refreshToken"
PLATFORM = "/openapi/platform/"
REAL_SERVER = "isolarcloud_sim.real_server"  # request extension set by server.py
BURST_CAPACITY = 15
ENDPOINTS: dict[str, Endpoint] = {**PLATFORM_ENDPOINTS, **HISTORY_ENDPOINTS}


@dataclass(frozen=True, slots=True)
class App:
    app_key: str
    secret_key: str
    application_id: int
    redirect_uri: str


class Simulator:
    def __init__(
        self,
        *,
        app_key: str = DEMO_APP_KEY,
        secret_key: str = DEMO_SECRET_KEY,
        application_id: int = DEMO_APPLICATION_ID,
        redirect_uri: str = DEMO_REDIRECT_URI,
        plants: Sequence[SimPlant] | None = None,
        clock: SimClock | None = None,
        seed: int = 0,
        expires_in: int = 172799,
        hourly_quota: int = 2000,
        account: Account | None = None,
        ingestion: Ingestion | None = None,
    ) -> None:
        self.clock = clock or SimClock()
        self.account = account or Account()
        self.plants = list(default_fleet(seed) if plants is None else plants)
        if len({p.ps_id for p in self.plants}) != len(self.plants):
            raise ValueError("simulated plants must have distinct ps_id values")
        self.hourly_quota = hourly_quota
        self.faults = Faults(seed)
        self.calls: Counter[str] = Counter()
        self.sleep: Callable[[float], None] = time.sleep  # tests may inject a recorder
        self._apps = {app_key: App(app_key, secret_key, application_id, redirect_uri)}
        # A fast clock speeds up the plants, not the person who pastes the code: a code
        # lives its five minutes of real time (a busy test machine needs that too).
        self._oauth = OAuthState(
            random.Random(f"oauth:{seed}"),
            65199 + seed,
            expires_in,
            code_ttl=CODE_TTL * max(1.0, self.clock.speed),
        )
        self._rng = random.Random(f"serial:{seed}")
        self.ingestion = ingestion or Ingestion()  # no lag: samples readable as their slot starts
        self._models = {
            p.ps_id: self.ingestion.model(p, seed, self.clock.start) for p in self.plants
        }
        self._quota: Counter[tuple[str, int]] = Counter()
        self._lock = threading.RLock()

    # -- knobs for tests and demos ----------------------------------------------------

    @property
    def total_calls(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    @property
    def expires_in(self) -> int:
        return self._oauth.expires_in

    @expires_in.setter
    def expires_in(self, seconds: int) -> None:
        self._oauth.expires_in = seconds

    @property
    def next_expires_in(self) -> int | None:
        """Reported (once) instead of expires_in; the token still lives expires_in."""
        return self._oauth.next_expires_in

    @next_expires_in.setter
    def next_expires_in(self, seconds: int | None) -> None:
        self._oauth.next_expires_in = seconds

    @property
    def omit_refresh_token_next(self) -> bool:
        """The next refresh reply carries no refresh token; the old one stays valid."""
        return self._oauth.omit_refresh_token_next

    @omit_refresh_token_next.setter
    def omit_refresh_token_next(self, value: bool) -> None:
        self._oauth.omit_refresh_token_next = value

    def register_app(
        self, app_key: str, secret_key: str, application_id: int, redirect_uri: str
    ) -> None:
        """Another developer app on the same cloud (e.g. to provoke E914)."""
        with self._lock:
            self._apps[app_key] = App(app_key, secret_key, application_id, redirect_uri)

    def authorize(
        self, redirect_uri: str, state: str | None = None, ps_ids: Sequence[str] | None = None
    ) -> str:
        """The owner clicks "Authorize": the URL the browser is sent to."""
        ids = [str(p.ps_id) for p in self.plants] if ps_ids is None else list(ps_ids)
        with self._lock:
            code = self._oauth.new_code(redirect_uri, ids, self.clock.now())
        # Query parameters on the redirect URL are stripped, as the real service does.
        parts = urlsplit(redirect_uri)
        query = {"code": code} | ({} if state is None else {"state": state})
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))

    def add_device(self, ps_id: int, model: Model) -> SimDevice:
        """An installer adds a device to a plant: listed from the next device-list call."""
        with self._lock:
            index = next(i for i, p in enumerate(self.plants) if p.ps_id == ps_id)
            plant = self.plants[index]
            device = model.device(ps_id, max(d.uuid - plant.uuid for d in plant.devices) + 1)
            self.plants[index] = plant = replace(plant, devices=(*plant.devices, device))
            self._models[ps_id].plant = plant
        return device

    def revoke(self) -> None:
        with self._lock:
            self._oauth.revoke()

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._oauth.expire_access_tokens(self.clock.now())

    def refresh_token_valid(self, refresh_token: str) -> bool:
        """Whether the cloud would accept this refresh token now (it rotates on use)."""
        with self._lock:
            return self._oauth.refresh_valid(refresh_token, self.clock.now())

    # -- the handler ------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET":
            return self._get(request, path)
        if request.method != "POST":
            return httpx.Response(405, headers={"allow": "GET, POST"}, text="Method Not Allowed")
        with self._lock:
            self.calls[path] += 1
        fault = self.faults.take(path)
        if fault is not None:
            response = self._inject(fault, request)
            if response is not None:
                return response
        with self._lock:
            return self._post(request, path)

    def _inject(self, fault: Fault, request: httpx.Request) -> httpx.Response | None:
        """The faulty reply, or None to carry on normally (after a delay or revoke)."""
        kind = fault.kind
        if kind == "http_500":
            return httpx.Response(500, text="Internal Server Error")
        if kind == "timeout":
            if not request.extensions.get(REAL_SERVER):
                raise httpx.ReadTimeout("simulated read timeout", request=request)
            self.sleep(fault.delay)  # the client has given up by now
            return httpx.Response(504, text="Gateway Timeout")
        if kind == "malformed_json":
            return httpx.Response(
                200,
                headers={"content-type": "application/json"},
                content=b'{"req_serial_num":"2024","result_code":"1","resu',
            )
        if kind == "body":
            return httpx.Response(
                200, headers={"content-type": "application/json"}, content=fault.body
            )
        if kind == "http_429":
            return httpx.Response(
                429, headers={"retry-after": str(round(fault.delay))}, text="Too Many Requests"
            )
        if kind in ("e00003", "e999"):
            code, msg = (
                ("E00003", "er_token_login_invalid")
                if kind == "e00003"
                else ("E999", "er_hour_call_api_times_upper_limit")
            )
            with self._lock:
                return json_response(envelope(self.clock.now(), self._rng, code, msg))
        if kind == "slow":
            self.sleep(fault.delay)
        else:  # revoke
            self.revoke()
        return None

    def _get(self, request: httpx.Request, path: str) -> httpx.Response:
        if path == "/timestamp":
            with self._lock:
                now = self.clock.now()
                return json_response(envelope(now, self._rng, data=int(now.timestamp() * 1000)))
        if path in ("/", "/index.html"):
            return webpage.html_response(webpage.LANDING_PAGE)
        if path == "/authorized-app":
            return self._consent(request)
        return httpx.Response(404, text="Not Found")

    def _consent(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        app_id = params.get("applicationId", "")
        redirect_url = params.get("redirectUrl", "")
        with self._lock:
            known = {str(a.application_id) for a in self._apps.values()}
        if app_id not in known:
            return webpage.error_page(
                f"Application {app_id or '(none)'} does not exist or has no OAuth2.0 "
                "authorization configured."
            )
        if not redirect_url:
            return webpage.error_page("No redirect URL configured for this application.")
        return webpage.redirect(self.authorize(redirect_url, params.get("state")))

    def _post(self, request: httpx.Request, path: str) -> httpx.Response:
        now = self.clock.now()
        endpoint = ENDPOINTS.get(path.removeprefix(PLATFORM)) if path.startswith(PLATFORM) else None
        if endpoint is None and path not in (EXCHANGE_PATH, REFRESH_PATH):
            return self._error("E996", "api not found")
        secret = request.headers.get("x-access-key")
        if not secret:
            return self._error("E911", "Missing header x-access-key")
        try:
            body = json.loads(request.content or b"{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return self._error("010", "er_parameter_value_invalid:request body is not JSON")
        app_key = body.get("appkey")
        if not app_key:
            return self._error("001", "er_missing_parameter:appkey")
        app = self._apps.get(str(app_key))
        if app is None:
            return self._error("E00000", "er_invalid_appkey")
        if secret != app.secret_key:
            swapped = any(secret in (a.secret_key, a.app_key) for a in self._apps.values())
            if swapped:
                return self._error("E914", "appkey and x-access-key do not match")
            return self._error("E912", "Illegal x-access-key")
        hour = int(now.timestamp() // 3600)
        self._quota[(app.app_key, hour)] += 1
        used = self._quota[(app.app_key, hour)]
        headers = {
            "x-ratelimit-burst-capacity": str(BURST_CAPACITY),
            "x-ratelimit-replenish-rate": "10",
            "x-ratelimit-remaining": str(max(0, min(BURST_CAPACITY, self.hourly_quota - used))),
            "x-ratelimit-reset": "5",
        }
        if used > self.hourly_quota:
            return self._error("E999", "er_hour_call_api_times_upper_limit", headers)
        if path == EXCHANGE_PATH:
            return self._token(body, headers)
        if path == REFRESH_PATH:
            return self._refresh(body, headers)
        grant = self._oauth.grant_for(_bearer(request), now)
        if grant is None:
            return self._error("E00003", "er_token_login_invalid", headers)
        allowed = set(grant.ps_ids)
        query = Query(
            body, {p.ps_id: p for p in self.plants if str(p.ps_id) in allowed}, self._models, now
        )
        assert endpoint is not None  # token paths were handled above
        name = path.removeprefix(PLATFORM)
        try:
            refused = self.account.refusal(name, body)
            if refused is not None:
                return refused
            data = self.account.rewrite(endpoint(query))
        except ApiError as exc:
            return self._error(exc.code, exc.message, headers)
        return json_response(envelope(now, self._rng, data=data), headers=headers)

    def _error(
        self, code: str, msg: str, headers: dict[str, str] | None = None, **top: Any
    ) -> httpx.Response:
        return json_response(
            envelope(self.clock.now(), self._rng, code, msg, **top), headers=headers
        )

    def _token(self, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        try:
            issued = self._oauth.exchange(
                body.get("grant_type"), body.get("code"), body.get("redirect_uri"), self.clock.now()
            )
        except OAuthError as exc:
            return self._oauth_error(exc, headers, data=None)
        fields = _token_fields(issued)
        fields["auth_ps_list"] = list(issued.grant.ps_ids)
        fields["auth_user"] = issued.grant.auth_user
        return json_response(
            envelope(self.clock.now(), self._rng, data=fields, **fields), headers=headers
        )

    def _refresh(self, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        failed = self.account.failed_refresh()
        if failed is not None:  # the authorisation server failed: the token stays valid
            data = {"code": failed}
            return json_response(envelope(self.clock.now(), self._rng, data=data), headers=headers)
        try:
            issued = self._oauth.rotate(body.get("refresh_token"), self.clock.now())
        except OAuthError as exc:
            return self._oauth_error(exc, headers, data={"code": exc.code})
        fields = _token_fields(issued)
        data = {**fields, "code": "1"}
        return json_response(
            envelope(self.clock.now(), self._rng, data=data, **fields), headers=headers
        )

    def _oauth_error(
        self, exc: OAuthError, headers: dict[str, str], data: dict[str, str] | None
    ) -> httpx.Response:
        body = envelope(
            self.clock.now(),
            self._rng,
            exc.code,
            exc.message,
            data,
            error=exc.error,
            error_description=exc.message,
        )
        if data is None:
            del body["result_data"]  # the captured token-endpoint errors carry none
        return json_response(body, headers=headers)


def _token_fields(issued: Issued) -> dict[str, Any]:
    fields: dict[str, Any] = {"access_token": issued.access_token, "token_type": "bearer"}
    if issued.refresh_token is not None:
        fields["refresh_token"] = issued.refresh_token
    fields["expires_in"] = issued.expires_in
    return fields


def _bearer(request: httpx.Request) -> str:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
