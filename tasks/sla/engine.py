"""SLA clocks in business time for every ticket at once: `compute_sla` and `write_outputs`.

What the clocks mean (DOMAIN.md, SLA section; CONTRACTS section 4):
- Each ticket gets the first goal whose `match` fits it (on the ticket's values as exported, so a priority
  changed mid-life counts with its last value, as GLPI does); the goal names a calendar and the targets.
- Resolution clock: runs from creation, stops on the first entry into a stop status. A later entry into a
  running status is a reopening and starts a new cycle; the ticket breached if any cycle breached. Time spent
  in a pause status does not count. Business time only, inside the goal's calendar.
- First response clock: from creation to `first_response_at`; when that column is empty, to the first status
  change out of `new` in the history (the ticket was taken in hand), else to the resolution. Pauses do not
  count either.
- Tickets still running at `as_of` are judged there (`open_within` / `open_breached`); history after `as_of`
  is ignored, as if the audit had been run at that instant.
- A clock exactly at its target is met.

How: the ticket history is turned into one sorted array of status segments (a synthetic `new` at creation,
then the events; without events, a synthetic stop at `resolved_at`), every segment's business length is
`B(end) - B(start)` on its calendar's timeline (see calendar.py), and cycles, pauses and states are sums and
group-wise reductions over those arrays. No Python loop runs per ticket; loops run per goal or per calendar.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditbridge.datasets import STATUSES
from auditbridge.errors import DataError, Problem, UsageError
from auditbridge.period import Period, parse_period
from tasks.sla.calendar import build_timelines
from tasks.sla.policy import Policy
from tasks.sla.summary import STATES, summarise

_RUN, _PAUSE, _STOP = 0, 1, 2
_KIND_CREATED, _KIND_EVENT, _KIND_SYNTH_STOP = 0, 1, 2
NOTES = {  # bit order -> (code written in `clock_notes`, explanation given once in the summary's legend)
    "no_history": "no status history for this ticket: pauses and reopenings cannot be known",
    "pause_unmeasured": "in a pause status with no history: the current pause is counted as running time",
    "stop_without_time": "in a stop status without resolved_at/closed_at: the resolution clock cannot be judged",
    "history_incomplete": "the history ends before the resolution: resolved_at/closed_at used as the stop",
    "no_goal": "no goal of the policy matches this ticket",
}


@dataclass
class SlaResult:
    """Per-ticket clocks (`sla_tickets.csv`) and the figures of `sla_summary.json`."""

    tickets: pd.DataFrame
    summary: dict[str, Any]


def _secs(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Timestamps -> (int64 UTC epoch seconds, floored; valid mask). Naive values are taken as UTC.

    Reads the datetime array's integers directly (any unit), without intermediate Series copies.
    """
    if not (pd.api.types.is_datetime64_any_dtype(values)):
        values = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    arr = values.array
    i8 = np.asarray(arr.asi8)
    valid = i8 != np.iinfo(np.int64).min  # NaT
    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[arr.unit]
    out = np.floor_divide(i8, per_second) if per_second > 1 else i8.copy()
    out[~valid] = 0
    return out, valid


def _as_of_seconds(as_of: Any, period: Period, timezone: str) -> int:
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return int(pd.Timestamp(period.bounds(timezone)[1]).value // 10**9)
    if isinstance(as_of, str):
        text = as_of.strip()
        try:
            ts = pd.Timestamp(text)
        except ValueError:
            raise UsageError(
                f"--as-of {as_of!r}: expected an ISO 8601 instant such as 2026-09-30T18:00:00+02:00"
            ) from None
    elif isinstance(as_of, (datetime, pd.Timestamp)):
        ts = pd.Timestamp(as_of)
    else:
        raise UsageError(f"as_of {as_of!r}: expected an ISO 8601 instant")
    if ts.tzinfo is None:
        ts = ts.tz_localize(timezone)  # a naive as-of is read in the policy's zone, like the calendars
    return int(ts.tz_convert("UTC").value // 10**9)


def _column_text(tickets: pd.DataFrame, col: str) -> pd.Series:
    return tickets[col].astype("string").str.strip()


def match_goals(tickets: pd.DataFrame, policy: Policy) -> np.ndarray:
    """Index of the first goal whose every `match` column fits each ticket (-1: none). One pass per goal."""
    goal = np.full(len(tickets), -1, dtype=np.int64)
    cache: dict[str, pd.Series] = {}
    for gi, g in enumerate(policy.goals):
        mask = np.ones(len(tickets), dtype=bool)
        for col, accepted in g.match.items():
            wanted = [v for v in accepted if v is not None]
            if col not in tickets.columns:
                mask &= None in accepted  # an absent column is empty everywhere
                continue
            if col not in cache:
                cache[col] = _column_text(tickets, col)
            text = cache[col]
            fits = (
                text.isin(wanted).fillna(False).to_numpy(dtype=bool) if wanted else np.zeros(len(text), bool)
            )
            if None in accepted:
                fits |= (text.isna() | (text == "")).fillna(True).to_numpy(dtype=bool)
            mask &= fits
        goal[(goal < 0) & mask] = gi
    return goal


def _check_tickets(tickets: pd.DataFrame, name: str) -> pd.Series:
    """Refuse what would make the clocks meaningless; return the normalised status column."""
    problems: list[Problem] = []
    for col in ("ticket_id", "created_at", "status"):
        if col not in tickets.columns:
            problems.append(Problem(name, "missing required column of tickets", row=1, column=col))
    if problems:
        raise DataError(problems)
    ids = tickets["ticket_id"].astype("string")
    dup = ids.duplicated(keep=False).to_numpy(dtype=bool)
    rows = np.flatnonzero(dup)
    for r in rows[:20]:
        problems.append(
            Problem(
                name,
                "ticket_id must be unique within the file",
                row=int(r) + 2,
                column="ticket_id",
                value=str(ids.iloc[r]),
            )
        )
    missing = np.flatnonzero(tickets["created_at"].isna().to_numpy(dtype=bool))
    for r in missing[:20]:
        problems.append(
            Problem(name, "created_at is required to start the clocks", row=int(r) + 2, column="created_at")
        )
    status = tickets["status"].astype("string").str.strip().str.lower()
    bad = np.flatnonzero((~status.isin(STATUSES)).fillna(True).to_numpy(dtype=bool))
    for r in bad[:20]:
        problems.append(
            Problem(
                name,
                f"expected a normalised status ({', '.join(STATUSES)})",
                row=int(r) + 2,
                column="status",
                value=str(tickets["status"].iloc[r]),
            )
        )
    if problems:
        raise DataError(problems, total=len(rows) + len(missing) + len(bad))
    return status


def _check_events(events: pd.DataFrame, name: str) -> None:
    """A status history whose statuses are not the canonical ones would pause or stop nothing: refuse it."""
    missing = [c for c in ("ticket_id", "at", "status") if c not in events.columns]
    if missing:
        raise DataError(
            [Problem(name, "missing required column of ticket_events", row=1, column=c) for c in missing]
        )
    status = events["status"].astype("string").str.strip().str.lower()
    bad = np.flatnonzero((~status.isin(STATUSES)).fillna(True).to_numpy(dtype=bool))
    no_time = np.flatnonzero(events["at"].isna().to_numpy(dtype=bool))
    problems = [
        Problem(
            name,
            f"expected a normalised status ({', '.join(STATUSES)})",
            row=int(r) + 2,
            column="status",
            value=str(events["status"].iloc[r]),
        )
        for r in bad[:20]
    ] + [
        Problem(name, "the time of the status change is required", row=int(r) + 2, column="at")
        for r in no_time[:20]
    ]
    if problems:
        raise DataError(problems, total=len(bad) + len(no_time))


def _warnings(policy: Policy, tickets: pd.DataFrame, unmatched: int) -> list[str]:
    """Things the reader of the figures should know that are not errors (the run still makes sense)."""
    out = []
    for g in policy.goals:
        for col, accepted in g.match.items():
            if col not in tickets.columns and None not in accepted:
                out.append(
                    f"goal {g.name!r} matches on column {col!r}, which the tickets do not have: "
                    "it applies to no ticket"
                )
    if unmatched:
        out.append(f"{unmatched} status change(s) name a ticket_id that is not in the tickets file: ignored")
    return out


def _business_at(times: np.ndarray, cal: np.ndarray, timelines: dict, cal_names: list[str]) -> np.ndarray:
    """B(t) of each instant on its row's calendar (code -1, no goal: 0). One pass per calendar."""
    out = np.zeros(len(times), np.int64)
    for c, name in enumerate(cal_names):
        sel = cal == c
        if sel.any():
            out[sel] = timelines[name].at(times[sel])
    return out


def _span(policy: Policy, lo: int, hi: int, max_target: int) -> tuple[date, date]:
    """Local days the timelines must cover: every instant used, plus room for deadlines after as-of."""
    first = pd.Timestamp(lo, unit="s", tz="UTC").tz_convert(policy.timezone).date() - timedelta(days=2)
    weekly = min((c.weekly_seconds for c in policy.calendars.values() if c.weekly_seconds), default=7 * 86400)
    weeks = -(-max_target // max(weekly, 1)) + 2  # ceil, plus slack for holidays
    last = pd.Timestamp(hi, unit="s", tz="UTC").tz_convert(policy.timezone).date() + timedelta(
        days=7 * weeks + 2
    )
    return first, last


@dataclass
class Stream:
    """Every ticket's status history as rows sorted by (ticket, time): a synthetic `new` at creation, the
    events known at as-of, and a synthetic stop at `resolved_at`/`closed_at` where no history says it."""

    pos: np.ndarray  # row of the ticket in the tickets frame
    t: np.ndarray  # epoch seconds the status starts
    code: np.ndarray  # _RUN, _PAUSE or _STOP
    is_new: np.ndarray  # the status is `new` (not a first response)
    kind: np.ndarray  # _KIND_CREATED, _KIND_EVENT or _KIND_SYNTH_STOP
    has_history: np.ndarray  # per ticket: the events file has rows for it
    synth_short: np.ndarray  # per ticket: its history stops short of a known resolution
    unmatched: int  # events whose ticket_id is not in the tickets


def build_stream(
    ticket_ids: pd.Series,
    created: np.ndarray,
    events: pd.DataFrame | None,
    policy: Policy,
    as_of_s: int,
    res_row: np.ndarray,
    res_row_ok: np.ndarray,
    status_stop: np.ndarray,
) -> Stream:
    """The sorted status rows of every ticket (see `Stream`); events after as-of are not known yet."""
    n = len(created)
    code_of = {
        s: (_PAUSE if s in policy.pause else _STOP if (s in policy.stop or s in policy.cancel) else _RUN)
        for s in STATUSES
    }
    unmatched = 0
    has_history = np.zeros(n, bool)
    events_part: dict[str, np.ndarray] | None = None
    last_real_stop = np.zeros(n, bool)
    last_real_t = np.full(n, np.iinfo(np.int64).min, np.int64)
    if events is not None and len(events):
        pos = pd.Index(ticket_ids.astype("string")).get_indexer(events["ticket_id"].astype("string"))
        at, at_ok = _secs(events["at"])
        ev_status = events["status"].astype("string").str.strip().str.lower()
        code = ev_status.map(code_of).fillna(_RUN).to_numpy(dtype=np.int64)
        is_new = (ev_status == "new").fillna(False).to_numpy(dtype=bool)
        seq = (
            pd.to_numeric(events["seq"], errors="coerce").fillna(0).to_numpy(dtype=np.float64)
            if "seq" in events.columns
            else np.zeros(len(events))
        )
        unmatched = int((pos < 0).sum())
        has_history[pos[pos >= 0]] = True  # the ticket has a history, even if it all happens after as-of
        keep = (pos >= 0) & at_ok
        keep[keep] &= at[keep] <= as_of_s
        pos, at, code, is_new, seq = pos[keep], at[keep], code[keep], is_new[keep], seq[keep]
        at = np.maximum(at, created[pos])
        order = np.lexsort((np.arange(len(pos)), seq, at, pos))
        pos, at, code, is_new, seq = pos[order], at[order], code[order], is_new[order], seq[order]
        last = np.append(pos[1:] != pos[:-1], True) if len(pos) else np.zeros(0, bool)
        last_real_stop[pos[last]] = code[last] == _STOP
        last_real_t[pos[last]] = at[last]
        events_part = {
            "pos": pos,
            "t": at,
            "code": code,
            "new": is_new,
            "kind": np.full(len(pos), _KIND_EVENT),
        }
    idx = np.arange(n)
    parts = [
        {
            "pos": idx,
            "t": created,
            "code": np.full(n, code_of["new"]),
            "new": np.ones(n, bool),
            "kind": np.full(n, _KIND_CREATED),
        }
    ]
    if events_part is not None:
        parts.append(events_part)
    row_stop_usable = res_row_ok & (res_row <= as_of_s)
    synth_no_hist = ~has_history & row_stop_usable
    synth_short = has_history & status_stop & ~last_real_stop & row_stop_usable & (res_row >= last_real_t)
    synth = synth_no_hist | synth_short
    sp = idx[synth]
    parts.append(
        {
            "pos": sp,
            "t": res_row[sp],
            "code": np.full(len(sp), _STOP),
            "new": np.zeros(len(sp), bool),
            "kind": np.full(len(sp), _KIND_SYNTH_STOP),
        }
    )
    ev = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    # One stable sort by (ticket, time). Parts are concatenated creation first, then events (already in
    # (time, seq, file) order), then synthetic stops, so equal times keep exactly that order. Event times
    # were clamped to creation, so offsets from the earliest creation are >= 0 and fit in 33 bits.
    t0 = int(created.min()) if n else 0
    key = (ev["pos"].astype(np.int64) << 33) | np.clip(ev["t"] - t0, 0, (1 << 33) - 1)
    order = np.argsort(key, kind="stable")
    return Stream(
        ev["pos"][order],
        ev["t"][order],
        ev["code"][order],
        ev["new"][order],
        ev["kind"][order],
        has_history,
        synth_short,
        unmatched,
    )


def compute_sla(
    tickets: pd.DataFrame,
    events: pd.DataFrame | None,
    policy: Policy,
    period: Period | str,
    as_of: Any = None,
    *,
    at_risk_share: float = 0.8,
    source: str = "tickets",
    events_source: str = "ticket_events",
) -> SlaResult:
    """Judge every ticket in scope against its goal; see the module docstring for the rules.

    `tickets` and `events` are canonical frames (timestamps tz-aware). Scope (CONTRACTS section 4): created
    before the period's end (and not after `as_of`), and resolved inside the period or still unresolved at
    its end. Returns the per-ticket frame (input columns kept) and the summary of docs/architecture.md.
    """
    period = parse_period(period) if isinstance(period, str) else period
    status = _check_tickets(tickets, source).reset_index(drop=True)
    if events is not None:
        _check_events(events, events_source)
    tz = policy.timezone
    p_start_dt, p_end_dt = period.bounds(tz)
    p_start, p_end = int(p_start_dt.timestamp()), int(p_end_dt.timestamp())
    as_of_s = _as_of_seconds(as_of, period, tz)

    created_all, _ = _secs(tickets["created_at"])
    pre = (created_all < p_end) & (created_all <= as_of_s)  # tickets that existed within the period
    tk = tickets.reset_index(drop=True)  # computed for all rows, filtered once at the end (one copy, not two)
    n = len(tk)
    created = created_all
    cancelled = status.isin(policy.cancel).to_numpy(dtype=bool, na_value=False)
    status_stop = status.isin(policy.stop).to_numpy(dtype=bool, na_value=False)
    status_pause = status.isin(policy.pause).to_numpy(dtype=bool, na_value=False)

    goal_idx = match_goals(tk, policy)
    fr_targets = np.array([g.first_response_s or 0 for g in policy.goals] + [0], dtype=np.int64)
    res_targets = np.array([g.resolution_s or 0 for g in policy.goals] + [0], dtype=np.int64)
    cal_names = sorted({g.calendar for g in policy.goals})
    cal_code_of_goal = np.array([cal_names.index(g.calendar) for g in policy.goals] + [-1], dtype=np.int64)
    cal_code = cal_code_of_goal[goal_idx]  # goal -1 picks the trailing "no goal" entry
    fr_target = fr_targets[goal_idx]
    res_target = res_targets[goal_idx]

    # Resolution instant known from the ticket row, used when there is no history (or it stops short).
    res_row, res_row_ok = np.zeros(n, np.int64), np.zeros(n, bool)
    for col in ("closed_at", "resolved_at"):  # resolved_at wins over closed_at
        if col in tk.columns:
            v, ok = _secs(tk[col])
            res_row = np.where(ok, v, res_row)
            res_row_ok |= ok
    res_row = np.maximum(res_row, created)
    fr_row, fr_row_present = (np.zeros(n, np.int64), np.zeros(n, bool))
    if "first_response_at" in tk.columns:
        fr_row, fr_row_present = _secs(tk["first_response_at"])
        fr_row = np.maximum(fr_row, created)
    fr_row_ok = fr_row_present & (fr_row <= as_of_s)  # a response after as-of had not happened yet

    # ---- the event stream ------------------------------------------------------------------------------
    events_available = events is not None
    stream = build_stream(tk["ticket_id"], created, events, policy, as_of_s, res_row, res_row_ok, status_stop)
    pos, t, code, is_new, kind = stream.pos, stream.t, stream.code, stream.is_new, stream.kind
    has_history, synth_short, unmatched = stream.has_history, stream.synth_short, stream.unmatched

    m = len(pos)
    same_next = np.zeros(m, bool)
    same_next[:-1] = pos[1:] == pos[:-1]
    first_of_ticket = np.ones(m, bool)
    first_of_ticket[1:] = pos[1:] != pos[:-1]
    is_stop = code == _STOP
    prev_stop = np.ones(m, bool)
    prev_stop[1:] = is_stop[:-1]
    prev_stop |= first_of_ticket
    cycle_start = ~is_stop & prev_stop
    stop_entry = is_stop & ~prev_stop
    cycle_id = np.cumsum(cycle_start) - 1  # the cycle a running/pause row belongs to, or a stop entry closes

    # ---- business lengths of segments ------------------------------------------------------------------
    lo = int(created.min()) if n else as_of_s
    max_target = int(max(fr_targets.max(initial=0), res_targets.max(initial=0)))
    first_day, last_day = _span(policy, lo, max(as_of_s, lo), max_target)
    timelines = build_timelines(policy.calendars, tz, first_day, last_day, needed=set(cal_names))
    ev_cal = cal_code[pos]
    # B at every row's start; a segment ends where the ticket's next row starts (same B), or at as-of.
    b_start = _business_at(t, ev_cal, timelines, cal_names)
    b_as_of = _business_at(
        np.full(len(cal_names) + 1, as_of_s), np.arange(-1, len(cal_names)), timelines, cal_names
    )
    b_end = np.where(same_next, np.roll(b_start, -1), b_as_of[ev_cal + 1])
    b_end = np.maximum(b_end, b_start)
    dur = b_end - b_start
    in_cycle = ~is_stop
    run_rows = in_cycle & (code == _RUN)
    pause_rows = in_cycle & (code == _PAUSE)

    # ---- resolution cycles -----------------------------------------------------------------------------
    n_cyc = int(cycle_start.sum())
    cyc_pos = pos[cycle_start]
    cyc_elapsed = np.bincount(cycle_id[run_rows], weights=dur[run_rows], minlength=n_cyc).astype(np.int64)
    cyc_closed = np.zeros(n_cyc, bool)
    cyc_closed[cycle_id[stop_entry]] = True
    cyc_end = np.full(n_cyc, as_of_s, np.int64)
    cyc_end[cycle_id[stop_entry]] = t[stop_entry]
    cyc_target = res_target[cyc_pos]
    cyc_breached = cyc_closed & (cyc_target > 0) & (cyc_elapsed > cyc_target)

    cycles = np.bincount(cyc_pos, minlength=n)
    last_cyc = np.full(n, -1, np.int64)
    last_of_run = np.append(cyc_pos[1:] != cyc_pos[:-1], True) if n_cyc else np.zeros(0, bool)
    last_cyc[cyc_pos[last_of_run]] = np.flatnonzero(last_of_run)  # cycles are in ticket order
    has_cyc = last_cyc >= 0
    lc = np.where(has_cyc, last_cyc, 0)
    is_open = has_cyc & ~(cyc_closed[lc] if n_cyc else np.zeros(n, bool))
    any_breached = np.bincount(cyc_pos[cyc_breached], minlength=n) > 0
    max_closed = np.zeros(n, np.int64)
    closed_idx = np.flatnonzero(cyc_closed)
    if len(closed_idx):  # closed cycles are in ticket order: a max per run of equal tickets
        cp = cyc_pos[closed_idx]
        run_starts = np.flatnonzero(np.r_[True, cp[1:] != cp[:-1]])
        max_closed[cp[run_starts]] = np.maximum.reduceat(cyc_elapsed[closed_idx], run_starts)
    last_elapsed = np.where(has_cyc, cyc_elapsed[lc] if n_cyc else 0, 0)
    res_elapsed = np.where(any_breached, max_closed, np.where(is_open, last_elapsed, max_closed))
    paused = np.bincount(pos[pause_rows], weights=dur[pause_rows], minlength=n).astype(np.int64)
    final_stop = np.where(has_cyc & ~is_open, cyc_end[lc] if n_cyc else 0, 0)

    # ---- first response --------------------------------------------------------------------------------
    fr_mask = (kind != _KIND_CREATED) & ~is_new
    fp = pos[fr_mask]
    first_fr = np.ones(len(fp), bool)
    first_fr[1:] = fp[1:] != fp[:-1]
    fr_ev = np.full(n, np.iinfo(np.int64).max, np.int64)
    fr_ev[fp[first_fr]] = t[fr_mask][first_fr]
    fr_by_stop = np.zeros(n, bool)
    fr_by_stop[fp[first_fr][code[fr_mask][first_fr] == _STOP]] = True
    has_fr_ev = fr_ev < np.iinfo(np.int64).max
    fr_source = np.select([fr_row_present, has_fr_ev & fr_by_stop, has_fr_ev], [1, 2, 3], 0)
    fr_done = fr_row_ok | (~fr_row_present & (fr_ev <= as_of_s))
    fr_at = np.where(fr_row_ok, fr_row, np.where(fr_done, fr_ev, as_of_s))
    # B is monotonic, so B(min(x, limit)) = min(B(x), B(limit)): the response clock reuses the segments.
    b_fr = _business_at(fr_at, cal_code, timelines, cal_names)[pos]
    fb_start = np.minimum(b_start, b_fr)
    fb_end = np.minimum(b_end, b_fr)
    fdur = fb_end - fb_start
    fr_elapsed = np.bincount(pos[run_rows], weights=fdur[run_rows], minlength=n).astype(np.int64)

    # ---- states ----------------------------------------------------------------------------------------
    has_goal = goal_idx >= 0
    unknown_res = status_stop & ~has_history & ~res_row_ok
    S = {name: i for i, name in enumerate(STATES)}
    res_state = np.select(
        [
            cancelled,
            ~has_goal | (res_target == 0),
            unknown_res,
            any_breached,
            is_open & (res_elapsed > res_target),
            is_open,
        ],
        [S["cancelled"], S["no_target"], S["unknown"], S["breached"], S["open_breached"], S["open_within"]],
        S["met"],
    )
    fr_state = np.select(
        [
            cancelled,
            ~has_goal | (fr_target == 0),
            unknown_res & ~fr_done,
            fr_done & (fr_elapsed > fr_target),
            fr_done,
            fr_elapsed > fr_target,
        ],
        [S["cancelled"], S["no_target"], S["unknown"], S["breached"], S["met"], S["open_breached"]],
        S["open_within"],
    )
    no_clock = cancelled | ~has_goal
    res_unknown = no_clock | unknown_res
    fr_unknown = no_clock | (unknown_res & ~fr_done)

    notes_bits = (
        (~has_history & ~cancelled).astype(np.int64) * 1
        + (~has_history & status_pause).astype(np.int64) * 2
        + unknown_res.astype(np.int64) * 4
        + synth_short.astype(np.int64) * 8
        + (~has_goal & ~cancelled).astype(np.int64) * 16
    )
    codes = list(NOTES)
    table = [";".join(codes[b] for b in range(len(codes)) if (k >> b) & 1) for k in range(1 << len(codes))]
    # When a running resolution clock will breach if nothing pauses it: the inverse lookup of B.
    open_within = res_state == S["open_within"]
    due = np.full(n, -1, np.int64)
    for c, cname in enumerate(cal_names):
        sel = open_within & (cal_code == c)
        if sel.any():
            tl = timelines[cname]
            due[sel] = tl.instant(tl.at(np.array([as_of_s]))[0] + (res_target[sel] - res_elapsed[sel]))
    at_risk = ~cancelled & (
        ((res_state == S["open_within"]) & (res_target > 0) & (res_elapsed >= at_risk_share * res_target))
        | ((fr_state == S["open_within"]) & (fr_target > 0) & (fr_elapsed >= at_risk_share * fr_target))
    )

    # ---- scope -----------------------------------------------------------------------------------------
    resolved = has_cyc & ~is_open & ~unknown_res
    in_scope = np.where(resolved, final_stop >= p_start, created >= p_start) | (is_open & ~cancelled)
    in_scope &= ~(unknown_res & (created < p_start))
    in_scope &= pre

    # Filter the arrays to the tickets in scope first, then build the columns: one take of the input frame.
    keep = slice(None) if in_scope.all() else np.flatnonzero(in_scope)

    def ts(v: np.ndarray, ok: np.ndarray) -> pd.Series:
        v, ok = v[keep], ok[keep]
        return pd.Series(
            pd.to_datetime(np.where(ok, v, np.iinfo(np.int64).min).astype("datetime64[s]"), utc=True)
        )

    def opt(v: np.ndarray, missing: np.ndarray) -> pd.Series:
        v, missing = v[keep], missing[keep]
        return pd.Series(pd.arrays.IntegerArray(np.where(missing, 0, v).astype(np.int64), missing.copy()))

    def cat(codes: np.ndarray, labels: list[str]) -> pd.Categorical:
        return pd.Categorical.from_codes(codes[keep], categories=pd.Index(list(labels), dtype="string"))

    computed = pd.DataFrame(
        {
            "goal": cat(goal_idx, [g.name for g in policy.goals]),  # -1 (no goal) is missing
            "calendar": cat(cal_code, cal_names),
            "first_response_target_s": opt(fr_target, ~has_goal | (fr_target == 0)),
            "first_response_elapsed_s": opt(fr_elapsed, fr_unknown),
            "first_response_state": cat(fr_state, list(STATES)),
            "first_response_source": cat(fr_source - 1, ["first_response_at", "resolution", "status_change"]),
            "first_response_used_at": ts(fr_at, fr_done),
            "resolution_target_s": opt(res_target, ~has_goal | (res_target == 0)),
            "resolution_elapsed_s": opt(res_elapsed, res_unknown),
            "resolution_state": cat(res_state, list(STATES)),
            "resolved_used_at": ts(final_stop, resolved),
            "resolution_due_at": ts(due, due >= 0),
            "paused_s": opt(paused, no_clock),
            "cycles": cycles.astype(np.int64)[keep],
            "reopened": (cycles > 1)[keep],
            "is_open": (is_open & ~cancelled & ~unknown_res)[keep],
            "age_s": (as_of_s - created).astype(np.int64)[keep],
            "at_risk": at_risk[keep],
            "history": has_history[keep],
            "clock_notes": cat(notes_bits, table),
        }
    )
    base = tk.drop(columns=[c for c in computed.columns if c in tk.columns])
    if not isinstance(keep, slice):
        base = base.take(keep).reset_index(drop=True)
    out = pd.concat([base, computed], axis=1)

    summary = summarise_tickets(
        out,
        tickets=tickets,
        policy=policy,
        period=period,
        as_of=as_of,
        events_available=events_available,
        at_risk_share=at_risk_share,
        events_unmatched=unmatched,
    )
    return SlaResult(out, summary)


def check_tickets(
    tickets: pd.DataFrame,
    source: str = "tickets",
    events: pd.DataFrame | None = None,
    events_source: str = "ticket_events",
) -> None:
    """The refusals of `compute_sla` on whole tickets and ticket_events files (missing columns, duplicate ids, no
    creation time, unknown status, status changes without a time), for callers that split the tickets before
    computing (`tasks.partition`): a duplicate id across two parts is still found, a bad status change of no
    known ticket is still refused, and rows keep the files' numbers."""
    _check_tickets(tickets, source)
    if events is not None:
        _check_events(events, events_source)


def summarise_tickets(
    per_ticket: pd.DataFrame,
    *,
    tickets: pd.DataFrame,
    policy: Policy,
    period: Period | str,
    as_of: Any = None,
    events_available: bool,
    at_risk_share: float = 0.8,
    events_unmatched: int = 0,
) -> dict[str, Any]:
    """The summary `compute_sla` returns, from its per-ticket frame (tickets in scope) and the input tickets.

    Exposed so that a run split into parts (`tasks.partition`: tickets by month of creation, computed apart)
    concatenates the per-ticket frames and builds the summary once, with the very code of the single run.
    `tickets` is only read for its columns (the warnings about goals matching on absent columns).
    """
    period = parse_period(period) if isinstance(period, str) else period
    return summarise(
        per_ticket,
        period=period,
        as_of_s=_as_of_seconds(as_of, period, policy.timezone),
        timezone=policy.timezone,
        events_available=events_available,
        at_risk_share=at_risk_share,
        goal_names=[g.name for g in policy.goals],
        extra={
            "events_unmatched": events_unmatched,
            "clock_notes_legend": dict(NOTES),
            "warnings": _warnings(policy, tickets, events_unmatched),
        },
    )


def iso_utc_bytes(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds -> `YYYY-MM-DDTHH:MM:SSZ` as a (n, 20) uint8 array, by integer arithmetic only.

    Formatting a million timestamps through strftime or numpy's formatter costs about a second per column;
    the civil-from-days algorithm (H. Hinnant) on whole arrays and a table of two-digit strings cost a tenth.
    """
    sec = np.asarray(seconds, dtype=np.int64)
    days, rem = np.divmod(sec, 86400)
    z = days + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    hour, rem = np.divmod(rem, 3600)
    minute, second = np.divmod(rem, 60)
    rec = np.empty(len(sec), dtype=_ISO_LAYOUT)
    for name, value in (
        ("c", year // 100),
        ("y", year % 100),
        ("mo", month),
        ("d", day),
        ("h", hour),
        ("mi", minute),
        ("s", second),
    ):
        rec[name] = _PAIRS[value]
    for name, char in (("s1", b"-"), ("s2", b"-"), ("s3", b"T"), ("s4", b":"), ("s5", b":"), ("z", b"Z")):
        rec[name] = char
    return rec.view(np.uint8).reshape(len(sec), 20)


_PAIRS = np.array([f"{i:02d}".encode() for i in range(100)], dtype="S2")
_ISO_LAYOUT = np.dtype(
    {  # YYYY-MM-DDTHH:MM:SSZ as two-digit fields at their byte offsets
        "names": ["c", "y", "s1", "mo", "s2", "d", "s3", "h", "s4", "mi", "s5", "s", "z"],
        "formats": ["S2", "S2", "S1", "S2", "S1", "S2", "S1", "S2", "S1", "S2", "S1", "S2", "S1"],
        "offsets": [0, 2, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19],
        "itemsize": 20,
    }
)


def _iso_array(values: pd.Series):
    """UTC timestamps -> a pyarrow string array of `2026-07-01T07:30:00Z`, null when missing (no copy)."""
    import pyarrow as pa

    secs, valid = _secs(values)
    data = iso_utc_bytes(secs)
    offsets = np.arange(0, 20 * (len(secs) + 1), 20, dtype=np.int32)
    bitmap = np.packbits(valid, bitorder="little")
    return pa.StringArray.from_buffers(
        len(secs),
        pa.py_buffer(offsets),
        pa.py_buffer(data.tobytes()),
        pa.py_buffer(bitmap.tobytes()),
        null_count=int((~valid).sum()),
    )


def write_outputs(result: SlaResult, out_dir: str | Path) -> dict[str, Path]:
    """Write `sla_tickets.csv` (UTF-8, ISO 8601 UTC timestamps) and `sla_summary.json` into `out_dir`.

    The CSV goes through pyarrow's writer, several times faster than `DataFrame.to_csv` on a million rows.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = result.tickets
    arrays = [
        _iso_array(frame[c])
        if isinstance(frame[c].dtype, pd.DatetimeTZDtype)
        else pa.array(frame[c], from_pandas=True)
        for c in frame.columns
    ]
    tickets_path = out / "sla_tickets.csv"
    pacsv.write_csv(
        pa.table(arrays, names=[str(c) for c in frame.columns]),
        tickets_path,
        write_options=pacsv.WriteOptions(quoting_style="needed"),
    )
    summary_path = out / "sla_summary.json"
    summary_path.write_text(json.dumps(result.summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"tickets": tickets_path, "summary": summary_path}
