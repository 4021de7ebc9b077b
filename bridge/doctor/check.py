"""One doctor finding, and how a list of them is printed and turned into an exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Status = Literal["OK", "WARN", "FAIL", "SKIP"]


@dataclass(frozen=True, slots=True)
class Check:
    """`message` says what was found, `fix` what to do (for WARN and FAIL)."""

    name: str
    status: Status
    message: str
    fix: str = ""


def skipped(name: str, why: str) -> Check:
    """A check that cannot run because a prerequisite failed (that failure has the fix)."""
    return Check(name, "SKIP", f"skipped: {why}")


def render(checks: Sequence[Check]) -> str:
    """One line per check: status, name, finding and, for WARN and FAIL, the fix."""
    width = max((len(c.name) for c in checks), default=0)
    lines = []
    for c in checks:
        line = f"{c.status:<4}  {c.name:<{width}}  {c.message}"
        if c.fix and c.status in ("WARN", "FAIL"):
            line += f" -> fix: {c.fix}"
        lines.append(line)
    return "\n".join(lines)


def exit_code(checks: Sequence[Check]) -> int:
    """1 when any check failed, else 0 (warnings do not fail)."""
    return 1 if any(c.status == "FAIL" for c in checks) else 0
