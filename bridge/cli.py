"""Command line: argument parsing, one function per command."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bridge import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="isolarcloud2mqtt")
    parser.add_argument("--version", action="version", version=f"isolarcloud2mqtt {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    build_parser().parse_args(argv)
    return 0
