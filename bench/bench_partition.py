"""Benchmark: the partitioned SLA and adoption stages on a local Dask cluster against the single-process run.

Input (fixed seed, generated in memory): 200,000 tickets over four months with about 900,000 status changes
(pauses, reopenings, a few changes naming no ticket), and 3,000,000 usage events of 8 tools by 5,000 users over
two quarters (so lifecycle figures exist), with licences (one tool licensed and unused), seat assignments and a
partial directory.

Single process: `compute_sla` and `compute_adoption` in this process. Partitioned: the `audit` flow's own
partitioned path (`flows.audit._sla_partitioned` / `_adoption_partitioned`: plan here, one Prefect task per month
and per tool on a `DaskTaskRunner` of 2 worker processes, merge task), timed from the flow's start of the stages
to the merged results (the cluster's start-up is printed apart).

Target: the figures are identical, i.e. both summaries are equal as JSON once floats are rounded to 9 digits,
the per-tool (and per tool and department) rows are equal, and so are the per-ticket rows. Exit 1 otherwise.
The speed ratio is printed, not targeted: on the shared 2-core machine two workers compete with everything else,
and shipping the parts to worker processes costs about what the split saves; the point of the partitioned run is
to spread large inputs over more machines (README, "Beyond one machine").
Run: `.venv/bin/python bench/bench_partition.py` (or `make bench`).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "partition"
SEED = 20260930
N_TICKETS, N_EVENTS_USAGE, N_USERS, N_DEPTS = 200_000, 3_000_000, 5_000, 40
TOOLS = ["crm", "Teams", "outlook", "onedrive", "erp", "slack", "zoom", "jira"]
PERIOD = "2026-Q3"
TZ = "Europe/Paris"
WORKERS = 2
POLICY = {
    "timezone": TZ,
    "calendars": {
        "office": {
            "hours": {d: ["09:00-12:30", "13:30-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": {"country": "FR"},
        },
        "always": "24x7",
    },
    "statuses": {"pause": ["pending"], "stop": ["resolved", "closed"], "cancel": ["cancelled"]},
    "goals": [
        {
            "name": "critical",
            "match": {"priority": "P1"},
            "calendar": "always",
            "first_response": "30m",
            "resolution": "4h",
        },
        {"name": "finance", "match": {"department": ["Finance"]}, "calendar": "office", "resolution": "7d"},
        {"name": "default", "match": {}, "calendar": "office", "first_response": "4h", "resolution": "3d"},
    ],
}
RULES = {"outlook": {"exclude_actions": ["mail_receive"]}}


def tickets_and_events(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = N_TICKETS
    created = int(datetime(2026, 6, 1).timestamp()) + rng.integers(0, 122 * 86400, n)
    gaps = rng.exponential(86400, (n, 5)).astype(np.int64)
    times = created[:, None] + np.cumsum(gaps, axis=1)
    # the last one reopens a fifth of them
    statuses = np.array(["open", "pending", "open", "resolved", "open"])
    keep = np.ones((n, 5), bool)
    keep[:, 4] = rng.random(n) < 0.2
    keep &= (rng.random(n) < 0.9)[:, None]  # a tenth have no history
    ids = np.char.add("T", np.arange(n).astype(str))
    events = pd.DataFrame(
        {
            "ticket_id": pd.array(np.repeat(ids[:, None], 5, axis=1)[keep], dtype="string"),
            "at": pd.to_datetime(times[keep], unit="s", utc=True),
            "status": pd.array(np.broadcast_to(statuses, (n, 5))[keep], dtype="string"),
        }
    )
    ghosts = pd.DataFrame(
        {
            "ticket_id": pd.array(["X1", "X2", "X3"], dtype="string"),
            "at": pd.to_datetime([created[0]] * 3, unit="s", utc=True),
            "status": pd.array(["open"] * 3, dtype="string"),
        }
    )
    events = pd.concat([events, ghosts], ignore_index=True)
    has_history = keep[:, 0]
    status = np.where(
        keep[:, 4],
        "open",
        np.where(
            has_history,
            "resolved",
            rng.choice(np.array(["resolved", "closed", "open", "pending", "cancelled"]), n),
        ),
    )
    done = np.isin(status, ["resolved", "closed"])
    tickets = pd.DataFrame(
        {
            "ticket_id": pd.array(ids, dtype="string"),
            "created_at": pd.to_datetime(created, unit="s", utc=True),
            "status": pd.array(status, dtype="string"),
            "priority": pd.array(
                rng.choice(np.array(["P1", "P2", "P3", "P4", None], dtype=object), n), dtype="string"
            ),
            "department": pd.array(
                rng.choice(np.array(["Finance", "Sales", "HR", "IT", "Operations"]), n), dtype="string"
            ),
            "category": pd.array(rng.choice(np.array(["hardware", "software", "access"]), n), dtype="string"),
            "resolved_at": pd.Series(pd.to_datetime(times[:, 3], unit="s", utc=True)).where(
                done & (rng.random(n) < 0.95)
            ),
        }
    )
    return tickets, events


def usage_and_references(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    n = N_EVENTS_USAGE
    users = np.array([f"u{i:05d}" for i in range(N_USERS)], dtype=object)
    depts = np.array([f"dept{i:02d}" for i in range(N_DEPTS)], dtype=object)
    home = rng.integers(0, N_DEPTS, N_USERS)
    user = rng.zipf(1.3, n) % N_USERS
    tool = rng.choice(len(TOOLS), n, p=np.linspace(2, 1, len(TOOLS)) / np.linspace(2, 1, len(TOOLS)).sum())
    # the logs disagree with the user's own department now and then
    dept = np.where(rng.random(n) < 0.9, home[user], rng.integers(0, N_DEPTS, n))
    start = int(pd.Timestamp("2026-04-01", tz=TZ).timestamp())
    usage = pd.DataFrame(
        {
            "tool": pd.array(np.array(TOOLS, dtype=object)[tool], dtype="string"),
            "user": pd.array(users[user], dtype="string"),
            "at": pd.to_datetime(start + rng.integers(0, 183 * 86400, n), unit="s", utc=True),
            "action": pd.array(
                rng.choice(np.array(["view", "edit", "send", "mail_receive"], dtype=object), n),
                dtype="string",
            ),
            "count": pd.array(rng.integers(0, 6, n), dtype="Int64"),
            "department": pd.array(np.where(rng.random(n) < 0.97, depts[dept], None), dtype="string"),
        }
    )
    licences = pd.DataFrame(
        {
            "tool": ["CRM", "teams", "outlook", "onedrive", "erp", "zoom", "visio"],
            "seats": [1500, 4000, 4500, 4000, 900, 800, 100],
            "cost_per_seat_month": [65.0, 5.0, 4.0, 3.0, 120.0, 14.0, 12.0],
            "currency": ["EUR"] * 7,
        }
    )
    held = rng.choice(N_USERS, 1800, replace=False)
    assignments = pd.DataFrame(
        {
            "tool": ["crm"] * 1400 + ["visio"] * 80 + ["erp"] * 320,
            "user": users[held[:1400]].tolist()
            + users[held[1400:1480]].tolist()
            + users[held[1480:]].tolist(),
        }
    )
    directory = pd.DataFrame({"user": users[: N_USERS // 2], "department": depts[home[: N_USERS // 2]]})
    return {"usage": usage, "licences": licences, "assignments": assignments, "directory": directory}


def rounded(value):
    """JSON-able value with floats rounded to 9 digits (the comparison the target names)."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 9)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def single_process(tickets, events, data, policy, period):
    from tasks.adoption.engine import compute_adoption
    from tasks.sla.engine import compute_sla

    t0 = time.perf_counter()
    sla = compute_sla(tickets, events, policy, period)
    t1 = time.perf_counter()
    adoption = compute_adoption(
        data["usage"],
        period=period,
        timezone=TZ,
        licences=data["licences"],
        assignments=data["assignments"],
        directory=data["directory"],
        activity_rules=RULES,
        currency="EUR",
    )
    t2 = time.perf_counter()
    return sla, adoption, {"sla": t1 - t0, "adoption": t2 - t1, "total": t2 - t0}


class _Inputs:
    """The generated frames, for the bench flow's body. Prefect sends the flow object with every task's context,
    and a flow defined here is pickled by value with what it refers to: this holder pickles empty, so each task
    carries its part only (as with the `audit` flow, which is pickled by reference)."""

    def __init__(self, **frames):
        self.__dict__.update(frames)

    def __reduce__(self):
        return (_Inputs, ())


def partitioned(tickets, events, data, period):
    """The flow's partitioned path in a flow of its own on a DaskTaskRunner (the same tasks `run_audit` submits)."""
    from prefect import flow
    from prefect_dask import DaskTaskRunner

    from flows import partitioned as split
    from tasks.sla.policy import load_policy

    marks: dict[str, float] = {}
    held = _Inputs(tickets=tickets, events=events, **data)
    del tickets, events, data

    @flow(
        name="bench-partition",
        task_runner=DaskTaskRunner(
            cluster_kwargs={"n_workers": WORKERS, "threads_per_worker": 1, "processes": True}
        ),
    )
    def stages():
        marks["start"] = time.perf_counter()
        policy = load_policy(POLICY, default_timezone=TZ)
        sla_future = split.sla(held.tickets, held.events, policy, period, None, 0.8)
        adoption_future = split.adoption(
            held.usage,
            period=period,
            timezone=TZ,
            licences=held.licences,
            assignments=held.assignments,
            directory=held.directory,
            currency="EUR",
            min_group_size=5,
            activity_rules=RULES,
            previous_metrics=None,
            zombie_days=90,
        )
        marks["submitted"] = time.perf_counter()
        sla = sla_future.result()
        adoption = adoption_future.result()
        marks["end"] = time.perf_counter()
        return sla, adoption

    t0 = time.perf_counter()
    state = stages(return_state=True)
    total = time.perf_counter() - t0
    sla, adoption = state.result()
    figures = {
        "stages": marks["end"] - marks["start"],
        "plans": marks["submitted"] - marks["start"],
        "with_start_up": total,
    }
    return sla, adoption, figures | _task_times(state.state_details.flow_run_id)


def _task_times(flow_run_id) -> dict[str, float]:
    """From Prefect's task runs: when the first part started on a worker (after the flow's stages began), the
    parts' own run time, and the span from the first part's start to the last merge's end."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    plans = [r for r in runs if r.name.endswith(" plan")]
    remote = [r for r in runs if not r.name.endswith(" plan") and r.start_time]
    begin = min(r.start_time for r in plans)
    first = min(r.start_time for r in remote)
    last = max(r.start_time + r.total_run_time for r in remote)
    return {
        "tasks": len(remote),
        "first_part_after": (first - begin).total_seconds(),
        "task_time": sum(r.total_run_time.total_seconds() for r in remote),
        "busy": (last - first).total_seconds(),
    }


def main() -> int:
    import logging
    import warnings

    # the parts are the graph's data, by design
    warnings.filterwarnings("ignore", message="Sending large graph")
    logging.getLogger("distributed").setLevel(logging.ERROR)
    os.environ.setdefault("AUDITBRIDGE_HOME", str(OUT / "state"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("DASK_DISTRIBUTED__LOGGING__DISTRIBUTED", "error")
    sys.path.insert(0, str(ROOT))
    from auditbridge.home import configure_prefect

    configure_prefect()
    from auditbridge.period import parse_period
    from tasks.sla.policy import load_policy

    period = parse_period(PERIOD)
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    tickets, events = tickets_and_events(rng)
    data = usage_and_references(rng)
    print(
        f"data: {len(tickets):,} tickets, {len(events):,} status changes, {len(data['usage']):,} usage events, "
        f"{len(TOOLS)} tools, {N_USERS:,} users (generated in {time.perf_counter() - t0:.1f} s)"
    )

    sla1, adoption1, single = single_process(tickets, events, data, load_policy(POLICY), period)
    sla2, adoption2, split = partitioned(tickets, events, data, period)
    print(
        f"single process:            {single['total']:6.2f} s (SLA {single['sla']:.2f} s, adoption {single['adoption']:.2f} s)"
    )
    print(
        f"partitioned, {WORKERS} Dask workers: {split['stages']:6.2f} s (plans in the flow {split['plans']:.2f} s; "
        f"{split['with_start_up']:.2f} s with the flow's and the cluster's start-up)"
    )
    print(
        f"  {split['tasks']} tasks on the workers (parts and merges): {split['task_time']:.2f} s of task time; the "
        f"first started {split['first_part_after']:.2f} s after the plans began (worker processes loading the "
        f"code); first start to merged results {split['busy']:.2f} s"
    )
    print(
        f"ratio partitioned / single: {split['stages'] / single['total']:.2f} "
        f"({split['with_start_up'] / single['total']:.2f} with start-up; "
        f"{split['busy'] / single['total']:.2f} once the workers run)"
    )
    print(
        f"figures: SLA {sla1.summary['tickets_in_scope']:,} tickets in scope, resolution compliance "
        f"{sla1.summary['overall']['resolution']['compliance_pct']} %; adoption {len(adoption1.tools)} rows, "
        f"{adoption1.summary['totals']['active_users']:,} active people, idle cost "
        f"{adoption1.summary['totals']['idle_cost']:,.2f} {adoption1.summary['totals']['currency']}"
    )

    problems = []
    for name, one, two in (
        ("SLA summary", sla1.summary, sla2.summary),
        ("adoption summary", adoption1.summary, adoption2.summary),
    ):
        if json.dumps(rounded(one), sort_keys=True) != json.dumps(rounded(two), sort_keys=True):
            differing = sorted(k for k in set(one) | set(two) if rounded(one.get(k)) != rounded(two.get(k)))
            problems.append(f"{name} differs on {', '.join(differing)}")
    for name, one, two in (
        ("adoption rows", adoption1.tools, adoption2.tools),
        ("SLA tickets", sla1.tickets, sla2.tickets),
    ):
        try:
            pd.testing.assert_frame_equal(one, two)
        except AssertionError as exc:
            problems.append(f"{name} differ: {str(exc).splitlines()[0]}")
    for p in problems:
        print(f"TARGET MISSED: {p}")
    if not problems:
        print(
            "target met: identical figures (summaries equal to 9 digits, per-tool and per-ticket rows equal)"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
