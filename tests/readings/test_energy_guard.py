"""EnergyGuard: counters never fall where Home Assistant would count twice."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from bridge.catalogue.definitions import extra_metric
from bridge.catalogue.metric import PLANT_LEVEL, Metric, MetricValue
from bridge.catalogue.metrics import metrics_for
from bridge.readings.energy_guard import EnergyGuard
from bridge.readings.model import Reading

METRICS: dict[str, Metric] = {m.key: m for m in metrics_for(PLANT_LEVEL)} | {
    "p83012": extra_metric("83012", PLANT_LEVEL, None)
}
ASIA = timezone(timedelta(hours=8))  # ps_current_time_zone "GMT+8"
AMERICA = timezone(timedelta(hours=-5))  # "GMT-5"
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def reading(
    values: Mapping[str, MetricValue], fetched_at: datetime = T0, ts: datetime | None = None
) -> Reading:
    return Reading("4711", None, ts, fetched_at, dict(values))


def publish(
    guard: EnergyGuard,
    key: str,
    value: MetricValue,
    at: datetime = T0,
    *,
    tz: tzinfo = ASIA,
    ts: datetime | None = None,
) -> MetricValue:
    return guard.apply("4711", reading({key: value}, at, ts), METRICS, tz).values[key]


def test_lifetime_counter_never_goes_below_the_last_published_value() -> None:
    guard = EnergyGuard(None)
    with capture_logs() as logs:
        published = [publish(guard, "energy_total", v) for v in (100.0, 99.9, 0.0, 100.5, 100.4)]
    assert published == [100.0, 100.0, 100.0, 100.5, 100.5]
    held = [e for e in logs if e["event"] == "energy_guard.held"]
    assert [(e["metric"], e["value"], e["published"]) for e in held] == [
        ("energy_total", 99.9, 100.0),
        ("energy_total", 0.0, 100.0),
        ("energy_total", 100.4, 100.5),
    ]


def test_none_passes_through_and_keeps_the_memory() -> None:
    guard = EnergyGuard(None)
    assert publish(guard, "energy_total", 10.0) == 10.0
    assert publish(guard, "energy_total", None) is None
    assert publish(guard, "energy_total", 9.0) == 10.0
    assert publish(guard, "energy_today", None) is None
    assert publish(guard, "energy_today", 0.0) == 0.0


def test_negative_counters_are_glitches() -> None:
    guard = EnergyGuard(None)
    # seen on 83124 (bugjam/hass-isolarcloud issue #25)
    assert publish(guard, "load_energy_total", -478.7) is None
    assert publish(guard, "load_energy_total", 12.0) == 12.0
    assert publish(guard, "load_energy_total", -1.0) == 12.0
    evening = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 23:00 in GMT+8
    assert publish(guard, "energy_today", 5.0, evening) == 5.0
    assert publish(guard, "energy_today", -1.0, evening) == 5.0
    # next local day: yesterday's 5.0 is no value for today
    assert publish(guard, "energy_today", -1.0, evening + timedelta(hours=2)) is None


def test_sources_and_metrics_are_guarded_separately() -> None:
    guard = EnergyGuard(None)
    guard.apply("4711", reading({"energy_total": 50.0, "grid_import_total": 5.0}), METRICS, ASIA)
    other = guard.apply("4711_14_1_1", reading({"energy_total": 10.0}), METRICS, ASIA)
    assert other.values["energy_total"] == 10.0
    assert publish(guard, "grid_import_total", 6.0) == 6.0


def test_non_counters_and_extra_points_are_untouched() -> None:
    guard = EnergyGuard(None)
    first = reading({"power": 3000.0, "battery_soc": 80.0, "p83012": 600.0, "unlisted": 5.0})
    second = reading({"power": 10.0, "battery_soc": 20.0, "p83012": 1.0, "unlisted": 1.0})
    guard.apply("4711", first, METRICS, ASIA)
    assert guard.apply("4711", second, METRICS, ASIA).values == second.values


def test_reading_fields_other_than_values_are_kept() -> None:
    guard = EnergyGuard(None)
    original = reading({"energy_total": 1.0}, T0, T0.astimezone(ASIA))
    guarded = guard.apply("4711", original, METRICS, ASIA)
    assert (guarded.ps_id, guarded.device, guarded.ts, guarded.fetched_at) == (
        original.ps_id,
        original.device,
        original.ts,
        original.fetched_at,
    )


@pytest.mark.parametrize("use_ts", [False, True], ids=["fetched_at", "sample_time"])
def test_daily_counter_resets_at_midnight_in_gmt_plus_8(use_ts: bool) -> None:
    # plant-local midnight of 2 March in GMT+8 is 1 March 16:00 UTC; both sides share a UTC date
    def at(hour: int, minute: int, value: float) -> MetricValue:
        moment = datetime(2026, 3, 1, hour, minute, tzinfo=UTC)
        ts = moment.astimezone(ASIA) if use_ts else None
        return publish(guard, "energy_today", value, moment, tz=ASIA, ts=ts)

    guard = EnergyGuard(None)
    assert at(15, 40, 20.0) == 20.0  # 23:40 local
    assert at(15, 50, 19.5) == 20.0  # 23:50 local: a dip the same day is held
    assert at(16, 5, 0.1) == 0.1  # 00:05 local: a new day, the reset goes through
    assert at(16, 10, 0.0) == 0.1  # and a dip after it is held again
    assert at(16, 20, 0.3) == 0.3


@pytest.mark.parametrize("use_ts", [False, True], ids=["fetched_at", "sample_time"])
def test_daily_counter_resets_at_midnight_in_gmt_minus_5(use_ts: bool) -> None:
    # plant-local midnight of 2 March in GMT-5 is 2 March 05:00 UTC
    def at(day: int, hour: int, minute: int, value: float) -> MetricValue:
        moment = datetime(2026, 3, day, hour, minute, tzinfo=UTC)
        ts = moment.astimezone(AMERICA) if use_ts else None
        return publish(guard, "grid_import_today", value, moment, tz=AMERICA, ts=ts)

    guard = EnergyGuard(None)
    assert at(1, 23, 50, 10.0) == 10.0  # 18:50 local on 1 March
    assert at(2, 0, 10, 0.5) == 10.0  # UTC midnight is not the plant's: held
    assert at(2, 4, 55, 12.0) == 12.0  # 23:55 local
    assert at(2, 5, 5, 0.2) == 0.2  # 00:05 local on 2 March: reset allowed


def test_daily_value_dated_before_the_last_one_is_held() -> None:
    guard = EnergyGuard(None)
    day2 = datetime(2026, 3, 2, 1, 0, tzinfo=ASIA)
    day1 = datetime(2026, 3, 1, 23, 55, tzinfo=ASIA)
    assert publish(guard, "energy_today", 0.4, T0, ts=day2) == 0.4
    # a late sample of yesterday (big value) must not count yesterday again today
    assert publish(guard, "energy_today", 20.0, T0, ts=day1) == 0.4
    assert publish(guard, "energy_today", 0.5, T0, ts=day2) == 0.5


def test_counters_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "counters.toml"
    guard = EnergyGuard(path)
    evening = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 23:00 in GMT+8
    assert publish(guard, "energy_total", 100.0, evening) == 100.0
    assert publish(guard, "energy_today", 20.0, evening) == 20.0
    guard.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    restarted = EnergyGuard(path)
    assert publish(restarted, "energy_total", 0.0, evening) == 100.0
    assert publish(restarted, "energy_today", 1.0, evening) == 20.0
    after_midnight = evening + timedelta(hours=1, minutes=5)
    assert publish(restarted, "energy_today", 0.1, after_midnight) == 0.1
    restarted.save()
    assert publish(EnergyGuard(path), "energy_today", 0.0, after_midnight) == 0.1


def test_save_writes_only_when_something_changed(tmp_path: Path) -> None:
    path = tmp_path / "counters.toml"
    guard = EnergyGuard(path)
    publish(guard, "energy_total", None)
    guard.save()
    assert not path.exists()
    publish(guard, "energy_total", 5.0)
    guard.save()
    before = path.stat().st_mtime_ns
    path.write_text("touched by the test\n")
    publish(guard, "energy_total", 4.0)  # held: nothing new to remember
    publish(guard, "energy_total", 5.0)
    guard.save()
    assert path.read_text() == "touched by the test\n"
    assert before > 0
    EnergyGuard(None).save()  # in memory only: nothing to do, no error


@pytest.mark.parametrize(
    "content",
    [
        b"this is [not toml",
        b"\xff\xfe\x00garbage",
        b"",
        b"version = 1\ncounters = 3\n",
        b"version = 99\n[counters]\n",
        b'version = 1\n[counters.4711.energy_total]\nvalue = "a lot"\n',
        b"version = 1\n[counters.4711.energy_today]\nvalue = 1.0\nday = 2026-03-01T10:00:00\n",
        b"version = 1\n[counters.4711]\nenergy_total = 5\n",
    ],
    ids=["syntax", "binary", "empty", "counters-not-table", "version", "value", "day", "entry"],
)
def test_a_corrupt_state_file_starts_empty_with_a_warning(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "counters.toml"
    path.write_bytes(content)
    guard = EnergyGuard(path)  # reads the file when first used, not when built
    with capture_logs() as logs:
        assert publish(guard, "energy_total", 3.0) == 3.0
    warnings = [e for e in logs if e["event"] == "energy_guard.state_unreadable"]
    assert len(warnings) == 1
    assert warnings[0]["log_level"] == "warning"
    assert warnings[0]["path"] == str(path)
    guard.save()
    assert publish(EnergyGuard(path), "energy_total", 2.0) == 3.0


def test_an_unreadable_state_file_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "counters.toml"
    path.mkdir()  # a directory where the file should be: reading it fails
    guard = EnergyGuard(path)
    with capture_logs() as logs:
        assert publish(guard, "energy_total", 1.0) == 1.0
    assert [e["event"] for e in logs] == ["energy_guard.state_unreadable"]


values = st.one_of(st.none(), st.floats(min_value=-10, max_value=1e6, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(st.lists(values, max_size=40))
def test_published_lifetime_series_never_falls_and_none_stays_none(
    series: list[float | None],
) -> None:
    guard = EnergyGuard(None)
    published = [publish(guard, "energy_total", v) for v in series]
    numbers = [p for p in published if p is not None]
    assert numbers == sorted(numbers)
    assert all(isinstance(p, float) and p >= 0 for p in numbers)
    for sent, out in zip(series, published, strict=True):
        if sent is None:
            assert out is None  # a missing read is null, never 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(values, st.integers(min_value=0, max_value=180)), max_size=40))
def test_published_daily_series_falls_only_across_local_midnight(
    steps: list[tuple[float | None, int]],
) -> None:
    guard = EnergyGuard(None)
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    last: tuple[object, float] | None = None
    for value, minutes in steps:
        moment += timedelta(minutes=minutes)
        out = publish(guard, "energy_today", value, moment, tz=AMERICA)
        if value is None:
            assert out is None
            continue
        day = moment.astimezone(AMERICA).date()
        if out is None:
            assert value < 0  # a glitch with nothing of today's to hold
            continue
        assert isinstance(out, float)
        if last is not None and last[0] == day:
            assert out >= last[1]
        last = (day, out)
