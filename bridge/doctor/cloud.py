"""The doctor's cloud checks: credentials, token file, one cheap API call, clock, budget."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bridge.config.load import require_cloud_credentials
from bridge.config.model import Config, ConfigError
from bridge.doctor.check import Check
from bridge.isolarcloud import budget
from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.errors import (
    LOGIN_FIX,
    AppConfigError,
    AuthError,
    IsolarcloudError,
    RateLimitedError,
    TransientError,
    WhitelistError,
)
from bridge.isolarcloud.regions import endpoints_for, region_for
from bridge.isolarcloud.tokens import TokenStore
from bridge.readings.poller import Inventory, Poller

CONFIG = "config"
AUTH_PAGE = "authorisation page"
TOKENS = "token file"
API = "api"
CLOCK = "clock"
BUDGET = "call budget"
REFRESH_WARN_DAYS = 7
SKEW_WARN_S = 60.0
SKEW_FAIL_S = 300.0  # beyond this the cloud refuses calls (E913)
LOGIN = "run `isolarcloud2mqtt auth login`"


def check_config(cfg: Config) -> Check:
    where = cfg.path or "config"
    try:
        require_cloud_credentials(cfg)
    except ConfigError as exc:
        return Check(CONFIG, "FAIL", f"{where} loaded, but cloud credentials are missing", str(exc))
    return Check(CONFIG, "OK", f"{where} loaded; app key and secret key are set")


def check_authorisation_page(cfg: Config) -> Check:
    """Where `auth login` sends the owner: the host that varies by region (and for China)."""
    iso = cfg.isolarcloud
    _, web = endpoints_for(iso)
    where = (
        f"`auth login` sends the owner to {web} (cloudId {region_for(iso).cloud_id}, "
        f"applicationId {iso.application_id}, redirect {iso.redirect_uri})"
    )
    if not iso.application_id:
        return Check(
            AUTH_PAGE,
            "WARN",
            f"{where}: no application id yet",
            "set [isolarcloud] application_id, the number after applicationId= in your "
            "app's authorisation URL in the developer portal",
        )
    return Check(
        AUTH_PAGE,
        "OK",
        f"{where}; if that page shows no plants or loops, set [isolarcloud] web_url",
    )


def _days(seconds: float) -> str:
    if abs(seconds) >= 86400:
        return f"{seconds / 86400:.1f} days"
    if abs(seconds) >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min"


def check_tokens(store: TokenStore, now: float) -> Check:
    try:
        tokens = store.load()
    except AuthError as exc:
        return Check(TOKENS, "FAIL", exc.message, LOGIN)
    if tokens is None:
        return Check(TOKENS, "FAIL", f"no token file at {store.path}: not authorised yet", LOGIN)
    left = tokens.refresh_expires_at - now
    if left <= 0:
        return Check(
            TOKENS, "FAIL", f"the refresh token expired {_days(-left)} ago ({store.path})", LOGIN
        )
    access = tokens.expires_at - now
    access_text = (
        f"access token valid for {_days(access)}"
        if access > 0
        else "access token expired (renewed at the next call)"
    )
    mode = store.path.stat().st_mode & 0o777
    if mode & 0o077:
        return Check(
            TOKENS,
            "WARN",
            f"{store.path} has mode {mode:04o}: other users may read the tokens",
            f"chmod 600 {store.path}",
        )
    if left < REFRESH_WARN_DAYS * 86400:
        return Check(
            TOKENS,
            "WARN",
            f"the refresh token expires in {_days(left)}; {access_text}",
            f"the bridge renews it while it runs; if it stays stopped that long, {LOGIN}",
        )
    return Check(
        TOKENS, "OK", f"{store.path}: {access_text}, refresh token valid for {_days(left)}"
    )


def _api_failure(cfg: Config, exc: IsolarcloudError) -> Check:
    gateway, _ = endpoints_for(cfg.isolarcloud)
    if isinstance(exc, AuthError):
        return Check(API, "FAIL", exc.message.removesuffix(f"; {LOGIN_FIX}"), LOGIN_FIX)
    if isinstance(exc, AppConfigError):
        return Check(
            API,
            "FAIL",
            exc.message,
            "compare [isolarcloud] app_key, secret_key and region with the application in "
            "the developer portal (the app key is 32 hex characters; the secret key is not "
            "the application id)",
        )
    if isinstance(exc, WhitelistError):
        return Check(
            API,
            "FAIL",
            exc.message,
            "add this machine's public IP (or your user) to the application's whitelist in "
            "the developer portal, or turn the whitelist off; `auth login` does not help",
        )
    if isinstance(exc, RateLimitedError):
        return Check(
            API,
            "WARN",
            exc.message,
            f"wait {exc.retry_after:.0f} s and run doctor again; if it keeps happening, "
            "lower [poll] hourly_call_budget or raise [poll] interval",
        )
    if isinstance(exc, TransientError):
        return Check(
            API,
            "FAIL",
            f"cannot talk to the gateway {gateway}: {exc.message}",
            "check the network and DNS, and [isolarcloud] region (each region has its own "
            "gateway host)",
        )
    return Check(API, "FAIL", exc.message, "see docs/troubleshooting.md; report it if it persists")


def check_api(cfg: Config, poller: Poller) -> tuple[Check, Inventory | None]:
    """The plant list and device lists: what the daemon fetches first."""
    try:
        inventory = poller.load_inventory()
    except IsolarcloudError as exc:
        return _api_failure(cfg, exc), None
    n_devices = sum(len(ds) for ds in inventory.devices.values())
    if not inventory.plants:
        fix = (
            "check [plants] include and exclude against `isolarcloud2mqtt plants`"
            if cfg.plants.include or cfg.plants.exclude
            else f"{LOGIN} and tick your plants on the authorisation page; a wrong "
            "[isolarcloud] region also shows no plants"
        )
        return Check(API, "WARN", "the API answers, but no plant is authorised", fix), inventory
    ids = ", ".join(inventory.ps_ids)
    message = f"the API answers: {len(inventory.plants)} plant(s) ({ids}), {n_devices} device(s)"
    return Check(API, "OK", message), inventory


def check_clock(client: GatewayClient, now: Callable[[], float]) -> Check:
    try:
        server = client.server_time()
    except IsolarcloudError as exc:
        return Check(
            CLOCK,
            "WARN",
            f"cannot read the gateway's time: {exc.message}",
            "check the network and [isolarcloud] region",
        )
    local = datetime.fromtimestamp(now(), UTC)
    skew = (local - server).total_seconds()
    side = "ahead of" if skew > 0 else "behind"
    text = f"this machine's clock is {abs(skew):.0f} s {side} the gateway's"
    fix = "enable NTP: `timedatectl set-ntp true` (or install chrony / systemd-timesyncd)"
    if abs(skew) > SKEW_FAIL_S:
        return Check(CLOCK, "FAIL", f"{text}: the cloud refuses such calls (E913)", fix)
    if abs(skew) > SKEW_WARN_S:
        return Check(CLOCK, "WARN", text, fix)
    return Check(CLOCK, "OK", f"{text} (fine)")


def check_budget(cfg: Config, poller: Poller, inventory: Inventory) -> Check:
    est = poller.estimate(inventory)
    usage = (
        f"the schedule costs about {est.scheduled_per_hour} API calls an hour "
        f"({est.per_poll} per poll every {est.interval} s) of hourly_call_budget = {est.budget}"
    )
    verdict = budget.fit(est, cfg)
    if verdict.stretched:
        return Check(
            BUDGET,
            "WARN",
            f"{usage}: over the budget, so the daemon polls every {verdict.interval} s instead",
            est.fix(),
        )
    if verdict.note is not None:
        return Check(
            BUDGET,
            "WARN",
            verdict.note,
            "raise [poll] interval, or keep hourly_call_budget within the plan "
            f"({budget.BASIC_PLAN_CALLS_PER_HOUR} calls an hour on the Basic plan)",
        )
    return Check(BUDGET, "OK", usage)
