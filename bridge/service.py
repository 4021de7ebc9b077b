"""The daemon: the poll loop and scheduler, on-demand refreshes, health.

Threads: the main thread only waits for a stop signal and then shuts down; a worker
thread runs the loop below; paho's thread hands MQTT messages over through a queue.
So a SIGTERM is honoured within seconds even while an HTTP call is in flight.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import structlog

from bridge import __version__, budget
from bridge.atomic import remove_stale_temporaries
from bridge.backoff import Backoff
from bridge.bridge_info import event_payload, info_payload
from bridge.config import Config, ConfigError
from bridge.energy_guard import EnergyGuard
from bridge.health import Health
from bridge.heartbeat import write_heartbeat
from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.errors import (
    AppConfigError,
    AuthorizationDeadError,
    IsolarcloudError,
    RateLimitedError,
    WhitelistError,
)
from bridge.isolarcloud.tokens import TokenStore, token_path
from bridge.logging import SECRETS
from bridge.metric import PLANT_LEVEL, Metric
from bridge.mqtt.connection import Incoming, MqttConnection
from bridge.mqtt.discovery import build_discovery
from bridge.mqtt.publisher import Publisher
from bridge.mqtt.topics import Topics
from bridge.poller import Inventory, Poller, PollResult
from bridge.readings import Device, Plant
from bridge.refresh import RefreshGate
from bridge.requests import PollRecord, RequestHandler
from bridge.systemd import Notifier

log = structlog.get_logger(__name__)

REAUTH_RETRY_S = 900.0  # a dead authorisation only heals by `auth login`; probe it slowly
CONFIG_ERROR_RETRY_S = 900.0  # app key / whitelist trouble: fixed in the portal, not here
MAX_IDLE_WAKE_S = 5.0


class Service:
    def __init__(
        self,
        cfg: Config,
        state_dir: Path,
        *,
        transport: httpx.BaseTransport | None = None,
        notifier: Notifier | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        client_sleep: Callable[[float], object] | None = None,
    ) -> None:
        self.cfg = cfg
        self.state_dir = state_dir
        self._transport = transport
        self._clock = clock
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        # the gateway client's retry pauses; tests on a fast simulated clock shorten them
        self._client_sleep = client_sleep
        self.notifier = notifier or Notifier()
        self.topics = Topics(cfg.mqtt.base_topic, cfg.homeassistant.prefix)
        # None is the wake-up call of stop()
        self.commands: queue.Queue[tuple[float, Incoming] | None] = queue.Queue()
        self.conn = MqttConnection(cfg.mqtt, self.topics, self._hand_over)
        self.published_path = state_dir / "published.json"
        self.guard_path = state_dir / "counters.toml"
        self.publisher = Publisher(self.conn, cfg, self.topics, self.published_path)
        self.store = TokenStore(token_path(state_dir))
        self.guard = EnergyGuard(self.guard_path)
        self.gate = RefreshGate(cfg.poll.min_refresh_interval, monotonic)
        self.health = Health(started_at=clock(), budget=cfg.poll.hourly_call_budget)
        self.inventory = Inventory()
        self.exit_code = 0
        self._stop = threading.Event()
        self._client: GatewayClient | None = None
        self._poller: Poller | None = None
        self._token_mtime: float | None = None
        self._backoff = Backoff(base=30, cap=cfg.poll.interval, rng=self._rng)
        self._next_poll = 0.0
        self._next_inventory = 0.0
        self.last_poll: PollRecord | None = None
        self.requests = RequestHandler(self.topics, self.publisher, self)

    # -- lifecycle ---------------------------------------------------------------------

    def _hand_over(self, msg: Incoming) -> None:
        """paho's callback: never block it, just queue the message for the loop."""
        self.commands.put((self._monotonic(), msg))

    def stop(self) -> None:
        self._stop.set()
        self.commands.put(None)

    def run(self) -> int:
        """Run until stop(); returns the process exit code."""
        if self.store.load() is None:
            raise ConfigError(
                f"no authorisation in {self.store.path}: run `isolarcloud2mqtt auth login` "
                "(with the same --state-dir or $STATE_DIRECTORY) first"
            )
        for state_file in (self.store.path, self.guard_path, self.published_path):
            for leftover in remove_stale_temporaries(state_file):
                log.info("state.leftover_removed", path=str(leftover))
        SECRETS.add(self.cfg.isolarcloud.secret_key)
        SECRETS.add(self.cfg.mqtt.password)
        self.conn.start()
        self.notifier.ready()
        self.notifier.status("starting: reading the plant list")
        worker = threading.Thread(target=self._loop, name="poll-loop", daemon=True)
        worker.start()
        while not self._stop.wait(1.0):
            if not worker.is_alive():
                break
        self.notifier.stopping()
        log.info("bridge.stopping")
        self.conn.stop()
        worker.join(timeout=3)
        if self._client is not None:
            self._client.close()
        log.info("bridge.stopped", exit_code=self.exit_code)
        return self.exit_code

    # -- the loop ----------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            self._loop_forever()
        except ConfigError as exc:
            log.error("bridge.config_error", error=str(exc))
            self.publisher.publish_event(self._event("error", "config_error", str(exc)))
            self.exit_code = 78
        except Exception:
            log.exception("bridge.crashed")
            self.exit_code = 1
        finally:
            self._stop.set()

    def _loop_forever(self) -> None:
        self._next_poll = self._monotonic()
        while not self._stop.is_set():
            self.notifier.watchdog()
            self._reload_tokens_if_changed()
            wait = min(self._next_poll - self._monotonic(), self._max_wake())
            try:
                item = self.commands.get(timeout=max(0.0, wait))
            except queue.Empty:
                item = None
            if self._stop.is_set():
                return
            if item is not None:
                # a flood of requests must not starve the schedule: no `continue` here
                self.requests.handle([item, *self._drain()])
            if self._monotonic() >= self._next_poll and not self._stop.is_set():
                self._scheduled_poll()

    def _max_wake(self) -> float:
        interval = self.notifier.watchdog_interval()
        return min(MAX_IDLE_WAKE_S, interval) if interval else MAX_IDLE_WAKE_S

    def _drain(self) -> list[tuple[float, Incoming]]:
        items: list[tuple[float, Incoming]] = []
        while True:
            try:
                item = self.commands.get_nowait()
            except queue.Empty:
                return items
            if item is not None:
                items.append(item)

    def _scheduled_poll(self) -> None:
        held = self._budget_wait()
        if held > 0:
            # retries and token refreshes under a fault storm can eat the hour's budget
            log.warning("budget.poll_held", seconds=held)
            self._next_poll = self._monotonic() + held
            return
        delay = self._poll(None)
        now = self._monotonic()
        interval = self.cfg.poll.interval
        if delay is None:
            # stay on the schedule: skip whole missed intervals instead of drifting
            while self._next_poll <= now:
                self._next_poll += interval
        else:
            self._next_poll = now + delay

    # -- polling -----------------------------------------------------------------------

    def _ensure_client(self) -> Poller:
        if self._poller is None:
            self._client = GatewayClient(
                self.cfg.isolarcloud,
                self.store,
                transport=self._transport,
                clock=self._clock,
                sleep=self._client_sleep or self._stop.wait,
                rng=self._rng,
                hourly_budget=self.cfg.poll.hourly_call_budget,
            )
            self._poller = Poller(self._client, self.cfg, self.guard, self._clock)
            self._token_mtime = self._token_file_mtime()
        return self._poller

    def _token_file_mtime(self) -> float | None:
        try:
            return self.store.path.stat().st_mtime
        except OSError:
            return None

    def _reload_tokens_if_changed(self) -> None:
        """After `auth login` wrote new tokens, start over with a fresh client at once."""
        if self.health.auth != "reauth_required":
            return
        if self._token_file_mtime() != self._token_mtime:
            log.info("auth.tokens_changed")
            if self._client is not None:
                self._client.close()
            self._client, self._poller = None, None
            self._next_poll = self._monotonic()

    def _poll(self, ps_ids: list[str] | None) -> float | None:
        """Poll and publish; returns None on success, else the seconds to wait before retrying."""
        poller = self._ensure_client()
        assert self._client is not None
        started, started_wall = self._monotonic(), self._clock()
        self.health.poll_started(started_wall)
        result: PollResult | None = None
        error: str | None = None
        retry: float | None = None
        try:
            if not self.inventory.plants or self._monotonic() >= self._next_inventory:
                self._refresh_inventory(poller)
            result = poller.poll(self.inventory, ps_ids)
            self._publish_result(result)
            self.health.poll_finished(self._clock(), "ok")
            self._backoff.reset()
            self._set_auth("ok")
        except AuthorizationDeadError as exc:
            error, retry = str(exc), REAUTH_RETRY_S
            self._on_auth_dead(exc)
        except RateLimitedError as exc:
            error, retry = str(exc), max(exc.retry_after, 1.0)
            self.health.poll_finished(self._clock(), "rate_limited", error)
            self.health.rate_limited_until = self._clock() + retry
            self._count(exc)
            self.publisher.publish_event(self._event("warning", "rate_limited", error))
        except (AppConfigError, WhitelistError) as exc:
            error, retry = str(exc), CONFIG_ERROR_RETRY_S
            self._poll_failed(exc, error)
        except IsolarcloudError as exc:
            error, retry = str(exc), self._backoff.next_delay()
            self._poll_failed(exc, error)
        self.gate.record(result.polled if result else ())
        self.last_poll = PollRecord(started, self._monotonic(), result, error)
        self._after_poll()
        return retry

    def _poll_failed(self, exc: IsolarcloudError, error: str) -> None:
        self._count(exc)
        self.health.poll_finished(self._clock(), "error", error)
        log.warning("poll.failed", error=error, code=exc.code)
        self.publisher.publish_event(self._event("error", "poll_failed", error, code=exc.code))

    def _count(self, exc: IsolarcloudError) -> None:
        self.health.count_error(exc.code or type(exc).__name__)

    def _refresh_inventory(self, poller: Poller) -> None:
        inventory = poller.load_inventory()
        warning = self._check_budget(poller, inventory)
        if warning:
            log.warning("budget.near", message=warning)
            self.publisher.publish_event(self._event("warning", "budget", warning))
        self._next_inventory = self._monotonic() + self.cfg.poll.device_list_interval
        if inventory != self.inventory:
            self.inventory = inventory
            self._publish_inventory(poller)

    def _check_budget(self, poller: Poller, inventory: Inventory) -> str | None:
        return budget.check(poller.estimate(inventory), self.cfg)

    def _publish_inventory(self, poller: Poller) -> None:
        inv = self.inventory
        log.info("inventory.changed", plants=list(inv.ps_ids))

        def metrics_for(plant: Plant, device: Device | None) -> list[Metric]:
            return list(poller.metrics_for(device.device_type if device else PLANT_LEVEL).values())

        # also when discovery is off: the publisher tracks the data topics for cleanup
        self.publisher.publish_discovery(
            build_discovery(
                inv.plants, inv.devices, metrics_for, self.cfg, self.topics, version=__version__
            )
        )
        self.publisher.publish_info(info_payload(self.cfg, inv, self.health.started_at))
        self.notifier.status(f"polling {len(inv.plants)} plant(s) every {self.cfg.poll.interval} s")

    def _publish_result(self, result: PollResult) -> None:
        for reading in result.readings:
            key = reading.device.ps_key if reading.device else reading.ps_id
            self.publisher.publish_reading(reading, result.metrics[key])
        for ps_id in result.polled:
            self.publisher.set_availability(ps_id, ps_id not in result.missing)
        if result.data_ts is not None:
            self.health.last_data_ts = result.data_ts.isoformat()
        log.info("poll.completed", plants=len(result.polled), readings=len(result.readings))

    def _after_poll(self) -> None:
        client = self._client
        tokens = self.store.load() if client is not None else None
        self.publisher.publish_health(
            self.health.payload(
                self._clock(),
                client.calls_last_hour() if client else 0,
                self.conn.reconnects,
                tokens.expires_at if tokens else None,
                self._clock() + max(0.0, self._next_poll - self._monotonic()),
            )
        )
        write_heartbeat(self.state_dir, poll_interval=self.cfg.poll.interval)

    def _on_auth_dead(self, exc: AuthorizationDeadError) -> None:
        self._count(exc)
        self.health.poll_finished(self._clock(), "reauth_required", str(exc))
        if self.health.auth != "reauth_required":
            message = (
                f"{exc}; the plant owner must authorise again: run "
                "`isolarcloud2mqtt auth login` on the bridge's machine"
            )
            log.error("auth.reauth_required", error=str(exc))
            self.publisher.publish_event(self._event("error", "reauth_required", message))
        self._set_auth("reauth_required")
        self._token_mtime = self._token_file_mtime()
        for ps_id in self.inventory.ps_ids:
            self.publisher.set_availability(ps_id, False)

    def _set_auth(self, state: str) -> None:
        if state != self.health.auth or self.health.polls <= 1:
            self.health.auth = "ok" if state == "ok" else "reauth_required"
            self.publisher.publish_auth(self.health.auth)

    # -- what the request handler asks of us ------------------------------------------

    def reauth_required(self) -> bool:
        return self.health.auth == "reauth_required"

    def poll_cost(self) -> int:
        """API calls one poll of every plant costs with the current inventory."""
        return self._poller.estimate(self.inventory).per_poll if self._poller else 0

    def refresh_wait(self, ps_ids: Sequence[str]) -> float:
        """Seconds before these plants may be fetched on demand (0 = now).

        Held by the per-plant window, by a rate-limit backoff, and by the budget.
        """
        waits = [self.gate.retry_after(ps_ids)]
        if self.health.rate_limited_until is not None:
            waits.append(self.health.rate_limited_until - self._clock())
        return max(0.0, self._budget_wait(), *waits)

    def _budget_wait(self) -> float:
        """Seconds to hold a poll that would push the last hour's calls past the budget."""
        client = self._client
        if client is None:
            return 0.0
        if client.calls_last_hour() + self.poll_cost() <= self.cfg.poll.hourly_call_budget:
            return 0.0
        return float(self.cfg.poll.min_refresh_interval)

    def poll_now(self, ps_ids: list[str]) -> PollRecord:
        delay = self._poll(ps_ids)
        if delay is not None:
            self._next_poll = max(self._next_poll, self._monotonic() + delay)
        assert self.last_poll is not None
        return self.last_poll

    def republish(self) -> None:
        self.conn.republish_all()

    def _event(self, level: str, kind: str, message: str, **extra: object) -> dict[str, object]:
        return event_payload(self._clock(), level, kind, message, **extra)
