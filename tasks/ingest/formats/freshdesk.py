"""`freshdesk`: Freshdesk ticket exports (Tickets > Export, CSV), also after an Excel round-trip.

The contact's name is the requester (pseudonymised centrally); the contact's e-mail (`Email`, `Contact ID`),
the description and the company never travel. Business-hour durations ("(in hrs)") and SLA verdicts are kept
out: the SLA stage recomputes them from the timestamps on the audit's own calendar. Freshdesk's default custom
statuses `Waiting on Customer` / `Waiting on Third Party` pause the clock, and helpdesks name their own the
same way (`Waiting on ThingTrax`), so `Waiting on ...` is pending; any other status is reported.
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
    "ticket_id": ("Ticket ID", "Ticket Id", "ID du ticket", "ID de ticket"),
    "title": ("Subject", "Objet", "Asunto"),
    "status": ("Status", "Statut", "Estado"),
    "priority": ("Priority", "Priorité", "Prioridad"),
    "created_at": ("Created time", "Heure de création", "Hora de creación"),
    "resolved_at": ("Resolved time", "Heure de résolution", "Hora de resolución"),
    "closed_at": ("Closed time", "Heure de clôture", "Hora de cierre"),
    "first_response_at": ("Initial response time", "Heure de la réponse initiale"),
    "requester": ("Full name", "Requester name", "Contact", "Nom complet"),
    "assignee": ("Agent",),
    "assignee_group": ("Group", "Groupe", "Grupo"),
    "category": ("Type", "Tipo"),
    "source": ("Source", "Origen"),
    "department": ("Department", "Département", "Departamento"),
}
STATUSES = {
    "Open": "open",
    "Pending": "pending",
    "Resolved": "resolved",
    "Closed": "closed",
    "Waiting on Customer": "pending",
    "Waiting on Third Party": "pending",
    "Ouvert": "open",
    "En attente": "pending",
    "Résolu": "resolved",
    "Fermé": "closed",
}
PRIORITIES = {
    "Urgent": "P1",
    "High": "P2",
    "Medium": "P3",
    "Low": "P4",
    "Urgente": "P1",
    "Haute": "P2",
    "Élevée": "P2",
    "Moyenne": "P3",
    "Basse": "P4",
    "Faible": "P4",
}


def waiting_is_pending(raw: pd.Series) -> pd.Series:
    """Custom statuses named `Waiting on X` (Freshdesk's own convention) are pending; others stay unknown."""
    return raw.map(
        lambda v: "pending" if key(v).startswith("waiting on ") else None, na_action="ignore"
    ).astype("string")


class FreshdeskFormat:
    name = "freshdesk"
    kinds = ("tickets",)

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head)
        keys = header_keys(header_fields(text, sniff_delimiter(text)))
        if "ticket id" in keys and "created time" in keys:
            return 0.92
        return 0.0

    def read(self, ctx) -> dict[str, pd.DataFrame]:
        raw = read_delimited(ctx)
        cols = find_columns(raw.columns, ALIASES)
        require_columns(ctx, cols, ALIASES, "Freshdesk")
        df = pd.DataFrame({c: raw[src] for c, src in cols.items()}, index=raw.index)
        df, _ = parse_datetime_columns(
            ctx, df, ["created_at", "resolved_at", "closed_at", "first_response_at"], labels=cols
        )
        df, status, status_raw = normalise_status(
            ctx, df, "status", STATUSES, fallback=waiting_is_pending, label=cols["status"]
        )
        df = df.assign(status=status, status_raw=status_raw)
        if "priority" in df.columns:
            df, prio, prio_raw = normalise_priority(ctx, df, "priority", PRIORITIES, label=cols["priority"])
            df = df.assign(priority=prio, priority_raw=prio_raw)
        return {"tickets": labelled(df, cols)}


FORMATS = [FreshdeskFormat()]
