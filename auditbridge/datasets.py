"""The canonical datasets of CONTRACTS section 2: their columns, and reading and writing them as CSV or Parquet.

In memory, timestamps are `datetime64[ns, UTC]`; people and ids are strings. Files are UTF-8 CSV with ISO 8601
timestamps carrying an offset, or Parquet. Unknown extra columns are kept as they are.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditbridge.errors import DataError, Problem, ProblemCollector, UsageError
from auditbridge.schemas import KINDS, PRIORITIES, SCHEMAS, STATUSES, Schema, schema  # noqa: F401 (re-exported)


def parse_timestamps(
    values: pd.Series,
    *,
    file: str,
    column: str,
    timezone: str | None = None,
    collector: ProblemCollector | None = None,
    row_offset: int = 2,
) -> pd.Series:
    """ISO 8601 strings with an offset (or Z) -> UTC timestamps. Naive values need `timezone`.

    Empty cells become NaT. Unparseable or naive-without-timezone cells are reported with their row
    (header = row 1, so the first data row is `row_offset`).
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_any_dtype(values):
        if timezone is None:
            _naive_problem(values, file, column, collector, row_offset)
            return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
        return values.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert(
            "UTC"
        )
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    present = text.notna()
    has_offset = text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True, na=False)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if has_offset.any():
        out[has_offset] = pd.to_datetime(text[has_offset], utc=True, errors="coerce", format="ISO8601")
    naive = present & ~has_offset
    if naive.any():
        if timezone is None:
            _naive_problem(text[naive], file, column, collector, row_offset)
        else:
            parsed = pd.to_datetime(text[naive], errors="coerce", format="ISO8601")
            localized = parsed.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
            out[naive] = localized.dt.tz_convert("UTC")
    bad = present & out.isna()
    if timezone is None:
        bad &= has_offset
    if bad.any() and collector is not None:
        for idx in bad[bad].index[:50]:
            collector.add(
                Problem(
                    file,
                    "expected an ISO 8601 timestamp such as 2026-07-01T09:30:00+02:00",
                    row=_row(values, idx, row_offset),
                    column=column,
                    value=str(text[idx]),
                )
            )
        collector.total += max(0, int(bad.sum()) - 50)
    return out


def _row(values: pd.Series, idx, row_offset: int) -> int:
    """The row a user sees for index label `idx` (frames read from files keep their RangeIndex)."""
    return int(idx) + row_offset if isinstance(idx, (int,)) or hasattr(idx, "__index__") else row_offset


def _naive_problem(
    values: pd.Series, file: str, column: str, collector: ProblemCollector | None, row_offset: int
) -> None:
    if collector is None:
        return
    first = values.index[0]
    collector.add(
        Problem(
            file,
            f"{len(values)} timestamp(s) without a timezone offset: give the zone with --timezone "
            "(or `timezone:` in the config), or write offsets such as +02:00",
            row=_row(values, first, row_offset),
            column=column,
            value=str(values.iloc[0]),
        )
    )


def read_canonical(path: str | Path, kind: str, *, timezone: str | None = None) -> pd.DataFrame:
    """Read a canonical CSV or Parquet file of `kind`, checking required columns and parsing types."""
    sch = schema(kind)
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise DataError(Problem(name, "file not found"))
    try:
        df = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else _read_csv(path)
    except Exception as exc:  # pandas/pyarrow raise many kinds
        raise DataError(
            Problem(name, f"cannot be read as a {kind} dataset ({type(exc).__name__}: {exc})")
        ) from None
    missing = [c for c in sch.required if c not in df.columns]
    if missing:
        raise DataError(
            [
                Problem(
                    name,
                    f"missing required column for {kind} (expected columns: {', '.join(sch.required)})",
                    row=1,
                    column=c,
                )
                for c in missing
            ]
        )
    return coerce(df, kind, file=name, timezone=timezone)


def _read_csv(path: Path) -> pd.DataFrame:
    """pyarrow's multi-threaded parser (a third of the C parser's CPU on a million rows); pandas' C parser
    when pyarrow refuses the file, so a malformed file fails with the same message as before."""
    options = {"dtype": "string", "keep_default_na": False, "na_values": [""], "encoding": "utf-8-sig"}
    try:
        return pd.read_csv(path, engine="pyarrow", **options)
    except Exception:  # pyarrow's ArrowInvalid, ParserError...: let the C parser decide and explain
        return pd.read_csv(path, **options)


def coerce(
    df: pd.DataFrame, kind: str, *, file: str = "<memory>", timezone: str | None = None
) -> pd.DataFrame:
    """Give a frame of `kind` its canonical dtypes; raise DataError listing every bad cell (bounded)."""
    sch = schema(kind)
    collector = ProblemCollector()
    out = df.copy()
    for col in out.columns:
        if col in sch.timestamps:
            out[col] = parse_timestamps(
                out[col], file=file, column=col, timezone=timezone, collector=collector
            )
        elif col in sch.numbers or col in sch.integers:
            raw = out[col]
            num = pd.to_numeric(raw, errors="coerce")
            bad = raw.notna() & (raw.astype("string").str.strip() != "") & num.isna()
            for idx in bad[bad].index[:20]:
                collector.add(
                    Problem(file, "expected a number", row=_row(raw, idx, 2), column=col, value=str(raw[idx]))
                )
            out[col] = num.astype("Int64") if col in sch.integers else num.astype("Float64")
        elif col in sch.dates:
            raw = out[col]
            parsed = pd.to_datetime(raw, errors="coerce", format="ISO8601")
            bad = raw.notna() & parsed.isna()
            for idx in bad[bad].index[:20]:
                collector.add(
                    Problem(
                        file,
                        "expected a date YYYY-MM-DD",
                        row=_row(raw, idx, 2),
                        column=col,
                        value=str(raw[idx]),
                    )
                )
            out[col] = parsed.dt.tz_localize(None) if isinstance(parsed.dtype, pd.DatetimeTZDtype) else parsed
        elif col in sch.booleans:
            raw = out[col].astype("string").str.strip().str.lower()
            mapping = {
                "true": True,
                "1": True,
                "yes": True,
                "y": True,
                "false": False,
                "0": False,
                "no": False,
                "n": False,
            }
            out[col] = raw.map(mapping).astype("boolean")
        elif not pd.api.types.is_string_dtype(out[col]) and col in sch.columns:
            out[col] = out[col].astype("string")
    collector.raise_if_any()
    return out


def to_output(df: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as ISO 8601 strings with offset for CSV output (UTC, `Z`-free `+00:00`)."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            # pandas' strftime has no `%:z`; values are UTC in memory, so the offset is always +00:00
            out[col] = (out[col].dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S") + "+00:00").astype(
                "string"
            )
    return out


def write_canonical(df: pd.DataFrame, path: str | Path) -> Path:
    """Write as CSV (UTF-8, comma, header) or Parquet by the file's ending."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix == ".csv":
        to_output(df).to_csv(path, index=False, encoding="utf-8")
    else:
        raise UsageError(f"--out must end in .csv or .parquet, not {path.name!r}")
    return path
