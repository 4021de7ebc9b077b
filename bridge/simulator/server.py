"""The simulator over real HTTP (stdlib), and the body of `isolarcloud2mqtt simulator`."""

from __future__ import annotations

import argparse
import copy
import socket
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from bridge.config.model import Config, IsolarcloudConfig, MqttConfig, PollConfig
from bridge.platform.stop import StopSignal
from bridge.simulator.account import PROFILES
from bridge.simulator.api import (
    DEMO_APP_KEY,
    DEMO_APPLICATION_ID,
    DEMO_REDIRECT_URI,
    DEMO_SECRET_KEY,
    REAL_SERVER,
    Simulator,
)
from bridge.simulator.clock import SimClock
from bridge.simulator.plants import fleet

_HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes; with Nagle on, each keep-alive reply waits
    # ~40 ms for the client's delayed ACK
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        content = self.rfile.read(length) if length else b""
        host = self.headers.get("host") or "127.0.0.1"
        request = httpx.Request(
            self.command,
            f"http://{host}{self.path}",
            headers=[(k, v) for k, v in self.headers.items() if k.lower() != "host"],
            content=content,
            extensions={REAL_SERVER: True},
        )
        response = self.server.sim.handle(request)
        body = response.content
        try:
            self.send_response(response.status_code)
            for key, value in response.headers.multi_items():
                if key.lower() not in _HOP_HEADERS:
                    self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. a timeout fault)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: request lines would carry authorisation codes."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        super().__init__(address, _Handler)
        self.sim = sim

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        """Quiet when a client went away mid-request (killed, timed out); loud otherwise."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SimulatorServer:
    """A running simulator on a loopback port, served from a daemon thread."""

    def __init__(self, sim: Simulator, host: str, port: int) -> None:
        self.sim = sim
        self._server = _Server((host, port), sim)
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="isolarcloud-simulator", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
    return SimulatorServer(sim, host, port)


SECRET_IN_FILE = f'secret_key = "{DEMO_SECRET_KEY}"'


def config_snippet(url: str, secret: str | None = SECRET_IN_FILE) -> str:
    """The `[isolarcloud]` section for this simulator at `url`; `secret` is the line that
    gives the secret key (None: it comes from elsewhere, a credential or the environment)."""
    lines = [
        "[isolarcloud]",
        f'gateway = "{url}"',
        f'app_key = "{DEMO_APP_KEY}"',
        *([secret] if secret else []),
        f"application_id = {DEMO_APPLICATION_ID}",
        f'redirect_uri = "{DEMO_REDIRECT_URI}"',
    ]
    return "\n".join(lines) + "\n"


def demo_settings(gateway: str, redirect_uri: str = DEMO_REDIRECT_URI) -> IsolarcloudConfig:
    """The `[isolarcloud]` settings of a bridge that talks to this simulator at `gateway`."""
    return IsolarcloudConfig(
        region="eu",
        app_key=DEMO_APP_KEY,
        secret_key=DEMO_SECRET_KEY,
        application_id=DEMO_APPLICATION_ID,
        redirect_uri=redirect_uri,
        gateway=gateway,
    )


def simulator_config(
    gateway: str,
    host: str = "127.0.0.1",
    port: int = 1883,
    *,
    client_id: str = "isolarcloud2mqtt",
    poll: PollConfig | None = None,
) -> Config:
    """A whole config for a bridge on this simulator at `gateway` and a broker at host:port."""
    return Config(
        isolarcloud=demo_settings(gateway),
        mqtt=MqttConfig(host=host, port=port, client_id=client_id),
        poll=poll or PollConfig(),
    )


def run_simulator(args: argparse.Namespace, stop: StopSignal) -> int:
    """`isolarcloud2mqtt simulator`: serve until `stop` (SIGINT/SIGTERM); print the URL and
    a config snippet to paste."""
    host, port, seed, speed, plants = args.host, args.port, args.seed, args.speed, args.plants
    profile = args.profile
    sim = Simulator(
        # 0 plants asked for: the two demo plants (default_fleet)
        plants=fleet(plants, seed) if plants > 0 else None,
        clock=SimClock(datetime.now(UTC), speed),
        seed=seed,
        account=copy.deepcopy(PROFILES[profile]),
    )
    server = serve(sim, host, port)
    try:
        print(
            f"iSolarCloud simulator listening on {server.url} "
            f"({len(sim.plants)} plants, seed {seed}, speed x{speed:g}, account {profile})"
        )
        print("Demo credentials for your config file (these are not secrets):\n")
        print(config_snippet(server.url))
        print("Press Ctrl+C to stop.", flush=True)
        stop.wait(None)
    finally:
        server.close()
        print("Simulator stopped.", file=sys.stderr)
    return 0
