"""Business calendars: lunch breaks, weekends, holidays (added and removed days), DST nights, the inverse lookup.

Dates of 2026 used below: 1 July is a Wednesday, 3 July a Friday, 13 July a Monday, 14 July (Bastille Day) a
Tuesday; 22 May is a Friday and 25 May Whit Monday; 14 May Ascension (Thursday). Europe/Paris leaves summer
time on Sunday 25 October (02:00-03:00 happens twice) and enters it on Sunday 29 March (02:00-03:00 never
happens).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tasks.sla.calendar import build_timeline, closed_days
from tasks.sla.policy import load_policy

PARIS = ZoneInfo("Europe/Paris")
H = 3600
WEEK = ["09:00-12:30", "13:30-18:00"]


def policy(**holidays):
    return load_policy(
        {
            "timezone": "Europe/Paris",
            "calendars": {
                "office": {
                    "hours": {
                        "mon": WEEK,
                        "tue": WEEK,
                        "wed": WEEK,
                        "thu": WEEK,
                        "fri": ["09:00-12:30", "13:30-17:00"],
                    },
                    "holidays": {"country": "FR", **holidays},
                },
                "weekdays": {"hours": {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri")}},
                "always": "24x7",
            },
            "goals": [{"name": "g", "calendar": "office", "resolution": "1d"}],
        }
    )


def secs(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=PARIS).timestamp())


def between(cal: str, a: str, b: str, **holidays) -> int:
    p = policy(**holidays)
    tl = build_timeline(p.calendars[cal], p.timezone, date(2026, 1, 1), date(2026, 12, 31))
    return int(tl.between(np.array([secs(a)]), np.array([secs(b)]))[0])


def test_lunch_break_is_not_counted():
    # Wed 11:00-12:30 (1.5 h) + 13:30-15:00 (1.5 h)
    assert between("office", "2026-07-01 11:00", "2026-07-01 15:00") == 3 * H
    # a span entirely inside the lunch break is zero
    assert between("office", "2026-07-01 12:40", "2026-07-01 13:20") == 0


def test_weekend_and_short_friday():
    # Fri 16:00-17:00 (Friday closes at 17:00) + Mon 09:00-10:00
    assert between("office", "2026-07-03 16:00", "2026-07-06 10:00") == 2 * H
    # same on the 24-hour weekdays calendar: Fri 16:00-24:00 + Mon 00:00-10:00 = 18 h
    assert between("weekdays", "2026-07-03 16:00", "2026-07-06 10:00") == 18 * H


def test_public_holiday_and_added_day():
    # Mon 17:00-18:00, Tue 14 July holiday, Wed 15 July added, Thu 09:00-10:00
    assert between("office", "2026-07-13 17:00", "2026-07-16 10:00", add=["2026-07-15"]) == 2 * H
    # without the added day, Wednesday counts its 8 hours
    assert between("office", "2026-07-13 17:00", "2026-07-16 10:00") == 10 * H


def test_removed_holiday_is_worked():
    # Fri 22 May 16:00-17:00, Whit Monday 25 May worked (8 h), Tue 09:00-10:00
    assert between("office", "2026-05-22 16:00", "2026-05-26 10:00", remove=["2026-05-25"]) == 10 * H
    assert between("office", "2026-05-22 16:00", "2026-05-26 10:00") == 2 * H


def test_subdivision_adds_regional_holidays():
    p = policy(subdivision="57")  # Moselle: Good Friday (3 April 2026) and 26 December
    days = closed_days(p.calendars["office"], date(2026, 1, 1), date(2026, 12, 31))
    assert np.datetime64("2026-04-03") in days and np.datetime64("2026-12-26") in days
    assert len(closed_days(policy().calendars["office"], date(2026, 1, 1), date(2026, 12, 31))) == 11


def test_dst_nights_on_24x7():
    # autumn: 22:00 -> 06:00 local is 9 real hours (02:00-03:00 happens twice)
    assert between("always", "2026-10-24 22:00", "2026-10-25 06:00") == 9 * H
    # spring: 22:00 -> 06:00 local is 7 real hours (02:00-03:00 never happens)
    assert between("always", "2026-03-28 22:00", "2026-03-29 06:00") == 7 * H
    # a whole autumn Sunday has 25 hours, a spring Sunday 23
    assert between("always", "2026-10-25 00:00", "2026-10-26 00:00") == 25 * H
    assert between("always", "2026-03-29 00:00", "2026-03-30 00:00") == 23 * H


def test_office_hours_unchanged_by_dst():
    # Fri 23 Oct 16:00-17:00 + Mon 26 Oct 09:00-10:00: the clock change on Sunday adds nothing
    assert between("office", "2026-10-23 16:00", "2026-10-26 10:00") == 2 * H


def test_instant_is_the_inverse_lookup():
    p = policy()
    tl = build_timeline(p.calendars["office"], p.timezone, date(2026, 1, 1), date(2026, 12, 31))
    start = secs("2026-07-03 16:00")
    # 2 office hours after Fri 16:00 is Mon 10:00 (Fri closes at 17:00)
    assert tl.instant(tl.at(np.array([start])) + 2 * H)[0] == secs("2026-07-06 10:00")
    # 30 business minutes after Wed 12:00 is 12:30, when lunch starts; one second more is 13:30:01
    assert tl.instant(tl.at(np.array([secs("2026-07-01 12:00")])) + 1800)[0] == secs("2026-07-01 12:30")
    assert tl.instant(tl.at(np.array([secs("2026-07-01 12:00")])) + 1801)[0] == secs("2026-07-01 13:30") + 1


def test_agrees_with_businesstimedelta_on_random_spans():
    """An independent implementation (businesstimedelta walks day by day) on 300 random spans of 2026."""
    import businesstimedelta as btd
    import holidays
    import pytz

    tz = pytz.timezone("Europe/Paris")
    days = [0, 1, 2, 3, 4]
    rules = btd.Rules(
        [
            btd.WorkDayRule(start_time=time(9), end_time=time(18), working_days=days, tz=tz),
            btd.LunchTimeRule(start_time=time(12, 30), end_time=time(13, 30), working_days=days, tz=tz),
            btd.HolidayRule(holidays.country_holidays("FR", years=[2026]), tz=tz),
        ]
    )
    p = load_policy(
        {
            "timezone": "Europe/Paris",
            "calendars": {
                "o": {
                    "hours": {d: WEEK for d in ("mon", "tue", "wed", "thu", "fri")},
                    "holidays": {"country": "FR"},
                }
            },
            "goals": [{"name": "g", "calendar": "o", "resolution": "1d"}],
        }
    )
    tl = build_timeline(p.calendars["o"], p.timezone, date(2025, 12, 1), date(2027, 1, 31))
    rng = np.random.default_rng(7)
    start = int(datetime(2026, 1, 1, tzinfo=pytz.utc).timestamp())
    a = start + rng.integers(0, 360 * 86400, 300)
    b = a + rng.exponential(6 * 86400, 300).astype(np.int64)
    ours = tl.between(a, b)
    theirs = [
        int(
            rules.difference(
                datetime.fromtimestamp(int(x), tz=pytz.utc), datetime.fromtimestamp(int(y), tz=pytz.utc)
            ).timedelta.total_seconds()
        )
        for x, y in zip(a, b, strict=True)
    ]
    assert ours.tolist() == theirs


def test_timeline_covers_exactly_the_opening_ranges():
    p = policy()
    tl = build_timeline(p.calendars["office"], p.timezone, date(2026, 7, 1), date(2026, 7, 7))
    local = [
        (
            datetime.fromtimestamp(int(s), PARIS).strftime("%a %H:%M"),
            datetime.fromtimestamp(int(e), PARIS).strftime("%H:%M"),
        )
        for s, e in zip(tl.starts, tl.ends, strict=True)
    ]
    assert local == [
        ("Wed 09:00", "12:30"),
        ("Wed 13:30", "18:00"),
        ("Thu 09:00", "12:30"),
        ("Thu 13:30", "18:00"),
        ("Fri 09:00", "12:30"),
        ("Fri 13:30", "17:00"),
        ("Mon 09:00", "12:30"),
        ("Mon 13:30", "18:00"),
        ("Tue 09:00", "12:30"),
        ("Tue 13:30", "18:00"),
    ]
    assert int(tl.cum[-1]) == (4 * 8 + 7) * H
    # the 24-hour weekdays merge into one block per working week
    w = build_timeline(p.calendars["weekdays"], p.timezone, date(2026, 7, 6), date(2026, 7, 12))
    assert len(w.starts) == 1 and int(w.ends[0] - w.starts[0]) == 5 * 24 * H


@pytest.mark.parametrize("when", ["2026-07-04 10:00", "2026-07-14 10:00"])
def test_closed_day_spans_are_zero(when):
    # a Saturday and Bastille Day
    start = datetime.fromisoformat(when)
    assert between("office", when, (start + timedelta(hours=5)).strftime("%Y-%m-%d %H:%M")) == 0
