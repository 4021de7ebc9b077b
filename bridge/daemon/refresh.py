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


class RefreshRules:
    def __init__(
        self,
        min_interval: float,
        monotonic: Callable[[], float],
        budget_wait: Callable[[], float],
    ) -> None:
        self.min_interval = min_interval
        self._monotonic = monotonic
        self._budget_wait = budget_wait
        self._last_fetch: dict[str, float] = {}
        self._rate_limited_until: float | None = None

    def fetched(self, ps_ids: Iterable[str]) -> None:
        """These plants were just read from the cloud."""
        now = self._monotonic()
        for ps_id in ps_ids:
            self._last_fetch[ps_id] = now

    def rate_limited(self, seconds: float | None) -> None:
        """The cloud asked us to wait `seconds` (None: it no longer does)."""
        self._rate_limited_until = None if seconds is None else self._monotonic() + seconds

    def plant_wait(self, ps_ids: Iterable[str]) -> float:
        now = self._monotonic()
        waits = [
            self._last_fetch[p] + self.min_interval - now for p in ps_ids if p in self._last_fetch
        ]
        return max([0.0, *waits])

    def budget_wait(self) -> float:
        return self._budget_wait()

    def wait(self, ps_ids: Iterable[str]) -> float:
        """Seconds before an on-demand refresh of these plants may run (0 = now)."""
        waits = [self.plant_wait(ps_ids), self.budget_wait()]
        if self._rate_limited_until is not None:
            waits.append(self._rate_limited_until - self._monotonic())
        return max(0.0, *waits)
