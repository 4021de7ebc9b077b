"""Requests on `<base>/bridge/request/*`: refreshes (coalesced, throttled), republish, errors.

Every request is answered. A refresh that arrived while a poll of its plants ran is
answered by that poll; one that `RefreshRules` holds (the plant's window, a rate-limit
backoff, the call budget) is answered `throttled` with `retry_after_s`; the rest wait for
one poll, which the poll loop runs, and are answered by it. The handler never calls the
cloud itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from bridge.daemon.inbox import Arrival
from bridge.daemon.poll_cycle import PollRecord
from bridge.daemon.refresh import RefreshRules
from bridge.mqtt.commands import (
    BadRequest,
    Incoming,
    RefreshRequest,
    RepublishRequest,
    Status,
    parse_request,
    response_payload,
)
from bridge.mqtt.publisher import Publisher
from bridge.mqtt.topics import Topics
from bridge.readings.poller import Inventory

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class View:
    """What the handler needs to know of the daemon when it triages requests."""

    inventory: Inventory
    last_poll: PollRecord | None
    reauth_required: bool


@dataclass(frozen=True, slots=True)
class Pending:
    """A refresh that waits for a poll of `plants`."""

    msg: Incoming
    request: RefreshRequest
    plants: list[str]


@dataclass(frozen=True, slots=True)
class RequestHandler:
    topics: Topics
    publisher: Publisher
    rules: RefreshRules

    def triage(self, items: Sequence[Arrival], view: View) -> list[Pending]:
        """Answer every request that can be answered now; return those that need a poll."""
        pending: list[Pending] = []
        for arrived, msg in items:
            request = parse_request(msg, self.topics)
            if request is None:
                continue
            if isinstance(request, BadRequest):
                log.warning("command.rejected", topic=msg.topic, error=request.error)
                self._respond(msg, request.kind, "error", request.transaction, error=request.error)
            elif isinstance(request, RepublishRequest):
                self.publisher.republish()
                self._respond(msg, "republish", "ok", request.transaction)
            else:
                pending.extend(self._refresh(arrived, msg, request, view))
        return self._hold(pending)

    def answer(self, pending: Sequence[Pending], record: PollRecord) -> None:
        for item in pending:
            self._answer(item, record)

    def _refresh(
        self, arrived: float, msg: Incoming, req: RefreshRequest, view: View
    ) -> list[Pending]:
        inventory, last = view.inventory, view.last_poll
        plants = [req.plant] if req.plant else list(inventory.ps_ids)
        unknown = [p for p in plants if inventory.plant(p) is None]
        if view.reauth_required:
            error = "reauth_required: run `isolarcloud2mqtt auth login`"
            self._respond(msg, "refresh", "error", req.transaction, error=error)
        elif unknown or not plants:
            known = ", ".join(inventory.ps_ids) or "none yet"
            name = unknown[0] if unknown else ""
            error = f"unknown plant {name!r}; known plants: {known}"
            self._respond(msg, "refresh", "error", req.transaction, error=error)
        elif last is not None and last.covers(arrived, plants):
            self._answer(Pending(msg, req, plants), last)
        else:
            return [Pending(msg, req, plants)]
        return []

    def _hold(self, pending: list[Pending]) -> list[Pending]:
        allowed = []
        for item in pending:
            wait = self.rules.wait(item.plants)
            if wait > 0:
                self._respond(
                    item.msg,
                    "refresh",
                    "throttled",
                    item.request.transaction,
                    plants=item.plants,
                    retry_after_s=math.ceil(wait),
                )
            else:
                allowed.append(item)
        return allowed

    def _answer(self, item: Pending, record: PollRecord) -> None:
        transaction = item.request.transaction
        if record.result is None:
            error = record.outcome.error
            self._respond(
                item.msg, "refresh", "error", transaction, plants=item.plants, error=error
            )
            return
        data_ts = record.result.data_ts
        self._respond(
            item.msg,
            "refresh",
            "ok",
            transaction,
            plants=item.plants,
            data_ts=data_ts.isoformat() if data_ts else None,
        )

    def _respond(
        self,
        msg: Incoming,
        kind: str,
        status: Status,
        transaction: object,
        *,
        plants: Sequence[str] = (),
        data_ts: str | None = None,
        error: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        payload = response_payload(
            status,
            transaction=transaction,
            plants=list(plants),
            data_ts=data_ts,
            error=error,
            retry_after_s=retry_after_s,
        )
        self.publisher.respond(msg, self.topics.response(kind), payload)
