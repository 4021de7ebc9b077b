"""Requests on `<base>/bridge/request/*`: refreshes (coalesced, throttled), republish, errors.

Every request is answered. A refresh that arrived while a poll of its plants ran is
answered by that poll; one inside a plant's `min_refresh_interval`, over the call budget
or during a rate-limit backoff is answered `throttled` with `retry_after_s`; the rest are
served together by one poll. The handler never calls the cloud itself: it asks its
`RefreshSource` (the service) to poll.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from bridge.mqtt.commands import (
    BadRequest,
    RefreshRequest,
    RepublishRequest,
    Status,
    parse_request,
    response_payload,
)
from bridge.mqtt.connection import Incoming
from bridge.mqtt.publisher import Publisher
from bridge.mqtt.topics import Topics
from bridge.poller import Inventory, PollResult

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PollRecord:
    """When a poll ran (monotonic seconds) and what came of it."""

    started: float
    finished: float
    result: PollResult | None
    error: str | None

    def covers(self, arrived: float, plants: Sequence[str]) -> bool:
        """Whether a request for `plants` that arrived at `arrived` is answered by this poll."""
        if not self.started <= arrived <= self.finished:
            return False
        return self.result is None or set(plants) <= set(self.result.polled)


class RefreshSource(Protocol):
    """What the handler needs from the daemon."""

    inventory: Inventory
    last_poll: PollRecord | None

    def reauth_required(self) -> bool: ...

    def refresh_wait(self, ps_ids: Sequence[str]) -> float: ...

    def poll_now(self, ps_ids: list[str]) -> PollRecord: ...

    def republish(self) -> None: ...


Pending = tuple[Incoming, RefreshRequest, list[str]]


class RequestHandler:
    def __init__(self, topics: Topics, publisher: Publisher, source: RefreshSource) -> None:
        self.topics = topics
        self.publisher = publisher
        self.source = source

    def handle(self, items: list[tuple[float, Incoming]]) -> None:
        """Answer a batch of queued messages (arrival time, message)."""
        refreshes: list[tuple[float, Incoming, RefreshRequest]] = []
        for arrived, msg in items:
            request = parse_request(msg, self.topics)
            if request is None:
                continue
            if isinstance(request, BadRequest):
                log.warning("command.rejected", topic=msg.topic, error=request.error)
                self._respond(msg, request.kind, "error", request.transaction, error=request.error)
            elif isinstance(request, RepublishRequest):
                self.source.republish()
                self._respond(msg, "republish", "ok", request.transaction)
            else:
                refreshes.append((arrived, msg, request))
        if refreshes:
            self._refresh(refreshes)

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

    def _refresh(self, requests: list[tuple[float, Incoming, RefreshRequest]]) -> None:
        pending: list[Pending] = []
        inventory = self.source.inventory
        last = self.source.last_poll
        for arrived, msg, req in requests:
            plants = [req.plant] if req.plant else list(inventory.ps_ids)
            unknown = [p for p in plants if inventory.plant(p) is None]
            if self.source.reauth_required():
                error = "reauth_required: run `isolarcloud2mqtt auth login`"
                self._respond(msg, "refresh", "error", req.transaction, error=error)
            elif unknown or not plants:
                known = ", ".join(inventory.ps_ids) or "none yet"
                name = unknown[0] if unknown else ""
                error = f"unknown plant {name!r}; known plants: {known}"
                self._respond(msg, "refresh", "error", req.transaction, error=error)
            elif last is not None and last.covers(arrived, plants):
                self._answer(msg, req, plants, last)
            else:
                pending.append((msg, req, plants))
        allowed: list[Pending] = []
        for msg, req, plants in pending:
            wait = self.source.refresh_wait(plants)
            if wait > 0:
                self._respond(
                    msg,
                    "refresh",
                    "throttled",
                    req.transaction,
                    plants=plants,
                    retry_after_s=math.ceil(wait),
                )
            else:
                allowed.append((msg, req, plants))
        if allowed:
            record = self.source.poll_now(sorted({p for _, _, ps in allowed for p in ps}))
            for msg, req, plants in allowed:
                self._answer(msg, req, plants, record)

    def _answer(
        self, msg: Incoming, req: RefreshRequest, plants: list[str], record: PollRecord
    ) -> None:
        if record.result is None:
            self._respond(
                msg, "refresh", "error", req.transaction, plants=plants, error=record.error
            )
            return
        data_ts = record.result.data_ts
        self._respond(
            msg,
            "refresh",
            "ok",
            req.transaction,
            plants=plants,
            data_ts=data_ts.isoformat() if data_ts else None,
        )
