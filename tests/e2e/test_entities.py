"""Entities for what each plant really has, with the simulator's two plants and a real
Mosquitto: the plain string plant (inverter and dongle) announces no battery, grid or
load metric; the hybrid plant all of them; an extra point appears only where the cloud
delivers it, with the unit and classes of its point_dict unit; and after a night of
nulls and a restart, what the hybrid plant announced is still there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.config.model import PointsConfig
from bridge.simulator import Account
from tests.support.broker import MosquittoBroker, retained_snapshot, wait_until
from tests.support.fast_daemon import Daemon, run_daemon

HYBRID, STRING = "1122348203", "1122348217"
BATTERY_GRID_LOAD = {
    "battery_power",
    "battery_soc",
    "battery_charge_today",
    "battery_discharge_total",
    "grid_power",
    "grid_import_today",
    "grid_export_total",
    "load_power",
    "load_energy_today",
    "self_consumption_total",
}
FEED_IN = "p83119"  # plant point "Daily Feed-in Energy (PV)", Wh: needs a meter to read


@pytest.fixture
def daemon(tmp_path: Path, broker: MosquittoBroker) -> Iterator[Daemon]:
    points = PointsConfig(extra={"plant": ("83119",)})
    yield from run_daemon(tmp_path, broker, Account(), points=points)


def configs(broker: MosquittoBroker, ps_id: str) -> dict[str, dict[str, Any]]:
    """The entity configs of one plant and its devices, by object id."""
    prefix = f"homeassistant/sensor/isolarcloud_{ps_id}/"
    return {
        topic.removeprefix(prefix).removesuffix("/config"): json.loads(payload)
        for topic, payload in retained_snapshot(broker, "homeassistant/#").items()
        if topic.startswith(prefix) and payload
    }


def wait_configs(broker: MosquittoBroker, ps_id: str, key: str) -> dict[str, dict[str, Any]]:
    found: list[dict[str, dict[str, Any]]] = [{}]

    def announced() -> bool:
        found[0] = configs(broker, ps_id)
        return key in found[0]

    wait_until(announced, 20, f"the discovery of {key} of {ps_id}")
    return found[0]


def test_entities_follow_what_each_plant_has(daemon: Daemon, broker: MosquittoBroker) -> None:
    string = daemon.state(f"isolarcloud/{STRING}/state")
    hybrid = daemon.state(f"isolarcloud/{HYBRID}/state")
    assert not BATTERY_GRID_LOAD & string.keys()
    assert hybrid.keys() >= BATTERY_GRID_LOAD
    assert {"pv_power", "energy_today", "energy_total"} <= string.keys()

    hybrid_configs = wait_configs(broker, HYBRID, FEED_IN)
    assert hybrid_configs.keys() >= BATTERY_GRID_LOAD
    feed_in = hybrid_configs[FEED_IN]
    assert (feed_in["unit_of_measurement"], feed_in["device_class"]) == ("Wh", "energy")
    assert feed_in["state_class"] == "total_increasing"
    assert feed_in["name"] == "Daily Feed-in Energy (PV)"

    string_configs = configs(broker, STRING)
    assert "pv_power" in string_configs
    assert not (BATTERY_GRID_LOAD | {FEED_IN}) & string_configs.keys()
    assert FEED_IN not in string  # never delivered there: never announced
    value_topics = {
        m.topic for m in daemon.watcher.messages if m.topic.startswith(f"isolarcloud/{STRING}/")
    }
    assert not {f"isolarcloud/{STRING}/{key}" for key in BATTERY_GRID_LOAD} & value_topics

    inverter = next(c for k, c in string_configs.items() if k.endswith("_active_power"))
    assert inverter["device"]["name"] == "Beach House inverter SG5.0RS"


def test_a_night_of_nulls_and_a_restart_keep_the_entities(
    daemon: Daemon, broker: MosquittoBroker
) -> None:
    ess = next(d for d in daemon.sim.plants[0].devices if d.device_type == 14)
    mppt2 = f"{ess.device_sn}_mppt2_voltage"  # announced because its value came
    wait_configs(broker, HYBRID, mppt2)
    wait_configs(broker, HYBRID, FEED_IN)
    # the night: the values that announced these answer null, and the bridge restarts
    daemon.sim.account.point_values = {83119: None, 13105: None, 13106: None}
    daemon.restart()
    since = daemon.watcher.mark()
    daemon.running.wait_polls(2)
    wait_until(
        lambda: any(
            m.topic == f"isolarcloud/{HYBRID}/state" for m in daemon.watcher.messages[since:]
        ),
        20,
        "a state after the restart",
    )
    state = daemon.state(f"isolarcloud/{HYBRID}/state")
    assert state[FEED_IN] is None  # "not now", not "never": the key stays
    assert daemon.state(f"isolarcloud/{HYBRID}/{ess.device_sn}/state")["mppt2_voltage"] is None
    after = configs(broker, HYBRID)
    assert {mppt2, FEED_IN} <= after.keys()
    assert after[FEED_IN]["unit_of_measurement"] == "Wh"  # the unit survived the restart
