"""`generic`: any CSV, JSON lines or Parquet file, with an optional YAML mapping.

Without a mapping the file must already use canonical column names (CONTRACTS section 2), for any kind: the
demo's `ticket_events.csv`, usage event logs such as `tool,user,at,action,department`. With a mapping, columns,
values and formats are translated:

```yaml
kind: ticket_events                 # optional when the canonical columns say it
columns:                            # canonical name: source column, or {column, split, part} or {value}
  ticket_id: {column: Ticket, split: " / ", part: 0}
  at: Timestamp
  status: Status Name
  seq: Status No.
values:                             # per canonical column: source value -> canonical value
  status: {Logged: new, Assigned: open, Customer Response: pending, UAT: pending, Closed: closed}
date_format: "%d/%m/%Y %H:%M"       # or day-first / month-first; default: inferred per file
timezone: Europe/Paris              # for naive times (else --timezone)
tool: crm                           # usage, licences, assignments: the tool when the file does not say it
```

With a mapping only the mapped columns are kept, so unmapped columns (descriptions, names) never travel.
"""

from __future__ import annotations

import io
import json

import pandas as pd

from auditbridge.datasets import KINDS, SCHEMAS
from auditbridge.errors import ConfigError, DataError, Problem
from tasks.ingest.dates import ORDER_DAY, ORDER_MONTH, parse_datetime_columns
from tasks.ingest.normalise import (
    CANONICAL_PRIORITIES,
    CANONICAL_STATUSES,
    leading_digit_priority,
    normalise_priority,
    normalise_status,
)
from tasks.ingest.readers import ROW, decode, head_text, header_fields, read_delimited, sniff_delimiter

MAPPING_KEYS = {
    "kind",
    "columns",
    "values",
    "date_format",
    "date_order",
    "timezone",
    "tool",
    "delimiter",
    "_file",
}
STATUS_WORDS = {
    **CANONICAL_STATUSES,
    "in progress": "open",
    "on hold": "pending",
    "waiting": "pending",
    "solved": "resolved",
    "canceled": "cancelled",
    "done": "closed",
}
PRIORITY_WORDS = {
    **CANONICAL_PRIORITIES,
    "critical": "P1",
    "urgent": "P1",
    "high": "P2",
    "medium": "P3",
    "normal": "P3",
    "low": "P4",
    "planning": "P5",
}
# Kinds in the order they are tried when the columns must tell: the most specific first.
_KIND_ORDER = ("ticket_events", "tickets", "licences", "usage", "assignments", "directory")


def infer_kind(columns: list[str]) -> str | None:
    """The kind whose required canonical columns are all present (events before tickets: they share two)."""
    cols = set(columns)
    for kind in _KIND_ORDER:
        sch = SCHEMAS[kind]
        if set(sch.required) <= cols:
            if kind == "ticket_events" and "created_at" in cols:
                continue
            if kind == "assignments" and ("at" in cols or "seats" in cols):
                continue
            if kind == "directory" and "at" in cols:  # an activity log with departments, not a directory
                continue
            return kind
    return None


def _kind_allowing_tool(columns: list[str]) -> str | None:
    """Usage-like files without a `tool` column, when --tool gives it."""
    return infer_kind([*columns, "tool"])


def _load(ctx) -> pd.DataFrame:
    """CSV/TSV, JSON lines or Parquet (recognised by content) -> string columns; ROW counts as the user does."""
    data = ctx.data
    if data[:4] == b"PAR1":
        try:
            df = pd.read_parquet(io.BytesIO(data))
        except Exception as exc:  # pyarrow raises several kinds for a damaged file
            raise DataError(
                Problem(ctx.name, f"not a readable Parquet file ({type(exc).__name__}: {exc})")
            ) from None
        df = df.astype("string").reset_index(drop=True)
        return df.assign(**{ROW: pd.Series(range(1, len(df) + 1), dtype="Int64")})
    text = head_text(data).lstrip()
    if text.startswith("{"):
        full, _ = decode(data, ctx.name)
        try:
            df = pd.read_json(io.StringIO(full), lines=True, dtype=False)
        except ValueError as exc:
            raise DataError(Problem(ctx.name, f"not valid JSON lines (one object per line): {exc}")) from None
        for col in df.columns:  # nested objects stay JSON text: harmless and lossless
            if df[col].map(lambda v: isinstance(v, (dict, list)), na_action="ignore").any():
                df[col] = df[col].map(
                    lambda v: json.dumps(v) if isinstance(v, (dict, list)) else v, na_action="ignore"
                )
        df = df.astype("string").reset_index(drop=True)
        return df.assign(**{ROW: pd.Series(range(1, len(df) + 1), dtype="Int64")})
    delimiter = (ctx.mapping or {}).get("delimiter")
    return read_delimited(ctx, delimiter=delimiter)


def _check_mapping(mapping: dict) -> None:
    name = mapping.get("_file", "mapping")
    problems = [
        f"{k}: unknown key (expected {', '.join(sorted(MAPPING_KEYS - {'_file'}))})"
        for k in mapping
        if k not in MAPPING_KEYS
    ]
    if mapping.get("kind") is not None and mapping["kind"] not in KINDS:
        problems.append(f"kind: {mapping['kind']!r} is not one of {', '.join(KINDS)}")
    if not isinstance(mapping.get("columns", {}), dict):
        problems.append("columns: expected canonical_name: source_column pairs")
    if mapping.get("date_order") not in (None, ORDER_DAY, ORDER_MONTH):
        problems.append(f"date_order: expected {ORDER_DAY} or {ORDER_MONTH}")
    if problems:
        raise ConfigError(name, problems)


def _apply_columns(ctx, df: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Build the canonical frame from the mapping's `columns:`; a source column absent from the file refuses it."""
    out = {}
    missing = []
    for target, source in spec.items():
        if isinstance(source, dict) and "value" in source:
            out[target] = pd.Series(str(source["value"]), index=df.index, dtype="string")
            continue
        column = source.get("column") if isinstance(source, dict) else source
        if column not in df.columns:
            missing.append((target, column))
            continue
        values = df[column].astype("string")
        if isinstance(source, dict) and source.get("split") is not None:
            values = (
                values.str.split(str(source["split"]), regex=False)
                .str.get(int(source.get("part", 0)))
                .str.strip()
            )
            values = values.astype("string")
        out[target] = values
    if missing:
        raise DataError(
            [
                Problem(
                    ctx.name,
                    f"the mapping takes '{t}' from this column, which the file does not have "
                    f"(columns: {', '.join(map(str, list(df.columns)[:20]))})",
                    row=1,
                    column=str(c),
                )
                for t, c in missing
            ]
        )
    frame = pd.DataFrame(out, index=df.index)
    if ROW in df.columns:
        frame[ROW] = df[ROW]
    return frame


class GenericFormat:
    name = "generic"
    kinds = KINDS

    def sniff(self, head: bytes, name: str) -> float:
        if head[:4] == b"PAR1":
            return 0.55
        text = head_text(head).lstrip()
        if text.startswith("{"):
            try:
                first = json.loads(text.split("\n", 1)[0])
            except ValueError:
                return 0.0
            return 0.6 if isinstance(first, dict) and infer_kind(list(first)) else 0.0
        header = header_fields(text, sniff_delimiter(text))
        return 0.6 if infer_kind(header) else 0.0

    def read(self, ctx) -> dict[str, pd.DataFrame]:
        mapping = dict(ctx.mapping or {})
        _check_mapping(mapping)
        raw = _load(ctx)
        df = _apply_columns(ctx, raw, mapping["columns"]) if mapping.get("columns") else raw
        tool = ctx.tool or mapping.get("tool")
        kind = mapping.get("kind") or (
            _kind_allowing_tool(list(df.columns)) if tool else infer_kind(list(df.columns))
        )
        if kind is None:
            raise DataError(
                Problem(
                    ctx.name,
                    "cannot tell which dataset this is: expected the canonical columns of one kind "
                    "(e.g. ticket_id, created_at, status for tickets; tool, user, at for usage), or a mapping",
                    row=1,
                )
            )
        sch = SCHEMAS[kind]
        if tool and "tool" in sch.columns and "tool" not in df.columns:
            df = df.assign(tool=pd.Series(tool, index=df.index, dtype="string"))
        if mapping.get("columns"):
            df = df[[c for c in df.columns if c in sch.columns or c == ROW]]
        labels = {
            t: str(s.get("column", t) if isinstance(s, dict) else s)
            for t, s in (mapping.get("columns") or {}).items()
        }
        df, _ = parse_datetime_columns(
            ctx,
            df,
            list(sch.timestamps),
            fmt=mapping.get("date_format") or mapping.get("date_order"),
            timezone=mapping.get("timezone") or ctx.timezone,
            labels=labels,
        )
        if sch.dates:  # calendar dates (directory start/end): same per-file reading, no zone, no time
            date_fmt = mapping.get("date_format") or mapping.get("date_order")
            df, res = parse_datetime_columns(
                ctx, df, list(sch.dates), fmt=date_fmt, timezone="UTC", labels=labels
            )
            df = df.assign(**{c: s.dt.tz_localize(None).dt.normalize() for c, s in res.columns.items()})
        if "status" in sch.columns and "status" in df.columns:
            df, status, raw_status = normalise_status(
                ctx, df, "status", STATUS_WORDS, label=labels.get("status")
            )
            df = df.assign(
                status=status, status_raw=df["status_raw"] if "status_raw" in df.columns else raw_status
            )
        if "priority" in sch.columns and "priority" in df.columns:
            df, prio, raw_prio = normalise_priority(
                ctx,
                df,
                "priority",
                PRIORITY_WORDS,
                fallback=leading_digit_priority,
                label=labels.get("priority"),
            )
            df = df.assign(
                priority=prio, priority_raw=df["priority_raw"] if "priority_raw" in df.columns else raw_prio
            )
        return {kind: df}


FORMATS = [GenericFormat()]
