"""The e2e rig with a password (and optionally TLS) broker, configured from a TOML file.

The secrets reach the bridge the way a user gives them: files named in the config
(`secret_key_file`, `password_file`), so `load_config` resolves them as in production.
The simulator records every token it hands out, so a test knows every secret ever issued.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from bridge.config.load import load_config
from bridge.isolarcloud.oauth import EXCHANGE_PATH, RENEW_PATH
from bridge.simulator import (
    DEMO_SECRET_KEY,
    SimClock,
    Simulator,
    config_snippet,
    serve,
)
from bridge.simulator.demo import authorise
from bridge.simulator.mosquitto import BrokerUser, MosquittoBroker
from tests.support.broker import Watcher
from tests.support.rig import SIM_START, Rig

BRIDGE_PASSWORD = "br1dge:p@ss/w%rd&more"
WATCHER_PASSWORD = "watcher-only-reads"
BRIDGE_USER = BrokerUser(
    "bridge", BRIDGE_PASSWORD, ("topic readwrite isolarcloud/#", "topic readwrite homeassistant/#")
)
WATCHER_USER = BrokerUser(
    "watcher", WATCHER_PASSWORD, ("topic read #", "topic write isolarcloud/bridge/request/#")
)


class RecordingSimulator(Simulator):
    """The simulator, noting every access and refresh token its token endpoints issue."""

    def __init__(self) -> None:
        super().__init__(clock=SimClock(start=SIM_START, speed=1.0))
        self.issued: list[str] = []  # access and refresh tokens
        self.codes: list[str] = []  # authorisation codes
        self._issued_lock = threading.Lock()

    def authorize(
        self, redirect_uri: str, state: str | None = None, ps_ids: Sequence[str] | None = None
    ) -> str:
        url = super().authorize(redirect_uri, state, ps_ids)
        self.codes += parse_qs(urlsplit(url).query)["code"]
        return url

    def secrets(self) -> list[str]:
        with self._issued_lock:
            return [*self.issued, *self.codes]

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = super().handle(request)
        if request.url.path in (EXCHANGE_PATH, RENEW_PATH) and response.status_code == 200:
            envelope = json.loads(response.content)
            found = [envelope, envelope.get("result_data") or {}]
            with self._issued_lock:
                self.issued += [
                    part[key]
                    for part in found
                    for key in ("access_token", "refresh_token")
                    if isinstance(part.get(key), str) and part[key]
                ]
        return response


def write_config(
    folder: Path,
    gateway: str,
    host: str,
    port: int,
    *,
    tls: Mapping[str, object] | None = None,
    username: str | None = "bridge",
    extra: str = "",
) -> Path:
    """A config.toml with the secrets in files beside it; returns the config's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "secret_key").write_text(DEMO_SECRET_KEY + "\n")
    (folder / "mqtt_password").write_text(BRIDGE_PASSWORD + "\n")
    lines = [
        *config_snippet(gateway, secret='secret_key_file = "secret_key"').splitlines(),
        "[mqtt]",
        f'host = "{host}"',
        f"port = {port}",
        'client_id = "bridge-under-test"',
    ]
    if username is not None:
        lines += [f'username = "{username}"', 'password_file = "mqtt_password"']
    lines += ["[poll]", "interval = 300"]
    if tls is not None:
        lines.append("[mqtt.tls]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in tls.items()]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def password_broker(folder: Path) -> MosquittoBroker:
    """Mosquitto with passwords and an ACL: the bridge only in its two trees."""
    broker = MosquittoBroker(folder, users=(BRIDGE_USER, WATCHER_USER))
    broker.start()
    return broker


def secure_rig(
    tmp_path: Path,
    broker: MosquittoBroker,
    *,
    port: int | None = None,
    tls: Mapping[str, object] | None = None,
    username: str | None = "bridge",
    watcher: tuple[str, str] | None = ("watcher", WATCHER_PASSWORD),
) -> Iterator[Rig]:
    """Simulator + authorised state folder + a config loaded from TOML + a watcher on `#`.

    The bridge connects to `port` (default: the broker's plain listener, where the
    watcher is), with `tls` as the [mqtt.tls] table and `username` as its MQTT user.
    """
    sim = RecordingSimulator()
    server = serve(sim)
    config = write_config(
        tmp_path / "etc", server.url, broker.host, port or broker.port, tls=tls, username=username
    )
    # the schema's 10 s floor protects the real cloud; tests need not wait for it
    loaded = load_config(config, {})
    cfg = replace(loaded, poll=replace(loaded.poll, min_refresh_interval=1))
    state_dir = tmp_path / "state"
    authorise(sim, cfg.isolarcloud, state_dir)
    user, password = watcher or (None, None)
    subscriber = Watcher(broker, ["#"], username=user, password=password)
    try:
        yield Rig(sim, server, broker, state_dir, cfg, subscriber)
    finally:
        subscriber.close()
        server.close()
