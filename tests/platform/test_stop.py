"""StopSignal: a stop request from a signal, another thread, or nobody."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from bridge.platform.stop import StopSignal


@pytest.fixture
def stop() -> Iterator[StopSignal]:
    instance = StopSignal()
    yield instance
    instance.close()


def test_no_request_waits_out_the_timeout(stop: StopSignal) -> None:
    assert stop.wait(0.01) is False
    assert not stop.requested


def test_a_request_from_another_thread_wakes_the_waiter(stop: StopSignal) -> None:
    woke = threading.Event()

    def waiter() -> None:
        if stop.wait(None):
            woke.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    stop.request()
    thread.join(10)
    assert woke.is_set()
    assert stop.wait(0) is True  # a request stays made


def test_a_signal_becomes_a_request_and_handlers_come_back(stop: StopSignal) -> None:
    before = signal.getsignal(signal.SIGTERM)
    stop.install()
    os.kill(os.getpid(), signal.SIGTERM)
    assert stop.wait(10) is True
    assert stop.signal == signal.SIGTERM
    stop.uninstall(replay=False)
    assert signal.getsignal(signal.SIGTERM) == before


def test_many_signals_during_waits_never_hang(stop: StopSignal) -> None:
    """The lock-free path: a handler that ran `Event.set()` here could deadlock."""
    stop.install([signal.SIGUSR1])
    try:
        sender_done = threading.Event()

        def send() -> None:
            for _ in range(500):
                os.kill(os.getpid(), signal.SIGUSR1)
            sender_done.set()

        thread = threading.Thread(target=send)
        thread.start()
        while not sender_done.is_set():
            stop.wait(0.001)
        thread.join(10)
        assert stop.wait(1) is True
        assert stop.signal == signal.SIGUSR1
    finally:
        stop.uninstall(replay=False)


def test_uninstall_with_replay_raises_the_pending_signal(stop: StopSignal) -> None:
    seen: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: seen.append(signum))
    try:
        stop.install([signal.SIGUSR1])
        os.kill(os.getpid(), signal.SIGUSR1)
        assert stop.wait(10)
        assert seen == []  # held while the stop handler was in place
        stop.uninstall(replay=True)
        assert seen == [signal.SIGUSR1]  # ...and delivered once it was taken away
    finally:
        signal.signal(signal.SIGUSR1, previous)
