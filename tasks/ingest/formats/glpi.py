"""`glpi`: GLPI ticket search exports (Search > Export CSV), French, English and Spanish interfaces.

The columns are whatever the user's saved search shows, in the interface language, so fields are found by
header in any language and any subset: only the id, the status and the opening date are required. What GLPI
writes (see ../shared/samples/glpi/SOURCE.md): `;` separated, every field quoted, BOM, a trailing `;`, ids with
a thousands space (`"49 541"`), several actors joined by `<br>` with their numeric id in parentheses, dates
`DD-MM-YYYY HH:MM` (or ISO, per user preference; the order is decided per file), durations in words.

department = the requester group when the search shows it (else empty); assignee_group = the technicians'
group; category = Catégorie; the title is kept (titles are not people); the description never is.
"""

from __future__ import annotations

import pandas as pd

from tasks.ingest.dates import ORDER_DAY, parse_datetime_columns
from tasks.ingest.durations import parse_durations
from tasks.ingest.normalise import (
    find_columns,
    header_keys,
    hkey,
    normalise_priority,
    normalise_status,
    require_columns,
)
from tasks.ingest.readers import (
    flag_rows,
    head_text,
    header_fields,
    labelled,
    read_delimited,
    report_cells,
    sniff_delimiter,
)

PEOPLE_SEP = "; "

ALIASES: dict[str, tuple[str, ...]] = {
    "ticket_id": ("ID",),
    "title": ("Titre", "Title", "Título", "Titulo"),
    "status": ("Statut", "Status", "Estado"),
    "priority": ("Priorité", "Priority", "Prioridad"),
    "created_at": ("Date d'ouverture", "Opening date", "Fecha de apertura", "Fecha de Apertura"),
    "closed_at": ("Date de clôture", "Closing date", "Fecha de cierre"),
    "resolved_at": ("Date de résolution", "Resolution date", "Fecha de solución", "Fecha de resolución"),
    "first_response_at": ("Date de prise en compte", "Take into account date", "Fecha de toma en cuenta"),
    "requester": (
        "Demandeur - Demandeur",
        "Requester - Requester",
        "Solicitante - Solicitante",
        "Demandeur",
        "Requester",
        "Solicitante",
    ),
    "assignee": (
        "Attribué à - Technicien",
        "Assigned to - Technician",
        "Asignado a: - Técnico",
        "Asignado a - Técnico",
        "Technicien",
        "Technician",
        "Técnico",
    ),
    "assignee_group": (
        "Attribué à - Groupe de techniciens",
        "Assigned to - Technician group",
        "Assigned to - Group in charge of the ticket",
        "Asignado a: - Grupo de técnicos",
        "Asignado a - Grupo de técnicos",
        "Asignado a: - Grupo técnico",
        "Groupe de techniciens",
        "Technician group",
        "Grupo de técnicos",
    ),
    "department": (
        "Demandeur - Groupe de demandeurs",
        "Demandeur - Groupe demandeur",
        "Requester - Requester group",
        "Requester - Requester Group",
        "Solicitante - Grupo solicitante",
        "Solicitante - Grupo de solicitantes",
    ),
    "category": ("Catégorie", "Category", "Categoría", "Categoria"),
    "source": (
        "Source de la demande",
        "Request source",
        "Origen de la solicitud",
        "Origen del requerimiento",
    ),
    # harmless extras
    "entity": ("Entité", "Entity", "Entidad"),
    "location": ("Lieu", "Location", "Localización", "Ubicación"),
    "ticket_type": ("Type", "Tipo"),
    "resolution_duration_s": (
        "Statistiques - Délai de résolution",
        "Statistics - Resolution time",
        "Estadísticas - Tiempo de solución",
        "Estadisticas - Tiempo de solucion",
    ),
    "first_response_delay_s": (
        "Statistiques - Délai de prise en compte",
        "Statistics - Take into account time",
        "Estadísticas - Tiempo de toma en cuenta",
    ),
}

STATUSES = {
    # French
    "Nouveau": "new",
    "Nouveaux": "new",
    "En cours (Attribué)": "open",
    "En cours (attribué)": "open",
    "En cours (Planifié)": "open",
    "En cours (planifié)": "open",
    "En attente": "pending",
    "Résolu": "resolved",
    "Résolus": "resolved",
    "Clos": "closed",
    "Fermé": "closed",
    # English
    "New": "new",
    "Processing (assigned)": "open",
    "Processing (planned)": "open",
    "Pending": "pending",
    "Solved": "resolved",
    "Resolved": "resolved",
    "Closed": "closed",
    # Spanish
    "Nuevo": "new",
    "Nueva": "new",
    "Nuevas": "new",
    "En curso (asignada)": "open",
    "En curso (asignado)": "open",
    "En curso (planificada)": "open",
    "En curso (planificado)": "open",
    "En espera": "pending",
    "Resuelto": "resolved",
    "Resuelta": "resolved",
    "Resueltas": "resolved",
    "Resueltos": "resolved",
    "Cerrado": "closed",
    "Cerrada": "closed",
    "Cerradas": "closed",
    "Cerrados": "closed",
}

PRIORITIES = {
    "Très basse": "P5",
    "Basse": "P4",
    "Moyenne": "P3",
    "Haute": "P2",
    "Très haute": "P1",
    "Majeure": "P1",
    "Very low": "P5",
    "Low": "P4",
    "Medium": "P3",
    "High": "P2",
    "Very high": "P1",
    "Major": "P1",
    "Muy baja": "P5",
    "Baja": "P4",
    "Media": "P3",
    "Mediana": "P3",
    "Alta": "P2",
    "Muy alta": "P1",
    "Mayor": "P1",
}

_SIGNATURE = {
    hkey(n)
    for n in (
        "Demandeur - Demandeur",
        "Requester - Requester",
        "Solicitante - Solicitante",
        "Attribué à - Technicien",
        "Assigned To - Technician",
        "Asignado a: - Técnico",
        "Date d'ouverture",
        "Opening Date",
        "Fecha de Apertura",
        "Statistiques - Délai de résolution",
        "Estadísticas - Tiempo de solución",
        "Entité",
    )
}
_STATUS_HEADERS = {hkey(n) for n in ALIASES["status"]}


def people(values: pd.Series) -> pd.Series:
    """`A (837) <br>B (1103)` -> `A (837); B (1103)`: the separator the pseudonymiser splits on (it drops the ids)."""
    # RE2-compatible pattern (no \s): pandas hands it to pyarrow instead of looping in Python
    return values.astype("string").str.replace("[ \t]*<br[ /]*>[ \t]*", PEOPLE_SEP, regex=True).str.strip()


class GlpiFormat:
    name = "glpi"
    kinds = ("tickets",)

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head)
        header = header_fields(text, sniff_delimiter(text))
        keys = header_keys(header)
        if "id" not in keys or not keys & _STATUS_HEADERS:
            return 0.0
        hits = len(keys & _SIGNATURE)
        if hits:
            return min(0.95, 0.75 + 0.1 * hits)
        return 0.55 if ";" in text.split("\n", 1)[0] else 0.0

    def read(self, ctx) -> dict[str, pd.DataFrame]:
        raw = read_delimited(ctx)
        cols = find_columns(raw.columns, ALIASES)
        df = pd.DataFrame({c: raw[src] for c, src in cols.items()}, index=raw.index)
        require_columns(ctx, df.columns, ALIASES, "GLPI")
        df = df.assign(ticket_id=df["ticket_id"].str.replace("[ \t\u00a0\u202f.,']", "", regex=True))
        bad_id = df["ticket_id"].isna() | ~df["ticket_id"].str.fullmatch("[0-9]+", na=False)
        if bad_id.any():
            report_cells(
                ctx,
                df,
                bad_id,
                cols["ticket_id"],
                "expected a GLPI ticket number such as 49 541",
                raw[cols["ticket_id"]],
            )
            df = flag_rows(df, bad_id, "no ticket id")
        for person in ("requester", "assignee"):
            if person in df.columns:
                df = df.assign(**{person: people(df[person])})
        for dur in ("resolution_duration_s", "first_response_delay_s"):
            if dur in df.columns:
                seconds, bad = parse_durations(df[dur])
                if bad.any():
                    report_cells(
                        ctx,
                        df,
                        bad,
                        cols[dur],
                        "expected a duration such as '1 jours 3 heures 17 minutes'",
                        raw[cols[dur]],
                    )
                    df = flag_rows(df, bad, f"unreadable duration in '{cols[dur]}'")
                df = df.assign(**{dur: seconds})
        df, _ = parse_datetime_columns(
            ctx,
            df,
            ["created_at", "closed_at", "resolved_at", "first_response_at"],
            order_hint=ORDER_DAY,
            labels=cols,
        )
        if "first_response_at" not in df.columns and "first_response_delay_s" in df.columns:
            # GLPI's "time to own" (TTO) is stored as a delay from opening: the instant is opening + delay
            delay = pd.to_timedelta(df["first_response_delay_s"].astype("float64"), unit="s")
            df = df.assign(first_response_at=df["created_at"] + delay)
        df, status, status_raw = normalise_status(ctx, df, "status", STATUSES, label=cols["status"])
        df = df.assign(status=status, status_raw=status_raw)
        if "priority" in df.columns:
            df, prio, prio_raw = normalise_priority(ctx, df, "priority", PRIORITIES, label=cols["priority"])
            df = df.assign(priority=prio, priority_raw=prio_raw)
        return {"tickets": labelled(df, cols)}


FORMATS = [GlpiFormat()]
