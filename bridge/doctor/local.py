"""The doctor's local checks: the state directory and secrets written into the config file."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from bridge.config.load import SECRET_SOURCES
from bridge.config.model import Config
from bridge.doctor.check import Check

STATE_DIR = "state directory"
SECRETS = "config secrets"


def check_state_dir(state_dir: Path) -> Check:
    if not state_dir.exists():
        parent = next((p for p in state_dir.parents if p.exists()), None)
        if parent is not None and parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
            return Check(
                STATE_DIR, "OK", f"{state_dir} does not exist yet; it will be created (mode 0700)"
            )
        return Check(
            STATE_DIR,
            "FAIL",
            f"{state_dir} does not exist and cannot be created here",
            f"create it (`install -d -m 0700 {state_dir}`) owned by the user running the "
            "bridge, or pass --state-dir (systemd sets StateDirectory=)",
        )
    if not state_dir.is_dir():
        return Check(STATE_DIR, "FAIL", f"{state_dir} is not a directory", "pass --state-dir DIR")
    if not os.access(state_dir, os.W_OK | os.X_OK):
        return Check(
            STATE_DIR,
            "FAIL",
            f"{state_dir} is not writable by this user: tokens and counters cannot be saved",
            "chown it to the user running the bridge, or pass --state-dir",
        )
    mode = state_dir.stat().st_mode & 0o777
    if mode & 0o077:
        return Check(
            STATE_DIR,
            "WARN",
            f"{state_dir} has mode {mode:04o}: other users can look inside",
            f"chmod 700 {state_dir} (systemd: StateDirectoryMode=0700)",
        )
    return Check(STATE_DIR, "OK", f"{state_dir} is writable, mode 0700")


def _inline_secrets(path: Path) -> list[str]:
    """`[section] key` of each secret written into the file itself (not via *_file)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # it loaded a moment ago; a race is not this check's business
    found = []
    for section, key in SECRET_SOURCES:
        body = data.get(section)
        if isinstance(body, dict) and body.get(key):
            found.append(f"[{section}] {key}")
    return found


def check_config_secrets(cfg: Config) -> Check:
    if cfg.path is None or not cfg.path.exists():
        return Check(SECRETS, "OK", "no config file to inspect")
    inline = _inline_secrets(cfg.path)
    mode = cfg.path.stat().st_mode & 0o777
    if inline and mode & 0o004:
        return Check(
            SECRETS,
            "WARN",
            f"{cfg.path} (mode {mode:04o}) is readable by every user and holds {', '.join(inline)}",
            f"chmod 600 {cfg.path} (or 640 for the bridge's group), or move the secrets to "
            "secret_key_file / password_file, or to systemd LoadCredential=",
        )
    where = "inline, file not world-readable" if inline else "none inline"
    return Check(SECRETS, "OK", f"secrets in {cfg.path}: {where}")
