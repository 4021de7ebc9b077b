"""The secrets of this process, and how they are masked wherever text leaves it.

One `SecretRegistry` holds every secret string (the secret key, the MQTT password, each
token and authorisation code as it appears); `redact` masks them inside any text, and
`redact_mapping` also masks the values of keys that name a secret.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LENGTH = 4
# Refreshed tokens replace each other; the newest are kept, dead ones age out so the
# pattern stays small in a daemon that runs for months.
MAX_ROTATING_SECRETS = 32

_SECRET_NAMES = frozenset(
    {
        "secret",
        "token",
        "password",
        "passwd",
        # not "code": the cloud's result codes are what a user searches for; an
        # authorisation code is masked by its value, registered when it arrives
        "auth_code",
        "authorization",
        "authorization_code",
        "access_token",
        "refresh_token",
        "secret_key",
        "x_access_key",
        "client_secret",
        "api_key",
    }
)
_SECRET_SUFFIXES = ("_token", "_password", "_secret", "_secret_key")


class SecretRegistry:
    """The secret strings of this process; `redact` masks any of them inside a text.

    Thread-safe: the poll loop adds tokens while paho's thread logs.
    """

    def __init__(self, *fixed: str) -> None:
        self._lock = threading.Lock()
        self._fixed: dict[str, None] = {}
        self._rotating: dict[str, None] = {}
        self._pattern: re.Pattern[str] | None = None
        for value in fixed:
            self.add(value)

    def add(self, value: str, *, rotating: bool = False) -> None:
        """Register a secret; strings shorter than 4 characters are ignored.

        `rotating=True` for tokens that replace each other: only the newest
        `MAX_ROTATING_SECRETS` of those are kept.
        """
        if len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value in self._fixed or value in self._rotating:
                return
            if rotating:
                self._rotating[value] = None
                while len(self._rotating) > MAX_ROTATING_SECRETS:
                    del self._rotating[next(iter(self._rotating))]
            else:
                self._fixed[value] = None
            self._pattern = _compile([*self._fixed, *self._rotating])

    def redact(self, text: str) -> str:
        """`text` with every registered secret (raw or URL-encoded) replaced by "***"."""
        pattern = self._pattern
        if pattern is None:
            return text
        return pattern.sub(MASK, text)

    def redact_mapping(self, obj: Any) -> Any:
        """A copy of `obj` (dicts, lists, tuples, strings) safe to log or publish.

        Values under secret-looking keys become "***" (empty and null values stay, they
        tell a user what is missing); registered secrets are masked inside every string.
        """
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, Mapping):
            return {
                key: (
                    MASK
                    if isinstance(key, str) and is_secret_key(key) and value not in (None, "")
                    else self.redact_mapping(value)
                )
                for key, value in obj.items()
            }
        if isinstance(obj, list):
            return [self.redact_mapping(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.redact_mapping(item) for item in obj)
        return obj


def _compile(secrets: list[str]) -> re.Pattern[str]:
    # A secret may also appear URL-encoded (a logged redirect URL or form body).
    forms = {form for s in secrets for form in (s, quote(s, safe=""), quote_plus(s))}
    # Longest first, so a secret that contains another is masked whole.
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(re.escape(form) for form in ordered))


def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a secret (`password`, `refresh_token`, `X-Access-Key`...)."""
    name = key.lower().replace("-", "_")
    return name in _SECRET_NAMES or name.endswith(_SECRET_SUFFIXES)
