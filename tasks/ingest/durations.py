"""Durations as exports write them -> seconds.

GLPI writes them in words in the interface language (`1 jours 3 heures 17 minutes`, `41 secondes`,
`3 horas 22 minutos`, sometimes English inside a Spanish export); Freshdesk after an Excel round-trip writes
`H:MM:SS` with hours above 24 (`64:00:00`) or `0:00`. Parsing works on the distinct values only (factorised),
so a million rows with a few thousand distinct durations cost a few thousand regex matches.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_UNITS = {
    # seconds per unit, keyed by the unit word's lower-case stem (singular and plural forms share it)
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconde": 1,
    "segundo": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minuto": 60,
    "mn": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "heure": 3600,
    "hora": 3600,
    "d": 86400,
    "day": 86400,
    "jour": 86400,
    "dia": 86400,
    "día": 86400,
    "j": 86400,
    "w": 604800,
    "week": 604800,
    "semaine": 604800,
    "semana": 604800,
}
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([^\W\d_]+)", re.UNICODE)
_CLOCK = re.compile(r"^(\d+):(\d{2})(?::(\d{2}))?$")


def _unit_seconds(word: str) -> int | None:
    w = word.casefold().rstrip(".")
    if w in _UNITS:
        return _UNITS[w]
    if w.endswith("s") and w[:-1] in _UNITS:
        return _UNITS[w[:-1]]
    if w.endswith("es") and w[:-2] in _UNITS:
        return _UNITS[w[:-2]]
    return None


def duration_seconds(value: str) -> float | None:
    """One duration in words or `H:MM[:SS]` -> seconds; None when it is not a duration."""
    text = value.strip().replace("\u00a0", " ")
    if not text:
        return None
    clock = _CLOCK.match(text)
    if clock:
        h, m, s = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        return float(h * 3600 + m * 60 + s)
    total, matched = 0.0, 0
    for number, word in _PART.findall(text):
        unit = _unit_seconds(word)
        if unit is None:
            return None
        total += float(number.replace(",", ".")) * unit
        matched += 1
    leftover = _PART.sub("", text).strip(" ,;")
    if not matched or leftover:
        return None
    return total


def parse_durations(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(seconds as Float64, mask of present values that are not durations)."""
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    parsed = np.array(
        [duration_seconds(str(u)) if u is not None else None for u in uniques] + [None], dtype=object
    )
    seconds = pd.Series(parsed[codes], index=values.index).astype("Float64")
    present = values.notna() & (values.astype("string").str.strip() != "")
    return seconds, present & seconds.isna()
