"""Flow control: publishers wait while too many QoS 1/2 messages await their PUBACK.

paho numbers unacknowledged messages with a 16-bit id: past 65,535 in flight, new messages
overwrite old ones unsent. So a publishing thread waits (bounded) while `limit` messages
are unacknowledged. paho's own thread never waits: it is the one that receives the acks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

MAX_UNACKED = 10_000  # far below paho's 65,535 message ids
ROOM_TIMEOUT = 30.0  # seconds a publisher waits for acknowledgements before giving up


class FlowControl:
    def __init__(self, limit: int = MAX_UNACKED, timeout: float = ROOM_TIMEOUT) -> None:
        self._limit = limit
        self._timeout = timeout
        # a lock of its own: paho calls `acked` holding its mutexes, which a thread holding
        # the connection's lock may be waiting for inside client.publish()
        self._cond = threading.Condition()
        self._unacked = 0
        self.network_thread: int | None = None

    @property
    def unacked(self) -> int:
        return self._unacked

    def wait_for_room(self, connected: Callable[[], bool]) -> bool:
        """Wait until there is room (or no connection to wait on); False after the timeout."""
        if threading.get_ident() == self.network_thread:
            return True
        with self._cond:
            return self._cond.wait_for(
                lambda: self._unacked < self._limit or not connected(), self._timeout
            )

    def sending(self) -> None:
        """Count a message before it is handed to paho (which may ack it from inside)."""
        with self._cond:
            self._unacked += 1

    def not_sent(self) -> None:
        with self._cond:
            self._unacked -= 1

    def acked(self) -> None:
        with self._cond:
            self._unacked = max(0, self._unacked - 1)
            self._cond.notify_all()

    def reset(self) -> None:
        """A new connection: what was in flight died with the old one."""
        with self._cond:
            self._unacked = 0

    def release(self) -> None:
        """The connection dropped: wake every waiter, no ack will come now."""
        with self._cond:
            self._cond.notify_all()
