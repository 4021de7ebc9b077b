"""SIGTERM at any moment of `isolarcloud2mqtt run`, as systemd sends it.

Each run ends with exit 0 within 5 s, or, when the signal comes before `main()` has put
its handler in place (while Python is still starting), by the signal itself: then the
process has printed nothing at all, which is how the test tells the two apart.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from bridge.simulator import Simulator, SimulatorServer
from bridge.simulator.demo import authorise
from tests.support.broker import MosquittoBroker
from tests.support.cli import write_config
from tests.support.rig import make_config

TRIALS = 40
AT_ONCE = 4  # runs side by side, each with its own client id and state directory
EXIT_WITHIN_S = 5.0


@dataclass(frozen=True, slots=True)
class Trial:
    delay: float
    returncode: int | None  # None: still running EXIT_WITHIN_S after the signal
    output: str


@dataclass(frozen=True, slots=True)
class Setup:
    workdir: Path
    tokens: Path  # an authorised token file, copied into each run's state directory
    env: dict[str, str]
    gateway: str
    broker: MosquittoBroker


def run_once(setup: Setup, index: int, delay: float) -> Trial:
    state = setup.workdir / f"state-{index}"
    state.mkdir(mode=0o700)
    shutil.copy2(setup.tokens, state / setup.tokens.name)
    config = write_config(
        setup.workdir / f"config-{index}.toml", setup.gateway, setup.broker, f"sigterm-{index}"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "run", "--config", str(config), "--state-dir", str(state)],
        env=setup.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # the daemon runs until told otherwise: waiting for it to end is waiting `delay`
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=delay)
    early = proc.poll()
    proc.send_signal(signal.SIGTERM)
    try:
        output, _ = proc.communicate(timeout=EXIT_WITHIN_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        return Trial(delay, None, output)
    if early is not None:
        return Trial(delay, early, f"ended by itself before the signal:\n{output}")
    return Trial(delay, proc.returncode, output)


def test_sigterm_at_random_moments_exits_cleanly(
    tmp_path: Path,
    broker: MosquittoBroker,
    cloud: tuple[Simulator, SimulatorServer],
    user_env: dict[str, str],
) -> None:
    sim, server = cloud
    tokens = authorise(sim, make_config(server.url, broker).isolarcloud, tmp_path / "login").path
    rng = random.Random(20261124)
    delays = [rng.uniform(0.05, 2.5) for _ in range(TRIALS)]
    setup = Setup(tmp_path, tokens, {**user_env, "PYTHONUNBUFFERED": "1"}, server.url, broker)
    with ThreadPoolExecutor(AT_ONCE) as pool:
        trials = list(pool.map(run_once, [setup] * TRIALS, range(TRIALS), delays))

    problems = [
        f"signal after {t.delay:.2f} s: "
        + ("still running after 5 s" if t.returncode is None else f"exit {t.returncode}")
        + f"\n{t.output[-2000:]}"
        for t in trials
        if not (t.returncode == 0 or (t.returncode == -signal.SIGTERM and t.output == ""))
    ]
    assert problems == [], "\n\n".join(problems)
    clean = sum(1 for t in trials if t.returncode == 0)
    assert clean > TRIALS // 2, f"only {clean} runs got as far as main(): the test lost its point"
