"""Helpers of the fault suite: simulated time for the service, retained-set probes."""

from __future__ import annotations

import json
import time
from datetime import datetime

from bridge.daemon.service import Service
from tests.support.broker import MosquittoBroker, retained_snapshot

BRIDGE = "isolarcloud/bridge"


def named_topics(service: Service) -> set[str]:
    """The retained topics docs/topics.md promises for the current inventory (discovery aside)."""
    topics = service.topics
    named = {f"{BRIDGE}/state", f"{BRIDGE}/info", f"{BRIDGE}/health", f"{BRIDGE}/auth"}
    for plant in service.inventory.plants:
        named |= {topics.availability(plant.ps_id), topics.state(plant.ps_id, None)}
        for device in service.inventory.devices.get(plant.ps_id, ()):
            named.add(topics.state(plant.ps_id, device))
    return named


def is_data_state(topic: str) -> bool:
    return topic.endswith("/state") and not topic.startswith(f"{BRIDGE}/")


def fetched_at(payload: bytes) -> datetime:
    return datetime.fromisoformat(json.loads(payload)["fetched_at"])


def gaps(reference: dict[str, bytes], seen: dict[str, bytes]) -> list[str]:
    """Why `seen` (the broker's retained set) is not complete and current against
    `reference` (what the bridge held when the broker came back); [] when it is."""
    problems = []
    for topic, payload in reference.items():
        if not payload:
            continue  # a clear: nothing to find
        if topic not in seen:
            problems.append(f"missing {topic}")
        elif is_data_state(topic) and fetched_at(seen[topic]) < fetched_at(payload):
            problems.append(f"stale {topic}")
    if seen.get(f"{BRIDGE}/state") != b"online":
        problems.append(f"{BRIDGE}/state is {seen.get(f'{BRIDGE}/state')!r}")
    return problems


def wait_recovered(
    broker: MosquittoBroker, reference: dict[str, bytes], timeout: float
) -> tuple[float, dict[str, bytes]]:
    """Probe until the retained set is complete and current; (seconds taken, the set)."""
    started = time.monotonic()
    problems: list[str] = ["not probed"]
    seen: dict[str, bytes] = {}
    while time.monotonic() - started < timeout:
        seen = retained_snapshot(broker, "#", settle=0.15)
        problems = gaps(reference, seen)
        if not problems:
            return time.monotonic() - started, seen
    raise AssertionError(f"retained set not recovered after {timeout}s: {problems[:5]}")
