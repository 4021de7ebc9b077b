"""Logging: structlog over the standard library, and the redaction of secrets.

Console lines on a terminal, JSON lines otherwise (journald, Docker). Every record, our
own and those of paho, httpx and httpcore, passes one redaction step before it is
rendered: values of secret-looking keys become "***", and every secret registered in a
`SecretRegistry` (the secret key, the MQTT password, each token as it is obtained) is
replaced wherever it appears, exception text included.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Mapping
from typing import Any, Literal, TextIO
from urllib.parse import quote, quote_plus

import structlog
import structlog.tracebacks
from structlog.typing import EventDict, Processor, WrappedLogger

MASK = "***"
MIN_SECRET_LENGTH = 4
# Refreshed tokens replace each other; the newest are kept, dead ones age out so the
# pattern stays small in a daemon that runs for months.
MAX_ROTATING_SECRETS = 32

# paho-mqtt logs to this logger once the client calls `enable_logger()`.
PAHO_LOGGER = "paho.mqtt.client"
# httpx logs every request line at INFO; only their warnings are worth a line.
QUIET_LOGGERS = ("httpx", "httpcore")

_SECRET_NAMES = frozenset(
    {
        "secret",
        "token",
        "password",
        "passwd",
        "code",
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

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fixed: dict[str, None] = {}
        self._rotating: dict[str, None] = {}
        self._pattern: re.Pattern[str] | None = None

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


def _compile(secrets: list[str]) -> re.Pattern[str]:
    # A secret may also appear URL-encoded (a logged redirect URL or form body).
    forms = {form for s in secrets for form in (s, quote(s, safe=""), quote_plus(s))}
    # Longest first, so a secret that contains another is masked whole.
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(re.escape(form) for form in ordered))


SECRETS = SecretRegistry()


def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a secret (`password`, `refresh_token`, `X-Access-Key`...)."""
    name = key.lower().replace("-", "_")
    return name in _SECRET_NAMES or name.endswith(_SECRET_SUFFIXES)


def redact_mapping(obj: Any, secrets: SecretRegistry | None = None) -> Any:
    """A copy of `obj` (dicts, lists, tuples, strings) safe to log or publish.

    Values under secret-looking keys become "***" (empty and null values stay, they tell
    a user what is missing); registered secrets are masked inside every string.
    """
    registry = SECRETS if secrets is None else secrets
    return _redact(obj, registry)


def _redact(obj: Any, registry: SecretRegistry) -> Any:
    if isinstance(obj, str):
        return registry.redact(obj)
    if isinstance(obj, Mapping):
        return {
            key: (
                MASK
                if isinstance(key, str) and is_secret_key(key) and value not in (None, "")
                else _redact(value, registry)
            )
            for key, value in obj.items()
        }
    if isinstance(obj, list):
        return [_redact(item, registry) for item in obj]
    if isinstance(obj, tuple):
        return tuple(_redact(item, registry) for item in obj)
    return obj


def _redaction_processor(registry: SecretRegistry) -> Processor:
    def redact(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        redacted: EventDict = _redact(event_dict, registry)
        return redacted

    return redact


def _redacting_renderer(renderer: Processor, registry: SecretRegistry) -> Processor:
    # A second pass over the finished line catches a secret inside the repr of an
    # object the structural pass could not look into.
    def render(logger: WrappedLogger, name: str, event_dict: EventDict) -> str:
        line = renderer(logger, name, event_dict)
        text = line.decode() if isinstance(line, bytes) else str(line)
        return registry.redact(text)

    return render


def configure_logging(
    level: str,
    fmt: Literal["auto", "console", "json"],
    stream: TextIO = sys.stderr,
    secrets: SecretRegistry | None = None,
) -> None:
    """Route structlog and the standard library (paho, httpx) to one handler on `stream`.

    May be called again (say, once the config's level is known); the last call wins.
    """
    registry = SECRETS if secrets is None else secrets
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        raise ValueError(f"unknown log level {level!r}: use debug, info, warning or error")
    console = fmt == "console" or (fmt == "auto" and stream.isatty())

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: Processor
    if console:
        colors = stream.isatty() and "NO_COLOR" not in os.environ
        exceptions: Processor = structlog.processors.format_exc_info
        renderer = structlog.dev.ConsoleRenderer(colors=colors)
    else:
        # No locals in tracebacks: they would be one more place for a secret to hide.
        exceptions = structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        )
        renderer = structlog.processors.JSONRenderer()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                exceptions,
                _redaction_processor(registry),
                _redacting_renderer(renderer, registry),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, numeric_level))
    paho = logging.getLogger(PAHO_LOGGER)
    paho.handlers.clear()
    paho.propagate = True
    paho.setLevel(logging.NOTSET)
