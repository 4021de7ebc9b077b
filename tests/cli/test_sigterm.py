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
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from bridge.simulator import Simulator, SimulatorServer
from bridge.simulator.demo import authorise
from tests.support.broker import MosquittoBroker
from tests.support.cli import bridge_command, write_config
from tests.support.rig import make_config

TRIALS = 40
AT_ONCE = 4  # runs side by side, each with its own client id and state directory
EXIT_WITHIN_S = 5.0


@dataclass(frozen=True, slots=True)
class Trial:
    delay: float
    returncode: int | None  # None: still running EXIT_WITHIN_S after the signal
    output: str


def run_once(command: list[str], env: dict[str, str], delay: float) -> Trial:
    """Start `command`, send SIGTERM after `delay` seconds, and see how it ends."""
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
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


def daemon_command(
    workdir: Path, index: int, tokens: Path, gateway: str, broker: MosquittoBroker
) -> list[str]:
    """`run` with a config and a state directory of its own (each its own client id)."""
    state = workdir / f"state-{index}"
    state.mkdir(mode=0o700)
    shutil.copy2(tokens, state / tokens.name)
    config = write_config(workdir / f"config-{index}.toml", gateway, broker, f"sigterm-{index}")
    return bridge_command("run", "--config", str(config), "--state-dir", str(state))


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
    commands = [daemon_command(tmp_path, i, tokens, server.url, broker) for i in range(TRIALS)]
    env = {**user_env, "PYTHONUNBUFFERED": "1"}
    with ThreadPoolExecutor(AT_ONCE) as pool:
        trials = list(pool.map(run_once, commands, [env] * TRIALS, delays))

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
