"""RefreshRules: the one place that says when the cloud may be asked again."""

from __future__ import annotations

from bridge.daemon.refresh import RefreshRules


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_per_plant() -> None:
    clock = Clock()
    rules = RefreshRules(60, clock, lambda: 0.0)
    assert rules.wait(["a"]) == 0
    rules.fetched(["a"])
    clock.now += 20
    assert rules.wait(["a"]) == 40
    assert rules.wait(["b"]) == 0
    assert rules.wait(["a", "b"]) == 40
    clock.now += 40
    assert rules.wait(["a"]) == 0


def test_a_rate_limit_holds_every_plant_until_it_ends() -> None:
    clock = Clock()
    rules = RefreshRules(60, clock, lambda: 0.0)
    rules.rate_limited(300)
    clock.now += 100
    assert rules.wait(["never-fetched"]) == 200
    rules.rate_limited(None)  # a successful poll: the cloud no longer asks us to wait
    assert rules.wait(["never-fetched"]) == 0


def test_the_budget_wait_is_the_exact_one_it_is_given() -> None:
    budget = [12.5]
    rules = RefreshRules(60, Clock(), lambda: budget[0])
    assert rules.wait(["a"]) == 12.5
    assert rules.budget_wait() == 12.5
    budget[0] = 0.0
    assert rules.wait(["a"]) == 0


def test_the_longest_hold_wins() -> None:
    clock = Clock()
    rules = RefreshRules(60, clock, lambda: 30.0)
    rules.fetched(["a"])
    rules.rate_limited(45)
    assert rules.wait(["a"]) == 60
    clock.now += 20
    assert rules.wait(["a"]) == 40
    assert rules.wait(["b"]) == 30
