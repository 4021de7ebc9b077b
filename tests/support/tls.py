"""Throwaway certificates made with the `openssl` command line, and Mosquitto TLS listeners.

EC keys (P-256): generating them takes milliseconds, so every test may have its own CA.
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

KEY_ARGS = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()}")


@dataclass(frozen=True)
class Ca:
    cert: Path
    key: Path

    def issue(
        self, folder: Path, name: str, *, san: str | None = None, client: bool = False
    ) -> tuple[Path, Path]:
        """A certificate for `name` signed by this CA: (cert, key).

        `san` defaults to `DNS:<name>`; `client=True` makes a client (TLS web client) certificate.
        """
        folder.mkdir(parents=True, exist_ok=True)
        key, csr, cert, ext = (folder / f"{name}.{s}" for s in ("key", "csr", "pem", "ext"))
        openssl("req", *KEY_ARGS, "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}")
        usage = "clientAuth" if client else "serverAuth"
        ext.write_text(f"subjectAltName={san or f'DNS:{name}'}\nextendedKeyUsage={usage}\n")
        openssl("x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key),
                "-set_serial", str(secrets.randbelow(2**62)), "-out", str(cert),
                "-days", "2", "-extfile", str(ext))  # fmt: skip
        return cert, key


def make_ca(folder: Path, name: str = "test-ca") -> Ca:
    folder.mkdir(parents=True, exist_ok=True)
    ca = Ca(folder / f"{name}.pem", folder / f"{name}.key")
    openssl("req", "-x509", *KEY_ARGS, "-keyout", str(ca.key), "-out", str(ca.cert),
            "-days", "2", "-subj", f"/CN={name}")  # fmt: skip
    return ca


def make_certs(folder: Path, server_name: str) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for `server_name` only: (ca, cert, key)."""
    ca = make_ca(folder)
    cert, key = ca.issue(folder, server_name)
    return ca.cert, cert, key


def tls_listener(
    port: int, host: str, ca: Path, cert: Path, key: Path, *, client_certs: bool = False
) -> str:
    """Mosquitto config for one more listener, with TLS; `client_certs` requires a client
    certificate and takes its CN as the user name (no password)."""
    lines = [f"listener {port} {host}", f"cafile {ca}", f"certfile {cert}", f"keyfile {key}"]
    if client_certs:
        lines += ["require_certificate true", "use_identity_as_username true"]
    return "\n".join(lines) + "\n"
