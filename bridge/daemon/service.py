"""The daemon's lifecycle: build the parts, start MQTT and the poll loop, wait for a stop
request, shut down in order.

Threads: the calling thread only waits for a stop request (a signal, `stop()`, or the
worker ending) and then shuts down; the poll loop runs in a worker thread; paho's thread
hands MQTT messages over through the inbox. So a SIGTERM is honoured within seconds even
while an HTTP call is in flight.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import structlog

from bridge.catalogue.definitions import MetricBook
from bridge.config.model import Config, ConfigError
from bridge.daemon.auth_watch import AuthMonitor
from bridge.daemon.health import Health
from bridge.daemon.inbox import Inbox
from bridge.daemon.info import Events
from bridge.daemon.inventory import InventoryKeeper
from bridge.daemon.notices import Notices
from bridge.daemon.poll_cycle import ClientSettings, PollCycle
from bridge.daemon.poll_loop import Parts, PollLoop
from bridge.daemon.refresh import RefreshRules
from bridge.daemon.request_handler import RequestHandler
from bridge.daemon.scheduler import Fleet, Scheduler
from bridge.isolarcloud.tokens import TokenStore, token_path
from bridge.mqtt.connection import MqttConnection
from bridge.mqtt.discovery import openhab_caveat
from bridge.mqtt.publisher import Publisher
from bridge.mqtt.topics import Topics
from bridge.platform.atomic import remove_stale_temporaries
from bridge.platform.secrets import SecretRegistry
from bridge.platform.stop import StopSignal
from bridge.platform.systemd import Notifier
from bridge.readings.energy_guard import EnergyGuard
from bridge.readings.poller import Inventory
from bridge.readings.presence import Presence

log = structlog.get_logger(__name__)

PUBLISHED_FILE = "published.json"
COUNTERS_FILE = "counters.toml"
ENTITIES_FILE = "entities.json"
# Shutdown stays well inside systemd's patience and the promised "exit within seconds":
# at most this long for the broker to acknowledge `offline` (on loopback: milliseconds)...
OFFLINE_ACK_S = 1.5
# ...and this long for the worker; one still inside an HTTP call then ends with the
# process (its client is never closed under it).
WORKER_JOIN_S = 1.0


class Service:
    def __init__(
        self,
        cfg: Config,
        state_dir: Path,
        *,
        secrets: SecretRegistry | None = None,
        stop: StopSignal | None = None,
        transport: httpx.BaseTransport | None = None,
        notifier: Notifier | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        client_sleep: Callable[[float], object] | None = None,
    ) -> None:
        self.cfg = cfg
        self.state_dir = state_dir
        self.stop_signal = stop or StopSignal()
        self.notifier = notifier or Notifier()
        self.topics = Topics(cfg.mqtt.base_topic, cfg.homeassistant.prefix)
        self.store = TokenStore(token_path(state_dir))
        self.exit_code = 0
        rng = rng or random.Random()
        inbox = Inbox(monotonic)
        self.conn = MqttConnection(cfg.mqtt, self.topics, inbox.put)
        publisher = Publisher(self.conn, cfg, self.topics, state_dir / PUBLISHED_FILE)
        self.health = Health(started_at=clock(), budget=cfg.poll.hourly_call_budget)
        events = Events(publisher, clock)
        presence = Presence(MetricBook(cfg.points), state_dir / ENTITIES_FILE, clock)
        self._keeper = InventoryKeeper(
            cfg,
            self.topics,
            publisher,
            events,
            self.notifier,
            presence,
            started_at=self.health.started_at,
            monotonic=monotonic,
        )
        worker_stopping = threading.Event()
        client = ClientSettings(
            secrets=secrets or SecretRegistry(cfg.isolarcloud.secret_key, cfg.mqtt.password),
            transport=transport,
            clock=clock,
            rng=rng,
            # the gateway client's retry pauses end when the loop is asked to stop
            sleep=client_sleep or worker_stopping.wait,
        )
        notices = Notices(cfg, events)
        cycle = PollCycle(
            cfg,
            self.store,
            guard=EnergyGuard(state_dir / COUNTERS_FILE),
            publisher=publisher,
            keeper=self._keeper,
            events=events,
            notices=notices,
            presence=presence,
            settings=client,
            monotonic=monotonic,
        )
        self.rules = RefreshRules(cfg.poll.min_refresh_interval, monotonic, cycle.budget_wait)
        self._cycle = cycle
        fleet = Fleet(lambda: self.inventory.ps_ids, cycle.poll_cost, cycle.polling_allowance)
        self.scheduler = Scheduler(
            cfg.poll.interval, fleet, monotonic=monotonic, clock=clock, rng=rng
        )
        parts = Parts(
            inbox=inbox,
            cycle=cycle,
            keeper=self._keeper,
            scheduler=self.scheduler,
            rules=self.rules,
            requests=RequestHandler(self.topics, publisher, self.rules),
            auth=AuthMonitor(self.store.path, publisher, events, self.health),
            notices=notices,
            health=self.health,
            events=events,
            publisher=publisher,
            conn=self.conn,
            notifier=self.notifier,
        )
        self._loop = PollLoop(
            cfg, parts, state_dir, stopping=worker_stopping, clock=clock, monotonic=monotonic
        )

    @property
    def inventory(self) -> Inventory:
        return self._keeper.inventory

    def poll_cost(self) -> int:
        return self._cycle.poll_cost()

    def stop(self) -> None:
        """Ask the service to stop (from any thread, or a signal: see `StopSignal`)."""
        self.stop_signal.request()

    def run(self) -> int:
        """Run until stopped; returns the process exit code."""
        if self.store.load() is None:
            raise ConfigError(
                f"no authorisation in {self.store.path}: run `isolarcloud2mqtt auth login` "
                "(with the same --state-dir or $STATE_DIRECTORY) first"
            )
        for name in (self.store.path.name, COUNTERS_FILE, PUBLISHED_FILE, ENTITIES_FILE):
            for leftover in remove_stale_temporaries(self.state_dir / name):
                log.info("state.leftover_removed", path=str(leftover))
        if caveat := openhab_caveat(self.cfg):
            log.warning("discovery.device_mode", detail=caveat)
        worker = threading.Thread(target=self._work, name="poll-loop", daemon=True)
        self.conn.start()
        self.notifier.ready()
        self.notifier.status("starting: reading the plant list")
        worker.start()
        self.stop_signal.wait(None)
        self.notifier.stopping()
        log.info("bridge.stopping")
        self._loop.stop()
        self.conn.stop(OFFLINE_ACK_S)
        worker.join(WORKER_JOIN_S)
        if worker.is_alive():
            log.warning("bridge.worker_busy", detail="a cloud call is in flight; it ends with us")
        log.info("bridge.stopped", exit_code=self.exit_code)
        return self.exit_code

    def _work(self) -> None:
        self.exit_code = self._loop.run()
        self.stop_signal.request()  # the loop ended by itself (a fatal error): shut down
