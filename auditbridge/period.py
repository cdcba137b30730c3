"""Audit periods: `2026-Q3`, `2026-07`, `2026-H2`, `2026`, `2026-07-01..2026-09-30` (CONTRACTS section 1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from auditbridge.errors import UsageError

_FORMS = "2026-Q3, 2026-07, 2026-H2, 2026 or 2026-07-01..2026-09-30"


def _month_start(year: int, month: int) -> date:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, 1)


@dataclass(frozen=True)
class Period:
    """A closed range of calendar days, evaluated in the audit's timezone."""

    start: date
    end: date  # inclusive
    label: str
    kind: str  # quarter | month | half | year | range

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> float:
        """Length in months, for idle licence cost: whole months count 1 each, partial ones pro rata."""
        total = 0.0
        cursor = self.start
        while cursor <= self.end:
            month_start = cursor.replace(day=1)
            next_month = _month_start(month_start.year, month_start.month + 1)
            last = min(self.end, next_month - timedelta(days=1))
            total += ((last - cursor).days + 1) / (next_month - month_start).days
            cursor = last + timedelta(days=1)
        return round(total, 6)

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """Start (inclusive) and end (exclusive) instants in `tz`, midnight to midnight."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.start, datetime.min.time(), tzinfo=zone)
        end = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        return start, end

    def previous(self) -> Period:
        """The period of the same length just before this one (previous quarter, month, half, year)."""
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            y, q = (self.start.year, q - 1) if q > 1 else (self.start.year - 1, 4)
            return parse_period(f"{y}-Q{q}")
        if self.kind == "month":
            s = _month_start(self.start.year, self.start.month - 1)
            return parse_period(f"{s.year}-{s.month:02d}")
        if self.kind == "half":
            h = 1 if self.start.month == 7 else 2
            y = self.start.year if h == 1 else self.start.year - 1
            return parse_period(f"{y}-H{h}")
        if self.kind == "year":
            return parse_period(str(self.start.year - 1))
        end = self.start - timedelta(days=1)
        start = end - timedelta(days=self.days - 1)
        return parse_period(f"{start.isoformat()}..{end.isoformat()}")

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "kind": self.kind,
        }

    def __str__(self) -> str:
        return self.label


def parse_period(text: str) -> Period:
    """Parse a period as users write it; raise UsageError naming the accepted forms otherwise."""
    raw = (text or "").strip()
    try:
        if m := re.fullmatch(r"(\d{4})-?[Qq]([1-4])", raw):
            y, q = int(m[1]), int(m[2])
            start = date(y, 3 * q - 2, 1)
            end = _month_start(y, 3 * q + 1) - timedelta(days=1)
            return Period(start, end, f"{y}-Q{q}", "quarter")
        if m := re.fullmatch(r"(\d{4})-?[Hh]([12])", raw):
            y, h = int(m[1]), int(m[2])
            start = date(y, 1 if h == 1 else 7, 1)
            end = date(y, 6, 30) if h == 1 else date(y, 12, 31)
            return Period(start, end, f"{y}-H{h}", "half")
        if m := re.fullmatch(r"(\d{4})-(\d{2})", raw):
            y, mo = int(m[1]), int(m[2])
            start = date(y, mo, 1)
            end = _month_start(y, mo + 1) - timedelta(days=1)
            return Period(start, end, f"{y}-{mo:02d}", "month")
        if m := re.fullmatch(r"(\d{4})", raw):
            y = int(m[1])
            return Period(date(y, 1, 1), date(y, 12, 31), str(y), "year")
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", raw):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if end < start:
                raise UsageError(f"period {raw!r}: the end {end} is before the start {start}")
            return Period(start, end, f"{start.isoformat()}..{end.isoformat()}", "range")
    except ValueError as exc:  # e.g. month 13, 2026-02-30
        raise UsageError(f"period {raw!r} is not a valid date range: {exc}") from None
    raise UsageError(f"period {raw!r} not understood: expected one of {_FORMS}")


def last_complete_quarter(today: date) -> Period:
    """The quarter that ended most recently before `today` (the quarterly schedule's default)."""
    q = (today.month - 1) // 3 + 1
    y, q = (today.year, q - 1) if q > 1 else (today.year - 1, 4)
    return parse_period(f"{y}-Q{q}")
