"""Child processes of the kill tests: start one, read its status lines, SIGKILL it.

`start_child` runs `python -m <module>`; `ForkServer` forks token children from an
interpreter that has imported everything already (see fork_server.py), which makes a
restart cheap enough to kill often.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Lines:
    """Lines from a pipe, each awaited with a deadline."""

    fd: int
    _buffer: bytes = field(default=b"", repr=False)

    def next(self, timeout: float, what: str) -> str:
        """The next line ('' at end of file); fails naming `what` after `timeout` s."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(0.0, left))
            if not ready:
                raise AssertionError(f"no line from {what} after {timeout}s")
            chunk = os.read(self.fd, 4096)
            if not chunk:
                line, self._buffer = self._buffer, b""
                return line.decode().strip()
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode().strip()


def log_tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Child:
    """A `python -m` child; its stdout is read line by line, its stderr goes to `log`."""

    proc: subprocess.Popen[bytes]
    log: Path
    lines: Lines

    def read_line(self, timeout: float) -> str:
        try:
            return self.lines.next(timeout, "the child")
        except AssertionError as exc:
            self.kill()
            raise AssertionError(f"{exc}:\n{log_tail(self.log)}") from None

    def kill_after(self, delay: float) -> None:
        """SIGKILL it `delay` s from now; it must still be running then."""
        try:
            code = self.proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        raise AssertionError(f"the child exited by itself ({code}):\n{log_tail(self.log)}")

    def tail(self) -> str:
        return log_tail(self.log)

    def kill(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(timeout=10)

    def close(self) -> None:
        self.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def start_child(module: str, args: list[str], log: Path) -> Child:
    """`python -m <module> <args>` from the repository root, stderr appended to `log`."""
    with log.open("ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    assert proc.stdout is not None
    return Child(proc, log, Lines(proc.stdout.fileno()))


class ForkServer:
    """Forks token children (tests.faults.token_child) on request; one at a time."""

    def __init__(self, log: Path) -> None:
        self.log = log
        read_end, self._child_out = os.pipe()
        self.child_lines = Lines(read_end)
        with log.open("ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.faults.fork_server", str(self._child_out)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                pass_fds=(self._child_out,),
            )
        assert self.proc.stdout is not None
        self._replies = Lines(self.proc.stdout.fileno())
        self.pid: int | None = None  # the running child

    def _ask(self, command: str, timeout: float = 15) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{command}\n".encode())
        self.proc.stdin.flush()
        return self._replies.next(timeout, "the fork server")

    def start(self, args: list[str]) -> None:
        assert self.pid is None, "a child is still running"
        reply = self._ask("start " + " ".join(args))
        assert reply.startswith("started "), reply
        self.pid = int(reply.split()[1])

    def read_line(self, timeout: float) -> str:
        try:
            return self.child_lines.next(timeout, "the child")
        except AssertionError as exc:
            self.kill()
            raise AssertionError(f"{exc}:\n{log_tail(self.log)}") from None

    def reap(self) -> int:
        """Wait for the child to end; its exit code (-9 after a SIGKILL)."""
        assert self.pid is not None
        reply = self._ask(f"reap {self.pid}")
        self.pid = None
        return int(reply.split()[2])

    def kill(self) -> int:
        assert self.pid is not None
        os.kill(self.pid, signal.SIGKILL)
        return self.reap()

    def kill_after(self, delay: float) -> None:
        """SIGKILL the child `delay` s from now; it must run silently until then."""
        ready, _, _ = select.select([self.child_lines.fd], [], [], delay)
        if ready:
            said = self.child_lines.next(0, "the child")
            raise AssertionError(f"the child said {said!r} before its kill:\n{log_tail(self.log)}")
        code = self.kill()
        assert code == -signal.SIGKILL, f"the child ended by itself ({code}):\n{log_tail(self.log)}"

    def close(self) -> None:
        if self.pid is not None:
            self.kill()
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        os.close(self._child_out)
        os.close(self.child_lines.fd)
