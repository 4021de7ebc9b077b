"""The bounded inbox between paho's thread and the poll loop."""

from __future__ import annotations

from structlog.testing import capture_logs

from bridge.daemon.inbox import Inbox
from bridge.mqtt.commands import Incoming
from tests.daemon.fakes import Clock


def message(n: int) -> Incoming:
    return Incoming("isolarcloud/bridge/request/refresh", str(n).encode(), retain=False)


def test_take_returns_everything_queued_with_arrival_times() -> None:
    clock = Clock()
    inbox = Inbox(clock, capacity=10)
    inbox.put(message(1))
    clock.advance(2)
    inbox.put(message(2))
    assert inbox.take(0) == [(1000.0, message(1)), (1002.0, message(2))]
    assert inbox.take(0) == []


def test_a_full_inbox_drops_with_one_log_line_per_burst() -> None:
    inbox = Inbox(Clock(), capacity=3)
    with capture_logs() as logs:
        for n in range(10):
            inbox.put(message(n))
    assert inbox.dropped == 7
    assert [e["event"] for e in logs] == ["command.dropped"]
    assert [m.payload for _, m in inbox.take(0)] == [b"0", b"1", b"2"]
    with capture_logs() as logs:
        inbox.put(message(10))  # room again
        for n in range(11, 20):
            inbox.put(message(n))
    assert [e["event"] for e in logs] == ["command.dropped"]  # a new burst, a new line


def test_wake_ends_a_wait_without_a_message() -> None:
    inbox = Inbox(Clock())
    inbox.wake()
    assert inbox.take(60) == []
