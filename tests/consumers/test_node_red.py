"""Every Node-RED flow in docs/, deployed unedited (but for the broker) into a real Node-RED
against the bridge on the simulator: no error, messages arrive, every inject is answered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from tests.support.broker import MosquittoBroker, wait_until
from tests.support.node_red import DebugMessage, DocFlow, NodeRed, doc_flows, pointed_at
from tests.support.rig import Rig, rig

FLOWS = doc_flows()


@pytest.fixture
def bridge(tmp_path: Path, broker: MosquittoBroker) -> Iterator[Rig]:
    """The bridge on MQTT 5, so a flow's response topic is honoured, with a one-second
    refresh window."""
    for env in rig(tmp_path, broker, min_refresh_interval=1):
        env.cfg = replace(env.cfg, mqtt=replace(env.cfg.mqtt, protocol="5"))
        yield env


@pytest.fixture
def node_red(tmp_path: Path) -> Iterator[NodeRed]:
    instance = NodeRed(tmp_path / "node-red")
    try:
        instance.start()
        yield instance
    finally:
        instance.stop()


def expect(node_red: NodeRed, condition: Callable[[], object], what: str) -> None:
    """Wait for `condition`; on timeout fail with what Node-RED showed and logged."""
    try:
        wait_until(condition, 30, what)
    except AssertionError as exc:
        shown = "\n".join(repr(m) for m in node_red.messages())
        raise AssertionError(f"{exc}\nDebug sidebar:\n{shown}\nLog:\n{node_red.log()}") from None


def answers(node_red: NodeRed, since: int) -> list[DebugMessage]:
    """Debug entries since `since` that are bridge responses (they have a `status`)."""
    return [
        m for m in node_red.messages(since) if isinstance(m.value, dict) and "status" in m.value
    ]


def test_the_guides_have_flows() -> None:
    assert {f.page for f in FLOWS} >= {"node-red.md", "topics.md"}


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_flow_works_unedited(
    flow: DocFlow, bridge: Rig, node_red: NodeRed, broker: MosquittoBroker
) -> None:
    debug_nodes = {n["id"] for n in flow.of_type("debug")}
    # alert outputs must stay silent while the bridge is online and authorised
    alerts = {n["id"] for n in flow.of_type("debug") if "alert" in n.get("name", "").lower()}
    running = bridge.start()
    try:
        running.wait_polls(1)
        startup_log = len(node_red.log())  # its own start warns of unencrypted credentials
        node_red.deploy(pointed_at(flow.nodes, broker.host, broker.port))
        expect(
            node_red,
            lambda: any(m.node in debug_nodes - alerts for m in node_red.messages()),
            "the first retained message at a debug node",
        )
        injects = sorted(flow.of_type("inject"), key=lambda n: (n["y"], n["x"]))
        assert injects, f"{flow.name} has no inject node"
        for inject in injects:
            running.settle()  # the refresh window is open: each press polls for real
            since = node_red.mark()
            node_red.inject(inject["id"])
            expect(node_red, partial(answers, node_red, since), f"an answer to {inject['name']!r}")
            answer = answers(node_red, since)[0]
            assert isinstance(answer.value, dict)
            assert answer.value["status"] == "ok", (inject["name"], answer.value)
        expect(
            node_red,
            lambda: debug_nodes - alerts <= {m.node for m in node_red.messages()},
            "a message at every debug node but the alerts",
        )
        assert not [m for m in node_red.messages() if m.node in alerts], "a false alert"
    finally:
        assert running.stop() == 0
    if alerts:  # the bridge's clean stop says `offline`: now the alert must fire
        expect(
            node_red,
            lambda: any(m.node in alerts for m in node_red.messages()),
            "an alert after the bridge stopped",
        )
    problems = [m for m in node_red.messages() if m.problem]
    assert not problems, f"{flow.name}: errors or warnings in the Debug sidebar: {problems}"
    log = node_red.log()[startup_log:]
    assert "[error]" not in log and "[warn]" not in log, log


def test_without_node_the_test_fails_and_names_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without node
    with pytest.raises(AssertionError, match=r"apt-get install -y nodejs npm"):
        NodeRed(tmp_path / "node-red").start()
