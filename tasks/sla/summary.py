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

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from auditbridge.period import Period

STATES = ("met", "breached", "open_within", "open_breached", "no_target", "cancelled", "unknown")
CLOCK_STATES = ("met", "breached", "open_within", "open_breached", "no_target", "unknown")
AGE_BUCKETS = (("<1d", 0, 1), ("1-3d", 1, 3), ("3-7d", 3, 7), ("7-30d", 7, 30), (">30d", 30, None))
PRIORITY_ORDER = ("P1", "P2", "P3", "P4", "P5", "none")


def _num(value: float | None, digits: int = 2) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), digits)


def _codes(values: pd.Series, categories: tuple[str, ...]) -> np.ndarray:
    """Integer codes of a state column in `categories` order (-1 for anything else)."""
    if isinstance(values.dtype, pd.CategoricalDtype) and tuple(values.cat.categories) == categories:
        return values.cat.codes.to_numpy(dtype=np.int64)
    return pd.Categorical(values.astype("string"), categories=list(categories)).codes.astype(np.int64)


def _keys(tickets: pd.DataFrame, column: str) -> tuple[np.ndarray, list[str]]:
    """Group codes and labels of a column; empty or absent values are the group `none`."""
    if column not in tickets.columns:
        return np.zeros(len(tickets), np.int64), ["none"]
    if isinstance(tickets[column].dtype, pd.CategoricalDtype):
        cats = [str(c) for c in tickets[column].cat.categories]
        codes = tickets[column].cat.codes.to_numpy(dtype=np.int64)
        return np.where(codes < 0, len(cats), codes), [*cats, "none"]
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(tickets[column].astype("string"), from_pandas=True)
    text = pc.utf8_trim_whitespace(values)
    encoded = pc.dictionary_encode(pc.if_else(pc.equal(text, ""), None, text))  # one hashing pass, in C++
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    labels = [str(v) for v in encoded.dictionary.to_pylist()]
    missing = pc.is_null(encoded).to_numpy(zero_copy_only=False)
    codes = np.where(missing, len(labels), np.nan_to_num(codes, nan=0)).astype(np.int64)
    return codes, [*labels, "none"]


def group_quantiles(
    group: np.ndarray,
    values: np.ndarray,
    n_groups: int,
    qs: tuple[float, ...],
    by_value: np.ndarray | None = None,
) -> np.ndarray:
    """Quantiles of `values` per group (linear interpolation, as numpy/pandas), NaN for empty groups.

    Values are sorted once, then a stable sort by group keeps each group's values in order; every group's
    ranks are then read at once. `by_value` (argsort of `values`) may be passed when several groupings
    share the same values.
    """
    out = np.full((n_groups, len(qs)), np.nan)
    if len(values) == 0:
        return out
    by_value = np.argsort(values, kind="stable") if by_value is None else by_value
    small = np.int16 if n_groups < 2**15 else np.int64  # small ints sort in linear time (radix)
    order = by_value[np.argsort(group[by_value].astype(small), kind="stable")]
    v = values[order]
    sizes = np.bincount(group, minlength=n_groups)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    has = sizes > 0
    for j, q in enumerate(qs):
        rank = q * (sizes[has] - 1)
        lo = np.floor(rank).astype(np.int64)
        hi = np.minimum(lo + 1, sizes[has] - 1)
        frac = rank - lo
        base = offsets[has]
        out[has, j] = v[base + lo] + frac * (v[base + hi] - v[base + lo])
    return out


@dataclass
class _Clock:
    state: np.ndarray  # codes in STATES order
    elapsed: np.ndarray  # float, NaN when unknown
    done: np.ndarray  # bool: the clock stopped by as-of
    _order: dict = field(default_factory=dict)

    def sorted_completed(self, live: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows whose clock completed, their elapsed values and the order that sorts them (computed once)."""
        if "sel" not in self._order:
            sel = np.flatnonzero(live & self.done)
            values = self.elapsed[sel]
            self._order.update(sel=sel, values=values, order=np.argsort(values, kind="stable"))
        return self._order["sel"], self._order["values"], self._order["order"]


def _clock_arrays(tickets: pd.DataFrame, clock: str) -> _Clock:
    done_col = "first_response_used_at" if clock == "first_response" else "resolved_used_at"
    elapsed = tickets[f"{clock}_elapsed_s"].to_numpy(dtype=np.float64, na_value=np.nan)
    return _Clock(
        _codes(tickets[f"{clock}_state"], STATES),
        elapsed,
        tickets[done_col].notna().to_numpy(dtype=bool) & ~np.isnan(elapsed),
    )


def group_figures(
    tickets: pd.DataFrame,
    codes: np.ndarray,
    labels: list[str],
    order: list[str] | None = None,
    clocks: dict[str, _Clock] | None = None,
) -> list[dict[str, Any]]:
    """GROUP dicts (docs/architecture.md) for every label; cancelled tickets are counted apart."""
    clocks = clocks or {c: _clock_arrays(tickets, c) for c in ("first_response", "resolution")}
    g = len(labels)
    cancelled = clocks["resolution"].state == STATES.index("cancelled")
    live = ~cancelled
    sizes = np.bincount(codes[live], minlength=g)
    n_cancelled = np.bincount(codes[cancelled], minlength=g)
    reopened = np.bincount(codes[live], weights=tickets["reopened"].to_numpy(dtype=bool)[live], minlength=g)
    per_clock = {}
    ns = len(STATES)
    for name, ck in clocks.items():
        counts = np.bincount(codes[live] * ns + ck.state[live], minlength=g * ns).reshape(g, ns)
        sel, values, by_value = ck.sorted_completed(live)
        q = group_quantiles(codes[sel], values, g, (0.5, 0.9), by_value=by_value)
        per_clock[name] = (counts, q)
    rank = {k: i for i, k in enumerate(order or [])}
    present = [i for i in range(g) if sizes[i] or n_cancelled[i]]
    present.sort(key=lambda i: (rank.get(labels[i], len(rank)), -int(sizes[i]), labels[i]))
    out = []
    for i in present:  # one iteration per group (a handful), never per ticket
        group: dict[str, Any] = {
            "key": labels[i],
            "tickets": int(sizes[i]),
            "cancelled": int(n_cancelled[i]),
            "reopened": int(reopened[i]),
        }
        for name, (counts, q) in per_clock.items():
            group[name] = _clock({s: int(counts[i, STATES.index(s)]) for s in CLOCK_STATES}, q[i])
        out.append(group)
    return out


def _clock(counts: dict[str, int], q: np.ndarray | None) -> dict[str, Any]:
    out: dict[str, Any] = {s: int(counts.get(s, 0)) for s in CLOCK_STATES}
    judged = out["met"] + out["breached"]
    out["compliance_pct"] = _num(out["met"] / judged * 100) if judged else None
    out["median_s"] = _num(q[0], 1) if q is not None else None
    out["p90_s"] = _num(q[1], 1) if q is not None else None
    return out


def summarise(
    tickets: pd.DataFrame,
    *,
    period: Period,
    as_of_s: int,
    timezone: str,
    events_available: bool,
    at_risk_share: float,
    goal_names: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`sla_summary.json` from the per-ticket frame of `engine.compute_sla` (tickets in scope only)."""
    clocks = {c: _clock_arrays(tickets, c) for c in ("first_response", "resolution")}
    res_state = clocks["resolution"].state
    fr_state = clocks["first_response"].state
    cancelled = res_state == STATES.index("cancelled")
    live = ~cancelled
    n_live = int(live.sum())
    overall = group_figures(tickets, np.zeros(len(tickets), np.int64), ["all"], clocks=clocks)
    overall_group = (
        overall[0]
        if overall
        else {
            "tickets": 0,
            "cancelled": 0,
            "reopened": 0,
            **{c: _clock({}, None) for c in ("first_response", "resolution")},
        }
    )
    overall_group.pop("key", None)

    def by(column: str, order: list[str] | None = None) -> list[dict[str, Any]]:
        codes, labels = _keys(tickets, column)
        return group_figures(tickets, codes, labels, order=order, clocks=clocks)

    prio_codes, prio_labels = _keys(tickets, "priority")
    no_priority = int(
        (live & (prio_codes == (prio_labels.index("none") if "none" in prio_labels else -2))).sum()
    )
    history = tickets["history"].to_numpy(dtype=bool)
    reopened = tickets["reopened"].to_numpy(dtype=bool)
    open_live = tickets["is_open"].to_numpy(dtype=bool) & live
    ages = tickets["age_s"].to_numpy(dtype=np.int64)[open_live]
    buckets = []
    for label, lo, hi in AGE_BUCKETS:
        sel = ages >= lo * 86400
        if hi is not None:
            sel &= ages < hi * 86400
        buckets.append({"bucket": label, "count": int(sel.sum())})
    past = np.isin(res_state, [STATES.index("open_breached"), STATES.index("breached")]) | (
        fr_state == STATES.index("open_breached")
    )
    open_breached = int((open_live & past).sum())
    as_of = pd.Timestamp(as_of_s, unit="s", tz="UTC").tz_convert(timezone)
    with_history = live & history
    summary: dict[str, Any] = {
        "period": period.to_dict(),
        "as_of": as_of.isoformat(),
        "timezone": timezone,
        "events_available": bool(events_available),
        "tickets_in_scope": int(len(tickets)),
        "cancelled": int(cancelled.sum()),
        "pauses_unknown": int((live & ~history).sum()),
        "unknown": int((res_state == STATES.index("unknown")).sum()),
        "no_priority_share": _num(no_priority / n_live, 4) if n_live else None,
        "no_priority": no_priority,
        "reopen_rate": (
            _num(reopened[with_history].mean(), 4) if events_available and bool(with_history.any()) else None
        ),
        "reopened": int((reopened & live).sum()),
        "open_breached": open_breached,
        "at_risk": int((tickets["at_risk"].to_numpy(dtype=bool) & live).sum()),
        "at_risk_share": float(at_risk_share),
        "overall": overall_group,
        "by_goal": by("goal", order=[*(goal_names or []), "none"]),
        "by_priority": group_figures(
            tickets, prio_codes, prio_labels, order=list(PRIORITY_ORDER), clocks=clocks
        ),
        "by_department": by("department"),
        "by_category": by("category"),
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
