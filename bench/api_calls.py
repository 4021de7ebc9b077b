"""API calls per poll: the real poller against the simulator, beside the minimum the
batching rules allow (`bridge.isolarcloud.budget.calls_per_poll`) and a per-plant client (one plant
call per plant and one device call per device, as the peer projects do)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.rig import FleetRig
from bridge.catalogue.metric import PLANT_LEVEL


@dataclass(frozen=True, slots=True)
class ApiCalls:
    plants: int
    devices: int
    measured: int  # at the simulator, around one Poller.poll
    minimum: int  # bridge.isolarcloud.budget.calls_per_poll
    per_plant: int  # measured the same way, plant by plant and device by device

    @property
    def matches(self) -> bool:
        return self.measured == self.minimum


def measure(rig: FleetRig) -> ApiCalls:
    poller, inventory, sim = rig.poller, rig.inventory, rig.sim
    before = sim.total_calls
    poller.poll(inventory)
    measured = sim.total_calls - before

    plant_points = poller.selection(PLANT_LEVEL).point_ids
    types = {d.device_type for ds in inventory.devices.values() for d in ds}
    points_by_type = {t: poller.selection(t).point_ids for t in types}
    minimum = poller.estimate(inventory).per_poll  # bridge.isolarcloud.budget.calls_per_poll

    before = sim.total_calls
    for plant in inventory.plants:
        poller.client.plant_realtime([plant], plant_points)
        for device in inventory.devices.get(plant.ps_id, ()):
            poller.client.device_realtime(
                [device], {device.device_type: points_by_type[device.device_type]}, {}
            )
    per_plant = sim.total_calls - before
    return ApiCalls(len(inventory.plants), rig.n_devices, measured, minimum, per_plant)
