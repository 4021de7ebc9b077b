"""The command line in a real process, as a user runs it, and the config file it reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bridge.simulator import DEMO_SECRET_KEY, config_snippet
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
    path.write_text(config_snippet(gateway, secret=None) + mqtt)
    return path


def bridge_command(*args: str) -> list[str]:
    """`isolarcloud2mqtt ARGS` from this checkout."""
    return [sys.executable, "-m", "bridge", *args]


def cli(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str = "",
    cwd: Path | None = None,
    umask: int = -1,  # -1: the test process's own
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        bridge_command(*args),
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        cwd=cwd,
        umask=umask,
        timeout=60,
        check=False,
    )


def user_environment() -> dict[str, str]:
    """The secret comes from the environment, as a user's shell or a unit would give it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STATE_", "CONFIGURATION_"))}
    env["ISOLARCLOUD_SECRET_KEY"] = DEMO_SECRET_KEY
    return env
