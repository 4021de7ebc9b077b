"""The whole daemon under a broker ACL that lets the bridge touch only its own two trees
(`isolarcloud/#`, `homeassistant/#`) and a watcher that may only read and ask for refreshes.

Mosquitto drops a denied publish silently, so the proof is on the broker's side: every
retained message the bridge believes it published is there, and requests are answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.rig import WATCHER_PASSWORD, password_broker, secure_rig
from tests.support.broker import retained_snapshot, wait_until
from tests.support.rig import Rig


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Rig]:
    broker = password_broker(tmp_path / "broker")
    try:
        yield from secure_rig(tmp_path, broker)
    finally:
        broker.stop()


def test_the_daemon_works_within_an_acl_of_its_own_topics(env: Rig) -> None:
    running = env.start()
    try:
        hybrid = env.plant_ids[0]
        assert env.state(hybrid)["pv_power"] > 0
        running.settle()
        answer = env.request(json.dumps({"plant": hybrid, "transaction": "acl"}), "acl")
        assert answer["status"] == "ok"
        assert env.state(hybrid, after=1)["ts"] == answer["data_ts"]
        env.watcher.publish("isolarcloud/bridge/request/republish", '{"transaction": "rp"}')
        env.watcher.wait_for(
            "isolarcloud/bridge/response/republish",
            lambda m: json.loads(m.payload)["transaction"] == "rp",
        )

        expected = {t: p for t, p in running.service.conn.retained().items() if p}
        discovery = [
            t for t in expected if t.startswith("homeassistant/") and t.endswith("/config")
        ]
        assert len(discovery) > 10
        assert expected["isolarcloud/bridge/state"] == b"online"
        seen: list[dict[str, bytes]] = [{}]

        def complete() -> bool:
            seen[0] = retained_snapshot(env.broker, "#", 0.3, "watcher", WATCHER_PASSWORD)
            return seen[0] == expected

        try:
            wait_until(complete, 15, "the bridge's whole retained set on the broker")
        except AssertionError:
            missing = sorted(set(expected) - set(seen[0]))
            raise AssertionError(f"the broker lacks (ACL-denied?) {missing[:5]}") from None
    finally:
        assert running.stop() == 0
