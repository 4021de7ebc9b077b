"""`isolarcloud2mqtt auth login` and `auth status`: getting the owner's authorisation.

`login` prints the authorisation URL, then takes the code from whichever comes first: the
browser's redirect to a loopback listener (when the redirect URI is on localhost), or the
redirect URL / bare code pasted on stdin.
"""

from __future__ import annotations

import queue
import secrets
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TextIO
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx

from bridge.config.model import IsolarcloudConfig
from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.errors import LOGIN_FIX, AuthorizationDeadError, CodeExchangeError
from bridge.isolarcloud.oauth import authorization_url, code_from_redirect
from bridge.isolarcloud.tokens import TokenSet, TokenStore
from bridge.platform.secrets import SecretRegistry

LOOPBACK_HOSTS = {"localhost": "127.0.0.1", "127.0.0.1": "127.0.0.1"}
_DONE_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>isolarcloud2mqtt</title></head>"
    "<body><h1>{title}</h1><p>{text}</p></body></html>"
)

# What the waiting side receives: ("code", code, redirect base URL or None),
# ("error", message, None) or ("eof", "", None).
_Event = tuple[str, str, str | None]


class LoginError(Exception):
    """The login could not finish; the message says why and what to do (never a secret)."""


def login(
    cfg: IsolarcloudConfig,
    store: TokenStore,
    *,
    secrets: SecretRegistry | None = None,
    code: str | None = None,
    redirect_url: str | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    transport: httpx.BaseTransport | None = None,
    listen: bool = True,
    timeout: float = 600,
) -> TokenSet:
    """Obtain an authorisation code, exchange it and save the tokens.

    Raises LoginError (no usable code) or CodeExchangeError (the cloud refused the code).
    """
    came_back_to: str | None = None
    given = ("--code", code) if code is not None else ("--redirect-url", redirect_url)
    if given[1] is not None:
        try:
            code = code_from_redirect(given[1])
        except ValueError as exc:
            raise LoginError(f"{given[0]}: {exc}") from None
        if "://" in given[1]:
            came_back_to = _without_query(given[1].strip())
    if code is None:
        code, came_back_to = _wait_for_code(cfg, stdin, stdout, listen, timeout)
    with GatewayClient(cfg, store, secrets=secrets, transport=transport) as client:
        try:
            tokens = client.oauth.exchange_code(code)
        except CodeExchangeError as exc:
            if exc.code == "5" and came_back_to and came_back_to != cfg.redirect_uri:
                raise CodeExchangeError(
                    "iSolarCloud refused the authorisation code (result_code 5)",
                    exc.code,
                    f"{exc.hint}. The browser came back to {came_back_to!r}, so the "
                    f"authorisation used that address while the bridge sent "
                    f"{cfg.redirect_uri!r}: make them the same, then start again",
                ) from None
            raise
    return tokens


def _wait_for_code(
    cfg: IsolarcloudConfig, stdin: TextIO, stdout: TextIO, listen: bool, timeout: float
) -> tuple[str, str | None]:
    state = secrets.token_urlsafe(16)
    events: queue.Queue[_Event] = queue.Queue()
    listener = _Listener.start(cfg.redirect_uri, state, events, stdout) if listen else None
    stdout.write(
        "Open this address in a browser, log in as the plant owner, tick the plants to share "
        f"and click Authorise:\n\n  {authorization_url(cfg, state)}\n\n"
    )
    if listener:
        stdout.write(
            f"Waiting for the browser to come back to {cfg.redirect_uri} ...\n"
            "(or paste here the address the browser shows, or just the code)\n"
        )
    else:
        stdout.write("Then paste here the address the browser was sent to, or just the code:\n")
    stdout.flush()
    reader = threading.Thread(target=_read_pasted, args=(stdin, stdout, state, events), daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                kind, text, came_back_to = events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise LoginError(
                    f"no authorisation code arrived within {timeout:.0f} s; start again"
                ) from None
            if kind == "code":
                return text, came_back_to
            if kind == "error":
                raise LoginError(text)
            if listener is None:  # input closed and nothing else can deliver a code
                raise LoginError(
                    "no code was entered (input closed); pass --code or --redirect-url"
                )
    finally:
        if listener:
            listener.close()


def _read_pasted(stdin: TextIO, stdout: TextIO, state: str, events: queue.Queue[_Event]) -> None:
    for line in iter(stdin.readline, ""):
        if not line.strip():
            continue
        try:
            code = code_from_redirect(line, expected_state=state)
        except ValueError as exc:
            stdout.write(f"{exc}. Try again:\n")
            stdout.flush()
            continue
        came_back_to = _without_query(line.strip()) if "://" in line else None
        events.put(("code", code, came_back_to))
        return
    events.put(("eof", "", None))


class _Listener:
    """A one-shot HTTP server on the loopback redirect URI that catches `?code=`."""

    def __init__(self, server: HTTPServer) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    @classmethod
    def start(
        cls, redirect_uri: str, state: str, events: queue.Queue[_Event], stdout: TextIO
    ) -> _Listener | None:
        parts = urlsplit(redirect_uri)
        host = LOOPBACK_HOSTS.get(parts.hostname or "")
        if parts.scheme != "http" or host is None or parts.port is None:
            return None
        handler = _handler_class(parts.path or "/", state, events)
        try:
            server = HTTPServer((host, parts.port), handler)
        except OSError as exc:
            stdout.write(
                f"Cannot listen on {host}:{parts.port} ({exc.strerror}); paste the address "
                "instead.\n"
            )
            return None
        return cls(server)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_class(
    path: str, state: str, events: queue.Queue[_Event]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {key: values[0] for key, values in parse_qs(parts.query).items()}
            if parts.path != path:
                self._page(404, "Not found", "This is not the authorisation callback.")
            elif "error" in params:
                reason = params.get("error_description") or params["error"]
                self._page(400, "Authorisation refused", f"iSolarCloud said: {reason}.")
                events.put(
                    ("error", f"the authorisation was refused ({reason}); start again", None)
                )
            elif not params.get("code"):
                self._page(400, "No code", "The address holds no authorisation code.")
            elif params.get("state", state) != state:
                self._page(400, "Wrong attempt", "This answer belongs to another login attempt.")
            else:
                self._page(200, "Authorisation received", "You can close this tab.")
                events.put(("code", params["code"], None))

        def _page(self, status: int, title: str, text: str) -> None:
            body = _DONE_PAGE.format(title=title, text=text).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Silent: the request line holds the authorisation code."""

    return Handler


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def status_lines(store: TokenStore, clock: Callable[[], float] = time.time) -> list[str]:
    """What `auth status` prints: expiries in human terms and the authorised plants."""
    try:
        tokens = store.load()
    except AuthorizationDeadError as exc:
        return [str(exc)]
    if tokens is None:
        return [f"not authorised: no token file at {store.path}; {LOGIN_FIX}"]
    now = clock()
    access = (
        f"valid until {_stamp(tokens.expires_at)} (in {_span(tokens.expires_at - now)})"
        if tokens.expires_at > now
        else f"expired {_span(now - tokens.expires_at)} ago (renewed at the next call)"
    )
    refresh = (
        f"valid until about {_stamp(tokens.refresh_expires_at)} "
        f"(in {_span(tokens.refresh_expires_at - now)})"
        if tokens.refresh_expires_at > now
        else f"expired {_span(now - tokens.refresh_expires_at)} ago; {LOGIN_FIX}"
    )
    lines = [
        f"token file: {store.path}",
        f"tokens obtained: {_stamp(tokens.obtained_at)}",
        f"access token: {access}",
        f"refresh token: {refresh}",
        f"authorised plants: {', '.join(tokens.auth_ps_list) or 'none listed'}",
    ]
    if tokens.auth_user:
        lines.append(f"owner user id: {tokens.auth_user}")
    return lines


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _span(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
