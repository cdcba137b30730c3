"""`zendesk`: Zendesk ticket exports, CSV (times in the account's zone) and JSON lines (one ticket per line, UTC).

CSV columns follow Zendesk's documented export (`Id, Requester, Requester id, ..., Assignee, Group, Subject,
Status, Priority, Via, Ticket type, Created at, Updated at, Assigned at, Solved at, ..., First reply time in
minutes`); JSON lines carry the ticket object of the API (`id, created_at, status, priority, requester_id,
assignee_id, group_id, subject, type, via.channel`, optional `metric_set.solved_at`). Requester e-mails,
descriptions and comments are never read. The first reply time, in calendar minutes, gives the first
response instant; the "within business hours" variants are left for the SLA stage to recompute.
"""

from __future__ import annotations

import io
import json

import pandas as pd

from auditbridge.errors import DataError, Problem
from tasks.ingest.dates import parse_datetime_columns
from tasks.ingest.normalise import (
    find_columns,
    header_keys,
    normalise_priority,
    normalise_status,
    require_columns,
)
from tasks.ingest.readers import (
    ROW,
    decode,
    head_text,
    header_fields,
    labelled,
    read_delimited,
    sniff_delimiter,
)

ALIASES = {
    "ticket_id": ("Id", "ID", "Ticket ID"),
    "title": ("Subject",),
    "status": ("Status",),
    "priority": ("Priority",),
    "created_at": ("Created at",),
    "resolved_at": ("Solved at",),
    "requester": ("Requester",),
    "assignee": ("Assignee",),
    "assignee_group": ("Group",),
    "category": ("Ticket type", "Type"),
    "source": ("Via",),
    "first_reply_minutes": ("First reply time in minutes",),
}
JSON_FIELDS = {
    "ticket_id": "id",
    "title": "subject",
    "status": "status",
    "priority": "priority",
    "created_at": "created_at",
    "requester": "requester_id",
    "assignee": "assignee_id",
    "assignee_group": "group_id",
    "category": "type",
}
STATUSES = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "pending",
    "on-hold": "pending",
    "on hold": "pending",
    "solved": "resolved",
    "closed": "closed",
    "deleted": "cancelled",
}
PRIORITIES = {"urgent": "P1", "high": "P2", "normal": "P3", "low": "P4"}


def _read_jsonl(ctx) -> pd.DataFrame:
    text, _ = decode(ctx.data, ctx.name)
    try:
        records = pd.read_json(io.StringIO(text), lines=True, dtype=False)
    except ValueError as exc:
        raise DataError(
            Problem(ctx.name, f"not valid JSON lines (one ticket object per line): {exc}")
        ) from None
    out = {c: records[src] for c, src in JSON_FIELDS.items() if src in records.columns}
    if "via" in records.columns:
        out["source"] = records["via"].map(
            lambda v: v.get("channel") if isinstance(v, dict) else v, na_action="ignore"
        )
    if "metric_set" in records.columns:
        out["resolved_at"] = records["metric_set"].map(
            lambda v: v.get("solved_at") if isinstance(v, dict) else None, na_action="ignore"
        )
    df = pd.DataFrame(out, index=records.index)
    df = df.astype({c: "string" for c in df.columns})
    # ids are numbers in JSON: `123.0` must not appear when pandas widened a column with nulls to float
    for col in ("ticket_id", "requester", "assignee", "assignee_group"):
        if col in df.columns:
            df[col] = df[col].str.replace(r"\.0$", "", regex=True)
    return df.assign(**{ROW: pd.Series(range(1, len(df) + 1), index=df.index, dtype="Int64")})


class ZendeskFormat:
    name = "zendesk"
    kinds = ("tickets",)

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head).lstrip()
        if text.startswith("{"):
            try:
                first = json.loads(text.split("\n", 1)[0])
            except ValueError:
                return 0.0
            return (
                0.9
                if isinstance(first, dict) and {"id", "status", "created_at", "requester_id"} <= set(first)
                else 0.0
            )
        keys = header_keys(header_fields(text, sniff_delimiter(text)))
        # the Support CSV export (`Summation column, Id, Requester, ...`) and Explore's ticket reports (`ID, Status,
        # Priority, Via, Ticket type, Created at, ...`) share these
        if {"id", "status", "created at"} <= keys and keys & {"requester", "via", "ticket type", "solved at"}:
            return 0.92
        return 0.0

    def read(self, ctx) -> dict[str, pd.DataFrame]:
        if head_text(ctx.data[:4096]).lstrip().startswith("{"):
            df, cols = _read_jsonl(ctx), dict(JSON_FIELDS)
        else:
            raw = read_delimited(ctx)
            cols = find_columns(raw.columns, ALIASES)
            df = pd.DataFrame({c: raw[src] for c, src in cols.items()}, index=raw.index)
        require_columns(ctx, df.columns, ALIASES, "Zendesk")
        df, _ = parse_datetime_columns(ctx, df, ["created_at", "resolved_at"], labels=cols)
        if "first_reply_minutes" in df.columns:
            minutes = pd.to_numeric(df["first_reply_minutes"], errors="coerce")
            df = df.assign(first_response_at=df["created_at"] + pd.to_timedelta(minutes, unit="m")).drop(
                columns="first_reply_minutes"
            )
        df, status, status_raw = normalise_status(ctx, df, "status", STATUSES, label=cols.get("status"))
        df = df.assign(status=status, status_raw=status_raw)
        if "priority" in df.columns:
            df, prio, prio_raw = normalise_priority(
                ctx, df, "priority", PRIORITIES, label=cols.get("priority")
            )
            df = df.assign(priority=prio, priority_raw=prio_raw)
        return {"tickets": labelled(df, cols)}


FORMATS = [ZendeskFormat()]
