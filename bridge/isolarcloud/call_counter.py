"""A rolling count of the HTTP calls made in the last hour (the cloud's quota window)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

WINDOW = 3600.0


class CallCounter:
    """Records the time of every call; `last_hour()` counts those in the last 3600 s."""

    def __init__(self, clock: Callable[[], float], window: float = WINDOW) -> None:
        self._clock = clock
        self._window = window
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def record(self) -> None:
        with self._lock:
            now = self._clock()
            self._times.append(now)
            self._prune(now)

    def last_hour(self) -> int:
        with self._lock:
            self._prune(self._clock())
            return len(self._times)

    def seconds_until_below(self, limit: int) -> float:
        """How long until fewer than `limit` calls remain in the window (0 = now)."""
        with self._lock:
            now = self._clock()
            self._prune(now)
            if len(self._times) < limit:
                return 0.0
            return self._times[len(self._times) - limit] + self._window - now

    def seconds_until_room(self, calls: int, limit: int) -> float:
        """How long until `calls` more calls fit under `limit` in the window (0 = now)."""
        if calls > limit:
            return self._window
        return self.seconds_until_below(limit - calls + 1)

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] <= now - self._window:
            self._times.popleft()
