"""Home Assistant MQTT discovery payloads, as pure functions of plants, devices and metrics.

Entity mode (default, openHAB reads it): one `<prefix>/<component>/<node>/<object>/config`
per entity. Device mode (HA >= 2024.11): one `<prefix>/device/<node>/config` per device
with its entities under `cmps`. Unique ids and device identifiers are the same in both
modes, so switching keeps the entities. `Discovery.data_topics` lists the state topics
the same inputs produce, so the publisher can clear the ones no longer produced.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bridge.catalogue.device_types import device_type_name
from bridge.catalogue.metric import Metric
from bridge.config.model import Config
from bridge.isolarcloud.model import Device, Plant, topic_slug
from bridge.mqtt.connection import OFFLINE, ONLINE
from bridge.mqtt.topics import Topics

NAME = "isolarcloud2mqtt"
MANUFACTURER = "Sungrow"
# openHAB's Home Assistant binding learned device discovery in openhab-addons PR #20225,
# merged after the 5.1 release; older releases reject these configs as invalid
_OPENHAB_DEVICE_MODE = (
    'device discovery (mode = "device") is read by Home Assistant 2024.11+, but by '
    "openHAB only in releases after 5.1 (openhab-addons PR #20225): openHAB 5.1 and "
    "older show none of these Things"
)


def openhab_caveat(cfg: Config) -> str | None:
    """Why an openHAB that reads this broker may find none of the discovery (None: it
    finds it all); said at start and by `doctor`."""
    ha = cfg.homeassistant
    return _OPENHAB_DEVICE_MODE if ha.discovery and ha.mode == "device" else None


# metrics of one plant (device None) or one of its devices
MetricsFor = Callable[[Plant, Device | None], Sequence[Metric]]
Payload = dict[str, object]


@dataclass(frozen=True, slots=True)
class Discovery:
    """Discovery config topics -> JSON payload, and every data topic the bridge produces."""

    configs: dict[str, str] = field(default_factory=dict)
    data_topics: frozenset[str] = frozenset()


# The diagnostic sensors of the bridge device, read from `<base>/bridge/health`: the keys
# of the health JSON (daemon/health.py) they read are part of the topic contract.
HEALTH_SENSORS: dict[str, Payload] = {
    "last_poll": {
        "name": "Last poll",
        "value_template": "{{ value_json.last_poll.started_at }}",
        "device_class": "timestamp",
    },
    "last_poll_result": {
        "name": "Last poll result",
        "value_template": "{{ value_json.last_poll.result }}",
    },
    "last_data": {
        "name": "Last data",
        "value_template": "{{ value_json.data_ts }}",
        "device_class": "timestamp",
    },
    "api_calls_last_hour": {
        "name": "API calls last hour",
        "value_template": "{{ value_json.api_calls_last_hour }}",
        "unit_of_measurement": "calls",
        "state_class": "measurement",
    },
    "data_age": {
        "name": "Data age",
        "value_template": "{{ value_json.data_age_s }}",
        "device_class": "duration",
        "unit_of_measurement": "s",
        "state_class": "measurement",
    },
    "data_age_at_publish": {
        "name": "Data age at publish",
        "value_template": "{{ value_json.data_age_at_publish_s.median_1h }}",
        "device_class": "duration",
        "unit_of_measurement": "s",
        "state_class": "measurement",
    },
}


def node_id(ps_id: str) -> str:
    return f"isolarcloud_{topic_slug(ps_id)}"


def bridge_id(topics: Topics) -> str:
    return f"{NAME}_{topic_slug(topics.base)}"


def source_id(ps_id: str, device: Device | None) -> str:
    """The HA device identifier (and unique id stem) of a plant or device."""
    return node_id(ps_id) if device is None else f"{node_id(ps_id)}_{device.slug}"


def device_name(plant: Plant, device: Device, siblings: Sequence[Device]) -> str:
    """A name a person recognises in Home Assistant's and openHAB's lists: the plant, what
    the device is and its model ("Beach House inverter SG5.0RS"), and its serial when the
    plant has two of the same model. (The cloud's own names, such as
    "SG5.0RS(COM1-001)", say neither which plant nor what the device is.)"""
    name = f"{plant.name} {device_type_name(device.device_type)} {device.model or ''}".strip()
    twins = [d for d in siblings if (d.device_type, d.model) == (device.device_type, device.model)]
    return f"{name} {device.serial}" if len(twins) > 1 and device.serial else name


def entity_id(domain: str, unique_id: str) -> str:
    return f"{domain}.{topic_slug(unique_id).lower().replace('-', '_')}"


def build_discovery(
    plants: Sequence[Plant],
    devices: Mapping[str, Sequence[Device]],
    metrics: MetricsFor,
    cfg: Config,
    topics: Topics,
    *,
    version: str,
    support_url: str | None = None,
) -> Discovery:
    """Every discovery config for the configured mode, and the data topics produced."""
    data = _data_topics(plants, devices, metrics, cfg, topics)
    if not cfg.homeassistant.discovery:
        return Discovery({}, data)
    origin: Payload = {"name": NAME, "sw_version": version}
    if support_url:
        origin["support_url"] = support_url
    builder = _Builder(cfg, topics, version, origin)
    for plant in plants:
        siblings = devices.get(plant.ps_id, ())
        builder.source(plant, None, metrics(plant, None))
        for device in siblings:
            builder.source(plant, device, metrics(plant, device), siblings)
    builder.bridge()
    return Discovery(builder.configs, data)


def cleanup(previous: Iterable[str], current: Mapping[str, str] | Iterable[str]) -> list[str]:
    """Topics published before and not any more: to clear with an empty retained payload."""
    keep = set(current)
    return sorted(set(previous) - keep)


def _data_topics(
    plants: Sequence[Plant],
    devices: Mapping[str, Sequence[Device]],
    metrics: MetricsFor,
    cfg: Config,
    topics: Topics,
) -> frozenset[str]:
    found: set[str] = set()
    for plant in plants:
        found.add(topics.availability(plant.ps_id))
        for device in (None, *devices.get(plant.ps_id, ())):
            if cfg.output.json:
                found.add(topics.state(plant.ps_id, device))
            if cfg.output.values:
                found.update(
                    topics.value(plant.ps_id, device, m.key) for m in metrics(plant, device)
                )
    return frozenset(found)


@dataclass
class _Builder:
    cfg: Config
    topics: Topics
    version: str
    origin: Payload
    configs: dict[str, str] = field(default_factory=dict)

    @property
    def device_mode(self) -> bool:
        return self.cfg.homeassistant.mode == "device"

    def _availability(self, ps_id: str) -> list[Payload]:
        return [{"topic": self.topics.bridge_state}, {"topic": self.topics.availability(ps_id)}]

    def _device(self, plant: Plant, device: Device | None, siblings: Sequence[Device]) -> Payload:
        if device is None:
            info: Payload = {
                "identifiers": [node_id(plant.ps_id)],
                "name": plant.name,
                "manufacturer": MANUFACTURER,
                "model": "iSolarCloud plant",
                "via_device": bridge_id(self.topics),
            }
        else:
            info = {
                "identifiers": [source_id(plant.ps_id, device)],
                "name": device_name(plant, device, siblings),
                "manufacturer": MANUFACTURER,
                "model": device.model or f"device type {device.device_type}",
                "via_device": node_id(plant.ps_id),
            }
            if device.serial:
                info["serial_number"] = device.serial
        return info

    def _sensor(self, plant: Plant, device: Device | None, metric: Metric) -> Payload:
        unique_id = f"{source_id(plant.ps_id, device)}_{metric.key}"
        if self.cfg.output.json:
            state_topic = self.topics.state(plant.ps_id, device)
            template = f"{{{{ value_json.{metric.key} }}}}"
        else:
            state_topic = self.topics.value(plant.ps_id, device, metric.key)
            template = "{{ none if value == 'null' else value }}"
        payload: Payload = {
            "name": metric.label,
            "unique_id": unique_id,
            "default_entity_id": entity_id("sensor", unique_id),
            "state_topic": state_topic,
            "value_template": template,
            "expire_after": self.cfg.expire_after,
        }
        optional: dict[str, object] = {
            "device_class": metric.device_class,
            "unit_of_measurement": metric.unit,
            "state_class": metric.state_class,
            "suggested_display_precision": metric.precision,
            "entity_category": metric.entity_category,
            "icon": metric.icon,
            "options": list(metric.options) or None,
        }
        payload.update({k: v for k, v in optional.items() if v is not None})
        if not metric.enabled_by_default:
            payload["enabled_by_default"] = False
        return payload

    def _button(self, plant: Plant) -> Payload:
        unique_id = f"{node_id(plant.ps_id)}_refresh"
        return {
            "name": "Refresh",
            "unique_id": unique_id,
            "default_entity_id": entity_id("button", unique_id),
            "command_topic": self.topics.request_refresh,
            "payload_press": json.dumps({"plant": plant.ps_id}),
            "entity_category": "diagnostic",
            "availability": [{"topic": self.topics.bridge_state}],
        }

    def source(
        self,
        plant: Plant,
        device: Device | None,
        metrics: Sequence[Metric],
        siblings: Sequence[Device] = (),
    ) -> None:
        """The configs of one plant (with its Refresh button) or one device."""
        entities: dict[str, tuple[str, Payload]] = {
            metric.key: ("sensor", self._sensor(plant, device, metric)) for metric in metrics
        }
        if device is None:
            entities["refresh"] = ("button", self._button(plant))
        shared: Payload = {
            "availability": self._availability(plant.ps_id),
            "availability_mode": "all",
        }
        object_prefix = "" if device is None else f"{device.slug}_"
        self._write(
            ident=source_id(plant.ps_id, device),
            node=node_id(plant.ps_id),
            object_prefix=object_prefix,
            device=self._device(plant, device, siblings),
            entities=entities,
            shared=shared,
        )

    def bridge(self) -> None:
        """The bridge device: connectivity (no availability, so it reads off) + health."""
        state, health = self.topics.bridge_state, self.topics.bridge_health
        entities: dict[str, tuple[str, Payload]] = {
            "connection": (
                "binary_sensor",
                {
                    "name": "Connection",
                    "state_topic": state,
                    "payload_on": ONLINE,
                    "payload_off": OFFLINE,
                    "device_class": "connectivity",
                    "entity_category": "diagnostic",
                },
            )
        }
        for key, sensor in HEALTH_SENSORS.items():
            diagnostics = {"entity_category": "diagnostic", "availability": [{"topic": state}]}
            entities[key] = ("sensor", {**sensor, "state_topic": health, **diagnostics})
        for key, (component, payload) in entities.items():
            unique_id = f"{bridge_id(self.topics)}_{key}"
            payload["unique_id"] = unique_id
            payload["default_entity_id"] = entity_id(component, unique_id)
        device: Payload = {
            "identifiers": [bridge_id(self.topics)],
            "name": f"{NAME} bridge ({self.topics.base})",
            "manufacturer": NAME,
            "model": "iSolarCloud to MQTT bridge",
            "sw_version": self.version,
        }
        self._write(
            ident=bridge_id(self.topics),
            node=bridge_id(self.topics),
            object_prefix="",
            device=device,
            entities=entities,
            shared={},
        )

    def _write(
        self,
        *,
        ident: str,
        node: str,
        object_prefix: str,
        device: Payload,
        entities: Mapping[str, tuple[str, Payload]],
        shared: Payload,
    ) -> None:
        if self.device_mode:
            cmps = {
                key: {"p": component, **payload} for key, (component, payload) in entities.items()
            }
            body = {"device": device, "origin": self.origin, **shared, "qos": 1, "cmps": cmps}
            self.configs[self.topics.device_discovery(ident)] = json.dumps(body)
            return
        for key, (component, payload) in entities.items():
            body = {**shared, **payload, "device": device, "origin": self.origin}
            topic = self.topics.discovery(component, node, object_prefix + key)
            self.configs[topic] = json.dumps(body)
