"""The daemon as a process (`python -m bridge run`), under an ordinary umask of 022:
its command line and thread names hold no secret, its log at debug holds none either,
and every file it keeps is 0600 in a 0700 folder, also when that folder did not exist.
`config init`, which writes the secrets into the config, makes that file 0600 too.
"""

from __future__ import annotations

import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.simulator import DEMO_REDIRECT_URI, DEMO_SECRET_KEY, Simulator, SimulatorServer
from bridge.simulator.mosquitto import MosquittoBroker
from tests.security.rig import BRIDGE_PASSWORD, WATCHER_PASSWORD, password_broker, write_config
from tests.support.broker import Watcher, wait_until
from tests.support.cli import bridge_command, cli

REPO = Path(__file__).resolve().parents[2]
STATE_FILES = ("tokens.toml", "counters.toml", "published.json", "heartbeat.json")
LOOSE_UMASK = 0o022


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    instance = password_broker(tmp_path / "broker")
    yield instance
    instance.stop()


def test_daemon_process_keeps_secrets_off_its_command_line_and_its_files_private(
    tmp_path: Path, cloud: tuple[Simulator, SimulatorServer], broker: MosquittoBroker
) -> None:
    sim, server = cloud
    config = write_config(tmp_path / "etc", server.url, broker.host, broker.port)
    state = tmp_path / "var" / "state"  # neither folder exists yet
    common = ("--config", str(config), "--state-dir", str(state), "--log-level", "debug")
    redirect = sim.authorize(DEMO_REDIRECT_URI)
    login = cli("auth", "login", *common, "--redirect-url", redirect, cwd=REPO, umask=LOOSE_UMASK)
    assert login.returncode == 0, login.stderr
    code = redirect.split("code=")[1].split("&")[0]

    watcher = Watcher(broker, ["#"], username="watcher", password=WATCHER_PASSWORD)
    log_file = tmp_path / "daemon.log"
    with log_file.open("w") as log:
        proc = subprocess.Popen(
            bridge_command("run", *common), stderr=log, cwd=REPO, umask=LOOSE_UMASK
        )
    try:
        plant = str(sim.plants[0].ps_id)
        watcher.wait_for(f"isolarcloud/{plant}/state", timeout=20)
        wait_until(lambda: all((state / n).exists() for n in STATE_FILES), 10, "the state files")
        proc_dir = Path(f"/proc/{proc.pid}")
        titles = {
            "cmdline": (proc_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(),
            "comm": (proc_dir / "comm").read_text(),
            "threads": " ".join((t / "comm").read_text() for t in (proc_dir / "task").iterdir()),
        }
        tokens = (state / "tokens.toml").read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        watcher.close()

    assert str(config) in titles["cmdline"]  # we did read the right process
    secrets = [DEMO_SECRET_KEY, BRIDGE_PASSWORD, code]
    secrets += [line.split('"')[1] for line in tokens.splitlines() if "_token =" in line]
    assert len(secrets) == 5
    texts = {**titles, "log": log_file.read_text(), "login output": login.stdout + login.stderr}
    assert "poll.completed" in texts["log"]
    leaked = [f"{where} holds secret #{i}" for where, text in texts.items()
              for i, secret in enumerate(secrets) if secret in text]  # fmt: skip
    assert leaked == []

    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in state.iterdir()}
    assert set(STATE_FILES) <= set(modes)
    assert modes == dict.fromkeys(modes, 0o600)


def test_config_init_writes_the_secrets_into_a_0600_file(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "config.toml"
    answers = ["eu", "3F7A1C9E5B2D4E6F8A0B1C2D3E4F5A6B", "the-secret-key-typed-in", "815", "",
               "broker.lan", "1883", "bridge", "the-mqtt-password-typed-in"]  # fmt: skip
    answered = "\n".join(answers) + "\n"
    result = cli(
        "config", "init", "--config", str(config), stdin=answered, cwd=REPO, umask=LOOSE_UMASK
    )
    assert result.returncode == 0, result.stderr
    assert "the-secret-key-typed-in" in config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    for secret in ("the-secret-key-typed-in", "the-mqtt-password-typed-in"):
        assert secret not in result.stdout + result.stderr
