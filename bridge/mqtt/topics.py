"""Every MQTT topic the bridge publishes or subscribes to; no other module builds one."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.isolarcloud.model import Device, topic_slug


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic names under the base topic (`isolarcloud`) and the HA discovery prefix."""

    base: str
    prefix: str

    @property
    def bridge_state(self) -> str:
        return f"{self.base}/bridge/state"

    @property
    def bridge_info(self) -> str:
        return f"{self.base}/bridge/info"

    @property
    def bridge_health(self) -> str:
        return f"{self.base}/bridge/health"

    @property
    def bridge_auth(self) -> str:
        return f"{self.base}/bridge/auth"

    @property
    def bridge_event(self) -> str:
        return f"{self.base}/bridge/event"

    def request(self, kind: str) -> str:
        return f"{self.base}/bridge/request/{kind}"

    def response(self, kind: str) -> str:
        return f"{self.base}/bridge/response/{kind}"

    @property
    def request_refresh(self) -> str:
        return self.request("refresh")

    @property
    def request_republish(self) -> str:
        return self.request("republish")

    @property
    def response_refresh(self) -> str:
        return self.response("refresh")

    @property
    def response_republish(self) -> str:
        return self.response("republish")

    @property
    def request_wildcard(self) -> str:
        return self.request("+")

    @property
    def ha_status(self) -> str:
        return f"{self.prefix}/status"

    def _source(self, ps_id: str, device: Device | None) -> str:
        plant = f"{self.base}/{topic_slug(ps_id)}"
        return plant if device is None else f"{plant}/{device.slug}"

    def availability(self, ps_id: str) -> str:
        return f"{self.base}/{topic_slug(ps_id)}/availability"

    def state(self, ps_id: str, device: Device | None) -> str:
        return f"{self._source(ps_id, device)}/state"

    def value(self, ps_id: str, device: Device | None, metric_key: str) -> str:
        return f"{self._source(ps_id, device)}/{metric_key}"

    def discovery(self, component: str, node_id: str, object_id: str) -> str:
        return f"{self.prefix}/{component}/{node_id}/{object_id}/config"

    def device_discovery(self, node_id: str) -> str:
        return f"{self.prefix}/device/{node_id}/config"
