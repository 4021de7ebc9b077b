"""The worker thread: it waits for a request or the next due poll, runs it, and records
what came of it (refresh window, auth state, health, heartbeat), in that order."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

import structlog

from bridge.config.model import Config, ConfigError
from bridge.daemon.auth_watch import AuthMonitor
from bridge.daemon.health import Health, Usage
from bridge.daemon.heartbeat import write_heartbeat
from bridge.daemon.inbox import Inbox
from bridge.daemon.info import Events
from bridge.daemon.inventory import InventoryKeeper
from bridge.daemon.notices import Notices
from bridge.daemon.phase import PollSeen
from bridge.daemon.poll_cycle import PollCycle, PollRecord
from bridge.daemon.refresh import RefreshRules
from bridge.daemon.request_handler import RequestHandler, View
from bridge.daemon.scheduler import Scheduler
from bridge.mqtt.connection import MqttConnection
from bridge.mqtt.publisher import Publisher
from bridge.platform.systemd import Notifier

log = structlog.get_logger(__name__)

MAX_IDLE_WAKE_S = 5.0
EX_CONFIG = 78


@dataclass(frozen=True, slots=True)
class Parts:
    """What the loop drives; the service builds them."""

    inbox: Inbox
    cycle: PollCycle
    keeper: InventoryKeeper
    scheduler: Scheduler
    rules: RefreshRules
    requests: RequestHandler
    auth: AuthMonitor
    notices: Notices
    health: Health
    events: Events
    publisher: Publisher
    conn: MqttConnection
    notifier: Notifier


@dataclass
class PollLoop:
    cfg: Config
    parts: Parts
    state_dir: Path
    _: KW_ONLY
    stopping: threading.Event  # set by `stop()`, never by a signal handler
    clock: Callable[[], float]
    monotonic: Callable[[], float]
    last_poll: PollRecord | None = field(default=None, init=False)

    def stop(self) -> None:
        self.stopping.set()
        self.parts.inbox.wake()

    def run(self) -> int:
        """Loop until `stop()`; the exit code: 0, 78 for a configuration error, 1 on a crash."""
        try:
            self._loop()
            return 0
        except ConfigError as exc:
            log.error("bridge.config_error", error=str(exc))
            self.parts.events.emit("error", "config_error", str(exc))
            return EX_CONFIG
        except Exception:
            log.exception("bridge.crashed")
            return 1
        finally:
            self.parts.cycle.close()  # the worker owns the HTTP client: nobody else closes it

    def _loop(self) -> None:
        p = self.parts
        while not self.stopping.is_set():
            p.notifier.watchdog()
            if p.auth.tokens_changed():
                p.cycle.renew_client()
                p.scheduler.poll_now()
            items = p.inbox.take(min(p.scheduler.seconds_until_due(), self._max_wake()))
            if self.stopping.is_set():
                return
            if items:
                # a flood of requests must not starve the schedule: no `continue` here
                view = View(p.keeper.inventory, self.last_poll, p.auth.reauth_required)
                pending = p.requests.triage(items, view)
                if pending:
                    plants = sorted({ps for item in pending for ps in item.plants})
                    p.requests.answer(pending, self._poll(plants))
            if p.scheduler.due() and not self.stopping.is_set():
                self._scheduled_poll()

    def _max_wake(self) -> float:
        interval = self.parts.notifier.watchdog_interval()
        return min(MAX_IDLE_WAKE_S, interval) if interval else MAX_IDLE_WAKE_S

    def _scheduled_poll(self) -> None:
        held = self.parts.rules.budget_wait()
        if held > 0:
            # retries and token refreshes under a fault storm can eat the hour's budget
            log.warning("budget.poll_held", seconds=round(held, 1))
            self.parts.scheduler.hold(held)
            return
        self._poll(self.parts.scheduler.due_plants(), scheduled=True)

    def _poll(self, ps_ids: Sequence[str] | None, *, scheduled: bool = False) -> PollRecord:
        p = self.parts
        started = self.clock()
        p.health.poll_started(started)
        record = p.cycle.run(ps_ids)
        outcome = record.outcome
        p.rules.fetched(record.polled)
        if outcome.result == "rate_limited":
            p.rules.rate_limited(outcome.retry_after)
        elif outcome.ok:
            p.rules.rate_limited(None)
        p.scheduler.interval = p.notices.interval  # longer when the budget is too small
        finished = self.clock()
        samples = record.result.sample_times() if record.result else {}
        seen = PollSeen(started, finished, record.polled, samples)
        if scheduled:
            p.scheduler.after_scheduled(outcome, seen)
        else:
            p.scheduler.after_on_demand(outcome, seen)
        p.auth.after(outcome, p.keeper.inventory.ps_ids)
        data_ts = record.result.data_ts if record.result else None
        p.health.poll_finished(finished, outcome, data_ts, samples)
        self.last_poll = record
        self._publish_health()
        write_heartbeat(self.state_dir, poll_interval=round(p.scheduler.period))
        return record

    def _publish_health(self) -> None:
        p = self.parts
        now = self.clock()
        usage = Usage(
            calls_last_hour=p.cycle.calls_last_hour(),
            mqtt_reconnects=p.conn.reconnects,
            token_expires_at=p.cycle.token_expires_at(),
            next_poll_at=now + max(0.0, p.scheduler.next_at - self.monotonic()),
            notices=p.notices.health(),
        )
        p.publisher.publish_health(p.health.payload(now, usage))
