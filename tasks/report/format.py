"""Numbers, money, dates and durations written the way each edition's reader writes them.

These are the report's Jinja filters. They are plain functions of (value, language) so they can be tested
without a template, and every one of them renders a missing value (None, NaN) as an em dash instead of
failing: a report with no licences or no tickets must still render. Rounding follows babel (half-even on
the shown digits), so the same figure is written the same way in the HTML, the PDF and the charts.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.numbers import NumberPattern, parse_pattern
from babel.units import format_unit

# The babel locale behind each edition: French as written in France, English as written in the UK
# (day-month-year dates, which read naturally to a European SME).
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
MISSING = "—"


def locale_for(lang: str) -> Locale:
    """The babel Locale of an edition; an unknown language is a programming error, not user input."""
    return _locale(LOCALES[lang])


@lru_cache(maxsize=8)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@lru_cache(maxsize=64)
def _pattern(lang: str, kind: str, digits: int) -> NumberPattern:
    loc = locale_for(lang)
    raw = {
        "decimal": loc.decimal_formats[None].pattern,
        "percent": loc.percent_formats[None].pattern,
        "currency": loc.currency_formats["standard"].pattern,
    }[kind]
    pattern = parse_pattern(raw)
    pattern.frac_prec = (digits, digits)
    return pattern


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """A count or measure with `digits` decimals and the language's grouping (12 345 / 12,345)."""
    if _missing(value):
        return MISSING
    return _pattern(lang, "decimal", digits).apply(value, locale_for(lang))


def percent(fraction: float | None, lang: str, digits: int = 0) -> str:
    """A fraction (0.253) as a percentage ("25 %" in French, "25%" in English)."""
    if _missing(fraction):
        return MISSING
    return _pattern(lang, "percent", digits).apply(fraction, locale_for(lang))


def pct_points(value: float | None, lang: str, digits: int = 0) -> str:
    """A value already in percent (compliance_pct = 87.5) written as a percentage."""
    if _missing(value):
        return MISSING
    return percent(value / 100.0, lang, digits)


def _sign(rounded: float) -> str:
    return "+" if rounded > 0 else ("−" if rounded < 0 else "±")


def signed_points(delta_fraction: float | None, lang: str, digits: int = 0) -> str:
    """A change of a fraction in percentage points, with its sign (+12 pts / −3 pts; ±0 pts when it rounds to 0)."""
    if _missing(delta_fraction):
        return MISSING
    points = round(delta_fraction * 100, digits)
    return f"{_sign(points)}{number(abs(points), lang, digits)}\u00a0pts"


def signed_number(delta: float | None, lang: str, digits: int = 0) -> str:
    """A change of a count, with its sign (+3 / −12 / ±0)."""
    if _missing(delta):
        return MISSING
    rounded = round(delta, digits)
    return f"{_sign(rounded)}{number(abs(rounded), lang, digits)}"


def money(value: float | None, lang: str, currency: str = "EUR", digits: int = 0) -> str:
    """An amount in the audit's currency, whole units by default (headline money is never to the cent)."""
    if _missing(value):
        return MISSING
    return _pattern(lang, "currency", digits).apply(
        value, locale_for(lang), currency=currency, currency_digits=False
    )


def _as_date(value: date | datetime | str) -> date | datetime:
    if isinstance(value, str):
        text = value.replace("Z", "+00:00")
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    return value


def day(value: date | datetime | str | None, lang: str, length: str = "long") -> str:
    """A calendar day (30 septembre 2026 / 30 September 2026); datetimes keep the day they carry."""
    if value is None or value == "":
        return MISSING
    parsed = _as_date(value)
    if isinstance(parsed, datetime):
        parsed = parsed.date()
    return _babel_date(parsed, format=length, locale=locale_for(lang))


def month(value: str | None, lang: str) -> str:
    """A month key (2026-07) as a short label (juil. 2026 / Jul 2026), for chart axes and tables."""
    if not value:
        return MISSING
    year, mon = str(value).split("-")[:2]
    return _babel_date(date(int(year), int(mon), 1), format="MMM y", locale=locale_for(lang))


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday(code: str | None, lang: str) -> str:
    """A policy weekday key (mon..sun) as the language abbreviates it (lun. / Mon)."""
    if code not in WEEKDAYS:
        return MISSING if code is None else str(code)
    return locale_for(lang).days["format"]["abbreviated"][WEEKDAYS.index(code)]


def duration(seconds: float | None, lang: str) -> str:
    """Business time as a reader thinks of it: minutes under an hour, hours under two days, then days.

    A "day" here is 24 hours of the goal's calendar, as in the SLA policy (CONTRACTS section 4), so a
    target of 3d and an elapsed time of 3 d compare directly.
    """
    if _missing(seconds):
        return MISSING
    loc = locale_for(lang)
    if seconds < 3600:
        return format_unit(round(seconds / 60), "duration-minute", length="short", locale=loc)
    hours = seconds / 3600
    if hours < 48:
        shown = round(hours, 1) if hours < 10 else round(hours)
        return format_unit(shown, "duration-hour", length="short", locale=loc)
    return format_unit(round(hours / 24, 1), "duration-day", length="short", locale=loc)


def hours(value: float | None, lang: str) -> str:
    """A number of hours (time at stake), whole hours."""
    if _missing(value):
        return MISSING
    return format_unit(round(value), "duration-hour", length="short", locale=locale_for(lang))


FILTERS = {
    "number": number,
    "percent": percent,
    "pct_points": pct_points,
    "signed_points": signed_points,
    "signed_number": signed_number,
    "money": money,
    "day": day,
    "month": month,
    "weekday": weekday,
    "duration": duration,
    "hours": hours,
}


def bind_filters(lang: str) -> dict:
    """The filters with the edition's language bound, ready for `Environment.filters.update`."""

    def bind(func):
        return lambda value, *args, **kwargs: func(value, lang, *args, **kwargs)

    return {name: bind(func) for name, func in FILTERS.items()}
