"""Fault injection: make the next N calls (or a random share of calls) fail in a chosen way."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal, get_args

FaultKind = Literal[
    "http_500", "timeout", "malformed_json", "e00003", "e999", "http_429", "slow", "revoke", "body"
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
DEFAULT_DELAY = {"timeout": 30.0, "slow": 2.0, "http_429": 15.0}


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str
    delay: float  # seconds: the stall of timeout/slow, Retry-After of http_429
    body: bytes = b""  # the verbatim HTTP 200 reply of "body" (a reply of the wrong shape)


@dataclass(slots=True)
class _Planned:
    fault: Fault
    remaining: int
    path: str | None


@dataclass(slots=True)
class _Rate:
    fault: Fault
    probability: float
    path: str | None


def _matches(path: str | None, request_path: str) -> bool:
    """`path` may be the full path or just the endpoint name ("getDeviceRealTimeData")."""
    return path is None or request_path == path or request_path.endswith("/" + path.lstrip("/"))


def _fault(kind: str, delay: float | None, body: bytes = b"") -> Fault:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}: expected one of {', '.join(FAULT_KINDS)}")
    return Fault(kind, DEFAULT_DELAY.get(kind, 0.0) if delay is None else delay, body)


class Faults:
    """`sim.faults`: planned faults fire first, in the order added; then random rates."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(f"faults:{seed}")
        self._planned: list[_Planned] = []
        self._rates: list[_Rate] = []
        self._lock = threading.Lock()

    def add(
        self,
        kind: str,
        count: int = 1,
        path: str | None = None,
        delay: float | None = None,
        body: bytes = b"",
    ) -> None:
        """Fail the next `count` calls matching `path` (all POST paths when None)."""
        if count < 1:
            raise ValueError(f"fault count must be >= 1, got {count}")
        with self._lock:
            self._planned.append(_Planned(_fault(kind, delay, body), count, path))

    def set_rate(
        self, kind: str, probability: float, path: str | None = None, delay: float | None = None
    ) -> None:
        """Fail a seeded-random share of the matching calls; probability 0 removes it."""
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"fault probability must be within 0..1, got {probability}")
        fault = _fault(kind, delay)
        with self._lock:
            self._rates = [r for r in self._rates if (r.fault.kind, r.path) != (kind, path)]
            if probability > 0:
                self._rates.append(_Rate(fault, probability, path))

    def clear(self) -> None:
        with self._lock:
            self._planned.clear()
            self._rates.clear()

    def pending(self) -> int:
        """Planned faults not yet fired."""
        with self._lock:
            return sum(p.remaining for p in self._planned)

    def take(self, request_path: str) -> Fault | None:
        """The fault for this call, if any (consumes one planned fault)."""
        with self._lock:
            for planned in self._planned:
                if _matches(planned.path, request_path):
                    planned.remaining -= 1
                    if planned.remaining == 0:
                        self._planned.remove(planned)
                    return planned.fault
            for rate in self._rates:
                if _matches(rate.path, request_path) and self._rng.random() < rate.probability:
                    return rate.fault
        return None
