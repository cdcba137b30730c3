"""Dates as exports write them -> UTC timestamps, with the day/month order decided once per file.

Why per file: `03-04-2026` is 3 April in a French GLPI and March 4 in a US ServiceNow list. Deciding row by row
would silently mix both readings inside one file; so every numeric date of the file is read both ways, the order
under which more values are valid wins (one `13-03-2025` settles it), and a file with no evidence either way
uses the format's hint (GLPI writes day first) and says so in a note.

How: the shapes of a sample of distinct values give the candidate strptime formats (`%d-%m-%Y %H:%M`,
`%d/%b/%y %I:%M %p`, ISO 8601, epoch seconds...); each whole column is then parsed by pandas' C parser per
candidate, never row by row. Naive times are localised in the given zone: a time inside a daylight-saving gap
moves forward to the first valid instant, and a time that occurs twice is read as the first occurrence (summer
time), so re-running on the same file gives the same instants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from auditbridge.errors import DataError, Problem
from tasks.ingest.readers import flag_rows, report_cells

UTC_DTYPE = "datetime64[ns, UTC]"
SAMPLE_DISTINCT = 2000

_TIME = r"(?:(?P<tsep>[ T]+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>[.,]\d+)?)?\s*(?P<p>[AaPp]\.?[Mm]\.?)?)?"
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})" + _TIME + "$")
_NAMED = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[-/ ])(?P<mon>[A-Za-z]{3,9})(?P=sep)(?P<y>\d{4}|\d{2})" + _TIME + "$"
)
_YMD_SLASH = re.compile(r"^\d{4}/\d{1,2}/\d{1,2}" + _TIME + "$")
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?$"
)
_OFFSET = r"(?:Z|UTC|[+-][0-9]{2}:?[0-9]{2})$"  # RE2-compatible: runs in pyarrow, not in Python
_EPOCH = re.compile(r"^\d{10}(?:\.\d+)?$|^\d{13}$")

ORDER_DAY, ORDER_MONTH = "day-first", "month-first"


@dataclass
class DateResult:
    """Parsed columns (UTC), the order used for numeric dates, and notes for the user."""

    columns: dict[str, pd.Series]
    order: str | None
    notes: list[str] = field(default_factory=list)
    bad: pd.Series | None = None  # rows with at least one unreadable date


def _time_format(m: re.Match) -> str:
    if m.group("H") is None:
        return ""
    sep = "T" if "T" in (m.group("tsep") or "") else " "
    ampm = m.group("p") is not None
    fmt = sep + ("%I" if ampm else "%H") + ":%M"
    if m.group("S") is not None:
        fmt += ":%S"
        if m.group("f"):
            fmt += ".%f" if m.group("f")[0] == "." else ",%f"
    if ampm:
        fmt += " %p" if re.search(r"\s[AaPp]", m.group(0)) else "%p"
    return fmt


def shape_format(value: str) -> str | None:
    """The strptime template of one value; `{D}`/`{M}` stand for day and month when the order is undecided.
    `ISO8601`, `EPOCH_S` and `EPOCH_MS` are special markers; None means no known shape."""
    v = value.strip()
    if _ISO.match(v):
        return "ISO8601"
    if _EPOCH.match(v):
        return "EPOCH_MS" if len(v) == 13 else "EPOCH_S"
    m = _NUMERIC.match(v)
    if m:
        sep, year = m.group("sep"), "%Y" if len(m.group("y")) == 4 else "%y"
        if m.group("p") is not None and m.group("p") not in ("AM", "PM", "am", "pm"):
            return None
        return "{A}" + sep + "{B}" + sep + year + _time_format(m)
    m = _NAMED.match(v)
    if m:
        sep, year = m.group("sep"), "%Y" if len(m.group("y")) == 4 else "%y"
        month = "%b" if len(m.group("mon")) == 3 else "%B"
        return "%d" + sep + month + sep + year + _time_format(m)
    if _YMD_SLASH.match(v):
        m = re.match(r"^\d{4}/\d{1,2}/\d{1,2}" + _TIME + "$", v)
        return "%Y/%m/%d" + _time_format(m)
    return None


def _ordered(template: str, order: str) -> str:
    a, b = ("%d", "%m") if order == ORDER_DAY else ("%m", "%d")
    return template.replace("{A}", a).replace("{B}", b)


def human(fmt: str) -> str:
    """`%d-%m-%Y %H:%M` -> `DD-MM-YYYY HH:MM`, for messages."""
    if fmt == "ISO8601":
        return "ISO 8601 (2026-07-01T09:30:00+02:00)"
    if fmt.startswith("EPOCH"):
        return "seconds since 1970"
    table = {
        "%d": "DD",
        "%m": "MM",
        "%Y": "YYYY",
        "%y": "YY",
        "%H": "HH",
        "%I": "hh",
        "%M": "MM",
        "%S": "SS",
        "%f": "fff",
        "%p": "AM/PM",
        "%b": "Mon",
        "%B": "Month",
    }
    return re.sub(r"%[a-zA-Z]", lambda m: table.get(m.group(0), m.group(0)), fmt).replace(":MM", ":mm")


_WIDTHS = {"%d": 2, "%m": 2, "%Y": 4, "%y": 2, "%H": 2, "%M": 2, "%S": 2}
_FIELD = {
    "%d": "day",
    "%m": "month",
    "%Y": "year",
    "%y": "year",
    "%H": "hour",
    "%M": "minute",
    "%S": "second",
}


def _fixed_width(text: pd.Series, fmt: str) -> pd.Series | None:
    """Fast path for zero-padded numeric formats (`%d-%m-%Y %H:%M`...): fields are sliced by position and the
    instants computed with numpy, about four times faster than strptime on a million distinct values. Values of
    another width get NaT here and go through strptime; impossible dates (31-02) get NaT. None: not applicable."""
    tokens = re.findall(r"%[a-zA-Z]|[^%]", fmt)
    if any(t.startswith("%") and t not in _WIDTHS for t in tokens) or len(text) < 1000:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(text.astype("string[pyarrow]").array)
    pattern = "^" + "".join(f"[0-9]{{{_WIDTHS[t]}}}" if t in _WIDTHS else re.escape(t) for t in tokens) + "$"
    matched = pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False)
    fields = {"year": None, "month": None, "day": None, "hour": 0, "minute": 0, "second": 0}
    pos = 0
    safe = pc.if_else(pa.array(matched), arr, pa.scalar("0" * len(tokens) * 4))
    for t in tokens:
        width = _WIDTHS.get(t, 1)
        if t in _WIDTHS:
            part = pc.utf8_slice_codeunits(safe, pos, pos + width)
            fields[_FIELD[t]] = pc.cast(part, pa.int64()).to_numpy(zero_copy_only=False)
        pos += width
    year, month, day = fields["year"], fields["month"], fields["day"]
    if year is None or month is None or day is None:
        return None
    if "%y" in tokens:
        year = np.where(year < 70, 2000 + year, 1900 + year)
    hour, minute, second = (np.asarray(fields[k]) for k in ("hour", "minute", "second"))
    ok = matched & (month >= 1) & (month <= 12) & (day >= 1) & (hour < 24) & (minute < 60) & (second < 60)
    month0 = np.where(ok, month - 1, 0)
    start = (np.where(ok, year, 1970) - 1970).astype("datetime64[Y]").astype("datetime64[M]") + month0.astype(
        "timedelta64[M]"
    )
    month_days = (
        (start + np.timedelta64(1, "M")).astype("datetime64[D]") - start.astype("datetime64[D]")
    ).astype(int)
    ok &= day <= month_days
    instants = (start.astype("datetime64[D]") + (np.where(ok, day, 1) - 1).astype("timedelta64[D]")).astype(
        "datetime64[s]"
    )
    instants = instants + (hour * 3600 + minute * 60 + second).astype("timedelta64[s]")
    values = np.where(ok, instants.astype("datetime64[ns]"), np.datetime64("NaT", "ns"))
    return pd.Series(values, index=text.index, dtype="datetime64[ns]")


def _parse_with(text: pd.Series, fmt: str) -> pd.Series:
    """Vectorised parse of `text` with one candidate; NaT where it does not fit. Result naive or UTC-aware."""
    fast = _fixed_width(text, fmt) if not fmt.startswith(("ISO", "EPOCH")) else None
    if fast is not None:
        rest = text.notna() & fast.isna()
        if rest.any():  # other widths (`9-2-2026 7:10`) and impossible dates: the slow, exact parser
            fast = fast.where(
                ~rest,
                pd.to_datetime(text[rest], format=fmt, errors="coerce")
                .astype("datetime64[ns]")
                .reindex(text.index),
            )
        return fast
    if fmt == "ISO8601":
        return pd.to_datetime(text, format="ISO8601", errors="coerce")
    if fmt == "EPOCH_S":
        return pd.to_datetime(pd.to_numeric(text, errors="coerce"), unit="s", errors="coerce")
    if fmt == "EPOCH_MS":
        return pd.to_datetime(pd.to_numeric(text, errors="coerce"), unit="ms", errors="coerce")
    return pd.to_datetime(text, format=fmt, errors="coerce")


def _clean(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _templates(text: pd.Series, head: int = 200_000) -> list[str]:
    """Candidate templates for a column, most frequent shapes first, from the distinct values of its first
    `head` values (values of other shapes further down are caught by `_parse_column`'s second look)."""
    distinct = pd.unique(text.dropna().head(head).to_numpy())[:SAMPLE_DISTINCT]
    counts: dict[str, int] = {}
    for v in distinct:
        t = shape_format(str(v))
        if t is not None:
            counts[t] = counts.get(t, 0) + 1
    return sorted(counts, key=lambda t: -counts[t])


def _parse_column(text: pd.Series, templates: list[str], order: str | None) -> tuple[pd.Series, pd.Series]:
    """(naive_or_utc parsed values as UTC-or-naive pieces, mask of values carrying an explicit offset)."""
    has_offset = text.str.contains(_OFFSET, regex=True, na=False)
    naive_out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    aware_out = pd.Series(pd.NaT, index=text.index, dtype=UTC_DTYPE)
    remaining = text.notna()
    queue, tried = list(templates), set()
    while queue:
        template = queue.pop(0)
        tried.add(template)
        if not remaining.any():
            break
        fmt = _ordered(template, order or ORDER_DAY)
        if fmt.startswith("EPOCH"):  # instants, not wall-clock times: already UTC
            parsed = _parse_with(text[remaining], fmt).dt.tz_localize("UTC").astype(UTC_DTYPE)
            aware_out = aware_out.where(~remaining, parsed.reindex(text.index))
            naive_part = remaining & False
        elif fmt == "ISO8601":
            aware_part = remaining & has_offset
            if aware_part.any():
                src = text[aware_part].str.replace(" *UTC$", "Z", regex=True)
                aware_out = aware_out.where(
                    ~aware_part,
                    pd.to_datetime(src, format="ISO8601", utc=True, errors="coerce")
                    .astype(UTC_DTYPE)
                    .reindex(text.index),
                )
            naive_part = remaining & ~has_offset
        else:
            naive_part = remaining
        if naive_part.any():
            parsed = _parse_with(text[naive_part], fmt)
            if isinstance(parsed.dtype, pd.DatetimeTZDtype):
                parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
            naive_out = naive_out.where(~naive_part, parsed.astype("datetime64[ns]").reindex(text.index))
        remaining = remaining & naive_out.isna() & aware_out.isna()
        if not queue and remaining.any():  # second look: shapes the sample did not show
            queue = [t for t in _templates(text[remaining]) if t not in tried]
    return naive_out, aware_out


def decide_order(
    texts: dict[str, pd.Series], templates: dict[str, list[str]], hint: str | None
) -> tuple[str | None, str | None]:
    """Day-first or month-first for the whole file: the order under which more numeric dates are valid.

    Counted first on a sample of distinct values of every column (cheap, and almost always decisive: one day
    above 12 settles it); only when the sample cannot tell are the whole columns counted. Values contradicting
    the chosen order are then reported by the parse. Returns (order, note); order is None when the file has no
    numeric day/month dates.
    """
    ambiguous = {c: [t for t in ts if "{A}" in t] for c, ts in templates.items()}
    if not any(ambiguous.values()):
        return None, None

    def count(sample: bool) -> dict[str, int]:
        valid = {ORDER_DAY: 0, ORDER_MONTH: 0}
        for col, ts in ambiguous.items():
            if not ts:
                continue
            values = texts[col].dropna()
            if sample:
                values = pd.Series(
                    pd.unique(values.head(200_000).to_numpy())[:SAMPLE_DISTINCT], dtype="string"
                )
            for order in valid:
                ok = pd.Series(False, index=values.index)
                for t in ts:
                    ok |= _parse_with(values, _ordered(t, order)).notna()
                valid[order] += int(ok.sum())
        return valid

    valid = count(sample=True)
    if valid[ORDER_DAY] == valid[ORDER_MONTH]:
        valid = count(sample=False)
    if valid[ORDER_DAY] == valid[ORDER_MONTH]:
        chosen = hint or ORDER_DAY
        return chosen, (
            f"no date in the file has a day above 12, so day and month cannot be told apart: read as "
            f"{chosen} ({'the format default' if hint else 'default'}); set `date_order` in a mapping to change it"
        )
    chosen = ORDER_DAY if valid[ORDER_DAY] > valid[ORDER_MONTH] else ORDER_MONTH
    return chosen, None


def parse_datetime_columns(
    ctx,
    df: pd.DataFrame,
    columns: list[str],
    *,
    order_hint: str | None = None,
    fmt: str | None = None,
    timezone: str | None = None,
    labels: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, DateResult]:
    """Parse `columns` of `df` (those present) into UTC timestamps, one day/month order for the whole file.

    `fmt` forces a strptime format (or `day-first` / `month-first`) from a mapping. Unreadable or impossible
    dates become NaT, are reported (row, column, expected shape) and their rows flagged; naive times without a
    timezone refuse the file (the zone is a decision the user must make, not a row problem). `labels` gives the
    file's own header of each canonical column, for messages.
    """
    labels = labels or {}
    present = [c for c in columns if c in df.columns]
    tz = timezone or ctx.timezone
    texts = {c: _clean(df[c]) for c in present}
    forced_order = fmt if fmt in (ORDER_DAY, ORDER_MONTH) else None
    if fmt and not forced_order:
        templates = {c: [fmt, "ISO8601"] for c in present}
    else:
        templates = {c: _templates(texts[c]) for c in present}
    order, note = (forced_order, None) if forced_order else decide_order(texts, templates, order_hint)
    result = DateResult(columns={}, order=order, notes=[note] if note else [])
    if note and hasattr(ctx, "notes"):
        ctx.notes.append(f"{ctx.name}: {note}")
    out = df
    bad_any = pd.Series(False, index=df.index)
    for col in present:
        text = texts[col]
        naive, aware = _parse_column(text, templates[col], order)
        unread = text.notna() & naive.isna() & aware.isna()
        if unread.any():
            expected = (
                ", ".join(human(_ordered(t, order or ORDER_DAY)) for t in templates[col][:2]) or "a date"
            )
            message = f"expected a date such as {expected}"
            if order and any("{A}" in t for t in templates[col]):
                message += f" ({order}, as the rest of this file)"
            shown = text[unread].head(1000)  # only the reported ones are classified, in Python
            shaped = pd.Series([shape_format(v) is not None for v in shown], index=shown.index, dtype=bool)
            impossible = shaped.reindex(df.index, fill_value=False)
            label = labels.get(col, col)
            report_cells(
                ctx, df, impossible, label, "impossible date (no such day or time): " + message, text
            )
            report_cells(ctx, df, unread & ~impossible, label, message, text)
            out = flag_rows(out, unread, f"unreadable date in '{label}'")
            bad_any |= unread
        naive_present = naive.notna()
        if naive_present.any() and not tz:
            first = naive_present.idxmax()
            raise DataError(
                Problem(
                    ctx.name,
                    f"{int(naive_present.sum())} time(s) without a timezone: give the zone they were written in with "
                    "--timezone (or `timezone:` in the config or mapping)",
                    row=int(first) + 2 if "_row" not in df.columns else int(df["_row"][first]),
                    column=labels.get(col, col),
                    value=str(text[first]),
                )
            )
        localised = aware
        if naive_present.any():
            loc = localise(naive, tz)
            localised = aware.where(aware.notna(), loc)
        result.columns[col] = localised.astype(UTC_DTYPE)
        out = out.assign(**{col: result.columns[col]})
    result.bad = bad_any
    return out, result


def localise(naive: pd.Series, timezone: str) -> pd.Series:
    """Naive wall-clock times in `timezone` -> UTC. Gaps (spring forward) shift to the first valid instant;
    repeated hours (fall back) take their first occurrence, deterministically."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise DataError(
            Problem(
                "--timezone", f"unknown timezone {timezone!r}: expected an IANA name such as Europe/Paris"
            )
        ) from None
    first_occurrence = np.ones(len(naive), dtype=bool)  # True = the DST (earlier) reading of a repeated hour
    return naive.dt.tz_localize(
        timezone, ambiguous=first_occurrence, nonexistent="shift_forward"
    ).dt.tz_convert("UTC")
