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
import sys
from typing import Literal, TextIO

import structlog
import structlog.tracebacks
from structlog.typing import EventDict, Processor, WrappedLogger

from bridge.platform.secrets import SecretRegistry

# paho-mqtt logs to this logger once the client calls `enable_logger()`.
PAHO_LOGGER = "paho.mqtt.client"
# httpx logs every request line at INFO; only their warnings are worth a line.
QUIET_LOGGERS = ("httpx", "httpcore")


def _redaction_processor(registry: SecretRegistry) -> Processor:
    def redact(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        redacted: EventDict = registry.redact_mapping(event_dict)
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
    secrets: SecretRegistry,
    stream: TextIO = sys.stderr,
) -> None:
    """Route structlog and the standard library (paho, httpx) to one handler on `stream`.

    May be called again (say, once the config's level is known); the last call wins.
    """
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
                _redaction_processor(secrets),
                _redacting_renderer(renderer, secrets),
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
