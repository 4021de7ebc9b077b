"""A SIGKILL in the middle of EnergyGuard.save never leaves an unusable counters file."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from structlog.testing import capture_logs

from bridge.catalogue.metric import PLANT_LEVEL
from bridge.catalogue.metrics import metrics_for
from bridge.readings.energy_guard import EnergyGuard
from bridge.readings.model import Reading

ROOT = Path(__file__).resolve().parents[2]
METRICS = {m.key: m for m in metrics_for(PLANT_LEVEL)}

# Saves an ever larger lifetime counter as fast as it can, announcing each saved value.
WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from bridge.catalogue.metrics import metrics_for
from bridge.readings.energy_guard import EnergyGuard
from bridge.catalogue.metric import PLANT_LEVEL
from bridge.readings.model import Reading

metrics = {m.key: m for m in metrics_for(PLANT_LEVEL)}
guard = EnergyGuard(Path(sys.argv[1]))
now = datetime.now(UTC)
value = int(sys.argv[2])  # continue above the stored total, so nothing is held
while True:
    value += 1
    values = {"energy_total": float(value), "energy_today": float(value)}
    guard.apply("4711", Reading("4711", None, None, now, values), metrics, UTC)
    guard.save()
    print("saved", value, flush=True)
"""


def stored_total(path: Path) -> float | None:
    with capture_logs() as logs:
        guard = EnergyGuard(path)
    assert [e for e in logs if e["event"] == "energy_guard.state_unreadable"] == []
    probe = Reading("4711", None, None, datetime.now(UTC), {"energy_total": 0.0})
    value = guard.apply("4711", probe, METRICS, UTC).values["energy_total"]
    assert value is None or isinstance(value, float)
    return value


def test_killed_writers_always_leave_a_loadable_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "counters.toml"
    rng = random.Random(20260301)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    previous = 0.0
    for _ in range(20):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(int(previous))],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert writer.stdout is not None
        target = rng.randint(1, 40)
        try:
            saves = 0
            while saves < target:
                line = writer.stdout.readline()
                assert line, "the writer died on its own"
                if line.startswith("saved "):
                    saves += 1
            announced = float(line.split()[1])
            writer.send_signal(signal.SIGKILL)  # lands somewhere in a following save
        finally:
            writer.kill()
            writer.wait(timeout=10)
            writer.stdout.close()
        assert writer.returncode == -signal.SIGKILL
        total = stored_total(path)
        assert total is not None
        # everything announced was saved (the writer may have run ahead of our reading)
        assert total >= announced, (announced, total)
        assert total > previous
        previous = total
    leftovers = [p.name for p in path.parent.iterdir() if p.name != path.name]
    assert all(name.endswith(".tmp") for name in leftovers), leftovers
