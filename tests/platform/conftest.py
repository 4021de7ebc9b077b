"""Fixtures for the operations tests: logging set-up is global, so each test restores it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger and structlog back as they were after a `configure_logging`."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    saved = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in saved.items():
        logging.getLogger(name).setLevel(old)
    structlog.reset_defaults()
