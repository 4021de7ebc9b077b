"""sd_notify in plain Python: readiness, status, watchdog and stopping for `Type=notify`.

Outside systemd (no `NOTIFY_SOCKET`) every call is a no-op, so the daemon runs the same
from a shell, in Docker and under systemd.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


class Notifier:
    """Sends `KEY=VALUE` datagrams to the socket named by `$NOTIFY_SOCKET`.

    A path, or `@name` for a socket in Linux's abstract namespace.
    """

    def __init__(self, env: Mapping[str, str] = os.environ) -> None:
        self._env = env
        address = env.get("NOTIFY_SOCKET", "")
        self._address = "\0" + address[1:] if address.startswith("@") else address

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def notify(self, *lines: str) -> bool:
        """Send one datagram; False when not under systemd or the socket is unreachable.

        Like libsystemd's sd_notify, a failure never raises: a status line is not worth
        stopping the daemon for, and a lost watchdog ping is systemd's to act on.
        """
        if not self._address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self._address)
                sock.sendall("\n".join(lines).encode())
        except OSError:
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """Started: config loaded and the MQTT loop running (not waiting for the broker)."""
        return self.notify("READY=1", *([f"STATUS={_one_line(status)}"] if status else []))

    def status(self, text: str) -> bool:
        """A line a person reads in `systemctl status`."""
        return self.notify(f"STATUS={_one_line(text)}")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def watchdog(self) -> bool:
        """Call from the poll loop itself, so a stuck loop stops the pings and is killed."""
        return self.notify("WATCHDOG=1")

    def watchdog_interval(self) -> float | None:
        """Seconds between watchdog pings (half of `WATCHDOG_USEC`), or None without one.

        None too when `WATCHDOG_PID` names another process: the watchdog is not ours.
        """
        usec = self._env.get("WATCHDOG_USEC", "")
        pid = self._env.get("WATCHDOG_PID", "")
        if not usec.isdigit() or int(usec) == 0:
            return None
        if pid and (not pid.isdigit() or int(pid) != os.getpid()):
            return None
        return int(usec) / 1_000_000 / 2


def _one_line(text: str) -> str:
    # A newline would start a new KEY=VALUE pair in the datagram.
    return " ".join(text.splitlines())
