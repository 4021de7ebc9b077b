"""Command line: argument parsing, one function per command.

Exit codes: 0 clean stop; 2 usage (argparse); 78 (EX_CONFIG) bad configuration or missing
authorisation, as one line on stderr without a traceback; 1 anything unexpected.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bridge import __version__
from bridge.config.load import (
    default_config_path,
    default_state_dir,
    load_config,
    require_application_id,
    require_cloud_credentials,
)
from bridge.config.model import Config, ConfigError
from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.errors import AuthError, IsolarcloudError
from bridge.isolarcloud.model import Device, Plant
from bridge.isolarcloud.onboarding import LoginError
from bridge.isolarcloud.tokens import TokenStore, token_path
from bridge.platform.logging import configure_logging
from bridge.platform.secrets import SecretRegistry
from bridge.platform.stop import StopSignal
from bridge.readings.energy_guard import EnergyGuard

EX_CONFIG = 78


@dataclass(frozen=True, slots=True)
class Invocation:
    """One run of the command: its arguments, its secrets, and its stop request."""

    args: argparse.Namespace
    secrets: SecretRegistry  # every secret of this process: logs and errors mask them
    stop: StopSignal  # SIGTERM and SIGINT, for the commands that stop gracefully


Command = Callable[[Invocation], int]


def _config(inv: Invocation, *, cloud: bool = True, level: str | None = None) -> Config:
    """Load the config, register its secrets, and set up logging (at `level` if given)."""
    cfg = load_config(inv.args.config)
    inv.secrets.add(cfg.isolarcloud.secret_key)
    inv.secrets.add(cfg.mqtt.password)
    if cloud:
        require_cloud_credentials(cfg)
    configure_logging(
        inv.args.log_level or level or cfg.logging.level, cfg.logging.format, inv.secrets
    )
    return cfg


def _store(args: argparse.Namespace) -> TokenStore:
    return TokenStore(token_path(args.state_dir))


def cmd_run(inv: Invocation) -> int:
    from bridge.daemon.service import Service

    service = Service(_config(inv), inv.args.state_dir, secrets=inv.secrets, stop=inv.stop)
    return service.run()


def cmd_auth_login(inv: Invocation) -> int:
    from bridge.isolarcloud.onboarding import login

    args = inv.args
    cfg = _config(inv)
    require_application_id(cfg)
    tokens = login(
        cfg.isolarcloud,
        _store(args),
        secrets=inv.secrets,
        code=args.code,
        redirect_url=args.redirect_url,
    )
    plants = ", ".join(tokens.auth_ps_list) or "none"
    print(f"Authorised. Tokens saved in {_store(args).path}. Plants: {plants}")
    return 0


def cmd_auth_status(inv: Invocation) -> int:
    from bridge.isolarcloud.onboarding import status_lines

    _config(inv, cloud=False)
    store = _store(inv.args)
    for line in status_lines(store, time.time):
        print(line)
    return 0 if store.load() is not None else EX_CONFIG


def cmd_plants(inv: Invocation) -> int:
    args = inv.args
    cfg = _config(inv)
    with GatewayClient(cfg.isolarcloud, _store(args), secrets=inv.secrets) as client:
        plants, detail_error = client.plants_with_details()
        rows = [(plant, client.list_devices(plant.ps_id)) for plant in plants]
    if detail_error is not None:
        print(f"(no installed power: {detail_error})", file=sys.stderr)
    if args.json:
        print(json.dumps([_plant_json(p, ds) for p, ds in rows], indent=2))
        return 0
    for plant, devices in rows:
        power = f"{plant.install_power_w / 1000:g} kWp" if plant.install_power_w else "?"
        print(f"{plant.ps_id:<12} {plant.name}  ({power}, {plant.tz})")
        for d in devices:
            print(f"    {d.slug:<24} type {d.device_type:<3} {d.model or ''}  {d.name}")
    if not rows:
        print("No plants are authorised: run `isolarcloud2mqtt auth login` and tick them.")
    return 0


def _plant_json(plant: Plant, devices: Sequence[Device]) -> dict[str, object]:
    data = asdict(plant)
    data["tz"] = str(plant.tz)
    data["devices"] = [asdict(d) for d in devices]
    return data


def cmd_read(inv: Invocation) -> int:
    from bridge.readings.poller import Poller

    args = inv.args
    cfg = _config(inv)
    with GatewayClient(cfg.isolarcloud, _store(args), secrets=inv.secrets) as client:
        poller = Poller(client, cfg, EnergyGuard(None))
        inventory = poller.load_inventory()
        if args.plant and inventory.plant(args.plant) is None:
            known = ", ".join(inventory.ps_ids) or "none"
            raise ConfigError(f"plant {args.plant!r} is not authorised; known plants: {known}")
        result = poller.poll(inventory, [args.plant] if args.plant else None)
    out = [
        {
            "ps_id": r.ps_id,
            "device": r.device.slug if r.device else None,
            "ts": r.ts.isoformat() if r.ts else None,
            "fetched_at": r.fetched_at.isoformat(),
            "values": dict(r.values),
        }
        for r in result.readings
    ]
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def cmd_doctor(inv: Invocation) -> int:
    from bridge.doctor import exit_code, render, run_checks

    # a config that does not load: one line, exit 78; missing credentials are a check.
    # Quiet by default: the checks' lines are the output (--log-level shows the calls).
    cfg = _config(inv, cloud=False, level="error")
    checks = run_checks(cfg, inv.args.state_dir, secrets=inv.secrets)
    print(render(checks))
    return exit_code(checks)


def cmd_config_init(inv: Invocation) -> int:
    from bridge.config.starter import config_init

    args = inv.args
    return config_init(args.config, force=args.force, stdin=sys.stdin, stdout=sys.stdout)


def cmd_healthcheck(inv: Invocation) -> int:
    from bridge.daemon.heartbeat import healthcheck

    healthy, reason = healthcheck(inv.args.state_dir)
    print(reason)
    return 0 if healthy else 1


def cmd_simulator(inv: Invocation) -> int:
    from bridge.simulator import PROFILES, run_simulator

    args = inv.args
    if args.profile not in PROFILES:  # checked here: the parser must stay light to import
        known = ", ".join(sorted(PROFILES))
        print(
            f"isolarcloud2mqtt simulator: unknown --profile {args.profile!r}; use {known}",
            file=sys.stderr,
        )
        return 2
    configure_logging(args.log_level or "info", "auto", inv.secrets)
    return run_simulator(args, inv.stop)


def cmd_demo(inv: Invocation) -> int:
    from bridge.simulator.demo import run_demo

    return run_demo(inv.args, inv.secrets, inv.stop)


def _common_options(defaults: bool) -> argparse.ArgumentParser:
    """--config, --state-dir, --log-level: accepted before and after the command.

    Only the top-level copy carries defaults; the commands' copies leave the attribute
    alone unless given, so `isolarcloud2mqtt --config X plants` keeps X.
    """
    env = os.environ

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=default(default_config_path(env)),
        help="config file (default: $CONFIGURATION_DIRECTORY/config.toml, "
        "else /etc/isolarcloud2mqtt/config.toml)",
    )
    common.add_argument(
        "--state-dir",
        type=Path,
        default=default(default_state_dir(env)),
        help="tokens and counters (default: $STATE_DIRECTORY, else /var/lib/isolarcloud2mqtt)",
    )
    common.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default=default(None),
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(defaults=False)
    parser = argparse.ArgumentParser(
        prog="isolarcloud2mqtt",
        description="Bridge Sungrow iSolarCloud (official OpenAPI) to MQTT.",
        parents=[_common_options(defaults=True)],
    )
    parser.add_argument("--version", action="version", version=f"isolarcloud2mqtt {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    add("run", cmd_run, "run the bridge daemon").set_defaults(graceful_stop=True)
    auth = sub.add_parser("auth", help="OAuth authorisation by the plant owner")
    auth_sub = auth.add_subparsers(dest="auth_command", required=True, metavar="COMMAND")
    login = auth_sub.add_parser("login", parents=[common], help="authorise the bridge")
    login.add_argument("--code", help="the code from the redirect (non-interactive)")
    login.add_argument("--redirect-url", help="the whole redirect URL (non-interactive)")
    login.set_defaults(func=cmd_auth_login)
    status = auth_sub.add_parser("status", parents=[common], help="token state and plants")
    status.set_defaults(func=cmd_auth_status)
    plants = add("plants", cmd_plants, "list authorised plants and their devices")
    plants.add_argument("--json", action="store_true", help="print JSON instead of a table")
    read = add("read", cmd_read, "poll once and print the readings (no MQTT)")
    read.add_argument("plant", nargs="?", help="one plant's ps_id (default: every plant)")
    add("doctor", cmd_doctor, "check config, broker, token, API, clock and budget; print fixes")
    config = sub.add_parser("config", help="configuration helpers")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="COMMAND")
    init = config_sub.add_parser("init", parents=[common], help="write a starter config")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=cmd_config_init)
    add("healthcheck", cmd_healthcheck, "exit 0 when the daemon polled recently")
    sim = add("simulator", cmd_simulator, "serve the built-in iSolarCloud simulator")
    sim.set_defaults(graceful_stop=True)
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8000)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    sim.add_argument(
        "--plants", type=int, default=0, help="a fleet of N plants (0: two demo plants)"
    )
    sim.add_argument(
        "--profile",
        default="textbook",
        help="an account as real ones differ: textbook, no-device-endpoint, or odd (an "
        "unreadable device type, a failing plant detail and token refresh, a lying unit label)",
    )
    demo = add("demo", cmd_demo, "simulator + bridge (+ a private Mosquitto): see it work")
    demo.set_defaults(graceful_stop=True)
    demo.add_argument("--speed", type=float, default=30.0, help="simulated seconds per second")
    demo.add_argument("--interval", type=int, default=10, help="poll interval in real seconds")
    demo.add_argument(
        "--broker", metavar="HOST:PORT", help="use this broker instead of a private Mosquitto"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # From the first moment: a SIGTERM that comes while `run` is still starting up is a
    # clean stop like any later one, never a death by the signal.
    stop = StopSignal()
    stop.install()
    try:
        args = build_parser().parse_args(argv)
        if not getattr(args, "graceful_stop", False):
            stop.uninstall(replay=True)  # Ctrl-C ends other commands as it always does
        return _dispatch(Invocation(args, SecretRegistry(), stop))
    finally:
        stop.close()


def _dispatch(inv: Invocation) -> int:
    try:
        code: int = inv.args.func(inv)
    except ConfigError as exc:
        print(f"isolarcloud2mqtt: {exc}", file=sys.stderr)
        return EX_CONFIG
    except (AuthError, LoginError) as exc:
        print(f"isolarcloud2mqtt: {exc}", file=sys.stderr)
        return EX_CONFIG
    except IsolarcloudError as exc:
        print(f"isolarcloud2mqtt: iSolarCloud error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code
