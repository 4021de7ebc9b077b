"""The Dockerfile's facts the code relies on, and the commands the image runs.

No image can be built here (no registry), so the file is read, its environment is fed
to the config loader, and its ENTRYPOINT/HEALTHCHECK commands are run as the image would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bridge.config.load import SECRET_SOURCES, default_config_path, default_state_dir
from bridge.daemon.heartbeat import write_heartbeat

ROOT = Path(__file__).resolve().parents[2]

Instruction = tuple[str, str]


def instructions() -> list[Instruction]:
    """(KEYWORD, arguments) per instruction, continuation lines joined, comments dropped."""
    result: list[Instruction] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        result.append((keyword.upper(), " ".join(args.split())))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return result


def only(keyword: str) -> str:
    found = [args for key, args in instructions() if key == keyword]
    assert len(found) == 1, f"{keyword} appears {len(found)} times"
    return found[0]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for key, args in instructions():
        if key == "ENV":
            for pair in args.split():
                name, sep, value = pair.partition("=")
                assert sep, f"ENV {pair}: use the NAME=value form"
                env[name] = value
    return env


def test_slim_python_base_that_matches_requires_python() -> None:
    base = only("FROM")
    assert base.startswith("python:3.")
    assert "-slim" in base
    minor = int(base.split(":")[1].split(".")[1].split("-")[0])
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == ">=3.11"
    assert minor >= 11


def test_runs_as_a_numeric_non_root_user() -> None:
    user = only("USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0
    assert gid.isdigit() and int(gid) != 0
    assert f"--uid {uid}" in only("RUN")


def test_dependencies_are_wheels_only() -> None:
    assert "pip install --no-cache-dir --only-binary=:all:" in only("RUN")


def test_entrypoint_healthcheck_and_signal() -> None:
    assert json.loads(only("ENTRYPOINT")) == ["isolarcloud2mqtt"]
    assert json.loads(only("CMD")) == ["run"]
    assert only("STOPSIGNAL") == "SIGTERM"
    healthcheck = only("HEALTHCHECK")
    options, _, command = healthcheck.partition(" CMD ")
    assert json.loads(command) == ["isolarcloud2mqtt", "healthcheck"]
    assert "--start-period=" in options
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "isolarcloud2mqtt" in pyproject["project"]["scripts"]


def test_state_volume_and_config_match_the_loader_defaults() -> None:
    env = image_env()
    assert json.loads(only("VOLUME")) == ["/data"]
    assert default_state_dir(env) == Path("/data")
    assert default_config_path(env) == Path("/config/config.toml")
    assert env["PYTHONUNBUFFERED"] == "1"
    assert f"chown {only('USER')} /data" in only("RUN")


def test_secrets_directory_holds_the_credentials_the_loader_reads() -> None:
    assert image_env()["CREDENTIALS_DIRECTORY"] == "/run/secrets"
    compose = (ROOT / "docs" / "docker-compose.example.yml").read_text()
    for _file_key, credential, _variable in SECRET_SOURCES.values():
        assert f"  {credential}:" in compose, f"compose defines no secret {credential}"


def test_dockerignore_lets_in_what_the_dockerfile_copies() -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = {
        source
        for key, args in instructions()
        if key == "COPY"
        for source in args.split()[:-1]
        if not source.startswith("--")
    }
    assert copied == allowed == {"pyproject.toml", "README.md", "bridge"}


def run_healthcheck(state_dir: Path) -> subprocess.CompletedProcess[str]:
    # What HEALTHCHECK runs, with the image's environment but our temporary state folder
    env = {**os.environ, **image_env(), "STATE_DIRECTORY": str(state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "bridge", "healthcheck"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


def test_healthcheck_command_fails_without_a_heartbeat(tmp_path: Path) -> None:
    result = run_healthcheck(tmp_path)
    assert result.returncode == 1
    assert "no heartbeat at" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_healthcheck_command_passes_after_a_poll(tmp_path: Path) -> None:
    write_heartbeat(tmp_path, poll_interval=300)
    result = run_healthcheck(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", ["mosquitto:", "isolarcloud2mqtt:"])
def test_compose_example_runs_mosquitto_beside_the_bridge(service: str) -> None:
    compose = (ROOT / "docs" / "docker-compose.example.yml").read_text()
    assert f"\n  {service}\n" in compose
    for mount in (":/data", ":/config:ro", ":/mosquitto/config:ro"):
        assert mount in compose
