"""`python -m bench`: every benchmark, one table, one JSON summary.

The fleets' API calls, memory and CPU run in worker processes (`bench.resources`) while
the long memory-flatness run (one plant, so 10,000 polls stay within minutes) works
beside them; the timing-sensitive benchmarks (publish rate, refresh latency, idle CPU)
then run alone. Freshness comes last: it runs on simulated time, so load cannot skew it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import freshness, publish_rate, service_runs
from bench.report import Row, mib, ms, table
from bench.rig import FleetRig, quiet_logging
from bridge.simulator.mosquitto import MosquittoBroker

FLAT_TOLERANCE_KIB = 1024  # RSS growth after warm-up that still counts as flat


@dataclass(frozen=True, slots=True)
class Plan:
    """What one run measures; the defaults are the full run."""

    api_sizes: tuple[int, ...] = (1, 10, 100, 1000)
    # plants -> (warm-up polls, measured polls)
    resource_polls: dict[int, tuple[int, int]] = field(
        default_factory=lambda: {1: (20, 200), 100: (2, 5), 1000: (1, 1)}
    )
    flat_polls: tuple[int, int] = (500, 9500)  # one plant: (warm-up, measured)
    rate_plants: int = 100
    rate_rounds: int = 5
    refresh_requests: int = 20
    idle_s: float = 10.0
    freshness_hours: float = 24  # simulated hours each freshness case is measured over


FULL = Plan()
QUICK = Plan(
    api_sizes=(1, 10, 100),
    resource_polls={1: (5, 50), 100: (1, 2)},
    flat_polls=(100, 900),
    rate_rounds=3,
    refresh_requests=10,
    idle_s=3.0,
    freshness_hours=6,
)


def _worker(
    broker: MosquittoBroker, plants: int, *, api: bool, warmup: int, polls: int
) -> list[str]:
    command = [sys.executable, "-m", "bench.resources", "--plants", str(plants)]
    command += ["--host", broker.host, "--port", str(broker.port)]
    command += ["--warmup", str(warmup), "--polls", str(polls)]
    return [*command, "--api-calls"] if api else command


def _result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{proc.args!r} failed:\n{err}")
    loaded: dict[str, Any] = json.loads(out)
    return loaded


def _spawn(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _progress(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def run(plan: Plan, workdir: Path) -> dict[str, Any]:
    # Both brokers as users run Mosquitto; the poll loops' broker sends acknowledgements
    # without Nagle's delay, else every poll would wait ~40 ms for the last PUBACK.
    broker = MosquittoBroker(workdir / "broker")
    loops = MosquittoBroker(workdir / "loops-broker", extra_conf="set_tcp_nodelay true\n")
    broker.start()
    loops.start()
    try:
        warmup, polls = plan.flat_polls
        _progress(f"memory flatness: 1 plant, {warmup + polls} polls (in the background)")
        flat = _spawn([*_worker(loops, 1, api=False, warmup=warmup, polls=polls), "--steady-sim"])
        fleets: dict[int, dict[str, Any]] = {}
        for n in sorted(set(plan.api_sizes) | set(plan.resource_polls)):
            warm, measured = plan.resource_polls.get(n, (0, 0))
            _progress(f"{n} plant(s): API calls per poll, memory and CPU ({measured} polls)")
            command = _worker(loops, n, api=n in plan.api_sizes, warmup=warm, polls=measured)
            fleets[n] = _result(_spawn(command))
        _progress("waiting for the memory flatness run")
        flat_result = _result(flat)["resources"]

        _progress(f"publish rate: {plan.rate_plants} plants, bridge vs bare paho")
        rig = FleetRig(plan.rate_plants, workdir / "rate")
        try:
            rate = publish_rate.measure(rig, broker.host, broker.port, plan.rate_rounds)
        finally:
            rig.close()
        _progress(f"refresh latency: {plan.refresh_requests} requests")
        refresh = service_runs.refresh_latency(
            broker.host, broker.port, workdir / "refresh", plan.refresh_requests
        )
        _progress(f"idle CPU: the service for {plan.idle_s:g} s between polls")
        idle = service_runs.idle_cpu(broker.host, broker.port, workdir / "idle", plan.idle_s)
    finally:
        broker.stop()
        loops.stop()
    _progress(f"freshness: {plan.freshness_hours:g} simulated hours, learning vs fixed schedule")
    fresh = freshness.measure(workdir, plan.freshness_hours)
    return {
        "api_calls": [
            {**f["api_calls"], "matches": f["api_calls"]["measured"] == f["api_calls"]["minimum"]}
            for f in fleets.values()
            if "api_calls" in f
        ],
        "publish_rate": {**asdict(rate), "ratio": rate.ratio, "goal": publish_rate.GOAL},
        "refresh": asdict(refresh),
        "resources": [
            _with_bridge_cpu(f["resources"]) for f in fleets.values() if "resources" in f
        ],
        "memory_flat": {
            **_with_bridge_cpu(flat_result),
            "growth_kib": flat_result["rss_end_kib"] - flat_result["rss_warm_kib"],
            "flat": flat_result["rss_end_kib"] - flat_result["rss_warm_kib"] <= FLAT_TOLERANCE_KIB,
        },
        "idle_cpu": asdict(idle),
        "freshness": {
            "lag_s": freshness.LAG_S,
            "jitter_s": freshness.JITTER_S,
            "cases": [asdict(case) for case in fresh],
        },
    }


def _with_bridge_cpu(res: dict[str, Any]) -> dict[str, Any]:
    return {**res, "bridge_cpu_per_poll_s": res["cpu_per_poll_s"] - res["sim_cpu_per_poll_s"]}


def rows(summary: dict[str, Any]) -> list[Row]:
    out = []
    for a in summary["api_calls"]:
        verdict = "equal" if a["matches"] else f"MISMATCH: {a['measured']} != {a['minimum']}"
        out.append(
            Row(
                "API calls per poll",
                f"{a['plants']} plant(s), {a['devices']} devices",
                f"{a['measured']} calls",
                f"minimum {a['minimum']}; per-plant client {a['per_plant']}",
                verdict,
            )
        )
    r = summary["publish_rate"]
    out.append(
        Row(
            "MQTT publish rate",
            f"{r['plants']} plants: {r['messages']} msgs, {r['payload_bytes']} B, QoS 1",
            f"{r['bridge_msgs_per_s']:,.0f} msg/s",
            f"bare paho {r['bare_msgs_per_s']:,.0f} msg/s",
            f"{r['ratio']:.0%} of bare (goal >= {r['goal']:.0%})"
            + ("" if r["ratio"] >= r["goal"] else " BELOW GOAL"),
        )
    )
    f = summary["refresh"]
    own = f["refresh"]["median_s"] - f["api_calls_per_refresh"] * f["sim_round_trip"]["median_s"]
    out.append(
        Row(
            "Refresh request -> response",
            f"{f['plants']} plants, {f['refresh']['samples']} requests, "
            f"{f['api_calls_per_refresh']:g} API calls each",
            f"median {ms(f['refresh']['median_s'])}, p95 {ms(f['refresh']['p95_s'])}",
            f"simulator round trip: median {ms(f['sim_round_trip']['median_s'])}, "
            f"p95 {ms(f['sim_round_trip']['p95_s'])}",
            f"bridge's own share ~{ms(own)}",
        )
    )
    for res in summary["resources"]:
        out.append(
            Row(
                "Memory and CPU per poll",
                f"{res['plants']} plant(s), {res['messages_per_poll']:g} msgs/poll, "
                f"{res['polls']} polls",
                f"RSS {mib(res['rss_end_kib'])}; CPU {ms(res['bridge_cpu_per_poll_s'])}/poll",
                f"simulator in-process: CPU {ms(res['sim_cpu_per_poll_s'])}/poll",
            )
        )
    m = summary["memory_flat"]
    total = m["warmup_polls"] + m["polls"]
    out.append(
        Row(
            "Memory over many polls",
            f"1 plant, {total} polls, sim clock +300 s each",
            f"RSS {mib(m['rss_warm_kib'])} at poll {m['warmup_polls']}, "
            f"{mib(m['rss_end_kib'])} at poll {total}",
            f"growth {m['growth_kib']} KiB",
            "flat" if m["flat"] else f"GROWS (> {FLAT_TOLERANCE_KIB} KiB)",
        )
    )
    i = summary["idle_cpu"]
    out.append(
        Row(
            "Idle CPU between polls",
            f"the Service, {i['seconds']:g} s after its first poll (interval 300 s)",
            f"{i['cpu_s'] * 1000:.1f} ms CPU ({i['cpu_s'] / i['seconds']:.2%} of a core)",
            f"polls in the window: {i['polls_during']}",
        )
    )
    return out + freshness_rows(summary["freshness"])


def freshness_rows(fresh: dict[str, Any]) -> list[Row]:
    out = []
    lag = fresh["lag_s"]
    for case in fresh["cases"]:
        a, f = case["adaptive"], case["fixed"]
        share = (a["median_age_s"] - lag) / (f["median_age_s"] - lag)
        goal = freshness.GOALS[case["plants"]]
        out.append(
            Row(
                "Age of data at publish",
                f"{case['plants']} plant(s), phases over {case['phase_spread_s']:g} s, "
                f"lag {lag:g} ± {fresh['jitter_s']:g} s",
                f"median {a['median_age_s']:g} s, p95 {a['p95_age_s']:g} s, "
                f"{a['calls_per_hour']:g} calls/h",
                f"fixed interval: median {f['median_age_s']:g} s, p95 {f['p95_age_s']:g} s, "
                f"{f['calls_per_hour']:g} calls/h",
                f"excess over the lag {share:.0%} of the fixed one's (goal <= {goal:.0%})"
                + ("" if share <= goal else " ABOVE GOAL"),
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short run: fewer polls, no 1,000")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the summary here")
    args = parser.parse_args(argv)
    quiet_logging()
    plan = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        summary = {"quick": args.quick, **run(plan, Path(tmp))}
    print(table(rows(summary)))
    print()
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
