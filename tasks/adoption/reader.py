"""Usage data -> compact integer arrays: tool, user, action and department codes, local day numbers, counts.

Why a specialised reader: a quarter of event logs is tens of millions of rows. `auditbridge.datasets` parses
every cell into Python-visible strings and timestamps, which is right for small canonical files but costs
minutes and gigabytes here. This reader lets pyarrow parse the CSV (or Parquet) straight into dictionary
columns and UTC timestamps, converts timestamps to day numbers in the audit timezone with one table lookup
(daylight saving included), and keeps only what the engine needs. When the fast typed parse refuses a file
(naive timestamps, dates, a bad cell), the same columns are parsed with `auditbridge.datasets` so the user
gets the same messages (file, row with header = row 1, column, expected) as everywhere else.

Day numbers are days since 1970-01-01 of the local calendar (so `day % 7 == 3` is a Monday). A value that is a
date without a time (`2026-07-01`, as in Microsoft 365 "last activity date" daily reports) is that day itself.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditbridge.datasets import parse_timestamps, schema
from auditbridge.errors import DataError, Problem, ProblemCollector

USAGE_COLUMNS = ("tool", "user", "at", "action", "count", "department")
TEXT_COLUMNS = ("tool", "user", "action", "department")
_DICT = pa.dictionary(pa.int32(), pa.string())
_NS_PER_QUARTER = 15 * 60 * 1_000_000_000
_NS_PER_DAY = 86_400 * 1_000_000_000
_MAX_TABLE = 10_000_000  # quarter-hours in the offset table (285 years); beyond, pandas converts row by row
_REQUIRED_MSG = "a value is required here (every usage row needs tool, user and at)"


@dataclass
class UsageArrays:
    """Usage rows as parallel numpy arrays; codes index the matching category arrays (-1 = empty)."""

    tools: np.ndarray  # str categories
    tool: np.ndarray  # int32
    users: np.ndarray
    user: np.ndarray
    day: np.ndarray  # int32 local day number
    count: np.ndarray | None = None  # float64, activities the row stands for (None: 1 each)
    actions: np.ndarray | None = None
    action: np.ndarray | None = None
    departments: np.ndarray | None = None
    department: np.ndarray | None = None
    files: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return int(self.tool.size)


def read_usage(path: str | Path, *, audit_timezone: str, timezone: str | None = None) -> UsageArrays:
    """Read a canonical usage CSV or Parquet file. `timezone` interprets naive timestamps (None refuses them)."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise DataError(Problem(name, "file not found"))
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            present = [c for c in USAGE_COLUMNS if c in pq.read_schema(path).names]
            _check_required(name, present)
            table = pq.read_table(
                path, columns=present, read_dictionary=[c for c in TEXT_COLUMNS if c in present]
            )
        except DataError:
            raise
        except Exception as exc:  # pyarrow raises many kinds
            raise DataError(
                Problem(name, f"cannot be read as a usage dataset ({type(exc).__name__}: {exc})")
            ) from None
    else:
        table = _read_csv(path, name)
    return usage_from_table(table, name=name, audit_timezone=audit_timezone, timezone=timezone)


def usage_from_frame(
    df: pd.DataFrame, *, audit_timezone: str, timezone: str | None = None, name: str = "<usage>"
) -> UsageArrays:
    """The same arrays from an in-memory canonical frame (the flow's ingest output)."""
    present = [c for c in USAGE_COLUMNS if c in df.columns]
    _check_required(name, present)
    frame = df[present].reset_index(drop=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return usage_from_table(table, name=name, audit_timezone=audit_timezone, timezone=timezone)


def _check_required(name: str, present: list[str]) -> None:
    required = schema("usage").required
    missing = [c for c in required if c not in present]
    if missing:
        raise DataError(
            [
                Problem(
                    name,
                    f"missing required column for usage (expected columns: {', '.join(required)})",
                    row=1,
                    column=c,
                )
                for c in missing
            ]
        )


def _read_csv(path: Path, name: str) -> pa.Table:
    import pyarrow.csv as pcsv

    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(io.StringIO(fh.readline())), [])
    present = [c for c in USAGE_COLUMNS if c in header]
    _check_required(name, present)
    text_types = {c: _DICT for c in TEXT_COLUMNS if c in present}
    typed = {**text_types, "at": pa.timestamp("ns", tz="UTC")}
    if "count" in present:
        typed["count"] = pa.float64()
    loose = {**text_types, "at": pa.string(), **({"count": pa.string()} if "count" in present else {})}
    last_error: Exception | None = None
    for column_types in (typed, loose):  # fast typed parse first; the loose one lets us name the bad cells
        try:
            return pcsv.read_csv(
                path,
                convert_options=pcsv.ConvertOptions(
                    column_types=column_types,
                    include_columns=present,
                    strings_can_be_null=True,
                    null_values=[""],
                    quoted_strings_can_be_null=True,
                ),
            )
        except pa.ArrowInvalid as exc:
            last_error = exc
    raise DataError(Problem(name, f"cannot be read as a UTF-8 CSV usage dataset ({last_error})"))


def usage_from_table(table: pa.Table, *, name: str, audit_timezone: str, timezone: str | None) -> UsageArrays:
    """Arrow table with canonical usage columns -> UsageArrays, refusing empty required cells by row."""
    table = (
        table.unify_dictionaries() if any(pa.types.is_dictionary(t) for t in table.schema.types) else table
    )
    collector = ProblemCollector()
    codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for col in TEXT_COLUMNS:
        if col in table.column_names:
            codes[col] = _codes(table.column(col))
    for col in ("tool", "user"):
        _report_missing(codes[col][0] < 0, name, col, collector)
    day = _days(
        table.column("at"), name=name, audit_timezone=audit_timezone, timezone=timezone, collector=collector
    )
    count = None
    if "count" in table.column_names:
        count = _numbers(table.column("count"), name, collector)
    collector.raise_if_any()
    out = UsageArrays(
        tools=codes["tool"][1],
        tool=codes["tool"][0],
        users=codes["user"][1],
        user=codes["user"][0],
        day=day,
        count=count,
        files=[name],
    )
    if "action" in codes:
        out.action, out.actions = codes["action"]
    if "department" in codes:
        out.department, out.departments = codes["department"]
    return out


def _report_missing(missing: np.ndarray, name: str, column: str, collector: ProblemCollector) -> None:
    if not missing.any():
        return
    idx = np.flatnonzero(missing)
    for i in idx[:50]:
        collector.add(Problem(name, _REQUIRED_MSG, row=int(i) + 2, column=column))
    collector.total += max(0, idx.size - 50)


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary codes (-1 for empty) and their sorted, stripped category values."""
    if not pa.types.is_dictionary(column.type):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            column = column.cast(pa.string())
        column = column.dictionary_encode()
    arr = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if isinstance(arr, pa.ChunkedArray):  # an empty column
        arr = pa.array([], type=_DICT)
    # the dictionary holds distinct values only; trimming, sorting and mapping them stays in Arrow's kernels
    trimmed = pc.utf8_trim_whitespace(arr.dictionary)
    trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    values = pc.unique(trimmed.drop_null())
    values = values.take(pc.sort_indices(values))
    lookup = pc.index_in(trimmed, value_set=values).fill_null(-1).to_numpy(zero_copy_only=False)
    lookup = np.append(lookup.astype(np.int32), np.int32(-1))  # last slot: a null index
    cats = values.to_numpy(zero_copy_only=False).astype(object)
    indices = arr.indices
    if indices.null_count:
        indices = indices.fill_null(len(lookup) - 1)
    return lookup[indices.to_numpy(zero_copy_only=False)], cats


def _numbers(column: pa.ChunkedArray, name: str, collector: ProblemCollector) -> np.ndarray:
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        return column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    raw = pd.Series(column.to_pandas(), dtype="string").str.strip()
    num = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & (raw != "") & num.isna()
    for idx in np.flatnonzero(bad.to_numpy())[:20]:
        collector.add(
            Problem(name, "expected a number", row=int(idx) + 2, column="count", value=str(raw.iloc[idx]))
        )
    return num.to_numpy(dtype=np.float64, na_value=np.nan)


def _days(
    column: pa.ChunkedArray,
    *,
    name: str,
    audit_timezone: str,
    timezone: str | None,
    collector: ProblemCollector,
) -> np.ndarray:
    """Local day numbers of the `at` column in the audit timezone; empty or unreadable cells are reported."""
    typ = column.type
    if pa.types.is_timestamp(typ) and typ.tz is not None:
        ns = column.cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64())
        _report_missing(_nulls(ns), name, "at", collector)
        return utc_ns_to_local_days(ns.to_numpy(zero_copy_only=False), audit_timezone)
    if pa.types.is_date(typ):
        days = column.cast(pa.date32()).cast(pa.int32())
        _report_missing(_nulls(days), name, "at", collector)
        return days.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int32)
    text = (
        pd.Series(column.cast(pa.string()).to_pandas(), dtype="string").str.strip()
        if not pa.types.is_timestamp(typ)
        else None
    )
    if text is None:  # naive timestamps: wall-clock time in `timezone`
        series = pd.Series(column.to_pandas())
    else:
        text = text.mask(text == "")
        _report_missing(text.isna().to_numpy(), name, "at", collector)
        date_only = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}", na=False).to_numpy()
        series = text
    out = np.zeros(len(column), dtype=np.int32)
    if text is not None and date_only.any():
        dates = pd.to_datetime(text[date_only], format="%Y-%m-%d", errors="coerce")
        bad = dates.isna().to_numpy()
        for i in np.flatnonzero(date_only)[bad][:20]:
            collector.add(
                Problem(
                    name, "expected a date YYYY-MM-DD", row=int(i) + 2, column="at", value=str(text.iloc[i])
                )
            )
        out[date_only] = (
            dates.to_numpy(dtype="datetime64[D]", na_value=np.datetime64(0, "D")).astype(np.int64)
        ).astype(np.int32)
        series = text[~date_only]
    if len(series):
        parsed = parse_timestamps(series, file=name, column="at", timezone=timezone, collector=collector)
        ns = parsed.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64(0, "ns")).astype(np.int64)
        rest = np.ones(len(column), dtype=bool) if text is None else ~date_only
        out[rest] = utc_ns_to_local_days(ns, audit_timezone)
    return out


def _nulls(arr: pa.ChunkedArray) -> np.ndarray:
    if arr.null_count == 0:
        return np.zeros(len(arr), dtype=bool)
    return arr.is_null().to_numpy(zero_copy_only=False)


def utc_ns_to_local_days(ns: np.ndarray, tz: str) -> np.ndarray:
    """UTC nanoseconds -> local day numbers in `tz`, vectorised.

    Offsets change only on quarter-hour boundaries in every zone of the current tz database, so one offset per
    quarter-hour between the first and last instant is a small table (8,800 entries for a quarter) that covers
    daylight-saving days exactly; each row then costs a subtraction and an index.
    """
    if ns.size == 0:
        return np.zeros(0, dtype=np.int32)
    ns = ns.astype(np.int64, copy=False)
    quarters = ns // _NS_PER_QUARTER
    lo, hi = int(quarters.min()), int(quarters.max())
    if hi - lo >= _MAX_TABLE:
        wall = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz).tz_localize(None)
        return (wall.asi8 // _NS_PER_DAY).astype(np.int32)
    utc = pd.DatetimeIndex(
        (np.arange(lo, hi + 1, dtype=np.int64) * _NS_PER_QUARTER).view("datetime64[ns]")
    ).tz_localize("UTC")
    offset = utc.tz_convert(tz).tz_localize(None).asi8 - utc.asi8
    quarters -= lo
    local = offset[quarters]
    local += ns
    local //= _NS_PER_DAY
    return local.astype(np.int32)


def concat_usage(parts: list[UsageArrays]) -> UsageArrays:
    """Several usage files as one: category arrays are united and codes remapped (sizes of categories, not rows)."""
    if len(parts) == 1:
        return parts[0]

    def unite(cats_of, codes_of):
        present = [p for p in parts if codes_of(p) is not None]
        if not present:
            return None, None
        cats = np.unique(np.concatenate([cats_of(p) for p in present]).astype(object))
        chunks = []
        for p in parts:
            codes = codes_of(p)
            if codes is None:
                chunks.append(np.full(p.rows, -1, dtype=np.int32))
                continue
            remap = np.append(np.searchsorted(cats, cats_of(p)).astype(np.int32), np.int32(-1))
            chunks.append(remap[codes])  # code -1 picks the appended -1
        return np.concatenate(chunks), cats

    tool, tools = unite(lambda p: p.tools, lambda p: p.tool)
    user, users = unite(lambda p: p.users, lambda p: p.user)
    action, actions = unite(lambda p: p.actions, lambda p: p.action)
    dept, depts = unite(lambda p: p.departments, lambda p: p.department)
    count = None
    if any(p.count is not None for p in parts):
        count = np.concatenate([p.count if p.count is not None else np.ones(p.rows) for p in parts])
    return UsageArrays(
        tools=tools,
        tool=tool,
        users=users,
        user=user,
        day=np.concatenate([p.day for p in parts]),
        count=count,
        actions=actions,
        action=action,
        departments=depts,
        department=dept,
        files=[f for p in parts for f in p.files],
    )
