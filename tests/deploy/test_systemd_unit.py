"""The systemd unit says what the code expects: names, exit codes, directories, hardening.

`scripts/check-unit` runs systemd's own checks (verify, security) where systemd-analyze
is installed; these tests read the file itself and run everywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bridge.cli import EX_CONFIG
from bridge.config.load import SECRET_SOURCES
from bridge.config.model import DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR, PollConfig

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "isolarcloud2mqtt.service"

Unit = dict[str, dict[str, list[str]]]


def parse_unit(text: str) -> Unit:
    """Sections -> key -> every value in order (a key may repeat, as systemd allows)."""
    sections: Unit = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"line {number} is outside any section: {raw!r}"
        key, sep, value = line.partition("=")
        assert sep, f"line {number} is not KEY=VALUE: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.fixture(scope="module")
def unit() -> Unit:
    return parse_unit(UNIT.read_text())


def one(unit: Unit, section: str, key: str) -> str:
    values = unit[section].get(key)
    assert values is not None, f"[{section}] {key} is missing"
    assert len(values) == 1, f"[{section}] {key} is set {len(values)} times"
    return values[0]


def seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)(s|min)?", value)
    assert match, f"not a plain time span: {value}"
    return int(match[1]) * (60 if match[2] == "min" else 1)


def test_the_parser_catches_a_broken_line() -> None:
    with pytest.raises(AssertionError, match="not KEY=VALUE"):
        parse_unit("[Service]\nType notify\n")


def test_notify_service_run_from_the_venv(unit: Unit) -> None:
    assert one(unit, "Service", "Type") == "notify"
    assert one(unit, "Service", "NotifyAccess") == "main"
    assert one(unit, "Service", "ExecStart") == "/opt/isolarcloud2mqtt/bin/isolarcloud2mqtt run"
    assert one(unit, "Install", "WantedBy") == "multi-user.target"
    assert "network-online.target" in one(unit, "Unit", "After").split()
    assert "network-online.target" in one(unit, "Unit", "Wants").split()


def test_restarts_on_failure_but_not_for_a_bad_config(unit: Unit) -> None:
    assert one(unit, "Service", "Restart") == "on-failure"
    assert one(unit, "Service", "RestartPreventExitStatus") == str(EX_CONFIG)
    assert seconds(one(unit, "Service", "RestartSec")) >= 5
    assert seconds(one(unit, "Unit", "StartLimitIntervalSec")) >= 60
    assert int(one(unit, "Unit", "StartLimitBurst")) >= 3
    assert seconds(one(unit, "Service", "TimeoutStopSec")) == 20


def test_watchdog_is_pinged_between_polls(unit: Unit) -> None:
    watchdog = seconds(one(unit, "Service", "WatchdogSec"))
    # the loop pings at half the watchdog, which must come more often than a poll, and
    # leave room for one slow poll (timeouts and retries) before systemd kills it
    assert watchdog / 2 < PollConfig().interval
    assert watchdog >= 120


def test_directories_match_the_config_loader_defaults(unit: Unit) -> None:
    assert one(unit, "Service", "StateDirectory") == DEFAULT_STATE_DIR.name
    assert one(unit, "Service", "StateDirectoryMode") == "0700"
    assert one(unit, "Service", "ConfigurationDirectory") == DEFAULT_CONFIG_PATH.parent.name
    assert DEFAULT_STATE_DIR.parent == Path("/var/lib")
    assert DEFAULT_CONFIG_PATH.parent.parent == Path("/etc")
    assert one(unit, "Service", "UMask") == "0077"
    assert one(unit, "Service", "DynamicUser") == "yes"


def test_credentials_are_the_ones_the_config_loader_reads(unit: Unit) -> None:
    loaded = dict(value.split(":", 1) for value in unit["Service"]["LoadCredential"])
    expected = {credential for _file_key, credential, _env in SECRET_SOURCES.values()}
    assert set(loaded) == expected == {"secret_key", "mqtt_password"}
    for name, source in loaded.items():
        assert source == f"/etc/isolarcloud2mqtt/credentials/{name}"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("PrivateUsers", "yes"),
        ("DevicePolicy", "closed"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("ProtectClock", "yes"),
        ("ProtectHostname", "yes"),
        ("ProtectProc", "invisible"),
        ("ProcSubset", "pid"),
        ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
        ("RestrictNamespaces", "yes"),
        ("RestrictRealtime", "yes"),
        ("RestrictSUIDSGID", "yes"),
        ("RemoveIPC", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallArchitectures", "native"),
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
    ],
)
def test_hardening(unit: Unit, key: str, value: str) -> None:
    assert one(unit, "Service", key) == value


def test_system_calls_are_filtered(unit: Unit) -> None:
    assert unit["Service"]["SystemCallFilter"][0] == "@system-service"
    assert one(unit, "Service", "SystemCallErrorNumber") == "EPERM"


def test_no_network_restriction_that_would_cut_the_cloud_off(unit: Unit) -> None:
    for key in ("PrivateNetwork", "IPAddressDeny"):
        assert key not in unit["Service"]


def test_no_trailing_comments(unit: Unit) -> None:
    # systemd has no trailing comments: `StateDirectory=x # y` makes folders "#" and "y"
    for section in unit.values():
        for key, values in section.items():
            for value in values:
                assert "#" not in value, f"{key}={value}"
