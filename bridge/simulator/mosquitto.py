"""A private Mosquitto process on a free loopback port (the demo's broker, and the tests').

Started as root, mosquitto drops to the `mosquitto` user before opening its files, so the
config says `user root` (ignored otherwise) to keep files in private folders readable.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

INSTALL_HINT = (
    "mosquitto not found: install it with `apt-get install -y mosquitto mosquitto-clients`"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def mosquitto_executable() -> str:
    exe = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if exe is None:
        raise RuntimeError(INSTALL_HINT)
    return exe


@dataclass
class BrokerUser:
    name: str
    password: str
    acl: tuple[str, ...] = ()  # lines such as "topic readwrite isolarcloud/#"


@dataclass
class MosquittoBroker:
    """One mosquitto process; `restart()` keeps the port so clients can reconnect."""

    workdir: Path
    users: tuple[BrokerUser, ...] = ()
    extra_conf: str = ""
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def anonymous(self) -> bool:
        return not self.users

    def _write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        lines = [f"listener {self.port} {self.host}", "persistence false", "user root"]
        if self.anonymous:
            lines.append("allow_anonymous true")
        else:
            pw = self.workdir / "passwd"
            pw.unlink(missing_ok=True)
            for i, user in enumerate(self.users):
                args = ["mosquitto_passwd", "-b"] + (["-c"] if i == 0 else [])
                subprocess.run([*args, str(pw), user.name, user.password], check=True)
            lines += ["allow_anonymous false", f"password_file {pw}"]
            if any(user.acl for user in self.users):
                acl = self.workdir / "acl"
                acl.write_text(
                    "".join(
                        f"user {u.name}\n" + "".join(f"{line}\n" for line in u.acl) + "\n"
                        for u in self.users
                    )
                )
                lines.append(f"acl_file {acl}")
        conf = self.workdir / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n" + self.extra_conf)
        return conf

    def start(self) -> None:
        conf = self._write_config()
        log = (self.workdir / "mosquitto.log").open("ab")
        self.proc = subprocess.Popen(
            [mosquitto_executable(), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log_text = (self.workdir / "mosquitto.log").read_text(errors="replace")
                    raise RuntimeError(f"mosquitto did not start: {log_text}") from None
                time.sleep(0.02)

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
