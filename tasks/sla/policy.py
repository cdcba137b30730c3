"""The SLA policy, `sla.yaml` (CONTRACTS section 4): read it, check everything, explain every mistake.

A policy is written once by people who are not programmers and then trusted for every audit, so it is
refused as a whole with one line per problem (its key path and what was expected) rather than half used.
The checks are the mistakes that make SLA reports wrong: an overnight range written backwards
(`18:00-09:00`), overlapping ranges that count an hour twice, a status that does not exist (so a pause
never pauses), a duration without a unit, a goal pointing at a calendar that is not defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from auditbridge.datasets import STATUSES
from auditbridge.errors import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BUILTIN_24X7 = "24x7"
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
DEFAULT_STATUSES = {"pause": ("pending",), "stop": ("resolved", "closed"), "cancel": ("cancelled",)}


@dataclass(frozen=True)
class HolidaySpec:
    """Closed days: a country's public holidays (optionally a region's), plus and minus named days."""

    country: str | None = None
    subdivision: str | None = None
    add: tuple[date, ...] = ()
    remove: tuple[date, ...] = ()


@dataclass(frozen=True)
class CalendarSpec:
    """Opening ranges per weekday (0 = Monday) in minutes since local midnight, end exclusive, up to 1440."""

    name: str
    hours: dict[int, tuple[tuple[int, int], ...]]
    holidays: HolidaySpec = field(default_factory=HolidaySpec)
    always: bool = False  # the built-in 24x7: every second of every day, no holidays

    @property
    def weekly_seconds(self) -> int:
        return sum((e - s) * 60 for ranges in self.hours.values() for s, e in ranges)


@dataclass(frozen=True)
class Goal:
    """A target set: the first goal whose every `match` column fits the ticket applies."""

    name: str
    match: dict[str, tuple[str | None, ...]]  # column -> accepted values (None = the cell is empty)
    calendar: str
    first_response_s: int | None = None
    resolution_s: int | None = None


@dataclass(frozen=True)
class Policy:
    timezone: str
    calendars: dict[str, CalendarSpec]
    pause: tuple[str, ...]
    stop: tuple[str, ...]
    cancel: tuple[str, ...]
    goals: tuple[Goal, ...]
    source: str = "<policy>"

    def to_dict(self) -> dict:
        """A JSON-friendly echo of the policy as understood, for metrics.json and the report's appendix."""
        return {
            "timezone": self.timezone,
            "calendars": {
                name: (
                    BUILTIN_24X7
                    if cal.always
                    else {
                        "hours": {
                            WEEKDAYS[d]: [f"{_hhmm(s)}-{_hhmm(e)}" for s, e in r]
                            for d, r in sorted(cal.hours.items())
                        },
                        "holidays": {
                            "country": cal.holidays.country,
                            "subdivision": cal.holidays.subdivision,
                            "add": [d.isoformat() for d in cal.holidays.add],
                            "remove": [d.isoformat() for d in cal.holidays.remove],
                        },
                    }
                )
                for name, cal in self.calendars.items()
            },
            "statuses": {"pause": list(self.pause), "stop": list(self.stop), "cancel": list(self.cancel)},
            "goals": [
                {
                    "name": g.name,
                    "match": {k: list(v) for k, v in g.match.items()},
                    "calendar": g.calendar,
                    "first_response_s": g.first_response_s,
                    "resolution_s": g.resolution_s,
                }
                for g in self.goals
            ],
        }


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_duration(value: Any) -> int:
    """`30m`, `4h`, `3d`, `1d4h` -> seconds of business time (a day is 24 such hours). ValueError otherwise."""
    text = str(value).strip().lower().replace(" ", "") if isinstance(value, str) else None
    m = _DURATION.match(text) if text else None
    if not m or not any(m.groups()):
        raise ValueError(f"expected a duration such as 30m, 4h, 3d or 1d4h, found {value!r}")
    d, h, mins = (int(g or 0) for g in m.groups())
    seconds = ((d * 24 + h) * 60 + mins) * 60
    if seconds <= 0:
        raise ValueError(f"a target must be longer than zero, found {value!r}")
    return seconds


def _parse_range(text: Any) -> tuple[int, int]:
    m = _RANGE.match(str(text).strip()) if isinstance(text, str) else None
    if not m:
        raise ValueError(f'expected an opening range such as "09:00-12:30", found {text!r}')
    h1, m1, h2, m2 = (int(x) for x in m.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ValueError(f"times go from 00:00 to 24:00, found {text!r}")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise ValueError(
            f"range {text!r} ends before it starts: write ranges within one day "
            '(an overnight shift is "18:00-24:00" on one day and "00:00-09:00" on the next)'
        )
    return start, end


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, found {value!r}") from None


class _Checker:
    """Collects problems with their key path, so the user fixes the whole file in one go."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def unknown_keys(self, where: str, data: dict, allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                self.add(
                    f"{where}.{key}" if where else str(key),
                    f"unknown key (expected one of: {', '.join(allowed)})",
                )


def _calendar(name: str, raw: Any, chk: _Checker) -> CalendarSpec | None:
    where = f"calendars.{name}"
    if isinstance(raw, str):
        if raw.strip().lower() == BUILTIN_24X7:
            return CalendarSpec(name, {d: ((0, 1440),) for d in range(7)}, always=True)
        chk.add(
            where,
            f"expected the built-in {BUILTIN_24X7!r} or a mapping with `hours` and `holidays`, found {raw!r}",
        )
        return None
    if not isinstance(raw, dict):
        chk.add(where, "expected a mapping with `hours` (and optionally `holidays`)")
        return None
    chk.unknown_keys(where, raw, ("hours", "holidays"))
    hours_raw = raw.get("hours")
    hours: dict[int, tuple[tuple[int, int], ...]] = {}
    if not isinstance(hours_raw, dict) or not hours_raw:
        chk.add(
            f"{where}.hours",
            'expected weekdays (mon..sun) with their opening ranges, e.g. mon: ["09:00-18:00"]',
        )
    else:
        for day, ranges in hours_raw.items():
            key = str(day).strip().lower()[:3]
            dwhere = f"{where}.hours.{day}"
            if key not in WEEKDAYS or str(day).strip().lower() not in (key, _long(key)):
                chk.add(dwhere, f"unknown weekday (expected one of: {', '.join(WEEKDAYS)})")
                continue
            if ranges is None:
                ranges = []
            if isinstance(ranges, str):
                ranges = [ranges]
            if not isinstance(ranges, list):
                chk.add(dwhere, 'expected a list of ranges such as ["09:00-12:30", "13:30-18:00"]')
                continue
            parsed = []
            for i, text in enumerate(ranges):
                try:
                    parsed.append(_parse_range(text))
                except ValueError as exc:
                    chk.add(f"{dwhere}[{i}]", str(exc))
            parsed.sort()
            for (s1, e1), (s2, e2) in zip(parsed, parsed[1:], strict=False):
                if s2 < e1:
                    chk.add(
                        dwhere,
                        f"ranges {_hhmm(s1)}-{_hhmm(e1)} and {_hhmm(s2)}-{_hhmm(e2)} overlap: "
                        "an hour would count twice",
                    )
            if parsed:
                hours[WEEKDAYS.index(key)] = tuple(parsed)
        if not hours and not any(p.startswith(f"{where}.hours.") for p in chk.problems):
            chk.add(f"{where}.hours", "no opening hours at all: no clock could ever run on this calendar")
    spec = _holidays(where, raw.get("holidays"), chk)
    return CalendarSpec(name, hours, spec or HolidaySpec())


def _long(key: str) -> str:
    return {
        "mon": "monday",
        "tue": "tuesday",
        "wed": "wednesday",
        "thu": "thursday",
        "fri": "friday",
        "sat": "saturday",
        "sun": "sunday",
    }[key]


def _holidays(where: str, raw: Any, chk: _Checker) -> HolidaySpec | None:
    if raw is None:
        return None
    where = f"{where}.holidays"
    if not isinstance(raw, dict):
        chk.add(where, "expected a mapping with country, subdivision, add, remove")
        return None
    chk.unknown_keys(where, raw, ("country", "subdivision", "add", "remove"))
    country = raw.get("country")
    subdivision = raw.get("subdivision")
    country = str(country).strip().upper() if country not in (None, "") else None
    subdivision = str(subdivision).strip() if subdivision not in (None, "") else None
    if subdivision and not country:
        chk.add(f"{where}.subdivision", "a subdivision needs a country")
    if country:
        import holidays  # only when a policy names a country

        try:
            holidays.country_holidays(country, subdiv=subdivision, years=[2000])
        except NotImplementedError as exc:
            if subdivision and "subdivision" in str(exc):
                known = ", ".join(holidays.country_holidays(country).subdivisions)
                chk.add(
                    f"{where}.subdivision",
                    f"unknown subdivision {subdivision!r} of {country} (expected one of: {known})",
                )
            else:
                chk.add(
                    f"{where}.country",
                    f"unknown country {country!r} (expected an ISO 3166 code such as FR, DE, GB)",
                )
    days: dict[str, tuple[date, ...]] = {}
    for key in ("add", "remove"):
        values = raw.get(key) or []
        if not isinstance(values, list):
            values = [values]
        out = []
        for i, v in enumerate(values):
            try:
                out.append(_date(v))
            except ValueError as exc:
                chk.add(f"{where}.{key}[{i}]", str(exc))
        days[key] = tuple(sorted(set(out)))
    return HolidaySpec(country, subdivision, days["add"], days["remove"])


def _statuses(raw: Any, chk: _Checker) -> dict[str, tuple[str, ...]]:
    out = dict(DEFAULT_STATUSES)
    if raw is None:
        return out
    if not isinstance(raw, dict):
        chk.add("statuses", "expected a mapping with pause, stop, cancel")
        return out
    chk.unknown_keys("statuses", raw, ("pause", "stop", "cancel"))
    for key in ("pause", "stop", "cancel"):
        if key not in raw:
            continue
        values = raw[key] or []
        values = [values] if isinstance(values, str) else values
        if not isinstance(values, list):
            chk.add(f"statuses.{key}", "expected a list of statuses")
            continue
        good = []
        for i, v in enumerate(values):
            s = str(v).strip().lower()
            if s not in STATUSES:
                chk.add(
                    f"statuses.{key}[{i}]", f"unknown status {v!r} (expected one of: {', '.join(STATUSES)})"
                )
            else:
                good.append(s)
        out[key] = tuple(good)
    seen: dict[str, str] = {}
    for key in ("pause", "stop", "cancel"):
        for s in out[key]:
            if s in seen:
                chk.add(
                    f"statuses.{key}",
                    f"status {s!r} is already listed under {seen[s]!r}: a status has one role",
                )
            seen[s] = key
    if not out["stop"]:
        chk.add("statuses.stop", "at least one stop status is needed, or no resolution clock ever stops")
    return out


def _goal(i: int, raw: Any, calendars: dict[str, CalendarSpec], chk: _Checker) -> Goal | None:
    where = f"goals[{i}]"
    if not isinstance(raw, dict):
        chk.add(where, "expected a mapping with name, match, calendar and targets")
        return None
    chk.unknown_keys(where, raw, ("name", "match", "calendar", "first_response", "resolution"))
    name = str(raw.get("name") or "").strip()
    if not name:
        chk.add(f"{where}.name", "every goal needs a name (it labels the report's rows)")
    match_raw = raw.get("match", {})
    match: dict[str, tuple[str | None, ...]] = {}
    if match_raw is None:
        match_raw = {}
    if not isinstance(match_raw, dict):
        chk.add(
            f"{where}.match", "expected a mapping column -> value or list of values ({} matches every ticket)"
        )
    else:
        for col, val in match_raw.items():
            vals = val if isinstance(val, list) else [val]
            if not vals:
                chk.add(f"{where}.match.{col}", "an empty list matches no ticket")
            match[str(col)] = tuple(
                None if v is None or str(v).strip() == "" else str(v).strip() for v in vals
            )
    cal = str(raw.get("calendar") or "").strip()
    if not cal:
        chk.add(
            f"{where}.calendar",
            f"every goal needs a calendar (one of: {', '.join(calendars) or 'none defined'}, or {BUILTIN_24X7})",
        )
    elif cal not in calendars and cal != BUILTIN_24X7:
        chk.add(
            f"{where}.calendar",
            f"unknown calendar {cal!r} (expected one of: {', '.join([*calendars, BUILTIN_24X7])})",
        )
    targets: dict[str, int | None] = {}
    for key in ("first_response", "resolution"):
        value = raw.get(key)
        if value is None:
            targets[key] = None
            continue
        try:
            targets[key] = parse_duration(value)
        except ValueError as exc:
            chk.add(f"{where}.{key}", str(exc))
            targets[key] = None
    return Goal(name, match, cal, targets["first_response"], targets["resolution"])


def load_policy(source: str | Path | dict, *, default_timezone: str | None = None) -> Policy:
    """Read and check an SLA policy from a YAML file or an already-parsed mapping (inline in audit.yaml).

    `default_timezone` (the audit's) applies when the policy does not name one. Raises ConfigError with
    every problem found, each with its key path.
    """
    if isinstance(source, dict):
        data, name = source, "sla_policy"
    else:
        from auditbridge.yamlfile import read_yaml_mapping

        name = str(source)
        data = read_yaml_mapping(source, "a mapping with timezone, calendars, statuses, goals")
    chk = _Checker()
    chk.unknown_keys("", data, ("timezone", "calendars", "statuses", "goals"))

    tz = data.get("timezone") or default_timezone
    if not tz:
        chk.add("timezone", "required: the zone the calendars are evaluated in, e.g. Europe/Paris")
    else:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            chk.add("timezone", f"unknown timezone {tz!r} (expected an IANA name such as Europe/Paris)")

    calendars: dict[str, CalendarSpec] = {}
    cals_raw = data.get("calendars") or {}
    if not isinstance(cals_raw, dict):
        chk.add("calendars", "expected a mapping name -> calendar")
        cals_raw = {}
    for cname, craw in cals_raw.items():
        cal = _calendar(str(cname), craw, chk)
        if cal is not None:
            calendars[str(cname)] = cal
    if BUILTIN_24X7 not in calendars:
        calendars_all = {
            **calendars,
            BUILTIN_24X7: CalendarSpec(BUILTIN_24X7, {d: ((0, 1440),) for d in range(7)}, always=True),
        }
    else:
        calendars_all = calendars

    statuses = _statuses(data.get("statuses"), chk)

    goals_raw = data.get("goals")
    goals: list[Goal] = []
    if not isinstance(goals_raw, list) or not goals_raw:
        chk.add("goals", "expected a list of goals (the first whose `match` fits a ticket applies)")
    else:
        for i, graw in enumerate(goals_raw):
            goal = _goal(
                i, graw, {k: v for k, v in cals_raw.items()} if isinstance(cals_raw, dict) else {}, chk
            )
            if goal is not None:
                goals.append(goal)
        names = [g.name for g in goals if g.name]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            chk.add("goals", f"goal name {dup!r} is used twice: names label the report's rows")

    if chk.problems:
        raise ConfigError(name, chk.problems)
    return Policy(
        str(tz),
        calendars_all,
        statuses["pause"],
        statuses["stop"],
        statuses["cancel"],
        tuple(goals),
        source=name,
    )
