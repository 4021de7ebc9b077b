"""The daemon against a cloud whose samples show 90 ± 15 s after their slot starts, on the
simulator's clock at 300x (a 5-minute slot takes a real second): it learns when they show
and publishes each within seconds of it, at the fixed schedule's calls.

Started at a slot boundary, the fixed schedule would publish every value 300 s old."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from bridge.isolarcloud.client import PLANT_REALTIME
from bridge.simulator import SimClock, Simulator, serve
from bridge.simulator.demo import authorise
from bridge.simulator.ingestion import Ingestion
from tests.support.broker import MosquittoBroker, Watcher, wait_until
from tests.support.rig import SIM_START, make_config
from tests.support.service import on_sim_time, sim_seconds, start_service

SPEED = 300.0
HOURS = 2


def test_the_daemon_learns_the_cloud_s_lag_and_publishes_fresh_data(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    sim = Simulator(clock=SimClock(start=SIM_START, speed=SPEED), ingestion=Ingestion(90.0, 15.0))
    now = sim_seconds(sim)
    with serve(sim) as server:
        cfg = make_config(server.url, broker, interval=300)
        authorise(sim, cfg.isolarcloud, tmp_path / "state")
        watcher = Watcher(broker, ["isolarcloud/bridge/health"])
        running = start_service(cfg, tmp_path / "state", **on_sim_time(sim))
        try:
            end = SIM_START.timestamp() + HOURS * 3600
            wait_until(lambda: now() >= end, HOURS * 3600 / SPEED * 4, f"{HOURS} simulated hours")
            polls = running.service.health.polls
            running.wait_polls(polls + 1)  # a health payload after the last full hour
            health = json.loads(watcher.on("isolarcloud/bridge/health")[-1].payload)
        finally:
            assert running.stop() == 0
            watcher.close()
    ages = [age for _at, age in running.service.health.ages]
    # the lag is 75-105 s: after learning, about 97% of values come within seconds of it
    assert statistics.median(ages) <= 90 + 15 + 45
    assert health["data_age_at_publish_s"]["median_1h"] <= 90 + 15 + 45
    assert health["interval_s"] == 300
    # both plants share one poll a slot: never more polls than the fixed schedule's
    assert sim.calls[PLANT_REALTIME] <= HOURS * 12 + 2
