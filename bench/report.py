"""The benchmark figures as one plain-text table."""

from __future__ import annotations

from dataclasses import dataclass

HEADERS = ("benchmark", "case", "bridge", "beside", "verdict")


@dataclass(frozen=True, slots=True)
class Row:
    benchmark: str
    case: str
    bridge: str
    beside: str = ""
    verdict: str = ""


def table(rows: list[Row]) -> str:
    cells = [HEADERS, *((r.benchmark, r.case, r.bridge, r.beside, r.verdict) for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADERS))]

    def line(row: tuple[str, ...]) -> str:
        return " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row).rstrip() for row in cells[1:])])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"
