"""On-demand refresh rules: at most one fetch per plant per `min_refresh_interval`.

The scheduled poll counts as a fetch too, so a refresh right after a poll is throttled
rather than spending API calls on data the cloud has not updated yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


class RefreshGate:
    def __init__(self, min_interval: float, clock: Callable[[], float]) -> None:
        self.min_interval = min_interval
        self._clock = clock
        self._last_fetch: dict[str, float] = {}

    def record(self, ps_ids: Iterable[str]) -> None:
        now = self._clock()
        for ps_id in ps_ids:
            self._last_fetch[ps_id] = now

    def retry_after(self, ps_ids: Iterable[str]) -> float:
        """Seconds until every plant in `ps_ids` may be fetched again (0 = now)."""
        now = self._clock()
        waits = [
            self._last_fetch[p] + self.min_interval - now for p in ps_ids if p in self._last_fetch
        ]
        return max([0.0, *waits])
