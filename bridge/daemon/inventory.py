"""The plants and devices the bridge publishes: reloaded every `device_list_interval`, and
when they change, Home Assistant discovery and `<base>/bridge/info` follow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field

import structlog

from bridge import __version__
from bridge.catalogue.metric import Metric
from bridge.config.model import Config
from bridge.daemon.info import Events, info_payload
from bridge.isolarcloud.model import Device, Plant
from bridge.mqtt.discovery import build_discovery
from bridge.mqtt.publisher import Publisher
from bridge.mqtt.topics import Topics
from bridge.platform.systemd import Notifier
from bridge.readings.poller import Inventory, Poller
from bridge.readings.presence import Presence

log = structlog.get_logger(__name__)


@dataclass
class InventoryKeeper:
    cfg: Config
    topics: Topics
    publisher: Publisher
    events: Events
    notifier: Notifier
    presence: Presence
    _: KW_ONLY
    started_at: float
    monotonic: Callable[[], float]
    _next_load: float = field(default=0.0, init=False)
    inventory: Inventory = field(default_factory=Inventory, init=False)

    def due(self) -> bool:
        return not self.inventory.plants or self.monotonic() >= self._next_load

    def reload(self, poller: Poller) -> None:
        """Read the plant and device lists; publish discovery and info when they changed.

        Raises the gateway client's errors.
        """
        inventory = poller.load_inventory()
        self._next_load = self.monotonic() + self.cfg.poll.device_list_interval
        if inventory != self.inventory:
            self.inventory = inventory
            log.info("inventory.changed", plants=list(inventory.ps_ids))
            self.announce()

    def announce(self) -> None:
        """Discovery for what each plant and device announces (see `Presence`), and info."""
        inv = self.inventory

        def definitions(plant: Plant, device: Device | None) -> list[Metric]:
            return list(self.presence.metrics(inv, plant.ps_id, device).values())

        # also when discovery is off: the publisher tracks the data topics for cleanup
        self.publisher.publish_discovery(
            build_discovery(
                inv.plants, inv.devices, definitions, self.cfg, self.topics, version=__version__
            )
        )
        self.publisher.publish_info(info_payload(self.cfg, inv, self.started_at))
        self.notifier.status(f"polling {len(inv.plants)} plant(s) every {self.cfg.poll.interval} s")
