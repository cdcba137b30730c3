"""Partitioned SLA and adoption: plan the parts, compute each apart, merge them into the single run's figures.

Why: with `run_audit(dask_workers=N)` (`auditbridge run --dask N`) the two heavy stages of a large audit run as
several tasks on a Dask cluster instead of one. The figures must stay exactly those of the single run, so each
split follows what the figures depend on, and whatever the engines read across parts is computed once here.

Adoption, one part per tool (names compared as the engine compares them: case and surrounding spaces ignored).
Every row of a tool in `adoption_tools.csv` depends only on that tool's usage, licence and seat assignments
(departments are merged into `other` per tool), except what the engine reads across tools:
- a user's department taken from the usage is the one the user's rows show most often over *all* tools (and a
  seat holder may have no row at all for the tool of the seat): the plan computes it once and hands it to every
  part as a directory entry of that user, which the engine prefers to the usage rows;
- whether the usage reaches into the two previous periods, and its first and last day (lifecycle figures,
  resurrecting users, zombie seats, `usage_first_day`/`usage_last_day`): the plan adds to each part at most four
  rows with a count of 0, which is never activity, on the days that decide it;
- `totals.active_users` counts people active on any tool: each part returns its active users and the merge
  counts their union; `usage_rows`, `department_source` and the currency are computed once on the whole input.
The merged summary is rebuilt by the adoption summary's own code (`summary.build_summary`) from the merged rows,
so totals, idle cost per currency and `licences_without_usage` are summed exactly as in a single run. The usage
is read once, by the engine's reader, and parts travel as its compact arrays (a tenth of a frame's pickle).

SLA, one part per month of creation (in the policy's timezone; consecutive months are grouped until a part has
`min_tickets`): a ticket's clocks depend only on its own row, its own status changes and the policy. The file is
checked whole first (a duplicate id across two months, row numbers of the file), status changes go with their
ticket and those naming no ticket are counted once; the per-ticket frames are put back in file order and the
summary is built once on them with `engine.summarise_tickets`, the code `compute_sla` itself uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from auditbridge.period import Period
from tasks.adoption.engine import AdoptionResult, compute_adoption, day_number, lic_currency
from tasks.adoption.inputs import (
    activity_lookup,
    directory_departments,
    holders,
    normalise_rules,
    read_licences,
    tool_key,
)
from tasks.adoption.reader import UsageArrays, usage_from_frame
from tasks.adoption.summary import BUILT_KEYS
from tasks.sla.engine import SlaResult, check_tickets, compute_sla, summarise_tickets
from tasks.sla.policy import Policy

SLA_MIN_TICKETS = 20_000  # below this, a month joins the next one in the same part (a task has a fixed cost)

_GLOBAL_EXTRA = ("usage_rows", "department_source")  # computed once on the whole input, not taken from a part


# ---- adoption ---------------------------------------------------------------------------------------------------
@dataclass
class AdoptionPart:
    """One tool's share of the inputs: its usage rows (plus the day markers), licence rows and seat rows."""

    key: str
    usage: UsageArrays
    licences: pd.DataFrame | None
    assignments: pd.DataFrame | None


@dataclass
class AdoptionMeta:
    """What the merge needs besides the parts' results (small: no data rows)."""

    keys: list[str]  # tool keys in the engine's order (sorted)
    currency: str
    usage_rows: int
    department_source: dict[str, int]


@dataclass
class AdoptionPlan:
    parts: list[AdoptionPart]
    meta: AdoptionMeta
    directory: pd.DataFrame | None  # for every part: the directory plus the usage's department of other users


@dataclass
class AdoptionPartResult:
    key: str
    result: AdoptionResult
    # codes (in the shared user categories) of the users active in the period
    active: np.ndarray = field(repr=False)


def plan_adoption(
    usage: pd.DataFrame | UsageArrays,
    *,
    period: Period,
    timezone: str,
    licences: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
    directory: pd.DataFrame | None = None,
    currency: str | None = None,
) -> AdoptionPlan:
    """Split the adoption inputs per tool (see the module docstring); input errors are raised here, on whole files."""
    data = usage if isinstance(usage, UsageArrays) else usage_from_frame(usage, audit_timezone=timezone)
    lic = read_licences(licences)  # refuses a tool listed twice, naming the file's row
    if assignments is not None and not assignments.empty:  # refuses unreadable dates with the file's rows
        holders(assignments, at=period.bounds(timezone)[1], period_end=period.end, directory=directory)
    cat_keys = np.array([tool_key(t) for t in data.tools], dtype=object)
    assigned_keys = (
        set()
        if assignments is None or assignments.empty
        else {tool_key(t) for t in assignments["tool"].dropna().unique()}
    )
    keys = sorted(set(cat_keys.tolist()) | set(lic.seats) | assigned_keys)
    key_of_cat = np.searchsorted(np.array(keys, dtype=object), cat_keys).astype(np.int64)
    row_key = key_of_cat[data.tool] if data.rows else np.zeros(0, np.int64)

    best = _usage_departments(data)
    count = data.count if data.count is not None else np.ones(data.rows)  # the markers need a count column
    markers = _day_markers(data.day, period)
    order = np.argsort(row_key, kind="stable")
    bounds = np.searchsorted(row_key[order], np.arange(len(keys) + 1))

    parts = []
    for k, key in enumerate(keys):
        rows = order[bounds[k] : bounds[k + 1]]  # ascending: the file order within the tool
        cats = np.flatnonzero(key_of_cat == k)
        names = data.tools[cats] if cats.size else np.array([lic.display.get(key, key)], dtype=object)
        local = np.full(len(data.tools), -1, np.int32)
        local[cats] = np.arange(cats.size, dtype=np.int32)
        part = _take(data, rows, markers, tools=names, tool=local[data.tool[rows]], count=count)
        parts.append(AdoptionPart(key, part, _rows_of_tool(licences, key), _rows_of_tool(assignments, key)))
    if not keys:  # nothing at all: one part, the whole (empty) input
        keys, parts = [""], [AdoptionPart("", data, licences, assignments)]
    meta = AdoptionMeta(
        keys=keys,
        currency=currency or lic_currency(lic),
        usage_rows=data.rows,
        department_source=_department_source(data, best, assignments, directory),
    )
    return AdoptionPlan(parts, meta, _with_usage_departments(directory, data, best))


def compute_adoption_part(
    part: AdoptionPart,
    *,
    period: Period,
    timezone: str,
    currency: str,
    directory: pd.DataFrame | None = None,
    min_group_size: int = 5,
    activity_rules: Mapping | None = None,
    previous_metrics: dict | None = None,
    zombie_days: int = 90,
) -> AdoptionPartResult:
    """The engine on one tool's part, and who was active on it (for the distinct count across tools)."""
    result = compute_adoption(
        part.usage,
        licences=part.licences,
        assignments=part.assignments,
        directory=directory,
        period=period,
        timezone=timezone,
        min_group_size=min_group_size,
        activity_rules=activity_rules,
        previous_metrics=previous_metrics,
        currency=currency,
        zombie_days=zombie_days,
    )
    return AdoptionPartResult(part.key, result, active_users(part.usage, period, activity_rules))


def active_users(data: UsageArrays, period: Period, activity_rules: Mapping | None = None) -> np.ndarray:
    """Codes of the users with at least one activity in `period` (the engine's rules: activity rules per tool,
    a count of 0 or less is not activity). The merge checks, per tool, that their number is the engine's
    `active_users`, so a drift between this and the engine cannot go unnoticed."""
    counted = np.ones(data.rows, dtype=bool)
    table = activity_lookup(data.tools, data.actions, normalise_rules(activity_rules))
    if table is not None:
        counted = table[data.tool, data.action + 1 if data.action is not None else 0]
    if data.count is not None:
        counted &= ~(data.count <= 0)
    counted &= (data.day >= day_number(period.start)) & (data.day <= day_number(period.end))
    return np.unique(data.user[counted])


def merge_adoption(
    results: list[AdoptionPartResult], meta: AdoptionMeta, *, period: Period
) -> AdoptionResult:
    """The parts' rows and summaries as the single run writes them (see the module docstring)."""
    if not results:
        raise ValueError("no adoption part to merge")
    rank = {key: i for i, key in enumerate(meta.keys)}
    results = sorted(results, key=lambda r: rank[r.key])
    for r in results:
        head = r.result.tools[r.result.tools["department"].isna()]
        engine_count = int(head["active_users"].sum())
        if len(head) > 1 or engine_count != len(r.active):
            raise RuntimeError(
                f"adoption part {r.key!r}: {len(r.active)} active users counted apart, "
                f"{engine_count} by the engine over {len(head)} tool(s): the partitioned run would differ"
            )
    template = results[0].result.summary
    extra_keys = [k for k in template if k not in BUILT_KEYS]
    for name in [
        "period",
        "previous_period",
        "timezone",
        "currency",
        "min_group_size",
        "change_source",
        *extra_keys,
    ]:
        if name in _GLOBAL_EXTRA:
            continue
        for r in results[1:]:
            if r.result.summary.get(name) != template.get(name):
                raise RuntimeError(
                    f"adoption parts disagree on {name!r} ({template.get(name)!r} for {results[0].key!r}, "
                    f"{r.result.summary.get(name)!r} for {r.key!r}): the partitioned run would differ"
                )

    from tasks.adoption.summary import build_summary

    # rows: tools in display-name order (each part is one tool, its rows already in the engine's order)
    by_name = sorted(
        results, key=lambda r: str(r.result.tools["tool"].iloc[0]) if len(r.result.tools) else ""
    )
    tools = pd.concat([r.result.tools for r in by_name], ignore_index=True)
    monthly = sorted((m for r in results for m in r.result.summary["monthly"]), key=lambda m: m["month"])
    extra = {k: template[k] for k in extra_keys}
    extra.update(usage_rows=meta.usage_rows, department_source=meta.department_source)
    summary = build_summary(
        tools,
        period=period,
        previous=period.previous() if template["previous_period"] else None,
        timezone=template["timezone"],
        currency=template["currency"],
        min_group_size=template["min_group_size"],
        monthly=monthly,
        tools_without_licence=[t for r in results for t in r.result.summary["tools_without_licence"]],
        active_total=int(np.unique(np.concatenate([r.active for r in results])).size),
        change_source=template["change_source"],
        extra=extra,
    )
    return AdoptionResult(tools=tools, summary=summary)


def _rows_of_tool(frame: pd.DataFrame | None, key: str) -> pd.DataFrame | None:
    if frame is None:
        return None
    keys = frame["tool"].astype("string").map(tool_key, na_action="ignore")
    return frame.loc[(keys == key).fillna(False).to_numpy(dtype=bool)]


def _usage_departments(data: UsageArrays) -> np.ndarray:
    """Per user code: the department the usage shows most often for that user over all tools (ties: the
    alphabetically first, as the engine breaks them), -1 when none."""
    best = np.full(len(data.users), -1, np.int32)
    if data.department is None or data.departments is None or not data.departments.size:
        return best
    has = data.department >= 0
    n_dep = len(data.departments)
    pairs, counts = np.unique(
        data.user[has].astype(np.int64) * n_dep + data.department[has], return_counts=True
    )
    user, dept = pairs // n_dep, pairs % n_dep
    order = np.lexsort((dept, -counts, user))  # per user: most rows first, then the first department code
    first = order[np.r_[True, user[order][1:] != user[order][:-1]]] if order.size else order
    best[user[first]] = dept[first]
    return best


def _day_markers(day: np.ndarray, period: Period) -> np.ndarray:
    """Rows whose days decide what the engine reads from the whole usage: its first and last day, and one day in
    each of the two periods before `period` when the usage has any."""
    if day.size == 0:
        return np.zeros(0, np.int64)
    picks = {int(np.argmin(day)), int(np.argmax(day))}
    prev = period.previous()
    for p in (prev, prev.previous()):
        inside = np.flatnonzero((day >= day_number(p.start)) & (day <= day_number(p.end)))
        if inside.size:
            picks.add(int(inside[0]))
    return np.array(sorted(picks), dtype=np.int64)


def _take(
    data: UsageArrays,
    rows: np.ndarray,
    markers: np.ndarray,
    *,
    tools: np.ndarray,
    tool: np.ndarray,
    count: np.ndarray,
) -> UsageArrays:
    """`rows` of `data` with the part's tool codes, plus the marker rows: first tool, count 0, no action. User and
    action categories stay shared by every part; departments come from the plan's directory instead."""
    m = markers.size

    def cat(values: np.ndarray | None, marker: np.ndarray) -> np.ndarray | None:
        return (
            None
            if values is None
            else np.concatenate([values[rows], marker]).astype(values.dtype, copy=False)
        )

    none = np.full(m, -1, np.int32)
    return UsageArrays(
        tools=np.asarray(tools, dtype=object),
        tool=np.concatenate([tool, np.zeros(m, np.int32)]).astype(np.int32),
        users=data.users,
        user=cat(data.user, data.user[markers]),
        day=cat(data.day, data.day[markers]),
        count=cat(count, np.zeros(m)),
        actions=data.actions,
        action=cat(data.action, none),
        files=list(data.files),
    )


def _with_usage_departments(
    directory: pd.DataFrame | None, data: UsageArrays, best: np.ndarray
) -> pd.DataFrame | None:
    """The directory plus one row (user, department) for each user whose department only the usage gives.

    Appended rows come last, so they also win over a directory row of the same user with an empty department,
    exactly as the usage does in the engine; they carry no dates, so nobody becomes a leaver through them.
    """
    has = best >= 0
    if not has.any():
        return directory
    known = directory_departments(directory)
    users = pd.Index(data.users[has].astype(object), dtype="string")
    new = ~users.isin(known.index)
    if not new.any():
        return directory
    rows = pd.DataFrame(
        {"user": users[new], "department": pd.array(data.departments[best[has]][new], dtype="string")}
    )
    return rows if directory is None else pd.concat([directory, rows], ignore_index=True)


def _department_source(
    data: UsageArrays, best: np.ndarray, assignments: pd.DataFrame | None, directory: pd.DataFrame | None
) -> dict[str, int]:
    """Where users' departments come from, over every user of the whole input (as the engine counts them)."""
    users = data.users.astype(object)
    if assignments is not None and not assignments.empty:
        held_by = pd.Index(assignments["user"].dropna().astype("string").str.strip().unique())
        extra = held_by.difference(pd.Index(data.users, dtype="string")).to_numpy(dtype=object)
        users = np.concatenate([users, extra])
    from_usage = np.zeros(len(users), dtype=bool)
    from_usage[: len(best)] = best >= 0
    known = directory_departments(directory)
    from_dir = np.zeros(len(users), dtype=bool)
    if len(known):
        from_dir = pd.Index(known.index).get_indexer(pd.Index(users)) >= 0
    return {
        "directory": int(from_dir.sum()),
        "usage": int((from_usage & ~from_dir).sum()),
        "unknown": int((~from_usage & ~from_dir).sum()),
    }


# ---- SLA --------------------------------------------------------------------------------------------------------
@dataclass
class SlaPart:
    """Tickets created in `label` (a month or a run of months) with their status changes."""

    label: str
    tickets: pd.DataFrame
    events: pd.DataFrame | None


@dataclass
class SlaMeta:
    """What the merge needs besides the per-ticket frames."""

    header: pd.DataFrame  # the tickets' columns without rows (the summary's warnings read the columns)
    ticket_ids: pd.Index = field(repr=False)  # file order, to put the merged rows back in it
    events_available: bool
    events_unmatched: int


@dataclass
class SlaPlan:
    parts: list[SlaPart]
    meta: SlaMeta


def plan_sla(
    tickets: pd.DataFrame,
    events: pd.DataFrame | None,
    policy: Policy,
    *,
    min_tickets: int | None = None,
    source: str = "tickets",
) -> SlaPlan:
    """Split tickets by month of creation (policy timezone) and events with their ticket; the file is checked
    whole first, so refusals are those of `compute_sla` on the whole file."""
    check_tickets(tickets, source, events)
    ids = pd.Index(tickets["ticket_id"].astype("string"))
    month = _creation_month(tickets["created_at"], policy.timezone)
    months, of_row = np.unique(month, return_inverse=True)
    least = SLA_MIN_TICKETS if min_tickets is None else min_tickets
    groups = _group_months(np.bincount(of_row, minlength=len(months)), max(1, least))
    part_of_row = groups[of_row] if len(months) else np.zeros(0, np.int64)
    n_parts = int(groups.max()) + 1 if len(months) else 1

    unmatched = 0
    part_of_event = None
    if events is not None:
        pos = ids.get_indexer(events["ticket_id"].astype("string"))
        hit = pos >= 0
        unmatched = int((~hit).sum())
        part_of_event = np.full(len(pos), -1, np.int64)
        part_of_event[hit] = part_of_row[pos[hit]]

    parts = []
    for g in range(n_parts):
        in_group = months[groups == g] if len(months) else np.zeros(0, np.int64)
        label = _month_label(in_group)
        part_events = None if events is None else events.loc[part_of_event == g]
        parts.append(SlaPart(label, tickets.loc[part_of_row == g] if len(tickets) else tickets, part_events))
    meta = SlaMeta(
        header=tickets.iloc[:0],
        ticket_ids=ids,
        events_available=events is not None,
        events_unmatched=unmatched,
    )
    return SlaPlan(parts, meta)


def compute_sla_part(
    part: SlaPart,
    policy: Policy,
    period: Period,
    as_of: Any = None,
    *,
    at_risk_share: float = 0.8,
    source: str = "tickets",
) -> pd.DataFrame:
    """The per-ticket frame of `compute_sla` on one part (its tickets in scope)."""
    return compute_sla(
        part.tickets, part.events, policy, period, as_of, at_risk_share=at_risk_share, source=source
    ).tickets


def merge_sla(
    frames: list[pd.DataFrame],
    meta: SlaMeta,
    policy: Policy,
    period: Period,
    as_of: Any = None,
    *,
    at_risk_share: float = 0.8,
) -> SlaResult:
    """Per-ticket frames back in file order, and the summary built once on all of them."""
    if not frames:
        raise ValueError("no SLA part to merge")
    kept = [f for f in frames if len(f)] or frames[:1]  # empty frames would only blur the columns' dtypes
    merged = pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0]
    pos = meta.ticket_ids.get_indexer(merged["ticket_id"].astype("string"))
    merged = merged.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)
    summary = summarise_tickets(
        merged,
        tickets=meta.header,
        policy=policy,
        period=period,
        as_of=as_of,
        events_available=meta.events_available,
        at_risk_share=at_risk_share,
        events_unmatched=meta.events_unmatched,
    )
    return SlaResult(merged, summary)


def _creation_month(created: pd.Series, timezone: str) -> np.ndarray:
    """Year * 12 + month - 1 of each creation instant in `timezone` (naive values are UTC, as in the engine)."""
    if not pd.api.types.is_datetime64_any_dtype(created):
        created = pd.to_datetime(created, utc=True, errors="coerce", format="ISO8601")
    if not isinstance(created.dtype, pd.DatetimeTZDtype):
        created = created.dt.tz_localize("UTC")
    # an unreadable instant is epoch 0, as in the engine
    local = created.fillna(pd.Timestamp(0, tz="UTC")).dt.tz_convert(timezone)
    return local.dt.year.to_numpy(dtype=np.int64) * 12 + local.dt.month.to_numpy(dtype=np.int64) - 1


def _group_months(sizes: np.ndarray, min_tickets: int) -> np.ndarray:
    """Part number of each month (in order): consecutive months share a part until it holds `min_tickets`."""
    out = np.zeros(len(sizes), np.int64)
    part, held = 0, 0
    for i, size in enumerate(sizes):  # one step per month, a few dozen at most
        if held >= min_tickets:
            part, held = part + 1, 0
        out[i] = part
        held += int(size)
    return out


def _month_label(months: np.ndarray) -> str:
    if not len(months):
        return "none"
    names = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in (int(months[0]), int(months[-1]))]
    return names[0] if names[0] == names[1] else f"{names[0]}..{names[1]}"
