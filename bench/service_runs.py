"""The real `Service` on the real broker: refresh request -> response latency beside the
simulator's own round trip, and the CPU the daemon uses while it waits between polls."""

from __future__ import annotations

import json
import queue
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.rig import SIM_START, make_config
from bridge.catalogue.metric import PLANT_LEVEL
from bridge.catalogue.selection import select
from bridge.config.model import Config
from bridge.daemon.service import Service
from bridge.isolarcloud.client import PLANT_REALTIME
from bridge.simulator import DEMO_APP_KEY, DEMO_SECRET_KEY, SimClock, Simulator, serve
from bridge.simulator.demo import authorise
from tests.support.service import start_service

RESPONSE_TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True)
class Latency:
    samples: int
    median_s: float
    p95_s: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        p95 = statistics.quantiles(seconds, n=20, method="inclusive")[-1]
        return cls(len(seconds), statistics.median(seconds), p95)


@dataclass(frozen=True, slots=True)
class RefreshLatency:
    plants: int
    api_calls_per_refresh: float
    refresh: Latency  # publish of the request -> arrival of its response
    sim_round_trip: Latency  # one plant real-time call, httpx straight to the simulator


@dataclass(frozen=True, slots=True)
class IdleCpu:
    seconds: float
    cpu_s: float
    polls_during: int  # must be 0: the window lies between two polls


@contextmanager
def _running(
    cfg: Config, state_dir: Path, transport: httpx.BaseTransport | None
) -> Iterator[Service]:
    """A Service in a thread, after its first poll; stopped on exit."""
    running = start_service(cfg, state_dir, transport=transport)
    try:
        running.wait_polls()
        yield running.service
    finally:
        running.stop()


class _Requester:
    """A plain MQTT client that sends refresh requests and collects the responses."""

    def __init__(self, host: str, port: int, base: str) -> None:
        self._base = base
        self.responses: queue.Queue[dict[str, object]] = queue.Queue()
        subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-requester")
        self.client.on_message = lambda _c, _u, msg: self.responses.put(json.loads(msg.payload))
        self.client.on_subscribe = lambda *_args: subscribed.set()
        self.client.connect(host, port)
        self.client.loop_start()
        self.client.subscribe(f"{base}/bridge/response/refresh", qos=1)
        if not subscribed.wait(10):
            raise RuntimeError("the requester could not subscribe")

    def refresh(self, transaction: str) -> float:
        """Seconds from publishing the request to receiving its `ok` response."""
        started = time.perf_counter()
        body = json.dumps({"transaction": transaction})
        self.client.publish(f"{self._base}/bridge/request/refresh", body, qos=1)
        while True:
            response = self.responses.get(timeout=RESPONSE_TIMEOUT_S)
            if response.get("transaction") == transaction:
                break
        if response.get("status") != "ok":
            raise RuntimeError(f"refresh {transaction} answered {response}")
        return time.perf_counter() - started

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _sim_round_trips(url: str, token: str, ps_id: str, count: int) -> list[float]:
    points = [p.removeprefix("p") for p in select(PLANT_LEVEL, Config().points).point_ids]
    body = {
        "appkey": DEMO_APP_KEY,
        "ps_id_list": [ps_id],
        "point_id_list": points,
        "is_get_point_dict": "1",
    }
    headers = {"x-access-key": DEMO_SECRET_KEY, "Authorization": f"Bearer {token}"}
    seconds = []
    with httpx.Client(base_url=url, headers=headers) as http:
        for _ in range(count + 1):  # the first one opens the connection: not counted
            started = time.perf_counter()
            reply = http.post(PLANT_REALTIME, json=body)
            seconds.append(time.perf_counter() - started)
            if reply.json().get("result_code") != "1":
                raise RuntimeError(f"simulator round trip failed: {reply.text[:200]}")
    return seconds[1:]


def refresh_latency(host: str, port: int, state_dir: Path, requests: int) -> RefreshLatency:
    """The default fleet over real HTTP, `min_refresh_interval` 0, sequential requests."""
    sim = Simulator(clock=SimClock(SIM_START, speed=1.0))
    with serve(sim) as server:
        cfg = make_config(
            server.url, host, port, "bench-refresh", interval=300, min_refresh_interval=0
        )
        store = authorise(sim, cfg.isolarcloud, state_dir)
        with _running(cfg, state_dir, None):
            requester = _Requester(host, port, cfg.mqtt.base_topic)
            try:
                calls = sim.total_calls
                seconds = [requester.refresh(f"bench-{i}") for i in range(requests)]
                calls = sim.total_calls - calls
            finally:
                requester.close()
            tokens = store.load()
            if tokens is None:
                raise RuntimeError("the token file vanished")
            round_trips = _sim_round_trips(
                server.url, tokens.access_token, str(sim.plants[0].ps_id), requests
            )
    return RefreshLatency(
        plants=len(sim.plants),
        api_calls_per_refresh=calls / requests,
        refresh=Latency.of(seconds),
        sim_round_trip=Latency.of(round_trips),
    )


def idle_cpu(host: str, port: int, state_dir: Path, seconds: float) -> IdleCpu:
    """CPU time of this process while the Service waits for its next poll (interval 300 s).

    The Service is alone in the process (the simulator on MockTransport is idle too)."""
    sim = Simulator(clock=SimClock(SIM_START, speed=1.0))
    transport = httpx.MockTransport(sim.handle)
    cfg = make_config("http://simulator.invalid", host, port, "bench-idle", interval=300)
    authorise(sim, cfg.isolarcloud, state_dir, transport=transport)
    with _running(cfg, state_dir, transport) as service:
        polls = service.health.polls
        cpu = time.process_time()
        time.sleep(seconds)
        cpu = time.process_time() - cpu
        polls = service.health.polls - polls
    return IdleCpu(seconds, cpu, polls)
