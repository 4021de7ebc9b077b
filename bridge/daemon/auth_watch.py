"""The authorisation as the daemon sees it: `<base>/bridge/auth`, what happens when it
dies (an event naming the fix, plants offline), and the watch on the token file for the
`auth login` that heals it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from bridge.daemon.health import Health
from bridge.daemon.info import Events
from bridge.daemon.outcome import Outcome
from bridge.mqtt.publisher import AuthState, Publisher

log = structlog.get_logger(__name__)


@dataclass
class AuthMonitor:
    token_file: Path
    publisher: Publisher
    events: Events
    health: Health
    _published: bool = field(default=False, init=False)
    _mtime_when_dead: float | None = field(default=None, init=False)

    @property
    def reauth_required(self) -> bool:
        return self.health.auth == "reauth_required"

    def after(self, outcome: Outcome, plants: Sequence[str]) -> None:
        """Follow a poll's outcome: a dead authorisation, or one that works again."""
        if outcome.result == "reauth_required":
            if not self.reauth_required:
                log.error("auth.reauth_required", error=outcome.error)
                self.events.emit(
                    "error",
                    "reauth_required",
                    f"{outcome.error}; the plant owner must authorise again: run "
                    "`isolarcloud2mqtt auth login` on the bridge's machine",
                )
            self._set("reauth_required")
            self._mtime_when_dead = self._mtime()
            for ps_id in plants:
                self.publisher.set_availability(ps_id, False)
        elif outcome.ok:
            self._set("ok")

    def tokens_changed(self) -> bool:
        """True once `auth login` has written new tokens since the authorisation died."""
        if not self.reauth_required or self._mtime() == self._mtime_when_dead:
            return False
        log.info("auth.tokens_changed")
        self._mtime_when_dead = self._mtime()
        return True

    def _set(self, state: AuthState) -> None:
        if state != self.health.auth or not self._published:
            self.health.auth = state
            self.publisher.publish_auth(state)
            self._published = True

    def _mtime(self) -> float | None:
        try:
            return self.token_file.stat().st_mtime
        except OSError:
            return None
