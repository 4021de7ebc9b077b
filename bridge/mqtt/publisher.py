"""Readings, discovery and bridge status -> MQTT payloads on the topics of docs/topics.md.

The publisher remembers (in `state_file`, across restarts) every discovery and data topic
it has published, so entities, plants and metrics that are no longer produced, and the
configs of the other discovery mode, are cleared with empty retained payloads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import structlog

from bridge.catalogue.metric import Metric, MetricValue
from bridge.config.model import Config
from bridge.mqtt.commands import Incoming, response_properties
from bridge.mqtt.connection import OFFLINE, ONLINE, MqttConnection
from bridge.mqtt.discovery import Discovery, cleanup
from bridge.mqtt.topics import Topics
from bridge.platform.atomic import write_atomic
from bridge.platform.timefmt import utc_iso
from bridge.readings.model import Reading

log = structlog.get_logger(__name__)

STATE_VERSION = 1
AuthState = Literal["ok", "reauth_required"]


def json_value(value: MetricValue, metric: Metric | None) -> MetricValue:
    """A value as published: rounded to the metric's precision; NaN/inf become null."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if metric is not None and metric.precision is not None:
            return round(value) if metric.precision == 0 else round(value, metric.precision)
    return value


def bare_value(value: MetricValue) -> str:
    """The payload of a per-value topic: a JSON number, the text itself, or `null`."""
    return value if isinstance(value, str) else json.dumps(value)


class Publisher:
    """Turns domain objects into retained MQTT messages through one `MqttConnection`."""

    def __init__(
        self, conn: MqttConnection, cfg: Config, topics: Topics, state_file: Path | None
    ) -> None:
        self._conn = conn
        self._cfg = cfg
        self._topics = topics
        self._state_file = state_file
        self._loaded: set[str] | None = None  # read on first use, not when built

    @property
    def _known(self) -> set[str]:
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    @_known.setter
    def _known(self, topics: set[str]) -> None:
        self._loaded = topics

    # --- the remembered topic set --------------------------------------------------------

    def _load(self) -> set[str]:
        if self._state_file is None or not self._state_file.exists():
            return set()
        try:
            data = json.loads(self._state_file.read_text())
            return {str(topic) for topic in data["topics"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning(
                "mqtt.state_file_unreadable",
                path=str(self._state_file),
                reason=str(exc),
                effect="topics published before this start will not be cleaned up",
            )
            return set()

    def _save(self) -> None:
        if self._state_file is None:
            return
        data = {"version": STATE_VERSION, "topics": sorted(self._known)}
        write_atomic(self._state_file, json.dumps(data, indent=1).encode())

    def _remember(self, topics: set[str]) -> None:
        if not topics <= self._known:
            self._known |= topics
            self._save()

    # --- discovery and data ----------------------------------------------------------------

    def publish_discovery(self, discovery: Discovery) -> None:
        """Publish the configs; clear configs and data topics not produced any more.

        Old configs go first so a mode switch never shows HA two configs with the same
        unique_id; then the new configs; then the stale state topics.
        """
        current = set(discovery.configs) | set(discovery.data_topics)
        stale = cleanup(self._known, current)
        prefix = f"{self._topics.prefix}/"
        stale_configs = [t for t in stale if t.startswith(prefix)]
        stale_data = [t for t in stale if not t.startswith(prefix)]
        for topic in stale_configs:
            self._conn.publish(topic, b"", retain=True, qos=1)
        for topic, payload in discovery.configs.items():
            self._conn.publish(topic, payload, retain=True, qos=1)
        for topic in stale_data:
            self._conn.publish(topic, b"", retain=True)
        if stale:
            log.info("mqtt.cleared_stale", topics=len(stale), configs=len(stale_configs))
        self._known = current
        self._save()

    def publish_reading(self, reading: Reading, metrics: Mapping[str, Metric]) -> None:
        """The JSON snapshot and/or the per-value topics of one plant or device: one key
        and topic per metric it announces (`metrics`), null when it has no value now."""
        values = {key: json_value(reading.values.get(key), m) for key, m in metrics.items()}
        published: set[str] = set()
        if self._cfg.output.json:
            topic = self._topics.state(reading.ps_id, reading.device)
            snapshot: dict[str, object] = {
                "ts": reading.ts.isoformat() if reading.ts is not None else None,
                "fetched_at": utc_iso(reading.fetched_at),
                **values,
            }
            self._conn.publish(topic, json.dumps(snapshot), retain=True)
            published.add(topic)
        if self._cfg.output.values:
            for key, value in values.items():
                topic = self._topics.value(reading.ps_id, reading.device, key)
                self._conn.publish(topic, bare_value(value), retain=True)
                published.add(topic)
        self._remember(published)

    def set_availability(self, ps_id: str, online: bool) -> None:
        topic = self._topics.availability(ps_id)
        self._conn.publish(topic, ONLINE if online else OFFLINE, retain=True)
        self._remember({topic})

    # --- bridge topics ---------------------------------------------------------------------

    def publish_info(self, info: Mapping[str, object]) -> None:
        self._conn.publish(self._topics.bridge_info, json.dumps(info, default=str), retain=True)

    def publish_health(self, health: Mapping[str, object]) -> None:
        self._conn.publish(self._topics.bridge_health, json.dumps(health, default=str), retain=True)

    def publish_auth(self, state: AuthState) -> None:
        self._conn.publish(self._topics.bridge_auth, state, retain=True)

    def publish_event(self, event: Mapping[str, object]) -> None:
        """A non-retained event; callers pass no secrets (it is dropped while offline)."""
        self._conn.publish(self._topics.bridge_event, json.dumps(event, default=str))

    def republish(self) -> None:
        self._conn.republish_all()

    def respond(self, request: Incoming, default_topic: str, payload: Mapping[str, object]) -> None:
        """Answer a request; an MQTT 5 response topic and correlation data are honoured."""
        body = json.dumps(payload, default=str)
        target = request.response_topic
        if self._conn.v5 and target and not any(c in target for c in "+#"):
            properties = response_properties(request.correlation_data)
            self._conn.publish(target, body, properties=properties)
        else:
            self._conn.publish(default_topic, body)
