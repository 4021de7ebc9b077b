"""Tokens: SIGKILL at random moments across many refreshes, then carry on from the file.

A child process renews the (single-use, rotating) refresh token and uses the new access
token in a loop; the test kills it again and again: at seeded random moments, and right
inside the token save, before each of its file operations in turn. After every kill the
token file must load whole, and a new process on it must carry on without `auth login`,
or fail only because the refresh token on disk was already rotated away: the cloud
rotated it and the process died before the new tokens reached the disk. No client can
close that window; the test measures how often a kill at a random moment lands in it.
The children are forked from a pre-imported server, so a restart takes milliseconds.
"""

from __future__ import annotations

import io
import random
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.isolarcloud.oauth import RENEW_PATH
from bridge.isolarcloud.onboarding import login
from bridge.isolarcloud.tokens import TokenStore, token_path
from bridge.simulator import DEMO_REDIRECT_URI, SimClock, Simulator, demo_settings, serve
from tests.faults.children import ForkServer
from tests.support.rig import SIM_START

RANDOM_KILLS = 50
SAVE_KILLS = 12  # more than the save's file operations (10): every one of them
MAX_DELAY = 0.2  # seconds after the child is up: a few renewals
MAX_LOSS_RATE = 0.25
TIMEOUT = 15.0
RENAMES = ("replace", "rename")


@pytest.fixture
def forks(tmp_path: Path) -> Iterator[ForkServer]:
    server = ForkServer(tmp_path / "child.log")
    yield server
    server.close()


def test_sigkill_across_refreshes_keeps_a_whole_token_file(
    tmp_path: Path, forks: ForkServer, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = Simulator(clock=SimClock(start=SIM_START), hourly_quota=10**6)
    rng = random.Random(20260621)
    plan: list[int | None] = [None] * RANDOM_KILLS + list(range(SAVE_KILLS))  # None: random
    rng.shuffle(plan)
    state_dir = tmp_path / "state"
    store = TokenStore(token_path(state_dir))
    kills: list[str] = []  # "random" or the killer's line, in order
    lost: list[bool] = []  # per kill: the next start found its refresh token rotated away
    with serve(sim) as server:
        cfg = demo_settings(server.url)

        def authorise() -> None:
            redirect = sim.authorize(DEMO_REDIRECT_URI)
            login(cfg, store, redirect_url=redirect, stdout=io.StringIO())

        def start(step: int | None) -> str:
            forks.start([str(state_dir), server.url] + ([] if step is None else [str(step)]))
            return forks.read_line(TIMEOUT)

        authorise()
        for step in [*plan, None]:  # the last start only checks what the last kill left
            on_disk = store.load()  # a half-written file would raise here
            assert on_disk is not None, "the token file is gone"
            said = start(step)
            if kills:
                lost.append(said == "dead")
            if said == "dead":
                # the only excusable failure: the cloud no longer knows the token on disk
                assert forks.reap() == 3
                assert not sim.refresh_token_valid(on_disk.refresh_token), (
                    "the child gave up on a refresh token the cloud still accepts"
                )
                assert not any(op in kills[-1].split(" after ")[-1] for op in RENAMES), (
                    f"the tokens were lost although the kill came after the rename: {kills[-1]}"
                )
                authorise()
                said = start(step)
            assert said == "up", f"the child did not carry on: {said!r}"
            if len(kills) == len(plan):
                forks.kill()
            elif step is None:
                forks.kill_after(rng.uniform(0, MAX_DELAY))
                kills.append("random")
            else:
                said = forks.read_line(TIMEOUT)
                assert said.startswith("kill "), f"no kill inside the save: {said!r}"
                assert forks.reap() == -signal.SIGKILL
                kills.append(said)
    refreshes = sim.calls[RENEW_PATH]
    outcomes = list(zip(kills, lost, strict=True))
    random_lost = sum(gone for kill, gone in outcomes if kill == "random")
    in_save = Counter(
        f"{kill.split(' after ')[0]}: {'lost' if gone else 'kept'}"
        for kill, gone in outcomes
        if kill != "random"
    )
    with capsys.disabled():
        print(
            f"\ntoken loss after SIGKILL at a random moment: {random_lost}/{RANDOM_KILLS} "
            f"({refreshes} refreshes in all); inside the save:"
        )
        for line, count in sorted(
            in_save.items(), key=lambda item: int(item[0].split()[1].split("/")[0])
        ):
            print(f"  {line} x{count}")
    assert refreshes >= 3 * len(kills), "the kills did not fall across many refreshes"
    assert random_lost <= MAX_LOSS_RATE * RANDOM_KILLS
