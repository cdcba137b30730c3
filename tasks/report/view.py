"""What the templates see: the run's figures arranged for reading, and chart helpers bound to one language.

Everything computed for display is computed here, once, from metrics.json and the two stage tables, so the
templates only lay out and translate. Missing sections (no tickets, no licences, no previous run) become
`None` and the templates say so in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from markupsafe import Markup

from tasks.report import charts
from tasks.report import format as fmt
from tasks.report.findings import follow_up

BUCKETS = ("<1d", "1-3d", "3-7d", "7-30d", ">30d")
PRIORITY_ORDER = {"P1": 0, "P2": 1, "P3": 2, "P4": 3, "P5": 4, "none": 5}
OPEN_STATES = ("open_breached", "open_within")
OPEN_TICKETS_SHOWN = 10
KEY_FINDINGS = 5


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out


def seat_utilisation(tools: list[dict] | None) -> float | None:
    """Active assigned seats over assigned seats, over all tools (a seat-weighted mean of utilisation)."""
    rows = [(r.get("utilisation"), r.get("assigned")) for r in tools or []]
    rows = [(_num(u), _num(a)) for u, a in rows if _num(u) is not None and _num(a)]
    assigned = sum(a for _, a in rows)
    return sum(u * a for u, a in rows) / assigned if assigned else None


def clock_compliance(group: dict | None, clock: str) -> float | None:
    """Compliance of one clock as a fraction (met / (met + breached)), None when nothing was judged."""
    c = (group or {}).get(clock) or {}
    met, breached = _num(c.get("met")) or 0, _num(c.get("breached")) or 0
    if met + breached == 0:
        pct = _num(c.get("compliance_pct"))
        return None if pct is None else pct / 100
    return met / (met + breached)


def sorted_priorities(groups: list[dict] | None) -> list[dict]:
    return sorted(groups or [], key=lambda g: (PRIORITY_ORDER.get(str(g.get("key")), 9), str(g.get("key"))))


def backlog_buckets(sla: dict | None) -> list[dict]:
    """The five age buckets in order, zero where the summary has none (an empty bucket is a fact too)."""
    counts = {
        b.get("bucket"): b.get("count") or 0
        for b in ((sla or {}).get("backlog") or {}).get("age_buckets") or []
    }
    return [{"bucket": b, "count": int(counts.get(b, 0))} for b in BUCKETS]


def open_tickets(sla_tickets: pd.DataFrame | None) -> list[dict]:
    """The open tickets furthest past their resolution target: the evidence behind the backlog figures.

    Only ticket id, title, priority, department, goal and times are kept: never requester or assignee.
    """
    if sla_tickets is None or sla_tickets.empty or "resolution_state" not in sla_tickets.columns:
        return []
    keep = [
        c
        for c in (
            "ticket_id",
            "title",
            "priority",
            "department",
            "goal",
            "created_at",
            "resolution_target_s",
            "resolution_elapsed_s",
        )
        if c in sla_tickets.columns
    ]
    df = sla_tickets.loc[sla_tickets["resolution_state"] == "open_breached", keep]
    if df.empty:
        return []

    def seconds(col: str) -> pd.Series:
        return (
            pd.to_numeric(df[col], errors="coerce")
            if col in df.columns
            else pd.Series(float("nan"), index=df.index)
        )

    over = seconds("resolution_elapsed_s") - seconds("resolution_target_s")
    df = df.assign(overdue_s=over).sort_values(
        ["overdue_s", "ticket_id"], ascending=[False, True], na_position="last", kind="stable"
    )
    df = df.head(OPEN_TICKETS_SHOWN).astype(object)
    return df.where(df.notna(), None).to_dict("records")


def monthly_series(
    adoption: dict | None, previous_adoption: dict | None
) -> tuple[list[str], list[tuple[str, list]]]:
    """Monthly active users per tool over the previous and current periods, months in order."""
    rows = list((previous_adoption or {}).get("monthly") or []) + list((adoption or {}).get("monthly") or [])
    if not rows:
        return [], []
    df = pd.DataFrame(rows).drop_duplicates(["tool", "month"], keep="last")
    wide = df.pivot(index="month", columns="tool", values="active_users").sort_index()
    current_tools = [t.get("tool") for t in (adoption or {}).get("tools") or []]
    order = [t for t in current_tools if t in wide.columns] + sorted(set(wide.columns) - set(current_tools))
    series = [(tool, [None if pd.isna(v) else float(v) for v in wide[tool].tolist()]) for tool in order]
    return [str(m) for m in wide.index], series


def comparison(metrics: dict) -> dict | None:
    """Headline figures now and in the previous run, or None when there is no previous run to compare with."""
    prev = metrics.get("previous")
    if not prev:
        return None
    sla, psla = metrics.get("sla") or {}, prev.get("sla") or {}
    ad, pad = metrics.get("adoption") or {}, prev.get("adoption") or {}

    def pair(key: str, kind: str, now: Any, before: Any) -> dict:
        now, before = _num(now), _num(before)
        delta = None if now is None or before is None else now - before
        return {"key": key, "kind": kind, "now": now, "before": before, "delta": delta}

    rows = [
        pair("tickets", "count", sla.get("tickets_in_scope"), psla.get("tickets_in_scope")),
        pair(
            "resolution",
            "compliance",
            clock_compliance(sla.get("overall"), "resolution"),
            clock_compliance(psla.get("overall"), "resolution"),
        ),
        pair(
            "first_response",
            "compliance",
            clock_compliance(sla.get("overall"), "first_response"),
            clock_compliance(psla.get("overall"), "first_response"),
        ),
        pair("no_priority", "fraction", sla.get("no_priority_share"), psla.get("no_priority_share")),
        pair(
            "backlog",
            "count",
            (sla.get("backlog") or {}).get("open"),
            (psla.get("backlog") or {}).get("open"),
        ),
        pair("open_breached", "count", sla.get("open_breached"), psla.get("open_breached")),
        pair(
            "utilisation", "fraction", seat_utilisation(ad.get("tools")), seat_utilisation(pad.get("tools"))
        ),
        pair(
            "idle_cost",
            "money",
            (ad.get("totals") or {}).get("idle_cost"),
            (pad.get("totals") or {}).get("idle_cost"),
        ),
    ]
    before_tools = {t.get("tool"): t for t in pad.get("tools") or []}
    tools = [
        {
            "tool": t.get("tool"),
            **pair(
                "tool",
                "fraction",
                t.get("utilisation"),
                (before_tools.get(t.get("tool")) or {}).get("utilisation"),
            ),
        }
        for t in ad.get("tools") or []
    ]
    return {"period": prev.get("period"), "run_id": prev.get("run_id"), "rows": rows, "tools": tools}


@dataclass(frozen=True)
class Chart:
    """An SVG and the same figures as table rows (its text alternative), already formatted."""

    svg: Markup
    rows: list[list[str]]


class ChartHelpers:
    """Chart builders bound to one edition: the template passes translated titles, values are formatted here."""

    def __init__(self, lang: str):
        self.lang = lang

    def utilisation(
        self, tools: list[dict], *, title: str, desc: str, threshold: float, target_text: str
    ) -> Chart:
        n, lang = fmt.number, self.lang
        bars = [
            charts.Bar(
                str(t.get("tool")), _num(t.get("utilisation")), fmt.percent(_num(t.get("utilisation")), lang)
            )
            for t in tools
        ]
        svg = charts.hbar_chart(
            bars,
            title=title,
            desc=desc,
            chart_id="chart-utilisation",
            max_value=1.0,
            target=threshold,
            target_text=target_text,
        )
        rows = [
            [b.label, b.text, n(t.get("active_users"), lang), n(t.get("assigned"), lang)]
            for b, t in zip(bars, tools, strict=True)
        ]
        return Chart(svg, rows)

    def compliance(
        self,
        groups: list[dict],
        labels: dict[str, str],
        *,
        clock: str,
        title: str,
        desc: str,
        target: float,
        target_text: str,
    ) -> Chart:
        bars, rows = [], []
        for g in sorted_priorities(groups):
            value = clock_compliance(g, clock)
            bar = charts.Bar(
                labels.get(str(g.get("key")), str(g.get("key"))), value, fmt.percent(value, self.lang, 1)
            )
            bars.append(bar)
            c = g.get(clock) or {}
            rows.append(
                [
                    bar.label,
                    bar.text,
                    fmt.number(c.get("met"), self.lang),
                    fmt.number(c.get("breached"), self.lang),
                ]
            )
        svg = charts.hbar_chart(
            bars,
            title=title,
            desc=desc,
            chart_id=f"chart-compliance-{clock}",
            max_value=1.0,
            target=target,
            target_text=target_text,
        )
        return Chart(svg, rows)

    def backlog(self, buckets: list[dict], labels: dict[str, str], *, title: str, desc: str) -> Chart:
        bars = [
            charts.Bar(
                labels.get(b["bucket"], b["bucket"]),
                b["count"],
                fmt.number(b["count"], self.lang),
                alert=b["bucket"] in ("7-30d", ">30d"),
            )
            for b in buckets
        ]
        svg = charts.column_chart(bars, title=title, desc=desc, chart_id="chart-backlog")
        return Chart(svg, [[b.label, b.text] for b in bars])

    def trend(self, months: list[str], series: list[tuple[str, list]], *, title: str, desc: str) -> Chart:
        labels = [fmt.month(m, self.lang) for m in months]
        n = fmt.number

        def ends(vs: list) -> tuple[str, str]:
            known = [v for v in vs if v is not None]
            return (n(known[0], self.lang), n(known[-1], self.lang)) if known else (fmt.MISSING, fmt.MISSING)

        svg = charts.sparklines(
            labels, series, [ends(vs) for _, vs in series], title=title, desc=desc, chart_id="chart-trend"
        )
        rows = [[label] + [n(vs[i], self.lang) for _, vs in series] for i, label in enumerate(labels)]
        return Chart(svg, rows)


def build_context(
    metrics: dict, *, findings: list[dict], sla_tickets: pd.DataFrame | None, thresholds: dict, lang: str
) -> dict:
    """The template context of one edition."""
    audit = metrics.get("audit") or {}
    sla, adoption, previous = metrics.get("sla"), metrics.get("adoption"), metrics.get("previous") or {}
    if sla is not None and not sla.get("tickets_in_scope"):
        sla = {**sla, "_empty": True}
    months, series = monthly_series(adoption, previous.get("adoption"))
    tools = sorted(
        (adoption or {}).get("tools") or [],
        key=lambda t: (_num(t.get("utilisation")) or 0, str(t.get("tool"))),
    )
    depts = sorted(
        (adoption or {}).get("departments") or [],
        key=lambda d: (str(d.get("tool")), str(d.get("department"))),
    )
    return {
        "audit": audit,
        "currency": audit.get("currency") or (adoption or {}).get("currency") or "EUR",
        "sla": sla,
        "adoption": adoption,
        "tools": tools,
        "departments": depts,
        "seat_utilisation": seat_utilisation((adoption or {}).get("tools")),
        "priorities": sorted_priorities((sla or {}).get("by_priority")),
        "backlog": backlog_buckets(sla),
        "open_tickets": open_tickets(sla_tickets),
        "months": months,
        "series": series,
        "data_quality": metrics.get("data_quality"),
        "findings": findings,
        "key_findings": findings[:KEY_FINDINGS],
        "follow_up": follow_up(findings, previous.get("findings")) if previous else [],
        "comparison": comparison(metrics),
        "inputs": metrics.get("inputs") or [],
        "policy": metrics.get("policy"),
        "thresholds": thresholds,
        "charts": ChartHelpers(lang),
        "clock_compliance": clock_compliance,
        "weekdays": fmt.WEEKDAYS,
    }
