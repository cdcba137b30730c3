"""The findings rule set: which figures of a run deserve a reader's attention, and how much is at stake.

A finding is data, not prose: a stable id (so the next audit can say whether it was acted on), a severity,
the audience it speaks to, the figure that triggered it, the money or business hours at stake, and the
parameters its text needs. The sentences live in the templates, once per language (`partials/
finding_texts.html.j2`), so the rules stay testable and translatable.

Thresholds are those of the audit configuration (`auditbridge.config.FindingThresholds`). Every rule is
defensive: a run without tickets, without licences or without a previous period simply yields no finding
from the rules that need them.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from auditbridge.config import FindingThresholds

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
CLOCKS = ("resolution", "first_response")


def _thresholds(thresholds: FindingThresholds | dict | None) -> FindingThresholds:
    if isinstance(thresholds, FindingThresholds):
        return thresholds
    return FindingThresholds.model_validate(thresholds or {})


def _num(value: Any) -> float | None:
    """A usable number, or None for missing/NaN (figures from JSON may be null)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _finding(
    fid: str, severity: str, audience: str, figure: float | None, at_stake: dict | None, **params
) -> dict:
    shown = None if figure is None else round(float(figure), 6)
    return {
        "id": fid,
        "severity": severity,
        "audience": audience,
        "figure": shown,
        "at_stake": at_stake,
        "params": params,
    }


def _money(amount: float | None) -> dict | None:
    return {"money": round(amount, 2)} if amount else None


def adoption_findings(adoption: dict | None, t: FindingThresholds) -> list[dict]:
    """Low utilisation, idle licence cost, departments far below the rest, licences nobody uses."""
    if not adoption:
        return []
    out: list[dict] = []
    currency = adoption.get("currency") or (adoption.get("totals") or {}).get("currency")
    low_tools: set[str] = set()
    for row in adoption.get("tools") or []:
        tool = row.get("tool")
        util = _num(row.get("utilisation"))
        idle_cost = _num(row.get("idle_cost")) or 0.0
        if util is None:  # no seat assigned: utilisation is undefined, nothing to judge
            continue
        params = {
            "tool": tool,
            "utilisation": util,
            "threshold": t.utilisation_min,
            "active_users": row.get("active_users"),
            "assigned": row.get("assigned"),
            "idle_seats": row.get("idle_seats"),
            "idle_cost": idle_cost,
            "currency": row.get("currency") or currency,
        }
        if util < t.utilisation_min:
            low_tools.add(tool)
            severe = util < t.utilisation_min / 2 or idle_cost > t.idle_cost_max
            out.append(
                _finding(
                    f"low_utilisation:{tool}",
                    "high" if severe else "medium",
                    "both",
                    util,
                    _money(idle_cost),
                    **params,
                )
            )
        elif idle_cost > t.idle_cost_max:
            out.append(
                _finding(f"idle_cost:{tool}", "medium", "business", idle_cost, _money(idle_cost), **params)
            )
    tool_util = {r.get("tool"): _num(r.get("utilisation")) for r in adoption.get("tools") or []}
    for row in adoption.get("departments") or []:
        tool, dept = row.get("tool"), row.get("department")
        util, ref = _num(row.get("utilisation")), tool_util.get(row.get("tool"))
        if util is None or ref is None or dept is None:
            continue
        if ref - util >= t.department_gap - 1e-9:
            idle_cost = _num(row.get("idle_cost")) or 0.0
            out.append(
                _finding(
                    f"department_gap:{tool}:{dept}",
                    "medium",
                    "business",
                    util,
                    _money(idle_cost),
                    tool=tool,
                    department=dept,
                    utilisation=util,
                    tool_utilisation=ref,
                    gap=ref - util,
                    threshold=t.department_gap,
                    idle_cost=idle_cost,
                    currency=row.get("currency") or currency,
                )
            )
    for tool in adoption.get("licences_without_usage") or []:
        if tool in low_tools:
            continue
        out.append(_finding(f"licence_without_usage:{tool}", "low", "it", None, None, tool=tool))
    return out


LATE_STATES = ("breached", "open_breached")


def overrun_hours(sla_tickets: pd.DataFrame | None) -> dict[tuple[str, str], float]:
    """Business hours spent beyond target, per (priority, clock), over late tickets: the time at stake.

    Priority "none" groups the tickets without one, as in the SLA summary; key ("open", "resolution")
    holds the overrun of the tickets still open past their resolution target.
    """
    if sla_tickets is None or sla_tickets.empty:
        return {}
    out: dict[tuple[str, str], float] = {}
    priority = (
        sla_tickets["priority"].astype("string").str.strip().replace("", pd.NA).fillna("none")
        if "priority" in sla_tickets.columns
        else pd.Series("none", index=sla_tickets.index)
    )
    for clock in CLOCKS:
        cols = [f"{clock}_state", f"{clock}_elapsed_s", f"{clock}_target_s"]
        if not set(cols) <= set(sla_tickets.columns):
            continue
        state = sla_tickets[cols[0]].astype("string")
        late = state.isin(LATE_STATES).fillna(False)
        over = (
            pd.to_numeric(sla_tickets[cols[1]], errors="coerce")
            - pd.to_numeric(sla_tickets[cols[2]], errors="coerce")
        ).clip(lower=0).fillna(0) / 3600
        sums = over[late].groupby(priority[late]).sum()
        out.update({(str(k), clock): round(float(v), 1) for k, v in sums.items()})
        if clock == "resolution":
            out[("open", clock)] = round(float(over[(state == "open_breached").fillna(False)].sum()), 1)
    return out


def _hours(amount: float | None) -> dict | None:
    return {"hours": amount} if amount else None


def sla_findings(
    sla: dict | None,
    previous_sla: dict | None,
    t: FindingThresholds,
    overrun: dict[tuple[str, str], float] | None = None,
) -> list[dict]:
    """Compliance below target per priority, tickets without priority, a growing backlog, open breaches.

    With `overrun` (from the per-ticket table), SLA findings carry the business hours spent beyond target.
    """
    if not sla:
        return []
    overrun = overrun or {}
    out: list[dict] = []
    target_pct = t.sla_compliance_min * 100
    for group in sla.get("by_priority") or []:
        key = group.get("key")
        for clock in CLOCKS:
            c = group.get(clock) or {}
            pct = _num(c.get("compliance_pct"))
            if pct is None or pct >= target_pct - 1e-9:
                continue
            severe = pct < target_pct - 20 or key in ("P1", "P2")
            out.append(
                _finding(
                    f"sla_compliance:{key}:{clock}",
                    "high" if severe else "medium",
                    "both",
                    pct / 100,
                    _hours(overrun.get((str(key), clock))),
                    priority=key,
                    clock=clock,
                    compliance=pct / 100,
                    target=t.sla_compliance_min,
                    met=c.get("met"),
                    breached=c.get("breached"),
                    tickets=group.get("tickets"),
                )
            )
    share = _num(sla.get("no_priority_share"))
    if share is not None and share > t.no_priority_max:
        severity = "high" if share > 2 * t.no_priority_max else "medium"
        out.append(
            _finding(
                "no_priority",
                severity,
                "both",
                share,
                None,
                share=share,
                threshold=t.no_priority_max,
                tickets=sla.get("tickets_in_scope"),
            )
        )
    backlog = _num((sla.get("backlog") or {}).get("open"))
    prev_backlog = _num(((previous_sla or {}).get("backlog") or {}).get("open"))
    if backlog is not None and prev_backlog is not None:
        growth = (backlog - prev_backlog) / prev_backlog if prev_backlog else (math.inf if backlog else 0.0)
        if growth > t.backlog_growth_max:
            out.append(
                _finding(
                    "backlog_growth",
                    "medium",
                    "both",
                    backlog,
                    None,
                    open=int(backlog),
                    previous_open=int(prev_backlog),
                    growth=None if math.isinf(growth) else growth,
                    threshold=t.backlog_growth_max,
                )
            )
    breached = _num(sla.get("open_breached"))
    if breached:
        out.append(
            _finding(
                "open_breached",
                "low",
                "it",
                breached,
                _hours(overrun.get(("open", "resolution"))),
                open_breached=int(breached),
                at_risk=sla.get("at_risk"),
            )
        )
    return out


def quality_findings(data_quality: dict | None) -> list[dict]:
    """A data-quality verdict other than `pass` is worth one line: it qualifies every other figure."""
    if not data_quality or data_quality.get("verdict") in (None, "pass"):
        return []
    failed = [
        e
        for d in data_quality.get("datasets") or []
        for e in d.get("expectations") or []
        if not e.get("success", True)
    ]
    verdict = data_quality["verdict"]
    return [
        _finding(
            "data_quality",
            "medium" if verdict == "fail" else "low",
            "it",
            len(failed),
            None,
            verdict=verdict,
            failed=len(failed),
        )
    ]


def _order_key(finding: dict) -> tuple:
    stake = finding.get("at_stake") or {}
    return (
        SEVERITY_RANK[finding["severity"]],
        -(stake.get("money") or 0.0),
        -(stake.get("hours") or 0.0),
        finding["id"],
    )


def derive_findings(
    metrics: dict,
    thresholds: FindingThresholds | dict | None = None,
    *,
    sla_tickets: pd.DataFrame | None = None,
) -> list[dict]:
    """Every finding of a run, most severe first, then the most money, then the most time at stake, then by id.

    `sla_tickets` (the SLA stage's per-ticket table), when given, adds the business hours at stake to the
    service-level findings.
    """
    t = _thresholds(thresholds)
    previous = metrics.get("previous") or {}
    found = (
        adoption_findings(metrics.get("adoption"), t)
        + sla_findings(metrics.get("sla"), previous.get("sla"), t, overrun_hours(sla_tickets))
        + quality_findings(metrics.get("data_quality"))
    )
    return sorted(found, key=_order_key)


def follow_up(findings: list[dict], previous_findings: list[dict] | None) -> list[dict]:
    """The previous report's findings and what became of them: still open (with both figures) or cleared."""
    current = {f["id"]: f for f in findings}
    out = []
    for old in previous_findings or []:
        now = current.get(old.get("id"))
        out.append(
            {
                "id": old.get("id"),
                "rule": str(old.get("id", "")).split(":")[0],
                "params": old.get("params") or {},
                "previous_figure": old.get("figure"),
                "figure": now["figure"] if now else None,
                "status": "open" if now else "cleared",
            }
        )
    return out
