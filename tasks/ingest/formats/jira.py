"""`jira`: Jira Cloud "Export CSV (all fields)" (and the current-fields export).

Jira repeats column names (Watchers, Comment, `Custom field (Department)`...): the reader keeps every occurrence
(`Name`, `Name.1`) and a field spread over repeated columns takes its first non-empty value. Dates are
`25/Feb/26 10:17 PM`; the first-response date of the JSM chart field is ISO. Statuses are per workflow, so a
status the map does not know falls back to its Status Category (To Do / In Progress / Done), which Jira itself
assigns to every status; a status with neither is reported, not guessed.
"""

from __future__ import annotations

import pandas as pd

from tasks.ingest.dates import parse_datetime_columns
from tasks.ingest.normalise import (
    find_columns,
    header_keys,
    key,
    normalise_priority,
    normalise_status,
    require_columns,
)
from tasks.ingest.readers import head_text, header_fields, labelled, read_delimited, sniff_delimiter

ALIASES = {
    "ticket_id": ("Issue key",),
    "title": ("Summary",),
    "status": ("Status",),
    "priority": ("Priority",),
    "created_at": ("Created",),
    "resolved_at": ("Resolved",),
    "first_response_at": ("Custom field ([CHART] Date of First Response)", "Date of First Response"),
    "requester": ("Reporter",),
    "assignee": ("Assignee",),
    "department": ("Custom field (Department)", "Department"),
    "category": ("Custom field (Category)", "Category", "Component/s", "Components"),
    "assignee_group": ("Custom field (Team)", "Team"),
    "issue_type": ("Issue Type",),
    "status_category": ("Status Category",),
}

STATUSES = {
    "Open": "open",
    "To Do": "new",
    "Backlog": "new",
    "New": "new",
    "Selected for Development": "open",
    "In Progress": "open",
    "Work in progress": "open",
    "Waiting for support": "open",
    "Escalated": "open",
    "In Review": "open",
    "Reopened": "open",
    "Waiting for customer": "pending",
    "Pending": "pending",
    "On Hold": "pending",
    "Waiting for approval": "pending",
    "Resolved": "resolved",
    "Done": "closed",
    "Closed": "closed",
    "Canceled": "cancelled",
    "Cancelled": "cancelled",
    "Declined": "cancelled",
    "Won't Do": "cancelled",
    "Won't Fix": "cancelled",
}
CATEGORY_STATUS = {"to do": "new", "in progress": "open", "done": "resolved"}
PRIORITIES = {
    "Highest": "P1",
    "Blocker": "P1",
    "Critical": "P1",
    "High": "P2",
    "Major": "P2",
    "Medium": "P3",
    "Low": "P4",
    "Minor": "P4",
    "Lowest": "P5",
    "Trivial": "P5",
}


def first_of_repeats(raw: pd.DataFrame, column: str) -> pd.Series:
    """A field Jira wrote in several same-named columns: the first non-empty value, left to right."""
    repeats = [
        c
        for c in raw.columns
        if c == column or (c.startswith(column + ".") and c[len(column) + 1 :].isdigit())
    ]
    out = raw[repeats[0]]
    for c in repeats[1:]:
        out = out.fillna(raw[c])
    return out


class JiraFormat:
    name = "jira"
    kinds = ("tickets",)

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head)
        keys = header_keys(header_fields(text, sniff_delimiter(text)))
        if {"issue key", "summary", "status"} <= keys:
            return 0.95 if "issue id" in keys or "issue type" in keys else 0.8
        return 0.0

    def read(self, ctx) -> dict[str, pd.DataFrame]:
        raw = read_delimited(ctx)
        cols = find_columns(raw.columns, ALIASES)
        require_columns(ctx, cols, ALIASES, "Jira")
        df = pd.DataFrame({c: first_of_repeats(raw, src) for c, src in cols.items()}, index=raw.index)
        df, _ = parse_datetime_columns(
            ctx, df, ["created_at", "resolved_at", "first_response_at"], labels=cols
        )
        category = df["status_category"] if "status_category" in df.columns else None

        def by_category(unmapped: pd.Series) -> pd.Series:
            if category is None:
                return pd.Series(pd.NA, index=unmapped.index, dtype="string")
            wanted = category[unmapped.notna()]  # only the statuses the map does not know
            return (
                wanted.map(lambda v: CATEGORY_STATUS.get(key(v)), na_action="ignore")
                .astype("string")
                .reindex(unmapped.index)
            )

        df, status, status_raw = normalise_status(
            ctx, df, "status", STATUSES, fallback=by_category, label=cols["status"]
        )
        df = df.assign(status=status, status_raw=status_raw)
        if "priority" in df.columns:
            df, prio, prio_raw = normalise_priority(ctx, df, "priority", PRIORITIES, label=cols["priority"])
            df = df.assign(priority=prio, priority_raw=prio_raw)
        return {
            "tickets": labelled(df.drop(columns=[c for c in ("status_category",) if c in df.columns]), cols)
        }


FORMATS = [JiraFormat()]
