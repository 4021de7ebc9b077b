"""`isolarcloud2mqtt doctor`: check everything the daemon depends on, and say how to fix it.

`run_checks` returns one `Check` per finding, in a fixed order; a check whose prerequisite
failed is SKIP ("skipped: why") instead of failing again. `render` prints them one line
each; `exit_code` is 1 when any check FAILs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bridge.config.model import Config
from bridge.doctor.broker import HOME_ASSISTANT, check_broker
from bridge.doctor.check import Check, exit_code, render, skipped
from bridge.doctor.cloud import (
    API,
    BUDGET,
    CLOCK,
    check_api,
    check_authorisation_page,
    check_budget,
    check_clock,
    check_config,
    check_tokens,
)
from bridge.doctor.local import check_config_secrets, check_state_dir
from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.tokens import TokenStore, token_path
from bridge.mqtt.discovery import openhab_caveat
from bridge.platform.secrets import SecretRegistry
from bridge.readings.energy_guard import EnergyGuard
from bridge.readings.poller import Poller

__all__ = ["Check", "exit_code", "render", "run_checks"]

DISCOVERY = "discovery prefix"
DISCOVERY_MODE = "discovery mode"
HA_DEFAULT_PREFIX = "homeassistant"


def check_discovery_prefix(cfg: Config) -> Check:
    ha = cfg.homeassistant
    if not ha.discovery:
        return Check(DISCOVERY, "OK", "discovery is off ([homeassistant] discovery = false)")
    if ha.prefix != HA_DEFAULT_PREFIX:
        return Check(
            DISCOVERY,
            "WARN",
            f"discovery goes to {ha.prefix!r}, Home Assistant listens on "
            f"{HA_DEFAULT_PREFIX!r} unless you changed its discovery prefix",
            f'set [homeassistant] prefix = "{HA_DEFAULT_PREFIX}", unless Home Assistant\'s '
            f"MQTT integration uses {ha.prefix!r} too",
        )
    return Check(DISCOVERY, "OK", f"discovery goes to {ha.prefix!r}, Home Assistant's default")


def check_discovery_mode(cfg: Config) -> Check:
    if caveat := openhab_caveat(cfg):
        return Check(
            DISCOVERY_MODE,
            "WARN",
            caveat,
            'keep [homeassistant] mode = "entity" (the default) if openHAB 5.1 or older reads '
            "this broker; Home Assistant reads both modes",
        )
    if not cfg.homeassistant.discovery:
        return Check(DISCOVERY_MODE, "OK", "discovery is off")
    return Check(DISCOVERY_MODE, "OK", "one config per entity: Home Assistant and openHAB read it")


def _broker_checks(cfg: Config, timeout: float, birth_wait: float) -> list[Check]:
    found, session = check_broker(cfg.mqtt, timeout)
    checks = [found, check_discovery_prefix(cfg), check_discovery_mode(cfg)]
    if session is None:
        checks.append(skipped(HOME_ASSISTANT, "the broker check failed"))
    elif not cfg.homeassistant.discovery:
        session.close()
        checks.append(skipped(HOME_ASSISTANT, "discovery is off"))
    else:
        try:
            checks.append(session.ha_birth(cfg.homeassistant.prefix, birth_wait))
        finally:
            session.close()
    return checks


def _cloud_checks(
    cfg: Config,
    store: TokenStore,
    transport: httpx.BaseTransport | None,
    *,
    secrets: SecretRegistry | None,
    clock: Callable[[], float],
    timeout: float,
    credentials_ok: bool,
) -> list[Check]:
    tokens = check_tokens(store, clock())
    if not credentials_ok:
        why = "cloud credentials are missing (see the config check)"
        return [tokens, skipped(API, why), skipped(CLOCK, why), skipped(BUDGET, why)]
    # one retry, short timeouts: a doctor should answer in seconds, not minutes
    with GatewayClient(
        cfg.isolarcloud,
        store,
        secrets=secrets,
        transport=transport,
        clock=clock,
        retries=1,
        timeout=timeout,
    ) as client:
        poller = Poller(client, cfg, EnergyGuard(None), clock)
        if tokens.status == "FAIL":
            api, inventory = skipped(API, "no usable token file (see above)"), None
        else:
            api, inventory = check_api(cfg, poller)
        clock_check = check_clock(client, clock)
        if inventory is None:
            budget = skipped(BUDGET, "the plant and device counts come from the API check")
        else:
            budget = check_budget(cfg, poller, inventory)
    return [tokens, api, clock_check, budget]


def run_checks(
    cfg: Config,
    state_dir: Path,
    transport: httpx.BaseTransport | None = None,
    *,
    secrets: SecretRegistry | None = None,
    clock: Callable[[], float] = time.time,
    timeout: float = 5.0,
    birth_wait: float = 2.0,
) -> list[Check]:
    """Every check, in order: config, authorisation page, broker, discovery prefix and
    mode, HA, tokens, API, clock, budget, local files."""
    config = check_config(cfg)
    store = TokenStore(token_path(state_dir))
    return [
        config,
        check_authorisation_page(cfg),
        *_broker_checks(cfg, timeout, birth_wait),
        *_cloud_checks(
            cfg,
            store,
            transport,
            secrets=secrets,
            clock=clock,
            timeout=timeout,
            credentials_ok=config.status == "OK",
        ),
        check_state_dir(state_dir),
        check_config_secrets(cfg),
    ]
