"""Statuses and priorities as each tool writes them -> the canonical values, raw values kept beside them.

Maps are per tool and language and compared case-, accent-spacing- and NBSP-insensitively. An unknown value is
never guessed: each distinct unknown value is reported once (first row, how many rows, what was expected) and
its rows are flagged, so the configuration decides between refusing the file and quarantining them. A user
mapping (`values: {status: {...}, priority: {...}}`) extends or overrides the built-in map.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

import pandas as pd

from auditbridge.datasets import PRIORITIES, STATUSES
from auditbridge.errors import DataError, Problem
from tasks.ingest.readers import flag_rows, user_rows


def key(value: str) -> str:
    """The comparison key of a label: case, accents, NBSP and repeated spaces do not matter."""
    text = unicodedata.normalize("NFKD", str(value).replace("\u00a0", " "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip().casefold()


def keyed(mapping: Mapping[str, str]) -> dict[str, str]:
    return {key(k): v for k, v in mapping.items()}


def normalise_values(
    ctx,
    df: pd.DataFrame,
    column: str,
    mapping: Mapping[str, str],
    *,
    what: str,
    allowed: tuple[str, ...],
    fallback: Callable[[pd.Series], pd.Series] | None = None,
    raw: pd.Series | None = None,
    label: str | None = None,
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Map `df[column]` (or `raw`) through `mapping` merged with the user's value map for `column`.

    Returns (frame with flagged rows, normalised values, raw values). `fallback(unmapped_raw)` may supply values
    for entries the map does not know (e.g. Jira's status category); anything still unknown is a problem.
    Missing raw values stay missing (a ticket without a priority is a finding, not an error).
    """
    raw = (raw if raw is not None else df[column]).astype("string")
    user = ((ctx.mapping or {}).get("values") or {}).get(column) or {}
    wrong = [
        f"values.{column}.{k}: {v!r} is not one of {', '.join(allowed)}"
        for k, v in user.items()
        if v not in allowed
    ]
    if wrong:
        from auditbridge.errors import ConfigError

        raise ConfigError(str((ctx.mapping or {}).get("_file", "mapping")), wrong)
    table = {**keyed(mapping), **keyed({str(k): str(v) for k, v in user.items()})}
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    mapped_uniques = [table.get(key(u)) for u in uniques]
    lookup = pd.array(mapped_uniques + [None], dtype="string")
    out = pd.Series(lookup[codes], index=df.index, dtype="string")
    if fallback is not None:
        missing = raw.notna() & out.isna()
        if missing.any():
            out = out.where(~missing, fallback(raw.where(missing)).astype("string"))
    invalid = out.notna() & ~out.isin(allowed)
    unknown = (raw.notna() & out.isna()) | invalid
    if unknown.any():
        rows = user_rows(df)
        bad = raw[unknown]
        expected = ", ".join(sorted({k for k in mapping})[:12])
        for value, idx in bad.groupby(bad, sort=False).groups.items():
            ctx.collector.add(
                Problem(
                    ctx.name,
                    f"unknown {what} in {len(idx)} row(s): expected one of {expected}"
                    f" (or map it under `values: {{{column}: ...}}` in a mapping)",
                    row=int(rows[idx[0]]),
                    column=label or column,
                    value=str(value),
                )
            )
        df = flag_rows(
            df, unknown, raw.where(unknown).map(lambda v: f"unknown {what} {v!r}", na_action="ignore")
        )
        out = out.mask(unknown)
    return df, out, raw


def normalise_status(ctx, df, column, mapping, **kw):
    return normalise_values(ctx, df, column, mapping, what="status", allowed=STATUSES, **kw)


def normalise_priority(ctx, df, column, mapping, **kw):
    return normalise_values(ctx, df, column, mapping, what="priority", allowed=PRIORITIES, **kw)


def leading_digit_priority(raw: pd.Series) -> pd.Series:
    """`1 - Critical` ... `5 - Planning` (ServiceNow), or a bare `1`..`5` -> `P1`..`P5`."""
    digit = raw.astype("string").str.extract(r"^ *([1-5])(?: *-.*)? *$", expand=False)
    return ("P" + digit).astype("string")


# Canonical values written as such are always accepted (generic files already in canonical form).
CANONICAL_STATUSES = {s: s for s in STATUSES}
CANONICAL_PRIORITIES = {p: p for p in PRIORITIES}


REQUIRED_TICKET_FIELDS = ("ticket_id", "status", "created_at")


def require_columns(
    ctx, present, aliases: Mapping[str, tuple[str, ...]], tool: str, required=REQUIRED_TICKET_FIELDS
) -> None:
    """Refuse a file that lacks a required field, naming every missing one with the headers that would do."""
    missing = [r for r in required if r not in present]
    if missing:
        raise DataError(
            [
                Problem(
                    ctx.name,
                    f"missing the {tool} column for {r}: expected a header {' / '.join(aliases[r])}",
                    row=1,
                    column=" / ".join(aliases[r]),
                )
                for r in missing
            ]
        )


def find_columns(columns, aliases: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """canonical -> the file's column, matching headers by `key()` against each canonical's aliases (any language,
    any subset). Duplicated headers (`Name.1`) are not matched: the first occurrence is the field."""
    by_key: dict[str, str] = {}
    for col in columns:
        by_key.setdefault(hkey(col), col)
    found = {}
    for canonical, names in aliases.items():
        for name in names:
            if hkey(name) in by_key:
                found[canonical] = by_key[hkey(name)]
                break
    return found


def hkey(header: str) -> str:
    """The comparison key of a header: as `key`, and `Asignado a: - Técnico` matches `Asignado a - Técnico`."""
    return re.sub(r"\s+", " ", key(header).replace(":", " ")).strip()


def header_keys(columns) -> set[str]:
    return {hkey(c) for c in columns}
