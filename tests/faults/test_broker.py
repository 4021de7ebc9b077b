"""Broker trouble: down at start, restarted again and again, killed without a clean close.

After each recovery the broker's retained set must be complete (bridge state, info,
health, auth, discovery, every availability and state) and current (no state older
than the newest one the bridge held when the broker came back), within seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.simulator import SimClock, Simulator, SimulatorServer, serve
from bridge.simulator.demo import authorise
from bridge.simulator.mosquitto import MosquittoBroker
from tests.faults.rig import named_topics, wait_recovered
from tests.support.broker import wait_until
from tests.support.rig import SIM_START, make_config
from tests.support.service import Running, start_service

RECOVERY_TIMEOUT = 10.0


@pytest.fixture
def cloud() -> Iterator[tuple[Simulator, SimulatorServer]]:
    # ten simulated minutes per real second: every poll brings new cloud samples
    sim = Simulator(clock=SimClock(start=SIM_START, speed=600))
    server = serve(sim)
    yield sim, server
    server.close()


def start_bridge(
    tmp_path: Path, cloud: tuple[Simulator, SimulatorServer], broker: MosquittoBroker
) -> Running:
    sim, server = cloud
    cfg = make_config(
        server.url, broker, interval=1, min_refresh_interval=1, hourly_call_budget=100_000
    )
    state_dir = tmp_path / "state"
    authorise(sim, cfg.isolarcloud, state_dir)
    return start_service(cfg, state_dir)


def check_named(running: Running, retained: dict[str, bytes]) -> None:
    """Besides matching the bridge's own record, the set holds what docs/topics.md names."""
    service = running.service
    assert named_topics(service) <= retained.keys()
    for plant in service.inventory.plants:
        prefix = f"homeassistant/sensor/isolarcloud_{plant.ps_id}/"
        assert any(topic.startswith(prefix) for topic in retained), f"no discovery: {plant}"


def recover(running: Running, broker: MosquittoBroker) -> float:
    """Wait for the retained set after the broker came back; return the seconds taken."""
    reference = running.service.conn.retained()
    seconds, seen = wait_recovered(broker, reference, RECOVERY_TIMEOUT)
    check_named(running, seen)
    return seconds


def polls_go_on(running: Running, extra: int = 1) -> None:
    service = running.service
    target = service.health.polls + extra
    wait_until(lambda: service.health.polls >= target, 10, "the next poll")


def test_broker_down_at_start(
    tmp_path: Path, cloud: tuple[Simulator, SimulatorServer], capsys: pytest.CaptureFixture[str]
) -> None:
    broker = MosquittoBroker(tmp_path / "late-broker")  # its port is chosen, nothing listens
    running = start_bridge(tmp_path, cloud, broker)
    try:
        polls_go_on(running, 2)  # polling without a broker
        assert not running.service.conn.connected
        broker.start()
        seconds = recover(running, broker)
        with capsys.disabled():
            print(f"\nbroker down at start: retained set complete {seconds:.2f} s after it came up")
        assert running.thread.is_alive()
    finally:
        code = running.stop()
        broker.stop()
    assert code == 0


@pytest.fixture
def recovered(
    tmp_path: Path, cloud: tuple[Simulator, SimulatorServer], broker: MosquittoBroker
) -> Iterator[Running]:
    """A bridge that has polled and whose retained set is on the broker; exit 0 at the end."""
    running = start_bridge(tmp_path, cloud, broker)
    try:
        polls_go_on(running, 1)
        recover(running, broker)
        yield running
    finally:
        code = running.stop()
    assert code == 0


def test_broker_restarted_twenty_times(
    recovered: Running, broker: MosquittoBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    polls = recovered.service.health.polls
    times = []
    for _ in range(20):
        broker.restart()  # persistence is off: the retained set is gone
        times.append(recover(recovered, broker))
    assert recovered.service.health.polls >= polls + 10  # it kept polling throughout
    assert recovered.thread.is_alive()
    assert recovered.service.conn.reconnects >= 20
    with capsys.disabled():
        print(
            f"\nbroker restarts: recovery min {min(times):.2f} s, "
            f"mean {sum(times) / len(times):.2f} s, max {max(times):.2f} s"
        )


def test_broker_killed_without_clean_close(
    recovered: Running, broker: MosquittoBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    times = []
    for _ in range(3):
        broker.stop(kill=True)
        polls_go_on(recovered)  # the bridge polls on while the broker is dead
        broker.start()
        times.append(recover(recovered, broker))
    with capsys.disabled():
        print(f"\nbroker SIGKILLed: recovery {', '.join(f'{t:.2f}' for t in times)} s")
