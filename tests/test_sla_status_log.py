"""The real status-change sample (../shared/samples/status_log) end to end, against an independent computation.

The sample is a log of status changes with SLA targets in business days per department, on a Monday-to-Friday
24-hour calendar without holidays. How its statuses map to the canonical ones (a decision, documented here):
- Logged -> `new`; Assigned -> `open`: the clock runs.
- Customer Response -> `pending` (pause): the team waits for the requester, the clock stops.
- UAT -> `resolved` (stop): the fix is delivered and the requester tests it; UAT is only ever followed by
  Closed in this log, and the resolution clock stops on the first entry into a stop status.
- Closed -> `closed` (stop).
Timestamps carry no zone: they are read as UTC (`--timezone UTC`). `N` business days is the policy duration
`Nd` (N x 24 calendar hours, which on this 24-hour weekday calendar is exactly N weekdays). Tickets still
open are judged at the end of 2020-Q1.

The independent computation below walks each ticket's events in order and counts weekday seconds day by
day in plain Python, sharing nothing with the engine but the status mapping.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, time, timedelta

import pandas as pd
import pytest

from auditbridge.cli import main

pytestmark = pytest.mark.samples

MAPPING = {
    "Logged": "new",
    "Assigned": "open",
    "Customer Response": "pending",
    "UAT": "resolved",
    "Closed": "closed",
}
AS_OF = datetime(2020, 4, 1)  # end of 2020-Q1, UTC


def weekday_seconds(a: datetime, b: datetime) -> int:
    """Seconds of [a, b) that fall on Monday-Friday, one calendar day at a time."""
    total = 0
    day = a.date()
    while day <= b.date():
        if day.weekday() < 5:
            lo = max(a, datetime.combine(day, time()))
            hi = min(b, datetime.combine(day + timedelta(days=1), time()))
            if hi > lo:
                total += int((hi - lo).total_seconds())
        day += timedelta(days=1)
    return total


def independent(events: list[tuple[datetime, str]], target: int) -> dict:
    """Running, paused seconds and the state of one ticket, by walking its events."""
    running = paused = 0
    stopped_at = None
    for i, (at, raw) in enumerate(events):
        end = events[i + 1][0] if i + 1 < len(events) else AS_OF
        status = MAPPING[raw]
        if status in ("resolved", "closed"):
            stopped_at = at
            break
        if status == "pending":
            paused += weekday_seconds(at, end)
        else:
            running += weekday_seconds(at, end)
    if stopped_at is not None:
        state = "met" if running <= target else "breached"
    else:
        state = "open_within" if running <= target else "open_breached"
    return {"elapsed": running, "paused": paused, "state": state}


@pytest.fixture(scope="module")
def run(samples, tmp_path_factory):
    folder = tmp_path_factory.mktemp("status_log")
    src = samples / "status_log"
    with open(src / "department_sla_days.csv", encoding="utf-8-sig", newline="") as fh:
        days = {row["Department"]: int(row["SLA Agreement"]) for row in csv.DictReader(fh)}
    with open(src / "ticket_status_events.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    history: dict[str, list] = {}
    info: dict[str, tuple[str, str]] = {}
    for row in rows:
        ticket_id, department, _requester = (part.strip() for part in row["Ticket"].split(" / "))
        history.setdefault(ticket_id, []).append(
            (int(row["Status No."]), datetime.fromisoformat(row["Timestamp"]), row["Status Name"])
        )
        info[ticket_id] = (department, f"P{row['Severity']}")
    for events in history.values():
        events.sort()
    tickets = pd.DataFrame(
        [
            {
                "ticket_id": tid,
                "created_at": ev[0][1].isoformat(),
                "status": MAPPING[ev[-1][2]],
                "status_raw": ev[-1][2],
                "priority": info[tid][1],
                "department": info[tid][0],
            }
            for tid, ev in history.items()
        ]
    )
    events = pd.DataFrame(
        [
            {"ticket_id": tid, "at": at.isoformat(), "status": MAPPING[raw], "status_raw": raw, "seq": seq}
            for tid, ev in history.items()
            for seq, at, raw in ev
        ]
    )
    tickets.to_csv(folder / "tickets.csv", index=False)
    events.to_csv(folder / "events.csv", index=False)
    policy = {
        "timezone": "UTC",
        "calendars": {
            "weekdays": {"hours": {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
        },
        "statuses": {"pause": ["pending"], "stop": ["resolved", "closed"], "cancel": ["cancelled"]},
        "goals": [
            {"name": dept, "match": {"department": dept}, "calendar": "weekdays", "resolution": f"{n}d"}
            for dept, n in days.items()
        ],
    }
    (folder / "sla.yaml").write_text(json.dumps(policy), encoding="utf-8")  # JSON is YAML
    out = folder / "out"
    code = main(
        [
            "sla",
            "--quiet",
            "--tickets",
            str(folder / "tickets.csv"),
            "--events",
            str(folder / "events.csv"),
            "--policy",
            str(folder / "sla.yaml"),
            "--period",
            "2020-Q1",
            "--timezone",
            "UTC",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    result = pd.read_csv(out / "sla_tickets.csv", dtype="string", keep_default_na=False).set_index(
        "ticket_id"
    )
    summary = json.loads((out / "sla_summary.json").read_text(encoding="utf-8"))
    expected = {
        tid: {
            **independent([(at, raw) for _, at, raw in ev], days[info[tid][0]] * 86400),
            "department": info[tid][0],
            "target": days[info[tid][0]] * 86400,
            "first_change": ev[1][1] if len(ev) > 1 else None,
        }
        for tid, ev in history.items()
    }
    return result, summary, expected


def test_every_ticket_matches_the_independent_walk(run):
    result, _, expected = run
    assert len(expected) == 665 and sorted(result.index) == sorted(expected)
    mismatches = []
    for tid, exp in expected.items():
        row = result.loc[tid]
        got = (
            row["goal"],
            int(row["resolution_target_s"]),
            int(row["resolution_elapsed_s"]),
            int(row["paused_s"]),
            row["resolution_state"],
        )
        want = (exp["department"], exp["target"], exp["elapsed"], exp["paused"], exp["state"])
        if got != want:
            mismatches.append((tid, got, want))
    assert mismatches == []


def test_first_response_is_the_first_status_change(run):
    result, _, expected = run
    for tid, exp in expected.items():
        used = result.loc[tid, "first_response_used_at"]
        want = "" if exp["first_change"] is None else exp["first_change"].strftime("%Y-%m-%dT%H:%M:%SZ")
        assert used == want, tid


def test_department_compliance_matches(run):
    result, summary, expected = run
    by_dept = {g["key"]: g["resolution"] for g in summary["by_department"]}
    for dept in {e["department"] for e in expected.values()}:
        states = [e["state"] for e in expected.values() if e["department"] == dept]
        met, breached = states.count("met"), states.count("breached")
        assert (by_dept[dept]["met"], by_dept[dept]["breached"]) == (met, breached), dept
        assert by_dept[dept]["open_breached"] == states.count("open_breached"), dept
        if met + breached:
            assert by_dept[dept]["compliance_pct"] == pytest.approx(round(met / (met + breached) * 100, 2))
    assert summary["tickets_in_scope"] == 665 and summary["reopen_rate"] == 0.0
    assert summary["pauses_unknown"] == 0
