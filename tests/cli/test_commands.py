"""The command line as a new user drives it: real processes, the simulator over HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bridge.simulator import Simulator
from bridge.simulator.server import SimulatorServer
from tests.support.broker import MosquittoBroker, Watcher, retained_snapshot, wait_until
from tests.support.cli import cli, write_config


def test_version() -> None:
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("isolarcloud2mqtt ")


def test_auth_login_then_plants_then_read(
    tmp_path: Path, cloud: tuple[Simulator, SimulatorServer], user_env: dict[str, str]
) -> None:
    sim, server = cloud
    config = write_config(tmp_path / "config.toml", server.url)
    where = ["--config", str(config), "--state-dir", str(tmp_path / "state")]

    status = cli("auth", "status", *where, env=user_env)
    assert status.returncode == 78

    redirect = sim.authorize("http://localhost:8765/callback")
    login = cli("auth", "login", *where, "--redirect-url", redirect, env=user_env)
    assert login.returncode == 0, login.stderr
    assert "Authorised" in login.stdout
    assert (tmp_path / "state" / "tokens.toml").stat().st_mode & 0o777 == 0o600

    status = cli("auth", "status", *where, env=user_env)
    assert status.returncode == 0, status.stderr
    ids = [str(p.ps_id) for p in sim.plants]
    assert all(ps_id in status.stdout for ps_id in ids)

    plants = cli("plants", "--json", *where, env=user_env)
    assert plants.returncode == 0, plants.stderr
    listed = json.loads(plants.stdout)
    assert [p["ps_id"] for p in listed] == ids
    assert {d["device_type"] for d in listed[0]["devices"]} >= {14, 43, 7}

    table = cli("plants", *where, env=user_env)
    assert ids[0] in table.stdout

    read = cli("read", ids[1], *where, env=user_env)
    assert read.returncode == 0, read.stderr
    readings = json.loads(read.stdout)
    assert {r["ps_id"] for r in readings} == {ids[1]}
    assert any(r["device"] is None and "energy_total" in r["values"] for r in readings)

    # a reused code is refused with the fix, not a traceback
    again = cli("auth", "login", *where, "--redirect-url", redirect, env=user_env)
    assert again.returncode == 78
    assert "Traceback" not in again.stderr
    assert "again" in again.stderr.lower()


@pytest.mark.parametrize(
    ("command", "body", "named"),
    [
        (
            "plants",
            '[isolarcloud]\nregion = "europe"\n',
            ("region", "europe", "cn, intl, eu, au, in"),
        ),
        ("doctor", "[mqtt]\nport = 99999\n", ("[mqtt] port", "99999")),
    ],
)
def test_a_bad_config_exits_78_with_one_line(
    tmp_path: Path, user_env: dict[str, str], command: str, body: str, named: tuple[str, ...]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(body)
    result = cli(command, "--config", str(config), env=user_env)
    assert result.returncode == 78
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert all(text in lines[0] for text in named), lines[0]
    assert result.stdout == ""


def test_run_without_authorisation_exits_78(
    tmp_path: Path, cloud: tuple[Simulator, SimulatorServer], user_env: dict[str, str]
) -> None:
    config = write_config(tmp_path / "config.toml", cloud[1].url)
    result = cli("run", "--config", str(config), "--state-dir", str(tmp_path / "s"), env=user_env)
    assert result.returncode == 78
    assert "auth login" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_in_the_middle_of_a_poll(
    tmp_path: Path,
    cloud: tuple[Simulator, SimulatorServer],
    broker: MosquittoBroker,
    user_env: dict[str, str],
) -> None:
    sim, server = cloud
    config = write_config(tmp_path / "config.toml", server.url, broker)
    state = tmp_path / "state"
    where = ["--config", str(config), "--state-dir", str(state)]
    redirect = sim.authorize("http://localhost:8765/callback")
    assert cli("auth", "login", *where, "--redirect-url", redirect, env=user_env).returncode == 0

    realtime = "/openapi/platform/getPowerStationRealTimeData"
    sim.faults.add("slow", count=1, path=realtime, delay=30)
    watcher = Watcher(broker, ["isolarcloud/bridge/state"])
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "run", *where],
        env=user_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        watcher.wait_for("isolarcloud/bridge/state", lambda m: m.text == "online", 20)
        wait_until(lambda: sim.calls[realtime] >= 1, 20, "the poll to hang in the slow call")
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = proc.wait(timeout=10)
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
        watcher.close()
    assert code == 0, proc.stderr.read() if proc.stderr else ""
    assert elapsed < 5
    assert retained_snapshot(broker, "isolarcloud/bridge/state") == {
        "isolarcloud/bridge/state": b"offline"
    }


def test_healthcheck_without_a_daemon(tmp_path: Path) -> None:
    result = cli("healthcheck", "--state-dir", str(tmp_path))
    assert result.returncode == 1
    assert "heartbeat" in result.stdout


@pytest.mark.parametrize("before", [True, False])
def test_common_options_before_or_after_the_command(tmp_path: Path, before: bool) -> None:
    missing = tmp_path / "nowhere.toml"
    args = ["--config", str(missing)]
    result = cli(*([*args, "plants"] if before else ["plants", *args]))
    assert result.returncode == 78
    assert str(missing) in result.stderr
