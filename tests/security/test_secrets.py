"""No secret ever leaves the daemon: not in a log line (at debug, JSON or console), not in
an MQTT payload, not in an exception message or repr.

The daemon is driven through everything that touches a secret: the first poll, a
refresh request, an access-token refresh, a revoked authorisation and a new
`auth login`, bad requests, a republish. The secrets are the secret key, the MQTT
password, and every token and authorisation code the simulated cloud ever issued.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import structlog

from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.errors import IsolarcloudError
from bridge.isolarcloud.onboarding import LoginError, login
from bridge.isolarcloud.tokens import TokenStore, token_path
from bridge.platform.logging import configure_logging
from bridge.platform.secrets import SecretRegistry
from bridge.simulator import DEMO_SECRET_KEY
from tests.security.rig import BRIDGE_PASSWORD, RecordingSimulator, password_broker, secure_rig
from tests.support.broker import wait_until
from tests.support.rig import Rig

BAD_REQUESTS = {
    "refresh": ("not json at all", '{"plant": true, "transaction": "bad-plant"}', "[1, 2]"),
    "republish": ('{"transaction": "bad-key", "everything": 1}',),
}


@pytest.fixture
def secrets() -> SecretRegistry:
    """The registry the command line would build: every part of the process shares it."""
    return SecretRegistry(DEMO_SECRET_KEY, BRIDGE_PASSWORD)


@pytest.fixture
def log_stream(request: pytest.FixtureRequest, secrets: SecretRegistry) -> Iterator[io.StringIO]:
    """Every log line of the process at debug level, in the format under test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("debug", request.param, secrets, stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    structlog.reset_defaults()


@pytest.fixture
def env(tmp_path: Path, log_stream: io.StringIO) -> Iterator[Rig]:
    broker = password_broker(tmp_path / "broker")
    try:
        yield from secure_rig(tmp_path, broker)
    finally:
        broker.stop()


def forms(secret: str) -> set[str]:
    """A secret as it could leak: raw, or URL-encoded in a logged URL or form body."""
    return {secret, quote(secret, safe=""), quote_plus(secret)}


def leaks(texts: dict[str, str], secrets: list[str]) -> list[str]:
    return [
        f"{where} holds secret #{i} ({len(secret)} characters)"
        for where, text in texts.items()
        for i, secret in enumerate(secrets)
        if any(form in text for form in forms(secret))
    ]


def exception_texts(exc: BaseException) -> str:
    return f"{exc}\n{exc!r}\n{exc.args!r}"


@pytest.mark.parametrize("log_stream", ["json", "console"], indirect=True)
def test_no_secret_in_logs_payloads_exceptions_or_reprs(
    env: Rig, log_stream: io.StringIO, secrets: SecretRegistry
) -> None:
    sim = env.sim
    assert isinstance(sim, RecordingSimulator)
    store = TokenStore(token_path(env.state_dir))
    token_files = [store.path.read_text()]
    surfaced: list[str] = []  # exception text raised where the test can catch it
    uncaught: list[str] = []
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: uncaught.append(f"{args.exc_type} {args.exc_value}")
    running = env.start(secrets)
    try:
        hybrid = env.plant_ids[0]
        env.state(hybrid)
        running.settle()
        assert env.request('{"transaction": "first"}', "first")["status"] == "ok"

        issued = len(sim.issued)
        sim.expire_access_tokens()
        running.settle()
        assert env.request('{"transaction": "renewed"}', "renewed")["status"] == "ok"
        assert len(sim.issued) > issued, "the access token was not renewed"
        token_files.append(store.path.read_text())

        sim.revoke()
        running.settle()
        assert env.request('{"transaction": "revoked"}', "revoked")["status"] == "error"
        env.wait_text("isolarcloud/bridge/auth", "reauth_required")
        with (
            GatewayClient(env.cfg.isolarcloud, store, secrets=secrets) as client,
            pytest.raises(IsolarcloudError) as dead,
        ):
            client.oauth.force_refresh(client.oauth.access_token())
        surfaced.append(exception_texts(dead.value))
        # the first login's code, already spent
        used_url = f"{env.cfg.isolarcloud.redirect_uri}?code={sim.codes[0]}"
        with pytest.raises((IsolarcloudError, LoginError)) as reused:
            login(
                env.cfg.isolarcloud,
                store,
                secrets=secrets,
                redirect_url=used_url,
                stdout=io.StringIO(),
            )
        surfaced.append(exception_texts(reused.value))

        login(
            env.cfg.isolarcloud,
            store,
            secrets=secrets,
            redirect_url=sim.authorize(env.cfg.isolarcloud.redirect_uri),
            stdout=io.StringIO(),
        )
        token_files.append(store.path.read_text())
        env.watcher.wait_for("isolarcloud/bridge/auth", lambda m: m.text == "ok", 15)
        env.wait_text(f"isolarcloud/{hybrid}/availability", "online")

        for kind, payloads in BAD_REQUESTS.items():
            for payload in payloads:
                env.watcher.publish(f"isolarcloud/bridge/request/{kind}", payload)
        wait_until(
            lambda: (
                len(env.watcher.on("isolarcloud/bridge/response/refresh")) >= 6
                and env.watcher.on("isolarcloud/bridge/response/republish")
            ),
            15,
            "answers to the bad requests",
        )
        env.watcher.publish("isolarcloud/bridge/request/republish", '{"transaction": "again"}')
        env.watcher.wait_for(
            "isolarcloud/bridge/response/republish",
            lambda m: json.loads(m.payload).get("transaction") == "again",
        )
        surfaced += [repr(env.cfg), repr(store.load()), repr(running.service.health.__dict__)]
    finally:
        assert running.stop() == 0
        threading.excepthook = previous_hook

    every_secret = [DEMO_SECRET_KEY, BRIDGE_PASSWORD, *sim.secrets()]
    # the recorder saw every token the bridge ever stored, and the codes of both logins
    stored = [line.split('"')[1] for text in token_files for line in text.splitlines()
              if line.startswith(("access_token", "refresh_token"))]  # fmt: skip
    assert stored and set(stored) <= set(sim.issued)
    assert len(sim.codes) == 2
    mqtt_texts = {
        f"MQTT {m.topic} #{i}": f"{m.topic} {m.payload.decode(errors='replace')}"
        for i, m in enumerate(env.watcher.messages)
    }
    assert any(t.startswith("MQTT isolarcloud/bridge/info") for t in mqtt_texts)
    assert any(t.startswith("MQTT isolarcloud/bridge/event") for t in mqtt_texts)
    log_text = log_stream.getvalue()
    assert '"refresh_token"' not in log_text or "***" in log_text
    assert "auth.refreshed" in log_text and "auth.authorized" in log_text  # debug-level run
    texts = {
        "the log": log_text,
        **mqtt_texts,
        **{f"exception/repr #{i}": text for i, text in enumerate(surfaced)},
        **{f"uncaught #{i}": text for i, text in enumerate(uncaught)},
    }
    assert leaks(texts, every_secret) == []
