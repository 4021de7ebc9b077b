"""`isolarcloud2mqtt demo`: the simulator, the bridge and a broker, from one command.

Everything it starts lives in a temporary folder and is cleaned up on Ctrl-C. The OAuth
step is real: the simulator's owner "clicks Authorize" and the bridge exchanges the code
over HTTP, exactly as `auth login --redirect-url` would.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

import httpx

from bridge.config.model import Config, IsolarcloudConfig, PollConfig
from bridge.daemon.service import Service
from bridge.isolarcloud.onboarding import login
from bridge.isolarcloud.tokens import TokenStore, token_path
from bridge.platform.logging import configure_logging
from bridge.platform.secrets import SecretRegistry
from bridge.platform.stop import StopSignal
from bridge.simulator.api import Simulator
from bridge.simulator.clock import SimClock
from bridge.simulator.mosquitto import MosquittoBroker
from bridge.simulator.server import serve, simulator_config


def authorise(
    sim: Simulator,
    cfg: IsolarcloudConfig,
    state_dir: Path,
    *,
    transport: httpx.BaseTransport | None = None,
    secrets: SecretRegistry | None = None,
) -> TokenStore:
    """What `auth login --redirect-url ...` does after the owner clicked Authorize."""
    store = TokenStore(token_path(state_dir))
    login(
        cfg,
        store,
        secrets=secrets,
        redirect_url=sim.authorize(cfg.redirect_uri),
        transport=transport,
        stdout=io.StringIO(),
    )
    return store


def demo_config(gateway: str, host: str, port: int, interval: int, speed: float) -> Config:
    """The demo runs on the simulator's fast clock, so its hour of API calls is shorter."""
    return simulator_config(
        gateway,
        host,
        port,
        client_id="isolarcloud2mqtt-demo",
        poll=PollConfig(
            interval=interval,
            device_list_interval=max(interval * 12, 60),
            min_refresh_interval=max(interval // 4, 2),
            hourly_call_budget=int(0.9 * 2000 * max(speed, 1.0)),
        ),
    )


def run_demo(args: argparse.Namespace, secrets: SecretRegistry, stop: StopSignal) -> int:
    configure_logging(args.log_level or "info", "auto", secrets)
    with tempfile.TemporaryDirectory(prefix="isolarcloud2mqtt-demo-") as tmp:
        workdir = Path(tmp)
        broker = MosquittoBroker(workdir / "broker")
        if args.broker:
            host, _, port = args.broker.rpartition(":")
            broker.host, broker.port = host or "127.0.0.1", int(port)
        else:
            try:
                broker.start()
            except RuntimeError as exc:  # no mosquitto installed, or it would not start
                print(f"isolarcloud2mqtt demo: {exc}; or pass --broker HOST:PORT", file=sys.stderr)
                return 1
        sim = Simulator(clock=SimClock(speed=args.speed))
        server = serve(sim)
        try:
            cfg = demo_config(server.url, broker.host, broker.port, args.interval, args.speed)
            state_dir = workdir / "state"
            authorise(sim, cfg.isolarcloud, state_dir, secrets=secrets)
            service = Service(cfg, state_dir, secrets=secrets, stop=stop)
            print(
                f"\nDemo running: simulator at {server.url} ({args.speed:g}x time), "
                f"Mosquitto on {broker.host}:{broker.port}. Watch it with:\n\n"
                f"  mosquitto_sub -h {broker.host} -p {broker.port} -v "
                f"-t '{cfg.mqtt.base_topic}/#' -t '{cfg.homeassistant.prefix}/#'\n\n"
                f"Ask for a refresh:\n\n"
                f"  mosquitto_pub -h {broker.host} -p {broker.port} "
                f"-t '{cfg.mqtt.base_topic}/bridge/request/refresh' -m ''\n\n"
                "Press Ctrl-C to stop.\n",
                flush=True,
            )
            return service.run()
        finally:
            server.close()
            broker.stop()
