"""The regional day's simulation core (benchmarks/region_day.py): who calls when."""

from __future__ import annotations

import math
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from benchmarks import compressed_clock, region_day
from benchmarks.region_day import DAY_START, HOURS, ZONES, arrivals, expected_rates, schools
from core import clock

REGION = schools(1500, seed=1)
DAY = arrivals(REGION, 30_000, 8_000, seed=1)


def test_the_schools_spread_over_the_eleven_zones_by_their_shares():
    per_zone = Counter(s.zone for s in REGION)
    assert len(per_zone) == 11 and sum(per_zone.values()) == 1500
    assert {zone: round(1500 * share) for zone, share in ZONES} == {
        zone: per_zone[zone] for zone, _ in ZONES}
    assert per_zone["Europe/Moscow"] == 600 and per_zone["Asia/Kamchatka"] == 45


def test_the_day_has_about_30000_calls_and_8000_messages_inside_the_window():
    assert abs(len(DAY) - 30_000) < 5 * math.sqrt(30_000)
    messages = sum(a.kind == "message" for a in DAY)
    assert abs(messages - 8_000) < 5 * math.sqrt(8_000)
    assert all(DAY_START <= a.at < DAY_START + timedelta(hours=24) for a in DAY)
    assert [a.at for a in DAY] == sorted(a.at for a in DAY)
    assert {a.kind for a in DAY} == {"message", "live", "info", "hangup"}


def test_counts_per_zone_and_hour_follow_the_local_hour_profile():
    rates = expected_rates(REGION, 30_000)
    expected: Counter = Counter()
    for school, row in zip(REGION, rates, strict=True):
        for k, rate in enumerate(row):
            expected[school.zone, k] += rate
    observed = Counter((REGION[a.school].zone, int((a.at - DAY_START).total_seconds() // 3600))
                       for a in DAY)
    assert math.isclose(sum(expected.values()), 30_000)
    for cell, mean in expected.items():  # Poisson: within 5 standard deviations, every cell
        assert abs(observed[cell] - mean) <= 5 * math.sqrt(mean) + 2, (cell, observed[cell], mean)
    for zone, _ in ZONES:  # each zone's busiest hour is 9-10 in the morning, its own time
        busiest = max(range(24), key=lambda k, zone=zone: expected[zone, k])
        assert (DAY_START + timedelta(hours=busiest)).astimezone(ZoneInfo(zone)).hour == 9
        night = next(k for k in range(24)
                     if (DAY_START + timedelta(hours=k)).astimezone(ZoneInfo(zone)).hour == 3)
        assert observed[zone, busiest] > 5 * (observed[zone, night] + 1)


def test_every_school_lives_each_local_hour_once_and_the_seed_decides():
    kamchatka = next(s for s in REGION if s.zone == "Asia/Kamchatka")
    row = expected_rates([kamchatka], 100)[0]
    assert math.isclose(sum(row), 100)
    assert sorted(row) == sorted(100 * h / sum(HOURS) for h in HOURS)
    assert arrivals(REGION[:50], 1_000, 300, seed=7) == arrivals(REGION[:50], 1_000, 300, seed=7)
    assert arrivals(REGION[:50], 1_000, 300, seed=7) != arrivals(REGION[:50], 1_000, 300, seed=8)


def test_the_real_time_backlog_carries_what_the_workers_could_not_do():
    assert region_day.modeled_backlog([10, 50, 30, 0], per_hour=20) == [0, 30, 40, 20]


def test_the_compressed_clock_runs_factor_times_faster_from_the_start(monkeypatch):
    monkeypatch.setattr(clock, "datetime", clock.datetime)  # undone after the test
    start = datetime(2026, 9, 1, 18, 0, tzinfo=UTC)
    compressed_clock.install(f"{start.isoformat()},{time.time() - 10},144")
    now = clock.now()
    assert now.tzinfo is not None
    assert start + timedelta(seconds=1440) <= now < start + timedelta(seconds=1440 + 144 * 5)
