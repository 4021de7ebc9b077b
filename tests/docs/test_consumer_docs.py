"""The user docs name only topics, metrics and entity ids the bridge really produces."""

from __future__ import annotations

import json
import re
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from bridge.catalogue.metrics import CATALOGUE
from bridge.mqtt.discovery import entity_id, node_id
from bridge.mqtt.topics import Topics
from tests.support.node_red import CONFIG_TYPES, DocFlow, doc_flows

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["troubleshooting.md", "home-assistant.md", "openhab.md", "node-red.md"]
METRICS = {m.key for m in CATALOGUE}
STATE_KEYS = {"ts", "fetched_at"}  # the state JSON's keys besides the metrics
TOPICS = Topics("isolarcloud", "homeassistant")
BRIDGE_TOPICS = {
    TOPICS.bridge_state,
    TOPICS.bridge_info,
    TOPICS.bridge_health,
    TOPICS.bridge_auth,
    TOPICS.bridge_event,
    TOPICS.request_refresh,
    TOPICS.request_republish,
    TOPICS.response_refresh,
    TOPICS.response_republish,
    TOPICS.request_wildcard,
    f"{TOPICS.base}/bridge/request/#",
    f"{TOPICS.base}/bridge/#",
}
PLANT = re.compile(r"^(<ps_id>|\d+|\+)$")
DEVICE = re.compile(r"^(<device>|\+)$")
TOPIC = re.compile(r"(?<![\w./-])isolarcloud/[\w<>+#/-]*[\w>+#]")


def text(page: str) -> str:
    return (DOCS / page).read_text(encoding="utf-8")


def topic_is_real(topic: str) -> bool:
    if topic in BRIDGE_TOPICS or topic == f"{TOPICS.base}/#":
        return True
    levels = topic.split("/")[1:]
    if not PLANT.match(levels[0]):
        return False
    rest = levels[1:]
    if rest[-1:] == ["#"]:
        rest = rest[:-1]
    if len(rest) == 2 and DEVICE.match(rest[0]):
        rest = rest[1:]
    last = {"state", "availability", "<metric>"} | METRICS
    return len(rest) <= 1 and (not rest or rest[0] in last)


def metric_mentions(page: str) -> set[str]:
    body = text(page)
    found = set(re.findall(r"JSONPATH:\$\.(\w+)", body))
    found |= set(re.findall(r"\bstate\.(\w+)", body))  # the Node-RED function
    found |= set(re.findall(r"sensor\.isolarcloud_(?:<ps_id>|\d+)_(?:<device>_)?(\w+)", body))
    return found


@pytest.mark.parametrize("page", PAGES)
def test_topics_exist(page: str) -> None:
    topics = set(TOPIC.findall(text(page)))
    assert topics, f"{page} names no topic"
    unknown = sorted(t for t in topics if not topic_is_real(t))
    assert not unknown, f"{page} names topics the bridge does not use: {unknown}"


@pytest.mark.parametrize("page", ["home-assistant.md", "openhab.md", "node-red.md"])
def test_metrics_exist(page: str) -> None:
    mentioned = metric_mentions(page)
    assert mentioned, f"{page} names no metric"
    unknown = sorted(mentioned - METRICS - STATE_KEYS)
    assert not unknown, f"{page} names metrics the catalogue does not have: {unknown}"


def test_the_checker_catches_rot() -> None:
    assert topic_is_real("isolarcloud/<ps_id>/<device>/battery_soc")
    assert topic_is_real("isolarcloud/+/state")
    assert not topic_is_real("isolarcloud/<ps_id>/solar_power")
    assert not topic_is_real("isolarcloud/bridge/status")
    assert not topic_is_real("isolarcloud/<ps_id>/<device>/x/state")


def test_home_assistant_names_match_discovery() -> None:
    body = text("home-assistant.md")
    assert TOPICS.discovery("sensor", "isolarcloud_<ps_id>", "<metric>") in body
    assert TOPICS.discovery("button", "isolarcloud_<ps_id>", "refresh") in body
    assert TOPICS.device_discovery("isolarcloud_<ps_id>") in body
    for ps_id, metric in (("1122348203", "pv_power"), ("1122348203", "battery_soc")):
        assert entity_id("sensor", f"{node_id(ps_id)}_{metric}") in body
    assert entity_id("button", f"{node_id('1122348203')}_refresh") in body


@pytest.mark.parametrize("flow", doc_flows(), ids=lambda f: f.name)
def test_node_red_flows_are_whole_flows_files(flow: DocFlow) -> None:
    nodes = flow.nodes
    ids = {n["id"] for n in nodes}
    assert len(ids) == len(nodes), "node ids must be unique"
    tabs = {n["id"] for n in flow.of_type("tab")}
    assert len(tabs) == 1, "one tab, so the JSON works as a flows file, not only via Import"
    for node in nodes:
        if node["type"] not in CONFIG_TYPES | {"tab"}:
            assert node.get("z") in tabs, f"{node['id']} is on no tab"
        for output in node.get("wires", []):
            assert set(output) <= ids, f"{node['id']} wires to a missing node"
        if node["type"] in ("mqtt in", "mqtt out"):
            assert node["broker"] in ids
            topic = node["topic"]
            assert not topic.startswith(f"{TOPICS.base}/") or topic_is_real(topic), topic
        if node["type"] == "mqtt out":
            assert node["retain"] in ("false", False), "retained requests are ignored"


@pytest.mark.parametrize("flow", doc_flows(), ids=lambda f: f.name)
def test_node_red_flows_do_not_parse_the_bridge_state_as_json(flow: DocFlow) -> None:
    """`<base>/+/state` also delivers the plain `online` of `<base>/bridge/state`."""
    by_id = {n["id"]: n for n in flow.nodes}
    for node in flow.of_type("mqtt in"):
        if not mqtt.topic_matches_sub(node["topic"], TOPICS.bridge_state):
            continue
        assert node["datatype"] in ("auto-detect", "utf8"), node["id"]
        targets = [by_id[t] for output in node["wires"] for t in output]
        assert all(t["type"] != "json" for t in targets), node["id"]


def test_node_red_flows_name_no_plant() -> None:
    """A guide's flow works on any account: no plant id typed into it."""
    for flow in doc_flows():
        text = json.dumps(flow.nodes)
        assert not re.search(r"\b\d{7,}\b", text), flow.name
