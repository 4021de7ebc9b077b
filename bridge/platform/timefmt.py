"""Times as the bridge publishes them: ISO 8601 in UTC with a `Z`, to the second."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def epoch_iso(epoch: float | None) -> str | None:
    """`utc_iso` of an epoch time; None stays None (a time not known yet)."""
    return None if epoch is None else utc_iso(datetime.fromtimestamp(epoch, UTC))
