"""The figures of `sla_summary.json`, from the per-ticket frame: grouped counts, compliance, times, backlog.

Both audiences read these numbers, so each has one plain definition, written here once and reused by the
report instead of being rebuilt by hand in a spreadsheet:
- compliance % = met / (met + breached) x 100 over tickets whose clock has a target; open tickets are
  counted apart (`open_within`, `open_breached`) so a breach count never looks only at closed tickets;
- median and p90 are over completed clocks (a stop reached by as-of), in business seconds, with linear
  interpolation between ranks (numpy/pandas default); open clocks are still running and would bias them;
- cancelled tickets are counted (`cancelled`) but carry no SLA; every group counts the others;
- backlog: tickets still open at as-of, by wall-clock age since creation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from auditbridge.period import Period

CLOCK_STATES = ("met", "breached", "open_within", "open_breached", "no_target", "unknown")
AGE_BUCKETS = (("<1d", 0, 1), ("1-3d", 1, 3), ("3-7d", 3, 7), ("7-30d", 7, 30), (">30d", 30, None))
PRIORITY_ORDER = ("P1", "P2", "P3", "P4", "P5", "none")


def _num(value: float | None, digits: int = 2) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), digits)


def _keys(tickets: pd.DataFrame, column: str) -> pd.Series:
    """The grouping key of each ticket; empty or absent values become `none`."""
    if column not in tickets.columns:
        return pd.Series("none", index=tickets.index, dtype="string")
    text = tickets[column].astype("string").str.strip()
    return text.mask(text.isna() | (text == ""), "none").fillna("none")


def _clock_tables(sub: pd.DataFrame, key: pd.Series, clock: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """State counts per key and (median, p90) of completed clocks per key, each one vectorised pass."""
    state = sub[f"{clock}_state"]
    counts = pd.crosstab(key, state).reindex(columns=list(CLOCK_STATES), fill_value=0)
    done_col = "first_response_used_at" if clock == "first_response" else "resolved_used_at"
    elapsed = sub[f"{clock}_elapsed_s"]
    completed = sub[done_col].notna() & elapsed.notna()
    values = elapsed[completed].astype("float64")
    if len(values):
        q = values.groupby(key[completed]).quantile([0.5, 0.9]).unstack()
        q.columns = ["median_s", "p90_s"]
    else:
        q = pd.DataFrame(columns=["median_s", "p90_s"], dtype="float64")
    return counts, q


def _clock(counts: pd.Series, q: pd.Series | None) -> dict[str, Any]:
    out: dict[str, Any] = {s: int(counts.get(s, 0)) for s in CLOCK_STATES}
    judged = out["met"] + out["breached"]
    out["compliance_pct"] = _num(out["met"] / judged * 100) if judged else None
    out["median_s"] = _num(q["median_s"], 1) if q is not None else None
    out["p90_s"] = _num(q["p90_s"], 1) if q is not None else None
    return out


def group_figures(tickets: pd.DataFrame, key: pd.Series, order: list[str] | None = None) -> list[dict[str, Any]]:
    """GROUP dicts (docs/architecture.md) for every value of `key`, cancelled tickets counted apart."""
    cancelled = tickets["resolution_state"] == "cancelled"
    live = tickets[~cancelled.to_numpy(dtype=bool)]
    lkey = key[~cancelled.to_numpy(dtype=bool)]
    sizes = lkey.value_counts()
    cancelled_counts = key[cancelled.to_numpy(dtype=bool)].value_counts()
    tables = {c: _clock_tables(live, lkey, c) for c in ("first_response", "resolution")}
    reopened = live["reopened"].astype(bool).groupby(lkey).sum() if len(live) else pd.Series(dtype="int64")
    keys = list(dict.fromkeys([*(order or []), *sizes.sort_values(ascending=False, kind="stable").index.tolist(),
                               *cancelled_counts.index.tolist()]))
    out = []
    for k in keys:
        if k not in sizes.index and k not in cancelled_counts.index:
            continue
        group: dict[str, Any] = {"key": k, "tickets": int(sizes.get(k, 0)), "cancelled": int(cancelled_counts.get(k, 0)),
                                 "reopened": int(reopened.get(k, 0))}
        for clock, (counts, q) in tables.items():
            c_row = counts.loc[k] if k in counts.index else pd.Series(dtype="int64")
            q_row = q.loc[k] if k in q.index else None
            group[clock] = _clock(c_row, q_row)
        out.append(group)
    return out


def summarise(
    tickets: pd.DataFrame, *, period: Period, as_of_s: int, timezone: str, events_available: bool,
    at_risk_share: float, goal_names: list[str] | None = None, extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`sla_summary.json` from the per-ticket frame of `engine.compute_sla` (tickets in scope only)."""
    cancelled = (tickets["resolution_state"] == "cancelled").to_numpy(dtype=bool)
    live = tickets[~cancelled]
    n_live = len(live)
    everyone = pd.Series("all", index=tickets.index, dtype="string")
    overall = group_figures(tickets, everyone)
    overall_group = overall[0] if overall else {
        "tickets": 0, "cancelled": 0, "reopened": 0,
        **{c: _clock(pd.Series(dtype="int64"), None) for c in ("first_response", "resolution")}}
    overall_group.pop("key", None)

    goal_key = _keys(tickets, "goal")
    prio = _keys(live, "priority")
    no_priority = int((prio == "none").sum())
    with_history = live["history"].astype(bool)
    open_live = live["is_open"].astype(bool)
    ages = live.loc[open_live.to_numpy(dtype=bool), "age_s"].to_numpy(dtype=np.int64)
    buckets = []
    for label, lo, hi in AGE_BUCKETS:
        sel = ages >= lo * 86400
        if hi is not None:
            sel &= ages < hi * 86400
        buckets.append({"bucket": label, "count": int(sel.sum())})
    open_breached = int((open_live & ((live["resolution_state"].isin(["open_breached", "breached"]))
                                      | (live["first_response_state"] == "open_breached"))).sum())
    as_of = pd.Timestamp(as_of_s, unit="s", tz="UTC").tz_convert(timezone)
    summary: dict[str, Any] = {
        "period": period.to_dict(),
        "as_of": as_of.isoformat(),
        "timezone": timezone,
        "events_available": bool(events_available),
        "tickets_in_scope": int(len(tickets)),
        "cancelled": int(cancelled.sum()),
        "pauses_unknown": int((~with_history).sum()),
        "unknown": int((live["resolution_state"] == "unknown").sum()),
        "no_priority_share": _num(no_priority / n_live, 4) if n_live else None,
        "no_priority": no_priority,
        "reopen_rate": (_num(live.loc[with_history.to_numpy(dtype=bool), "reopened"].astype(bool).mean(), 4)
                        if events_available and bool(with_history.any()) else None),
        "reopened": int(live["reopened"].astype(bool).sum()),
        "open_breached": open_breached,
        "at_risk": int(live["at_risk"].astype(bool).sum()),
        "at_risk_share": float(at_risk_share),
        "overall": overall_group,
        "by_goal": group_figures(tickets, goal_key, order=[*(goal_names or []), "none"]),
        "by_priority": group_figures(tickets, _keys(tickets, "priority"), order=list(PRIORITY_ORDER)),
        "by_department": group_figures(tickets, _keys(tickets, "department")),
        "by_category": group_figures(tickets, _keys(tickets, "category")),
        "backlog": {"open": int(open_live.sum()), "age_buckets": buckets},
        "definitions": {
            "compliance_pct": "met / (met + breached) x 100; open clocks are counted apart",
            "median_s": "business seconds over completed clocks (stop reached by as-of), linear interpolation",
            "open_breached": "tickets open at as-of whose resolution clock (any cycle) or first-response clock is past target",
            "at_risk": f"open tickets within target but past {at_risk_share:.0%} of it on either clock",
            "backlog": "tickets open at as-of by wall-clock age since creation",
            "reopen_rate": "reopened / tickets with a status history (null without ticket_events)",
        },
    }
    if extra:
        summary.update(extra)
    return summary
