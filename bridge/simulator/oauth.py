"""OAuth state of the simulated cloud: authorisation codes, access and refresh tokens.

Mirrors the real service as the reference describes it (Spring-style messages): codes are
6 characters, single use and short-lived; a code is consumed when looked up, so a redirect
mismatch burns it too; refresh tokens rotate and die on reuse."""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

CODE_TTL = timedelta(minutes=5)
REFRESH_TTL = timedelta(days=30)


class OAuthError(Exception):
    """A token-endpoint failure: `code` is the result_code the cloud sends."""

    def __init__(self, code: str, message: str, error: str = "invalid_grant") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.error = error


@dataclass(slots=True)
class Grant:
    """One owner consent: which plants, for which user."""

    auth_user: int
    ps_ids: tuple[str, ...]
    alive: bool = True


@dataclass(slots=True)
class _Code:
    redirect_uri: str
    grant: Grant
    expires_at: datetime


@dataclass(slots=True)
class _Token:
    grant: Grant
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Issued:
    access_token: str
    refresh_token: str | None
    expires_in: int
    grant: Grant


@dataclass(slots=True)
class OAuthState:
    rng: random.Random
    auth_user: int
    expires_in: int
    codes: dict[str, _Code] = field(default_factory=dict)
    access: dict[str, _Token] = field(default_factory=dict)
    refresh: dict[str, _Token] = field(default_factory=dict)
    next_expires_in: int | None = None  # reported once instead of expires_in (the bug)
    omit_refresh_token_next: bool = False
    code_ttl: timedelta = CODE_TTL

    def new_code(self, redirect_uri: str, ps_ids: Sequence[str], now: datetime) -> str:
        alphabet = string.ascii_letters + string.digits
        code = "".join(self.rng.choice(alphabet) for _ in range(6))
        grant = Grant(self.auth_user, tuple(ps_ids))
        self.codes[code] = _Code(redirect_uri, grant, now + self.code_ttl)
        return code

    def exchange(
        self, grant_type: object, code: object, redirect_uri: object, now: datetime
    ) -> Issued:
        if grant_type != "authorization_code":
            raise OAuthError("6", f"Unsupported grant type: {grant_type}", "unsupported_grant_type")
        text = code if isinstance(code, str) else ""
        entry = self.codes.pop(text, None)  # consumed whatever happens next
        if entry is None or entry.expires_at <= now or not entry.grant.alive:
            raise OAuthError("2", f"Invalid authorization code: {text}")
        if redirect_uri != entry.redirect_uri:
            raise OAuthError("5", "Redirect URI mismatch.")
        return self._issue(entry.grant, now, with_refresh=True)

    def rotate(self, refresh_token: object, now: datetime) -> Issued:
        """Refresh: the old refresh token dies unless the reply omits a new one."""
        text = refresh_token if isinstance(refresh_token, str) else ""
        entry = self.refresh.get(text)
        if entry is None or not entry.grant.alive:
            raise OAuthError("5", "invalid refresh token")
        if entry.expires_at <= now:
            del self.refresh[text]
            raise OAuthError("-2", "refresh_token expired")
        omit = self.omit_refresh_token_next
        self.omit_refresh_token_next = False
        if not omit:
            del self.refresh[text]
        return self._issue(entry.grant, now, with_refresh=not omit)

    def refresh_valid(self, refresh_token: str, now: datetime) -> bool:
        """Whether `rotate` would accept this refresh token now (read-only)."""
        entry = self.refresh.get(refresh_token)
        return entry is not None and entry.grant.alive and entry.expires_at > now

    def grant_for(self, access_token: str, now: datetime) -> Grant | None:
        entry = self.access.get(access_token)
        if entry is None or entry.expires_at <= now or not entry.grant.alive:
            return None
        return entry.grant

    def revoke(self) -> None:
        for table in (self.access, self.refresh):
            for entry in table.values():
                entry.grant.alive = False
            table.clear()
        for code in self.codes.values():
            code.grant.alive = False
        self.codes.clear()

    def expire_access_tokens(self, now: datetime) -> None:
        for entry in self.access.values():
            entry.expires_at = min(entry.expires_at, now)

    def _issue(self, grant: Grant, now: datetime, *, with_refresh: bool) -> Issued:
        access = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        self.access[access] = _Token(grant, now + timedelta(seconds=self.expires_in))
        refresh = None
        if with_refresh:
            refresh = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            self.refresh[refresh] = _Token(grant, now + REFRESH_TTL)
        reported = self.expires_in if self.next_expires_in is None else self.next_expires_in
        self.next_expires_in = None
        return Issued(access, refresh, reported, grant)
