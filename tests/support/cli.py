"""The command line in a real process, as a user runs it, and the config file it reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bridge.simulator import DEMO_APP_KEY, DEMO_APPLICATION_ID, DEMO_SECRET_KEY
from bridge.simulator.mosquitto import MosquittoBroker


def write_config(
    path: Path,
    gateway: str,
    broker: MosquittoBroker | None = None,
    client_id: str = "isolarcloud2mqtt",
) -> Path:
    mqtt = (
        f'[mqtt]\nhost = "{broker.host}"\nport = {broker.port}\nclient_id = "{client_id}"\n'
        if broker
        else ""
    )
    path.write_text(
        "[isolarcloud]\n"
        'region = "eu"\n'
        f'app_key = "{DEMO_APP_KEY}"\n'
        f"application_id = {DEMO_APPLICATION_ID}\n"
        'redirect_uri = "http://localhost:8765/callback"\n'
        f'gateway = "{gateway}"\n' + mqtt
    )
    return path


def cli(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=60,
        check=False,
    )


def user_environment() -> dict[str, str]:
    """The secret comes from the environment, as a user's shell or a unit would give it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STATE_", "CONFIGURATION_"))}
    env["ISOLARCLOUD_SECRET_KEY"] = DEMO_SECRET_KEY
    return env
