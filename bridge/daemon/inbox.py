"""Requests on their way from paho's network thread to the poll loop.

paho's callback must never block, and a flood of requests must not grow memory without
bound: the inbox holds at most `capacity` messages and drops (with a log line) the rest.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Callable

import structlog

from bridge.mqtt.commands import Incoming

log = structlog.get_logger(__name__)

CAPACITY = 1000
Arrival = tuple[float, Incoming]  # (monotonic arrival time, message)


class Inbox:
    def __init__(self, monotonic: Callable[[], float], capacity: int = CAPACITY) -> None:
        self._monotonic = monotonic
        self._queue: queue.Queue[Arrival | None] = queue.Queue(maxsize=capacity)
        self.dropped = 0
        self._dropping = False  # one log line per burst of drops, not one per message

    def put(self, msg: Incoming) -> None:
        """paho's callback: hand the message over, or drop it when the inbox is full."""
        try:
            self._queue.put_nowait((self._monotonic(), msg))
            self._dropping = False
        except queue.Full:
            self.dropped += 1
            if not self._dropping:
                self._dropping = True
                log.warning(
                    "command.dropped",
                    topic=msg.topic,
                    reason=f"more than {self._queue.maxsize} requests are waiting",
                    dropped_so_far=self.dropped,
                )

    def wake(self) -> None:
        """Wake a waiting `take` (a full inbox wakes it anyway)."""
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def take(self, timeout: float) -> list[Arrival]:
        """Wait up to `timeout` for a message; then everything queued, oldest first."""
        try:
            first = self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return []
        items = [first]
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return [item for item in items if item is not None]
