"""Resident memory and CPU time per poll of a fleet, polled and published in-process.

Each fleet runs in its own process (`python -m bench.resources`), so its memory figure is
not inflated by an earlier, bigger fleet. The poller reads the simulator through
`httpx.MockTransport`, the publisher sends to the real broker, and the sim clock moves
300 s per poll; every poll waits for the broker's acknowledgements, as a real poll
interval would. Figures are of the whole process: the simulator is in it too, so its
CPU is measured separately and taken out of the bridge's share.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

from bench import api_calls
from bench.rig import FleetRig, bridge_publisher, poll_and_publish, quiet_logging, rss_kib
from bridge.simulator.physics import RETENTION

# the simulator keeps RETENTION of 5-minute frames per plant; start a day beyond it
STEADY_SIM_AHEAD_S = (RETENTION + timedelta(days=1)).total_seconds()


@dataclass(frozen=True, slots=True)
class Resources:
    plants: int
    polls: int  # measured polls, after the warm-up
    warmup_polls: int
    messages_per_poll: float
    rss_after_inventory_kib: int
    rss_warm_kib: int  # after the warm-up polls
    rss_end_kib: int
    cpu_per_poll_s: float  # the whole process
    sim_cpu_per_poll_s: float  # of which inside the simulator's handler
    wall_per_poll_s: float

    @property
    def bridge_cpu_per_poll_s(self) -> float:
        return self.cpu_per_poll_s - self.sim_cpu_per_poll_s

    @property
    def growth_kib(self) -> int:
        return self.rss_end_kib - self.rss_warm_kib


def measure(rig: FleetRig, host: str, port: int, warmup: int, polls: int) -> Resources:
    rss_inventory = rss_kib()
    client_id = f"bench-res-{rig.n}-{os.getpid()}"  # workers run side by side
    conn, publisher = bridge_publisher(host, port, client_id)
    try:
        for _ in range(warmup):
            rig.step()
            poll_and_publish(rig, publisher, conn)
        rss_warm = rss_kib()
        sent, sim_cpu = conn.acks.sent, rig.sim_cpu_s
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(polls):
            rig.step()
            poll_and_publish(rig, publisher, conn)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return Resources(
            plants=rig.n,
            polls=polls,
            warmup_polls=warmup,
            messages_per_poll=(conn.acks.sent - sent) / polls,
            rss_after_inventory_kib=rss_inventory,
            rss_warm_kib=rss_warm,
            rss_end_kib=rss_kib(),
            cpu_per_poll_s=cpu / polls,
            sim_cpu_per_poll_s=(rig.sim_cpu_s - sim_cpu) / polls,
            wall_per_poll_s=wall / polls,
        )
    finally:
        conn.stop()


def main(argv: list[str] | None = None) -> int:
    """One fleet in this process; prints {"api_calls": ..., "resources": ...} as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.resources")
    parser.add_argument("--plants", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=1, help="polls before measuring")
    parser.add_argument("--polls", type=int, default=0, help="measured polls (0: none)")
    parser.add_argument("--api-calls", action="store_true", help="count API calls per poll")
    parser.add_argument(
        "--steady-sim",
        action="store_true",
        help="fill the simulator's frame history first, so only the bridge's memory can grow",
    )
    args = parser.parse_args(argv)
    quiet_logging()
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        ahead = STEADY_SIM_AHEAD_S if args.steady_sim else 0.0
        rig = FleetRig(args.plants, Path(tmp), sim_ahead_s=ahead)
        try:
            if args.api_calls:
                out["api_calls"] = asdict(api_calls.measure(rig))
            if args.polls:
                res = measure(rig, args.host, args.port, args.warmup, args.polls)
                out["resources"] = asdict(res)
        finally:
            rig.close()
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
