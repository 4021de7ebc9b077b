"""A `Service` running in a thread, as the tests and benchmarks drive it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.config.model import Config
from bridge.daemon.service import Service
from bridge.platform.systemd import Notifier
from bridge.simulator import Simulator
from tests.support.broker import wait_until


@dataclass
class Running:
    service: Service
    thread: threading.Thread
    exit_codes: list[int] = field(default_factory=list)

    def wait_polls(self, polls: int = 1) -> None:
        """Wait until `polls` polls are recorded (`health.polls` is bumped last)."""
        service = self.service
        wait_until(lambda: service.health.polls >= polls, 15, f"{polls} finished poll(s)")

    def settle(self, polls: int = 1) -> None:
        """Wait until `polls` polls are recorded and every plant may be refreshed again."""
        service = self.service
        self.wait_polls(polls)
        wait_until(
            lambda: service.rules.plant_wait(service.inventory.ps_ids) == 0, 10, "refresh window"
        )

    def stop(self, timeout: float = 10) -> int:
        self.service.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the service did not stop"
        return self.exit_codes[0]


def sim_seconds(sim: Simulator) -> Callable[[], float]:
    """The simulator's time as epoch seconds: a clock (and monotonic) for the service."""
    return lambda: sim.clock.now().timestamp()


def on_sim_time(sim: Simulator) -> dict[str, Any]:
    """Service arguments that run it on the simulator's (fast) clock: its schedule, its
    retry pauses, and a loop that wakes every 20 ms of real time to see the clock move."""
    clock = sim_seconds(sim)
    return {
        "clock": clock,
        "monotonic": clock,
        "client_sleep": lambda seconds: time.sleep(seconds / sim.clock.speed),
        "notifier": Notifier({"WATCHDOG_USEC": "40000"}),
    }


def start_service(cfg: Config, state_dir: Path, **kwargs: Any) -> Running:
    """Build a Service (constructor extras: clocks, transport, secrets...) and run it."""
    service = Service(cfg, state_dir, **kwargs)
    running = Running(service, threading.Thread(target=lambda: None))

    def target() -> None:
        running.exit_codes.append(service.run())

    running.thread = threading.Thread(target=target, name="service-under-test", daemon=True)
    running.thread.start()
    return running
