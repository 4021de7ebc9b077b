"""The call budget: batching arithmetic, and the interval that fits when it is too small."""

from __future__ import annotations

from bridge.config.model import Config, PollConfig
from bridge.isolarcloud.budget import (
    SLOWEST_INTERVAL,
    Fit,
    calls_per_inventory,
    calls_per_poll,
    estimate,
    fit,
)


def test_all_plants_share_one_plant_call_per_100_points() -> None:
    assert calls_per_poll(1, 40, {}, {}) == 1
    assert calls_per_poll(1000, 40, {}, {}) == 1
    assert calls_per_poll(3, 150, {}, {}) == 2
    assert calls_per_poll(0, 150, {14: 30}, {14: 1}) == 0


def test_devices_cost_one_call_per_type_per_100_points() -> None:
    assert calls_per_poll(2, 40, {14: 60, 43: 12, 7: 101}, {14: 2, 43: 2, 7: 2}) == 1 + 1 + 1 + 2


def test_devices_of_one_type_are_batched_by_100() -> None:
    # 1000 plants of 3 ESS devices each: 30 calls of 100 ps_keys for 60 points
    assert calls_per_poll(1000, 40, {14: 60}, {14: 3000}) == 1 + 30
    assert calls_per_poll(1000, 40, {14: 160}, {14: 3000}) == 1 + 30 * 2


def test_inventory_pages() -> None:
    # 1 plant-list page, 1 detail call, 1 device page per plant
    assert calls_per_inventory(2, {"a": 4, "b": 3}) == 1 + 1 + 2
    assert calls_per_inventory(45, dict.fromkeys(map(str, range(45)), 2)) == 1 + 3 + 45


def make_cfg(interval: int = 300, budget: int = 1800) -> Config:
    return Config(poll=PollConfig(interval=interval, hourly_call_budget=budget))


HYBRID = ({"p": 4}, 40, {14: 50, 43: 12, 7: 20, 22: 2}, {14: 1, 43: 1, 7: 1, 22: 1})


def test_a_typical_hybrid_plant_is_far_below_budget() -> None:
    cfg = make_cfg()
    est = estimate(cfg, *HYBRID)
    assert est.per_poll == 5
    assert est.scheduled_per_hour == 5 * 12 + 3 + 1
    assert fit(est, cfg) == Fit(300, stretched=False, note=None)


def test_over_budget_stretches_the_interval_to_one_that_fits() -> None:
    cfg = make_cfg(interval=60, budget=100)
    est = estimate(cfg, *HYBRID)
    verdict = fit(est, cfg)
    fits = est.interval_that_fits()
    assert fits is not None and verdict.interval == fits > 60
    assert verdict.stretched
    assert verdict.note is not None
    assert f"polling every {fits} s instead" in verdict.note
    assert "hourly_call_budget = 100" in verdict.note
    assert f"raise [poll] interval to at least {fits}" in verdict.note
    relaxed = make_cfg(interval=fits, budget=100)
    assert not estimate(relaxed, *HYBRID).over


def test_an_inventory_alone_over_budget_polls_at_the_slowest() -> None:
    cfg = make_cfg(interval=60, budget=3)  # the device lists alone need more
    verdict = fit(estimate(cfg, *HYBRID), cfg)
    assert (verdict.interval, verdict.stretched) == (SLOWEST_INTERVAL, True)
    assert "device_list_interval" in str(verdict.note)


def test_a_long_configured_interval_is_never_shortened() -> None:
    cfg = make_cfg(interval=7200, budget=3)
    assert fit(estimate(cfg, *HYBRID), cfg).interval == 7200


def test_near_budget_warns_without_stretching() -> None:
    cfg = make_cfg(interval=60, budget=350)
    verdict = fit(estimate(cfg, *HYBRID), cfg)
    assert not verdict.stretched and verdict.interval == 60
    assert "304 of 350 API calls an hour" in str(verdict.note)
