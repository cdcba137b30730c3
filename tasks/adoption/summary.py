"""`adoption_summary.json` (docs/architecture.md) and the period-over-period change of each figure.

The summary repeats every row of `adoption_tools.csv` as JSON (`null` where a figure cannot be known, never
NaN), adds the totals, the monthly active users and the lists a reader acts on (tools nobody licensed, licences
nobody used). The change of a figure is `current - previous` for the same tool and department, with the
previous figures computed from the usage itself when it covers the previous period, else taken from the
previous run's `metrics.json`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from auditbridge.period import Period

_ROW_KEYS = ("tool", "department")


def json_value(value):
    """A cell as JSON: NA and NaN become null, numpy scalars plain numbers, floats rounded to 6 decimals."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 6)
    return value


def rows_from_metrics(metrics: dict, previous: Period) -> pd.DataFrame | None:
    """The previous run's tool and department rows, if that run audited exactly `previous`."""
    summ = metrics.get("adoption") if "adoption" in metrics else metrics
    if not isinstance(summ, dict) or (summ.get("period") or {}).get("label") != previous.label:
        return None
    rows = list(summ.get("tools") or []) + list(summ.get("departments") or [])
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    if "tool" not in frame.columns:
        return None
    if "department" not in frame.columns:
        frame["department"] = None
    return frame


def _row_key(frame: pd.DataFrame) -> pd.Series:
    tool = frame["tool"].astype("string").str.strip().str.casefold()
    dept = frame["department"].astype("string").fillna("")
    return tool + "\x1f" + dept


def with_change(current: pd.DataFrame, previous: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    """`current` plus `<col>_change` columns (NA where either side is unknown or the row is new)."""
    out = current.copy()
    if previous is None:
        for col in columns:
            out[f"{col}_change"] = pd.array([pd.NA] * len(out), dtype="Float64")
        return out
    prev = previous.assign(_key=_row_key(previous)).drop_duplicates("_key").set_index("_key")
    keys = _row_key(out)
    for col in columns:
        if col in prev.columns:
            before = pd.to_numeric(prev[col], errors="coerce").astype("Float64").reindex(keys.to_numpy())
            before = pd.array(before.to_numpy(dtype=np.float64, na_value=np.nan), dtype="Float64")
        else:
            before = pd.array([pd.NA] * len(out), dtype="Float64")
        now = pd.array(out[col].to_numpy(dtype=np.float64, na_value=np.nan), dtype="Float64")
        out[f"{col}_change"] = now - before
    return out


def _row_dict(row: dict, base_columns: list[str], change_columns: list[str], with_change: bool) -> dict:
    out = {c: json_value(row[c]) for c in base_columns}
    if with_change:
        change = {c: json_value(row[f"{c}_change"]) for c in change_columns}
        out["change"] = {k: v for k, v in change.items() if v is not None} or None
    else:
        out["change"] = None
    return out


# The keys `build_summary` writes itself, in order; every other key of a summary is one of the engine's `extra`
# figures (the partitioned run merges the two kinds differently: see tasks/partition.py).
BUILT_KEYS = (
    "period",
    "previous_period",
    "timezone",
    "currency",
    "min_group_size",
    "totals",
    "tools",
    "departments",
    "monthly",
    "tools_without_licence",
    "licences_without_usage",
    "change_source",
)


def build_summary(
    tools: pd.DataFrame,
    *,
    period: Period,
    previous: Period | None,
    timezone: str,
    currency: str,
    min_group_size: int,
    monthly: list[dict],
    tools_without_licence: list[str],
    active_total: int,
    change_source: str | None,
    extra: dict,
) -> dict:
    from tasks.adoption.engine import CHANGE_COLUMNS, COLUMNS

    is_tool = tools["department"].isna()
    records = tools.astype(object).where(tools.notna(), None).to_dict("records")
    tool_rows = [
        _row_dict(r, COLUMNS, CHANGE_COLUMNS, change_source is not None)
        for r, t in zip(records, is_tool, strict=True)
        if t
    ]
    dept_rows = [
        _row_dict(r, COLUMNS, CHANGE_COLUMNS, change_source is not None)
        for r, t in zip(records, is_tool, strict=True)
        if not t
    ]
    head = tools[is_tool]

    def total(col: str, mask=None) -> float | None:
        values = head[col] if mask is None else head.loc[mask, col]
        values = values.dropna()
        return json_value(float(values.sum())) if len(values) else 0

    same_currency = head["currency"].fillna(currency) == currency
    idle_cost = total("idle_cost", same_currency)
    totals = {
        "seats": _int(total("seats")),
        "assigned": _int(total("assigned")),
        "unassigned": _int(total("unassigned")),
        "active_users": int(active_total),
        "idle_seats": _int(total("idle_seats")),
        "idle_cost": idle_cost,
        "currency": currency,
        "zombie_seats": _int(total("zombie_seats")) if head["zombie_seats"].notna().any() else None,
        "leaver_seats": _int(total("leaver_seats")) if head["leaver_seats"].notna().any() else None,
    }
    other_currencies = sorted(set(head["currency"].dropna()) - {currency})
    if other_currencies:
        totals["idle_cost_other_currencies"] = {
            c: json_value(float(head.loc[head["currency"] == c, "idle_cost"].dropna().sum()))
            for c in other_currencies
        }
    licensed_unused = head[head["seats"].notna() & (head["active_users"].fillna(0) == 0)]["tool"].tolist()
    built = {
        "period": period.to_dict(),
        "previous_period": previous.to_dict() if previous is not None else None,
        "timezone": timezone,
        "currency": currency,
        "min_group_size": int(min_group_size),
        "totals": totals,
        "tools": tool_rows,
        "departments": dept_rows,
        "monthly": monthly,
        "tools_without_licence": list(tools_without_licence),
        "licences_without_usage": [str(t) for t in licensed_unused],
        "change_source": change_source,
    }
    assert tuple(built) == BUILT_KEYS  # one list of what is built here, read by the partitioned merge
    return {**built, **extra}


def _int(value):
    return None if value is None else int(round(value))
