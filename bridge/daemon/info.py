"""The payloads of `<base>/bridge/info` and `<base>/bridge/event` (never a secret)."""

from __future__ import annotations

from collections.abc import Callable

from bridge import __version__
from bridge.config.model import Config
from bridge.mqtt.publisher import Publisher
from bridge.platform.timefmt import epoch_iso
from bridge.readings.poller import Inventory

SCHEMA_VERSION = 1


def info_payload(cfg: Config, inventory: Inventory, started_at: float) -> dict[str, object]:
    return {
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
        "started_at": epoch_iso(started_at),
        "plants": [
            {
                "ps_id": plant.ps_id,
                "name": plant.name,
                "devices": [
                    {
                        "id": d.slug,
                        "ps_key": d.ps_key,
                        "type": d.device_type,
                        "name": d.name,
                        "model": d.model,
                    }
                    for d in inventory.devices.get(plant.ps_id, ())
                ],
            }
            for plant in inventory.plants
        ],
        "config": {
            "region": cfg.isolarcloud.region,
            "gateway_override": cfg.isolarcloud.gateway is not None,
            "poll_interval": cfg.poll.interval,
            "device_list_interval": cfg.poll.device_list_interval,
            "min_refresh_interval": cfg.poll.min_refresh_interval,
            "hourly_call_budget": cfg.poll.hourly_call_budget,
            "base_topic": cfg.mqtt.base_topic,
            "protocol": cfg.mqtt.protocol,
            "discovery": cfg.homeassistant.discovery,
            "discovery_prefix": cfg.homeassistant.prefix,
            "discovery_mode": cfg.homeassistant.mode,
            "expire_after": cfg.expire_after,
            "output": {"json": cfg.output.json, "values": cfg.output.values},
        },
    }


def event_payload(
    now: float, level: str, kind: str, message: str, **extra: object
) -> dict[str, object]:
    return {"ts": epoch_iso(now), "level": level, "event": kind, "message": message, **extra}


class Events:
    """Publishes events on `<base>/bridge/event`, stamped with the daemon's clock."""

    def __init__(self, publisher: Publisher, clock: Callable[[], float]) -> None:
        self._publisher = publisher
        self._clock = clock

    def emit(self, level: str, kind: str, message: str, **extra: object) -> None:
        self._publisher.publish_event(event_payload(self._clock(), level, kind, message, **extra))
