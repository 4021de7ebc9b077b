"""When the cloud may be asked again: the one place that says "not yet, wait N seconds".

Three holds, each exact:
- the per-plant window: a plant fetched less than `min_refresh_interval` ago is not
  fetched again on demand (the cloud has 5-minute data; calls would buy nothing);
- a rate-limit backoff the cloud asked for;
- the hourly call budget: the time until the calls of one poll fit in the last hour
  (the gateway client's own count, not a guess).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class RefreshRules:
    min_interval: float
    monotonic: Callable[[], float]
    budget_room: Callable[[], float]  # seconds until a poll's calls fit the budget
    _last_fetch: dict[str, float] = field(default_factory=dict, init=False)
    _rate_limited_until: float | None = field(default=None, init=False)

    def fetched(self, ps_ids: Iterable[str]) -> None:
        """These plants were just read from the cloud."""
        now = self.monotonic()
        for ps_id in ps_ids:
            self._last_fetch[ps_id] = now

    def rate_limited(self, seconds: float | None) -> None:
        """The cloud asked us to wait `seconds` (None: it no longer does)."""
        self._rate_limited_until = None if seconds is None else self.monotonic() + seconds

    def plant_wait(self, ps_ids: Iterable[str]) -> float:
        now = self.monotonic()
        waits = [
            self._last_fetch[p] + self.min_interval - now for p in ps_ids if p in self._last_fetch
        ]
        return max([0.0, *waits])

    def budget_wait(self) -> float:
        return self.budget_room()

    def wait(self, ps_ids: Iterable[str]) -> float:
        """Seconds before an on-demand refresh of these plants may run (0 = now)."""
        waits = [self.plant_wait(ps_ids), self.budget_wait()]
        if self._rate_limited_until is not None:
            waits.append(self._rate_limited_until - self.monotonic())
        return max(0.0, *waits)
