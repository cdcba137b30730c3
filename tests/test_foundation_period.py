"""Periods as users type them (CONTRACTS section 1): every form, the previous period, bounds in a timezone."""

from datetime import UTC, date, datetime

import pytest

from auditbridge.errors import UsageError
from auditbridge.period import last_complete_quarter, parse_period


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
        ("2026-07", date(2026, 7, 1), date(2026, 7, 31), "2026-07"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-02"),  # leap year
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31), "2026-H2"),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("2026-07-01..2026-09-30", date(2026, 7, 1), date(2026, 9, 30), "2026-07-01..2026-09-30"),
    ],
)
def test_forms(text, start, end, label):
    period = parse_period(text)
    assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize(
    "text", ["2026-Q5", "2026-13", "Q3", "", "2026-09-30..2026-07-01", "2026-02-30..2026-03-01"]
)
def test_refused_with_the_forms_named(text):
    with pytest.raises(UsageError) as exc:
        parse_period(text)
    assert repr(text) in str(exc.value) or "before the start" in str(exc.value)


def test_previous_periods():
    assert parse_period("2026-Q1").previous().label == "2025-Q4"
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026-H1").previous().label == "2025-H2"
    assert parse_period("2026").previous().label == "2025"
    # a 10-day range -> the 10 days before it
    assert parse_period("2026-07-11..2026-07-20").previous().label == "2026-07-01..2026-07-10"


def test_bounds_follow_daylight_saving():
    # 2026-Q1 in Paris: starts at 00:00 CET (+01:00) and ends at 00:00 CEST (+02:00) on 1 April
    start, end = parse_period("2026-Q1").bounds("Europe/Paris")
    assert start.astimezone(UTC) == datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 3, 31, 22, tzinfo=UTC)


def test_months_for_idle_cost():
    assert parse_period("2026-Q3").months == 3
    assert parse_period("2026-07-01..2026-07-16").months == pytest.approx(16 / 31)


def test_last_complete_quarter():
    assert last_complete_quarter(date(2026, 11, 27)).label == "2026-Q3"
    assert last_complete_quarter(date(2026, 1, 1)).label == "2025-Q4"
    assert last_complete_quarter(date(2026, 4, 1)).label == "2026-Q1"
