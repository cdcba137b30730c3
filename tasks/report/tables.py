"""The report's tables as CSV files a reader opens in a spreadsheet (`tables/*.csv`).

Cells come from the data (ticket titles, department names) and a spreadsheet runs a cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return as a formula (CSV injection). Every text cell that starts
with one of them is prefixed with `'`, which spreadsheets show as plain text; numbers stay numbers.
Files are UTF-8 with a BOM (so Excel reads accents right), comma separated, `\\n` line ends, fixed column
and row order: the same figures give the same bytes.

People never appear: the requester and assignee pseudonyms are dropped from the ticket table.
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = r"^[=+\-@\t\r]"
PERSON_COLUMNS = ("requester", "assignee", "user")
BOM = "\ufeff"


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would read as a formula, prefixed with `'`; other cells untouched."""
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        text = series.astype("string")
        risky = text.str.contains(FORMULA_START, regex=True, na=False)
        if risky.any():
            out[col] = text.mask(risky, "'" + text)
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """A frame as spreadsheet-safe CSV bytes (BOM, neutralised cells, no index, ISO timestamps)."""
    safe = neutralise(df)
    text = safe.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%S%z")
    return (BOM + text).encode("utf-8")


def _groups(sla: dict, dimension: str) -> pd.DataFrame:
    rows = []
    for group in sla.get(f"by_{dimension}") or []:
        row = {"dimension": dimension, "key": group.get("key"), "tickets": group.get("tickets")}
        for clock in ("first_response", "resolution"):
            c = group.get(clock) or {}
            for field in (
                "met",
                "breached",
                "open_within",
                "open_breached",
                "no_target",
                "compliance_pct",
                "median_s",
                "p90_s",
            ):
                row[f"{clock}_{field}"] = c.get(field)
        rows.append(row)
    return pd.DataFrame(rows)


def sla_groups_table(sla: dict | None) -> pd.DataFrame:
    """SLA figures per goal, priority, department and category, one row per group."""
    if not sla:
        return pd.DataFrame()
    frames = [_groups(sla, d) for d in ("goal", "priority", "department", "category")]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def backlog_table(sla: dict | None) -> pd.DataFrame:
    buckets = ((sla or {}).get("backlog") or {}).get("age_buckets") or []
    return pd.DataFrame(buckets, columns=["bucket", "count"])


def findings_table(findings: list[dict], titles: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per finding, with its headline in the report's first language when given."""
    rows = []
    for f in findings:
        stake = f.get("at_stake") or {}
        p = f.get("params") or {}
        rows.append(
            {
                "id": f["id"],
                "severity": f["severity"],
                "audience": f["audience"],
                "title": (titles or {}).get(f["id"], ""),
                "figure": f.get("figure"),
                "money_at_stake": stake.get("money"),
                "hours_at_stake": stake.get("hours"),
                "tool": p.get("tool"),
                "department": p.get("department"),
                "priority": p.get("priority"),
            }
        )
    cols = [
        "id",
        "severity",
        "audience",
        "title",
        "figure",
        "money_at_stake",
        "hours_at_stake",
        "tool",
        "department",
        "priority",
    ]
    return pd.DataFrame(rows, columns=cols)


def without_people(df: pd.DataFrame | None) -> pd.DataFrame:
    """The ticket or adoption table without the columns that hold a person's pseudonym."""
    if df is None:
        return pd.DataFrame()
    return df.drop(columns=[c for c in PERSON_COLUMNS if c in df.columns])


def build_tables(
    metrics: dict,
    *,
    sla_tickets: pd.DataFrame | None,
    adoption_tools: pd.DataFrame | None,
    findings: list[dict],
    finding_titles: dict[str, str] | None = None,
) -> dict[str, bytes]:
    """Every `tables/*.csv` of a run; a table with no data is still written with its header when known."""
    sla = metrics.get("sla")
    files = {
        "tables/findings.csv": findings_table(findings, finding_titles),
        "tables/sla_groups.csv": sla_groups_table(sla),
        "tables/backlog.csv": backlog_table(sla),
    }
    if sla_tickets is not None:
        files["tables/sla_tickets.csv"] = without_people(sla_tickets)
    if adoption_tools is not None:
        files["tables/adoption_tools.csv"] = without_people(adoption_tools)
    monthly = (metrics.get("adoption") or {}).get("monthly")
    if monthly:
        files["tables/adoption_monthly.csv"] = pd.DataFrame(monthly)
    return {name: to_csv_bytes(df) for name, df in sorted(files.items())}
