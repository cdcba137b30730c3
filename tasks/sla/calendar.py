"""Business calendars as sorted arrays of UTC intervals, so business time is two binary searches.

Why this shape: per-ticket libraries walk day by day through every ticket's life, which is slow and where DST
and holiday bugs hide. Here each calendar is laid out once over the span the audit needs: every opening
range of every open day, built in local wall-clock time and converted to UTC by the timezone database (so a
23- or 25-hour day is exactly that), public holidays removed. With the cumulative business seconds at each
interval start, `B(t)` = business seconds from the span start to instant `t` is one `np.searchsorted`; the
business time between two instants is `B(t2) - B(t1)`, and a deadline is the inverse lookup. Every ticket of
the file goes through in a few array operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from tasks.sla.policy import CalendarSpec


@dataclass(frozen=True)
class Timeline:
    """Merged business intervals [starts[i], ends[i]) in UTC epoch seconds, and business seconds before each."""

    name: str
    starts: np.ndarray  # int64, sorted
    ends: np.ndarray  # int64
    cum: np.ndarray  # int64, business seconds before interval i; len = n + 1 (last = total)

    def at(self, t: np.ndarray) -> np.ndarray:
        """B(t): business seconds between the span's start and each instant `t` (int64 epoch seconds)."""
        t = np.asarray(t, dtype=np.int64)
        if len(self.starts) == 0:
            return np.zeros(t.shape, dtype=np.int64)
        i = np.searchsorted(self.starts, t, side="right") - 1
        j = np.clip(i, 0, len(self.starts) - 1)
        inside = np.clip(t - self.starts[j], 0, self.ends[j] - self.starts[j])
        return np.where(i < 0, 0, self.cum[j] + inside)

    def between(self, t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
        """Business seconds in [t1, t2) (zero when t2 <= t1)."""
        return np.maximum(self.at(t2) - self.at(t1), 0)

    def instant(self, b: np.ndarray) -> np.ndarray:
        """Inverse of `at`: the first instant at which B reaches `b` (int64 epoch seconds; -1 past the span)."""
        b = np.asarray(b, dtype=np.int64)
        ends_cum = self.cum[1:]
        j = np.searchsorted(ends_cum, b, side="left")
        ok = (j < len(self.starts)) & (b >= 0)
        jj = np.clip(j, 0, max(len(self.starts) - 1, 0))
        return np.where(ok, self.starts[jj] + (b - self.cum[jj]), -1)

    @property
    def span(self) -> tuple[int, int]:
        return (int(self.starts[0]), int(self.ends[-1])) if len(self.starts) else (0, 0)


def closed_days(spec: CalendarSpec, first: date, last: date) -> np.ndarray:
    """Public holidays of the calendar's country/region between two dates, plus `add`, minus `remove`."""
    days: set[date] = set()
    if spec.holidays.country:
        import holidays

        found = holidays.country_holidays(
            spec.holidays.country, subdiv=spec.holidays.subdivision, years=range(first.year, last.year + 1)
        )
        days.update(found.keys())
    days.update(spec.holidays.add)
    days.difference_update(spec.holidays.remove)
    return np.array(sorted(d for d in days if first <= d <= last), dtype="datetime64[D]")


def build_timeline(spec: CalendarSpec, timezone: str, first: date, last: date) -> Timeline:
    """Lay a calendar out over the local days `first`..`last` (inclusive) as merged UTC intervals.

    Each opening range becomes local start/end wall times, localised with the zone's rules: a range
    starting in a repeated hour (autumn) starts at the first occurrence and ends at the last; a wall time
    that does not exist (spring) moves forward to the first that does, so the 02:00-03:00 hour that never
    happens is never counted.
    """
    if spec.always:
        start = pd.Timestamp(first).tz_localize(timezone).tz_convert("UTC").value // 10**9
        end = pd.Timestamp(last + timedelta(days=1)).tz_localize(timezone).tz_convert("UTC").value // 10**9
        starts, ends = np.array([start], dtype=np.int64), np.array([end], dtype=np.int64)
        return Timeline(spec.name, starts, ends, np.array([0, end - start], dtype=np.int64))

    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    open_day = ~np.isin(days, closed_days(spec, first, last))
    local_starts, local_ends = [], []
    for wd, ranges in spec.hours.items():
        sel = days[(weekday == wd) & open_day].astype("datetime64[m]")
        for s, e in ranges:
            local_starts.append(sel + np.timedelta64(s, "m"))
            local_ends.append(sel + np.timedelta64(e, "m"))
    if not local_starts:
        empty = np.array([], dtype=np.int64)
        return Timeline(spec.name, empty, empty, np.zeros(1, dtype=np.int64))
    ls = np.concatenate(local_starts)
    le = np.concatenate(local_ends)
    starts = _to_utc_seconds(ls, timezone, first_occurrence=True)
    ends = _to_utc_seconds(le, timezone, first_occurrence=False)
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    starts, ends = _merge(starts, ends)
    lengths = ends - starts
    cum = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return Timeline(spec.name, starts, ends, cum)


def _to_utc_seconds(local: np.ndarray, timezone: str, *, first_occurrence: bool) -> np.ndarray:
    idx = pd.DatetimeIndex(local.astype("datetime64[s]"))
    ambiguous = np.full(len(idx), first_occurrence)  # True = the DST (earlier) reading of a repeated hour
    utc = idx.tz_localize(timezone, ambiguous=ambiguous, nonexistent="shift_forward").tz_convert("UTC")
    return utc.as_unit("s").asi8.astype(np.int64)


def _merge(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join touching or overlapping intervals (24-hour days become one block; DST edge overlaps vanish)."""
    if len(starts) == 0:
        return starts, ends
    reach = np.maximum.accumulate(ends)
    new = np.ones(len(starts), dtype=bool)
    new[1:] = starts[1:] > reach[:-1]
    group_starts = starts[new]
    last_of_group = np.append(np.flatnonzero(new)[1:] - 1, len(starts) - 1)
    return group_starts, reach[last_of_group]


def build_timelines(
    calendars: dict[str, CalendarSpec],
    timezone: str,
    first: date,
    last: date,
    *,
    needed: set[str] | None = None,
) -> dict[str, Timeline]:
    """Every calendar the goals use, over the same span of local days."""
    return {
        name: build_timeline(spec, timezone, first, last)
        for name, spec in calendars.items()
        if needed is None or name in needed
    }
