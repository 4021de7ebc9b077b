"""The simulator's clock: real time scaled by `speed`, plus jumps for tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SimClock:
    """Aware UTC time that advances at `speed` x real time from `start`.

    `speed=0` freezes the clock (tests then move it with `advance`)."""

    def __init__(
        self,
        start: datetime | None = None,
        speed: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if start is None:
            start = datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError(
                "SimClock start must be timezone-aware, e.g. datetime(..., tzinfo=UTC)"
            )
        if speed < 0:
            raise ValueError(f"SimClock speed must be >= 0, got {speed}")
        self._start = start.astimezone(UTC)
        self._speed = speed
        self._monotonic = monotonic
        self._t0 = monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def start(self) -> datetime:
        return self._start

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        with self._lock:
            elapsed = (self._monotonic() - self._t0) * self._speed + self._offset
        return self._start + timedelta(seconds=elapsed)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("SimClock cannot go backwards")
        with self._lock:
            self._offset += seconds
