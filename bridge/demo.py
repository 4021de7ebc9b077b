"""`isolarcloud2mqtt demo`: the simulator, the bridge and a broker, from one command.

Everything it starts lives in a temporary folder and is cleaned up on Ctrl-C. The OAuth
step is real: the simulator's owner "clicks Authorize" and the bridge exchanges the code
over HTTP, exactly as `auth login --redirect-url` would.
"""

from __future__ import annotations

import argparse
import io
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType

from bridge.config import Config, HomeAssistantConfig, MqttConfig, PollConfig
from bridge.isolarcloud.tokens import TokenStore, token_path
from bridge.logging import configure_logging
from bridge.mosquitto import MosquittoBroker
from bridge.onboarding import login
from bridge.service import Service
from bridge.simulator import (
    DEMO_REDIRECT_URI,
    SimClock,
    Simulator,
    demo_settings,
    serve,
)


def demo_config(gateway: str, host: str, port: int, interval: int, speed: float) -> Config:
    """The demo runs on the simulator's fast clock, so its hour of API calls is shorter."""
    return Config(
        isolarcloud=demo_settings(gateway),
        mqtt=MqttConfig(host=host, port=port, client_id="isolarcloud2mqtt-demo"),
        homeassistant=HomeAssistantConfig(),
        poll=PollConfig(
            interval=interval,
            device_list_interval=max(interval * 12, 60),
            min_refresh_interval=max(interval // 4, 2),
            hourly_call_budget=int(0.9 * 2000 * max(speed, 1.0)),
        ),
    )


def run_demo(args: argparse.Namespace) -> int:
    configure_logging(args.log_level or "info", "auto")
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
            store = TokenStore(token_path(state_dir))
            login(
                cfg.isolarcloud,
                store,
                redirect_url=sim.authorize(DEMO_REDIRECT_URI),
                stdout=io.StringIO(),
            )
            service = Service(cfg, state_dir)

            def on_signal(signum: int, frame: FrameType | None) -> None:
                service.stop()

            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)
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
