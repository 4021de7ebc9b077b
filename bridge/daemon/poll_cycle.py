"""One poll: the gateway client (made when first needed, renewed after `auth login`), the
inventory when it is due, the readings, and their publication."""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import KW_ONLY, dataclass, field

import httpx
import structlog

from bridge.config.model import Config
from bridge.daemon.info import Events
from bridge.daemon.inventory import InventoryKeeper
from bridge.daemon.notices import Notices
from bridge.daemon.outcome import OK, Outcome, classify
from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.errors import IsolarcloudError
from bridge.isolarcloud.tokens import TokenStore
from bridge.mqtt.publisher import Publisher
from bridge.platform.secrets import SecretRegistry
from bridge.readings.energy_guard import EnergyGuard
from bridge.readings.poller import Poller, PollResult
from bridge.readings.presence import Presence

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PollRecord:
    """When a poll ran (monotonic seconds) and what came of it."""

    started: float
    finished: float
    result: PollResult | None
    outcome: Outcome

    @property
    def polled(self) -> tuple[str, ...]:
        return self.result.polled if self.result else ()

    def covers(self, arrived: float, plants: Sequence[str]) -> bool:
        """Whether a request for `plants` that arrived at `arrived` is answered by this poll."""
        if not self.started <= arrived <= self.finished:
            return False
        return self.result is None or set(plants) <= set(self.result.polled)


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """How the gateway client is built: tests and the demo swap the transport and time."""

    secrets: SecretRegistry
    transport: httpx.BaseTransport | None
    clock: Callable[[], float]
    rng: random.Random
    sleep: Callable[[float], object]  # the pause between retries; returns early on stop


@dataclass
class PollCycle:
    cfg: Config
    store: TokenStore
    _: KW_ONLY
    guard: EnergyGuard
    publisher: Publisher
    keeper: InventoryKeeper
    events: Events
    notices: Notices
    presence: Presence
    settings: ClientSettings
    monotonic: Callable[[], float]
    _client: GatewayClient | None = field(default=None, init=False)
    _poller: Poller | None = field(default=None, init=False)

    def run(self, ps_ids: Sequence[str] | None) -> PollRecord:
        """Poll (every plant, or these) and publish; a cloud error becomes the outcome."""
        poller = self._ensure_poller()
        started = self.monotonic()
        result: PollResult | None = None
        try:
            if self.keeper.due():
                self.keeper.reload(poller)
            result = poller.poll(self.keeper.inventory, ps_ids)
            if self.presence.observe(self.keeper.inventory, result):
                self.keeper.announce()  # a metric appeared or went: discovery first
            self._publish(result)
            outcome = OK
        except IsolarcloudError as exc:
            outcome = classify(exc)
            self._report(outcome)
        readings = result.readings if result else None
        self.notices.after_poll(poller, self.keeper.inventory, readings)
        return PollRecord(started, self.monotonic(), result, outcome)

    def poll_cost(self, ps_ids: Collection[str] | None = None) -> int:
        """API calls one poll of every plant (or these) costs with the current inventory."""
        if self._poller is None:
            return 0
        inventory = self.keeper.inventory
        if ps_ids is not None:
            inventory = inventory.subset(ps_ids)
        return self._poller.estimate(inventory).per_poll

    def polling_allowance(self) -> float:
        """API calls an hour scheduled polls may spend (see `Estimate.polling_allowance`)."""
        if self._poller is None:
            return 0.0
        return self._poller.estimate(self.keeper.inventory).polling_allowance

    def budget_wait(self) -> float:
        """Seconds until a poll of every plant fits in the hourly call budget (0 = now)."""
        return self._client.seconds_until_room(self.poll_cost()) if self._client else 0.0

    def calls_last_hour(self) -> int:
        return self._client.calls_last_hour() if self._client else 0

    def token_expires_at(self) -> float | None:
        return self._client.oauth.token_expires_at if self._client else None

    def renew_client(self) -> None:
        """Start over with a fresh client: `auth login` wrote new tokens."""
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client, self._poller = None, None

    def _ensure_poller(self) -> Poller:
        if self._poller is None:
            settings = self.settings
            self._client = GatewayClient(
                self.cfg.isolarcloud,
                self.store,
                secrets=settings.secrets,
                transport=settings.transport,
                clock=settings.clock,
                sleep=settings.sleep,
                rng=settings.rng,
                hourly_budget=self.cfg.poll.hourly_call_budget,
            )
            self._poller = Poller(
                self._client, self.cfg, self.guard, settings.clock, self.presence.book
            )
        return self._poller

    def _publish(self, result: PollResult) -> None:
        inventory = self.keeper.inventory
        for reading in result.readings:
            announced = self.presence.metrics(inventory, reading.ps_id, reading.device)
            self.publisher.publish_reading(reading, announced)
        for ps_id in result.polled:
            self.publisher.set_availability(ps_id, ps_id not in result.missing)
        log.info("poll.completed", plants=len(result.polled), readings=len(result.readings))

    def _report(self, outcome: Outcome) -> None:
        error = outcome.error or ""
        if outcome.result == "rate_limited":
            self.events.emit("warning", "rate_limited", error)
        elif outcome.result == "error":
            log.warning("poll.failed", error=error, code=outcome.code)
            self.events.emit("error", "poll_failed", error, code=outcome.code)
