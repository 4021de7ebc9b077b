"""A stop request that a signal handler, any thread or the worker can raise, and one thread
waits for: the self-pipe trick.

A handler that calls `threading.Event.set()` can deadlock: it runs in the main thread
between two bytecodes, possibly while that thread holds the event's lock inside `wait()`.
Here a signal only stores a flag, and the kernel writes its number into a socketpair
(`signal.set_wakeup_fd`), which wakes the waiting `select()`; no lock is taken on the way.
"""

from __future__ import annotations

import contextlib
import select
import signal
import socket
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
Handler = Callable[[int, FrameType | None], Any] | int | None


class StopSignal:
    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._requested = False
        self._previous: dict[signal.Signals, Handler] = {}
        self._previous_fd = -1
        self.signal: signal.Signals | None = None  # the signal that asked, if one did

    @property
    def requested(self) -> bool:
        return self._requested

    def request(self) -> None:
        """Ask to stop (from any thread). Never blocks."""
        self._requested = True
        with contextlib.suppress(OSError):  # a full pipe already holds a wake-up
            self._writer.send(b"\0")

    def wait(self, timeout: float | None) -> bool:
        """Wait up to `timeout` seconds for a stop request; True once one was made."""
        if not self._requested:
            with contextlib.suppress(InterruptedError):
                select.select([self._reader], [], [], timeout)
            with contextlib.suppress(OSError):
                while self._reader.recv(512):
                    pass
        return self._requested

    def install(self, signals: Iterable[signal.Signals] = STOP_SIGNALS) -> None:
        """Turn these signals into stop requests (main thread only), until `uninstall`."""
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for signum in signals:
            self._previous[signum] = signal.signal(signum, self._on_signal)

    def uninstall(self, *, replay: bool) -> None:
        """Put the previous handlers back; with `replay`, a signal that came meanwhile is
        raised again, as if it arrived now (for commands that do not stop gracefully)."""
        if not self._previous:
            return
        signal.set_wakeup_fd(self._previous_fd)
        for signum, handler in self._previous.items():
            # None: a handler set outside Python, which cannot be put back; the default can
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        self._previous = {}
        if replay and self.signal is not None:
            signal.raise_signal(self.signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # No lock here: the wakeup fd has already been written by the interpreter.
        self.signal = signal.Signals(signum)
        self._requested = True

    def close(self) -> None:
        self.uninstall(replay=False)  # the interpreter must not write into a closed socket
        self._reader.close()
        self._writer.close()
