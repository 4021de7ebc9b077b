"""Which plants share a poll, from their learned phases and the call budget.

Phases sit on a circle (one slot of 300 s, or one period when polling more often). The
plants are cut into arcs at most `ARC_S` wide, starting after the widest gap, and each
arc is polled at its latest member's phase, so every member finds its sample there. An
arc costs a batched poll: when the arcs together cost more calls an hour than polling may
spend, they widen until they fit; one arc (a single poll) is always allowed.

The trade-off: an earlier member of an arc waits for the latest one (up to `ARC_S` of
freshness), and in return a fleet keeps its calls few. Plants whose loggers share a phase
still learn phases a few tens of seconds apart (the lag jitters from sample to sample);
`ARC_S` is wider than that swing, so such a fleet stays one batched poll a slot, as cheap
as the fixed schedule. Splitting into as many arcs as the budget allows would gain a few
seconds for them and double their calls in about a quarter of the slots.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

ARC_S = 45.0
WIDEN_STEPS = 12  # bisection of the arc width: (300 - 45) / 2**12 < 0.1 s


@dataclass(frozen=True, slots=True)
class Group:
    phase: float  # when in the circle the group is polled
    members: tuple[str, ...]


def arcs(phases: Mapping[str, float], circle: float, width: float) -> list[Group]:
    """Plants cut into arcs at most `width` wide, the first one after the widest gap."""
    order = sorted(phases, key=lambda p: (phases[p], p))
    if not order:
        return []
    gaps = [
        (phases[order[(i + 1) % len(order)]] - phases[order[i]]) % circle for i in range(len(order))
    ]
    start = (max(range(len(order)), key=lambda i: gaps[i]) + 1) % len(order)
    order = order[start:] + order[:start]
    base = phases[order[0]]
    groups: list[Group] = []
    members: list[str] = []
    first = last = 0.0
    for ps_id in order:
        offset = (phases[ps_id] - base) % circle
        if members and offset - first > width:
            groups.append(Group((base + last) % circle, tuple(members)))
            members = []
        if not members:
            first = offset
        members.append(ps_id)
        last = offset
    groups.append(Group((base + last) % circle, tuple(members)))
    return groups


def plan(
    phases: Mapping[str, float],
    circle: float,
    calls_per_hour: Callable[[Collection[str]], float],
    allowance: float,
) -> list[Group]:
    """The narrowest arcs, from `ARC_S` wide, whose polls fit `allowance` calls an hour."""

    def fits(groups: list[Group]) -> bool:
        return sum(calls_per_hour(g.members) for g in groups) <= allowance

    groups = arcs(phases, circle, ARC_S)
    if len(groups) <= 1 or fits(groups):
        return groups
    narrow, wide = ARC_S, circle
    best = arcs(phases, circle, circle)
    for _ in range(WIDEN_STEPS):
        width = (narrow + wide) / 2
        candidate = arcs(phases, circle, width)
        if fits(candidate):
            wide, best = width, candidate
        else:
            narrow = width
    return best
