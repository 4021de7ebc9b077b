"""The per-plant refresh window."""

from __future__ import annotations

from bridge.refresh import RefreshGate


def test_window_per_plant() -> None:
    now = [1000.0]
    gate = RefreshGate(60, lambda: now[0])
    assert gate.retry_after(["a"]) == 0
    gate.record(["a"])
    now[0] += 20
    assert gate.retry_after(["a"]) == 40
    assert gate.retry_after(["b"]) == 0
    assert gate.retry_after(["a", "b"]) == 40
    now[0] += 40
    assert gate.retry_after(["a"]) == 0
