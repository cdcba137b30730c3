"""`servicenow` (incident list exports) and `servicenow-events` (the incident event log: one row per update).

List exports carry field names (`number`, `opened_at`) or labels (`Number`, `Opened`) and display values
(`1 - Critical`, `On Hold`); some write `?` for empty (handled by the reader). A label may repeat (`Severity`
twice in the Whirlpool export: two different fields), which the reader keeps apart. Severity is not priority
in ServiceNow (priority = impact x urgency), so it is not mapped.

The event log (UCI's "incident management process enriched event log" shape: `number, incident_state,
sys_mod_count, sys_updated_at, ...`) gives both datasets: tickets = the last update of each incident, and
ticket_events = the updates where the state changed, at `sys_updated_at`, ordered by `sys_mod_count`.
"""

from __future__ import annotations

import pandas as pd

from auditbridge.errors import DataError, Problem
from tasks.ingest.dates import parse_datetime_columns
from tasks.ingest.normalise import (
    find_columns,
    header_keys,
    leading_digit_priority,
    normalise_priority,
    normalise_status,
    require_columns,
)
from tasks.ingest.readers import (
    ROW,
    head_text,
    header_fields,
    labelled,
    read_delimited,
    sniff_delimiter,
    with_rows,
)

ALIASES = {
    "ticket_id": ("number", "Number"),
    "status": ("incident_state", "Incident state", "state", "State"),
    "priority": ("priority", "Priority"),
    "created_at": ("opened_at", "Opened", "sys_created_on", "Created"),
    "resolved_at": ("resolved_at", "Resolved"),
    "closed_at": ("closed_at", "Closed"),
    "requester": ("caller_id", "Caller", "Affected User", "u_affected_user"),
    "assignee": ("assigned_to", "Assigned to"),
    "assignee_group": ("assignment_group", "Assignment group"),
    "category": ("category", "Category"),
    "department": ("caller_id.department", "Caller.Department", "Department"),
    "title": ("short_description", "Short description"),
    "source": ("contact_type", "Contact type", "Channel"),
}
EVENT_ALIASES = {**ALIASES, "seq": ("sys_mod_count",), "at": ("sys_updated_at",)}

STATUSES = {
    "New": "new",
    "In Progress": "open",
    "Work In Progress": "open",
    "Active": "open",
    "Assigned": "open",
    "On Hold": "pending",
    "Awaiting User Info": "pending",
    "Awaiting Caller": "pending",
    "Awaiting Problem": "pending",
    "Awaiting Vendor": "pending",
    "Awaiting Evidence": "pending",
    "Awaiting Change": "pending",
    "Resolved": "resolved",
    "Closed": "closed",
    "Canceled": "cancelled",
    "Cancelled": "cancelled",
    # stored values, when the export writes them instead of display values
    "1": "new",
    "2": "open",
    "3": "pending",
    "6": "resolved",
    "7": "closed",
    "8": "cancelled",
}
PRIORITIES = {
    "1 - Critical": "P1",
    "2 - High": "P2",
    "3 - Moderate": "P3",
    "4 - Low": "P4",
    "5 - Planning": "P5",
}


def _tickets(ctx, raw: pd.DataFrame, aliases: dict) -> tuple[pd.DataFrame, dict[str, str]]:
    cols = find_columns(raw.columns, aliases)
    require_columns(ctx, cols, aliases, "ServiceNow")
    df = pd.DataFrame({c: raw[src] for c, src in cols.items()}, index=raw.index)
    df, _ = parse_datetime_columns(ctx, df, ["created_at", "resolved_at", "closed_at", "at"], labels=cols)
    df, status, status_raw = normalise_status(ctx, df, "status", STATUSES, label=cols["status"])
    df = df.assign(status=status, status_raw=status_raw)
    if "priority" in df.columns:
        df, prio, prio_raw = normalise_priority(
            ctx, df, "priority", PRIORITIES, fallback=leading_digit_priority, label=cols["priority"]
        )
        df = df.assign(priority=prio, priority_raw=prio_raw)
    return df, cols


class ServiceNowFormat:
    name = "servicenow"
    kinds = ("tickets",)

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head)
        keys = header_keys(header_fields(text, sniff_delimiter(text)))
        if "number" not in keys or not keys & {"state", "incident state", "incident_state"}:
            return 0.0
        return (
            0.9
            if "INC" in text[:4096] or keys & {"opened_at", "sys_created_on", "opened", "created"}
            else 0.6
        )

    def read(self, ctx) -> dict[str, pd.DataFrame]:
        df, cols = _tickets(ctx, read_delimited(ctx), ALIASES)
        return {"tickets": labelled(df, cols)}


class ServiceNowEventsFormat:
    name = "servicenow-events"
    kinds = ("tickets", "ticket_events")

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head)
        keys = header_keys(header_fields(text, sniff_delimiter(text)))
        return 0.97 if {"number", "incident_state", "sys_mod_count", "sys_updated_at"} <= keys else 0.0

    def read(self, ctx) -> dict[str, pd.DataFrame]:
        raw = read_delimited(ctx)
        df, cols = _tickets(ctx, raw, EVENT_ALIASES)
        for needed in ("seq", "at"):
            if needed not in cols:
                raise DataError(
                    Problem(
                        ctx.name,
                        f"an event log needs the column {EVENT_ALIASES[needed][0]}",
                        row=1,
                        column=EVENT_ALIASES[needed][0],
                    )
                )
        df = with_rows(df)
        seq = pd.to_numeric(df["seq"], errors="coerce").astype("Int64")
        df = df.assign(seq=seq).sort_values(["ticket_id", "seq", ROW], kind="stable")
        same_ticket = df["ticket_id"].eq(df["ticket_id"].shift()).fillna(False).astype(bool)
        same_state = df["status_raw"].eq(df["status_raw"].shift()).fillna(False).astype(bool)
        changed = ~(same_ticket & same_state)
        events = df.loc[changed, ["ticket_id", "at", "status", "status_raw", "seq", ROW, "_problem"]]
        last = ~df["ticket_id"].eq(df["ticket_id"].shift(-1)).fillna(False).astype(bool)
        tickets = df.loc[last].drop(columns=["seq", "at"]).sort_values(ROW, kind="stable")
        return {
            "tickets": labelled(tickets, cols),
            "ticket_events": labelled(events.sort_values(ROW, kind="stable"), cols),
        }


FORMATS = [ServiceNowFormat(), ServiceNowEventsFormat()]
