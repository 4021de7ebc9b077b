"""Discovery payloads satisfy Home Assistant's rules, in entity and device mode."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Literal

import pytest

from bridge.catalogue.ha_units import problem
from bridge.config.model import HomeAssistantConfig
from bridge.mqtt.discovery import HEALTH_SENSORS, cleanup
from tests.mqtt.sample import BARN, HOME, INVERTER, PV_POWER, VERSION, config, discovery

PREFIX = "homeassistant/"
ENTITY_KEYS = {"name", "unique_id", "default_entity_id"}
# Home Assistant validates `device` and `origin` with closed voluptuous schemas
# (home-assistant/core, homeassistant/components/mqtt/schemas.py:
# MQTT_ENTITY_DEVICE_INFO_SCHEMA and MQTT_ORIGIN_INFO_SCHEMA), and openHAB 5.x's Home
# Assistant binding checks discovery the same way: one key outside these lists fails the
# whole component there.
HA_DEVICE_KEYS = {
    "identifiers",
    "connections",
    "manufacturer",
    "model",
    "model_id",
    "name",
    "serial_number",
    "hw_version",
    "sw_version",
    "suggested_area",
    "via_device",
    "configuration_url",
}
HA_ORIGIN_KEYS = {"name", "sw_version", "support_url"}


def entity_mode() -> dict[str, dict[str, object]]:
    found = discovery(config(), plants=(HOME, BARN)).configs
    return {topic: json.loads(payload) for topic, payload in found.items()}


def text(cmp: dict[str, object], key: str) -> str | None:
    value = cmp.get(key)
    assert value is None or isinstance(value, str)
    return value


def components(payloads: dict[str, dict[str, object]]) -> Iterator[tuple[str, dict[str, object]]]:
    """(platform, entity config) for every entity, in either mode."""
    for topic, payload in payloads.items():
        if "/device/" in topic:
            cmps = payload["cmps"]
            assert isinstance(cmps, dict)
            for cmp in cmps.values():
                yield cmp["p"], cmp
        else:
            yield topic.split("/")[1], payload


def test_entity_topics_and_ids() -> None:
    payloads = entity_mode()
    pv = payloads["homeassistant/sensor/isolarcloud_1234567/pv_power/config"]
    assert pv["unique_id"] == "isolarcloud_1234567_pv_power"
    assert pv["default_entity_id"] == "sensor.isolarcloud_1234567_pv_power"
    temp = payloads[
        "homeassistant/sensor/isolarcloud_1234567/A2212345678_internal_temperature/config"
    ]
    assert temp["unique_id"] == "isolarcloud_1234567_A2212345678_internal_temperature"
    assert temp["default_entity_id"] == (
        "sensor.isolarcloud_1234567_a2212345678_internal_temperature"
    )
    assert "homeassistant/sensor/isolarcloud_7654321/pv_power/config" in payloads
    assert "homeassistant/button/isolarcloud_7654321/refresh/config" in payloads
    assert "homeassistant/binary_sensor/isolarcloud2mqtt_isolarcloud/connection/config" in payloads


@pytest.mark.parametrize("mode", ["entity", "device"])
def test_every_entity_follows_the_ha_rules(mode: Literal["entity", "device"]) -> None:
    cfg = config(mode=mode)
    payloads = {t: json.loads(p) for t, p in discovery(cfg, plants=(HOME, BARN)).configs.items()}
    assert all(topic.startswith(PREFIX) and topic.endswith("/config") for topic in payloads)
    entities = list(components(payloads))
    unique_ids = [cmp["unique_id"] for _, cmp in entities]
    assert len(unique_ids) == len(set(unique_ids))
    assert len(entities) == 2 * (3 + 1) + 2 + 1 + len(HEALTH_SENSORS)
    for platform, cmp in entities:
        assert set(cmp) >= ENTITY_KEYS, cmp
        assert "object_id" not in cmp
        assert str(cmp["default_entity_id"]).startswith(f"{platform}.")
        assert str(cmp["default_entity_id"]).islower()
        if platform == "sensor":
            why = problem(
                text(cmp, "device_class"),
                text(cmp, "unit_of_measurement"),
                text(cmp, "state_class"),
            )
            assert why is None, (cmp["unique_id"], why)
            assert cmp.get("entity_category") in (None, "diagnostic")
            assert "state_topic" in cmp
    for topic, payload in payloads.items():
        assert payload["origin"] == {"name": "isolarcloud2mqtt", "sw_version": VERSION}
        device = payload["device"]
        assert isinstance(device, dict)
        assert device["identifiers"] and device["name"], topic


def test_plant_sensor_details() -> None:
    pv = entity_mode()["homeassistant/sensor/isolarcloud_1234567/pv_power/config"]
    assert pv["state_topic"] == "isolarcloud/1234567/state"
    assert pv["value_template"] == "{{ value_json.pv_power }}"
    assert pv["availability"] == [
        {"topic": "isolarcloud/bridge/state"},
        {"topic": "isolarcloud/1234567/availability"},
    ]
    assert pv["availability_mode"] == "all"
    assert pv["expire_after"] == 900  # 3 x the default 300 s interval
    assert pv["unit_of_measurement"] == "W"
    assert pv["device_class"] == "power"
    assert pv["state_class"] == "measurement"
    assert pv["suggested_display_precision"] == 0
    assert pv["device"] == {
        "identifiers": ["isolarcloud_1234567"],
        "name": "Home",
        "manufacturer": "Sungrow",
        "model": "iSolarCloud plant",
        "via_device": "isolarcloud2mqtt_isolarcloud",
    }


def test_device_sensors_hang_under_their_plant() -> None:
    payloads = entity_mode()
    state = payloads["homeassistant/sensor/isolarcloud_1234567/A2212345678_run_state/config"]
    assert state["device"] == {
        "identifiers": ["isolarcloud_1234567_A2212345678"],
        "name": "Home inverter SH10RT",  # the plant, what it is, the model
        "manufacturer": "Sungrow",
        "model": "SH10RT",
        "serial_number": "A2212345678",
        "via_device": "isolarcloud_1234567",
    }
    assert state["state_topic"] == "isolarcloud/1234567/A2212345678/state"
    assert state["options"] == ["Running", "Standby", "Fault"]
    assert state["entity_category"] == "diagnostic"
    temp = payloads[
        "homeassistant/sensor/isolarcloud_1234567/A2212345678_internal_temperature/config"
    ]
    assert temp["enabled_by_default"] is False


def test_refresh_button_and_bridge_device() -> None:
    payloads = entity_mode()
    button = payloads["homeassistant/button/isolarcloud_1234567/refresh/config"]
    assert button["command_topic"] == "isolarcloud/bridge/request/refresh"
    assert json.loads(str(button["payload_press"])) == {"plant": "1234567"}
    assert button["availability"] == [{"topic": "isolarcloud/bridge/state"}]
    node = "homeassistant/{}/isolarcloud2mqtt_isolarcloud/{}/config"
    connection = payloads[node.format("binary_sensor", "connection")]
    assert connection["state_topic"] == "isolarcloud/bridge/state"
    assert (connection["payload_on"], connection["payload_off"]) == ("online", "offline")
    assert connection["device_class"] == "connectivity"
    assert "availability" not in connection  # reads "off", not "unavailable", when offline
    calls = payloads[node.format("sensor", "api_calls_last_hour")]
    assert calls["state_topic"] == "isolarcloud/bridge/health"
    last_poll = payloads[node.format("sensor", "last_poll")]
    assert last_poll["device_class"] == "timestamp"
    assert last_poll["value_template"] == "{{ value_json.last_poll.started_at }}"
    for key in HEALTH_SENSORS:
        assert payloads[node.format("sensor", key)]["entity_category"] == "diagnostic"


def test_values_only_output_points_sensors_at_the_value_topics() -> None:
    configs = discovery(config(json=False)).configs
    pv = json.loads(configs["homeassistant/sensor/isolarcloud_1234567/pv_power/config"])
    assert pv["state_topic"] == "isolarcloud/1234567/pv_power"
    assert pv["value_template"] == "{{ none if value == 'null' else value }}"


@pytest.mark.parametrize("mode", ["entity", "device"])
def test_device_and_origin_use_only_the_keys_home_assistant_knows(
    mode: Literal["entity", "device"],
) -> None:
    built = discovery(
        config(mode=mode), plants=(HOME, BARN), support_url="https://example.org/isolarcloud2mqtt"
    )
    payloads = [json.loads(payload) for payload in built.configs.values()]
    assert payloads
    for payload in payloads:
        assert set(payload["device"]) <= HA_DEVICE_KEYS, payload["device"]
        assert set(payload["origin"]) <= HA_ORIGIN_KEYS, payload["origin"]
        for cmp in payload.get("cmps", {}).values():
            assert not {"device", "dev", "origin", "o"} & set(cmp), cmp
    serials = [p["device"].get("serial_number") for p in payloads]
    assert INVERTER.serial in serials  # the optional keys are exercised too
    assert all(p["origin"]["support_url"] for p in payloads)


def test_device_mode_has_one_config_per_device() -> None:
    configs = discovery(config(mode="device"), plants=(HOME, BARN)).configs
    assert sorted(configs) == [
        "homeassistant/device/isolarcloud2mqtt_isolarcloud/config",
        "homeassistant/device/isolarcloud_1234567/config",
        "homeassistant/device/isolarcloud_1234567_A2212345678/config",
        "homeassistant/device/isolarcloud_7654321/config",
    ]
    plant = json.loads(configs["homeassistant/device/isolarcloud_1234567/config"])
    assert plant["availability_mode"] == "all"
    assert plant["device"]["identifiers"] == ["isolarcloud_1234567"]
    assert set(plant["cmps"]) == {"pv_power", "energy_today", "battery_soc", "refresh"}
    assert plant["cmps"]["pv_power"]["p"] == "sensor"
    assert plant["cmps"]["refresh"]["p"] == "button"
    assert plant["cmps"]["pv_power"]["unique_id"] == "isolarcloud_1234567_pv_power"


def test_discovery_off_still_lists_the_data_topics() -> None:
    cfg = config()
    cfg_off = dataclasses.replace(cfg, homeassistant=HomeAssistantConfig(discovery=False))
    result = discovery(cfg_off, plant_metrics=(PV_POWER,))
    assert result.configs == {}
    assert result.data_topics == {
        "isolarcloud/1234567/availability",
        "isolarcloud/1234567/state",
        "isolarcloud/1234567/pv_power",
        "isolarcloud/1234567/A2212345678/state",
        "isolarcloud/1234567/A2212345678/run_state",
        "isolarcloud/1234567/A2212345678/internal_temperature",
    }


def test_cleanup_lists_what_is_no_longer_produced() -> None:
    assert cleanup(["a", "b", "c"], {"b": "x", "d": "y"}) == ["a", "c"]
