"""`isolarcloud2mqtt doctor` as a user runs it: a real process, exit codes, no secrets."""

from __future__ import annotations

from pathlib import Path

from bridge.simulator import DEMO_SECRET_KEY
from tests.doctor.conftest import start_cloud
from tests.support.broker import MosquittoBroker, Watcher
from tests.support.cli import cli, write_config


def test_doctor_exit_codes(
    tmp_path: Path, broker: MosquittoBroker, user_env: dict[str, str]
) -> None:
    sim, server = start_cloud()
    try:
        config = write_config(tmp_path / "config.toml", server.url, broker)
        config.chmod(0o600)
        state = tmp_path / "state"
        where = ["doctor", "--config", str(config), "--state-dir", str(state)]

        unauthorised = cli(*where, env=user_env)
        assert unauthorised.returncode == 1, unauthorised.stderr
        assert "FAIL  token file" in unauthorised.stdout
        assert "auth login" in unauthorised.stdout
        assert "Traceback" not in unauthorised.stderr

        redirect = sim.authorize("http://localhost:8765/callback")
        login = cli("auth", "login", *where[1:], "--redirect-url", redirect, env=user_env)
        assert login.returncode == 0, login.stderr
        watcher = Watcher(broker, ["homeassistant/status"])
        watcher.publish("homeassistant/status", "online", retain=True)
        watcher.close()

        healthy = cli(*where, env=user_env)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
        lines = healthy.stdout.strip().splitlines()
        assert len(lines) == 12  # one line per check
        assert all(line.startswith("OK ") for line in lines), healthy.stdout
        assert DEMO_SECRET_KEY not in healthy.stdout + healthy.stderr

        sim.revoke()
        revoked = cli(*where, env=user_env)
        assert revoked.returncode == 1
        assert "FAIL  api" in revoked.stdout
    finally:
        server.close()
