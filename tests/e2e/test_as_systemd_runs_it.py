"""The unit's ExecStart, run the way systemd runs it: an unprivileged user, UMask=0077,
the unit's Environment=, $STATE_DIRECTORY, $CONFIGURATION_DIRECTORY,
$CREDENTIALS_DIRECTORY (LoadCredential=), $NOTIFY_SOCKET and $WATCHDOG_USEC.

The unit's `DynamicUser=` picks an unused uid; we use `nobody`. The package's interpreter
must be reachable by that user, as it is under /opt on a Pi; the development venv's
interpreter lives under /root here, so the Debian python3 runs the same source tree
with the venv's (pure-Python) dependencies on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.simulator import (
    DEMO_REDIRECT_URI,
    DEMO_SECRET_KEY,
    SimClock,
    Simulator,
    config_snippet,
    serve,
)
from bridge.simulator.mosquitto import BrokerUser, MosquittoBroker
from tests.support.broker import Watcher, wait_until
from tests.support.rig import SIM_START

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "systemd" / "isolarcloud2mqtt.service"
NOBODY = 65534
IMPORT_CHECK = "import bridge.cli, paho.mqtt.client, httpx, structlog, tomli_w"


def unit_values(key: str) -> list[str]:
    return [
        line.split("=", 1)[1]
        for line in UNIT.read_text().splitlines()
        if line.startswith(f"{key}=")
    ]


def interpreter_for(uid: int, pythonpath: str) -> str:
    """An interpreter that `uid` can run with our code and dependencies importable."""
    failures = []
    for candidate in (sys.executable, "/usr/bin/python3"):
        try:
            probe = subprocess.run(
                [candidate, "-c", IMPORT_CHECK],
                env={"PYTHONPATH": pythonpath, "PATH": "/usr/bin:/bin"},
                user=uid,
                capture_output=True,
                check=False,
                cwd="/",
            )
        except PermissionError as exc:
            failures.append(f"{candidate}: {exc}")
            continue
        if probe.returncode == 0:
            return candidate
        failures.append(f"{candidate}: {probe.stderr.decode(errors='replace')[-300:]}")
    raise AssertionError(f"no interpreter runs the package as uid {uid}: {failures}")


class NotifyListener:
    """The service manager's end of $NOTIFY_SOCKET."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        path.chmod(0o777)
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self._running = True
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while self._running:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue

    def seen(self, prefix: str) -> list[str]:
        return [m for m in list(self.messages) if m.startswith(prefix)]

    def close(self) -> None:
        self._running = False
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def world() -> Iterator[Path]:
    """A folder the unprivileged user can traverse (pytest's tmp_path is root-only)."""
    root = Path(tempfile.mkdtemp(prefix="unit-run-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_the_unit_as_systemd_runs_it(world: Path) -> None:
    sim = Simulator(clock=SimClock(start=SIM_START))
    server = serve(sim)
    broker = MosquittoBroker(world / "broker", users=(BrokerUser("bridge", "p@ss:w/rd%"),))
    broker.start()
    state, conf, creds = world / "state", world / "etc", world / "credentials"
    for folder in (state, conf, creds):
        folder.mkdir()
    # systemd creates the state directory for the dynamic user, mode 0700
    os.chown(state, NOBODY, NOBODY)
    state.chmod(0o700)
    conf.chmod(0o755)
    # no secret in the config: they come as credentials
    (conf / "config.toml").write_text(
        config_snippet(server.url, secret=None) + "[mqtt]\n"
        f'host = "{broker.host}"\nport = {broker.port}\nusername = "bridge"\n'
        "[poll]\ninterval = 60\n"
    )
    (conf / "config.toml").chmod(0o644)
    (creds / "secret_key").write_text(DEMO_SECRET_KEY)
    (creds / "mqtt_password").write_text("p@ss:w/rd%")
    for item in (creds, creds / "secret_key", creds / "mqtt_password"):
        os.chown(item, NOBODY, NOBODY)
    creds.chmod(0o500)

    notify = NotifyListener(world / "notify")
    pythonpath = os.pathsep.join([str(REPO), sysconfig.get_paths()["purelib"]])
    python = interpreter_for(NOBODY, pythonpath)
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": pythonpath,
        "STATE_DIRECTORY": str(state),
        "CONFIGURATION_DIRECTORY": str(conf),
        "CREDENTIALS_DIRECTORY": str(creds),
        "NOTIFY_SOCKET": str(world / "notify"),
        "WATCHDOG_USEC": "2000000",
    }
    for assignment in unit_values("Environment"):
        env.update(dict(pair.split("=", 1) for pair in shlex.split(assignment)))
    (exec_start,) = unit_values("ExecStart")
    binary, *args = shlex.split(exec_start)
    assert binary.endswith("/isolarcloud2mqtt")
    command = [python, "-m", "bridge"]

    def unit_process(*extra: str) -> subprocess.Popen[str]:
        """The command as systemd starts it: the unit's user, no other groups, UMask 0077."""
        return subprocess.Popen(
            [*command, *extra],
            env=env,
            user=NOBODY,
            group=NOBODY,
            extra_groups=[],
            umask=0o077,
            cwd="/",
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def as_unit_user(*extra: str) -> subprocess.CompletedProcess[str]:
        one_off = unit_process(*extra)
        out, err = one_off.communicate(timeout=60)
        return subprocess.CompletedProcess(one_off.args, one_off.returncode, out, err)

    watcher = Watcher(broker, ["#"], username="bridge", password="p@ss:w/rd%")
    proc: subprocess.Popen[str] | None = None
    try:
        # the one-off authorisation, run as the service's user (docs: systemd-run)
        login = as_unit_user("auth", "login", "--redirect-url", sim.authorize(DEMO_REDIRECT_URI))
        assert login.returncode == 0, login.stderr
        tokens = state / "tokens.toml"
        assert tokens.stat().st_uid == NOBODY
        assert tokens.stat().st_mode & 0o777 == 0o600

        proc = unit_process(*args)
        wait_until(lambda: notify.seen("READY=1"), 20, "READY=1")
        hybrid = str(sim.plants[0].ps_id)
        state_msg = watcher.wait_for(f"isolarcloud/{hybrid}/state", timeout=20)
        assert json.loads(state_msg.payload)["pv_power"] is not None
        wait_until(lambda: len(notify.seen("WATCHDOG=1")) >= 2, 10, "two watchdog pings")
        assert any("plant" in m for m in notify.seen("STATUS="))
        wait_until((state / "heartbeat.json").exists, 10, "the heartbeat")
        health = as_unit_user("healthcheck")
        assert health.returncode == 0, health.stdout + health.stderr

        proc.send_signal(signal.SIGTERM)
        _, log = proc.communicate(timeout=10)  # reads the pipes, so the daemon never blocks
        assert proc.returncode == 0, log
        assert notify.seen("STOPPING=1")
        watcher.wait_for("isolarcloud/bridge/state", lambda m: m.text == "offline", 5)
        for path in state.iterdir():
            assert path.stat().st_uid == NOBODY, path
            assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        watcher.close()
        notify.close()
        broker.stop()
        server.close()
