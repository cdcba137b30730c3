"""SLA split by month of creation and merged (tasks/partition.py) gives the single run's tickets and summary.

Hand-built on a 24x7 calendar (clock = wall time; July has no DST change) for the period 2026-07, judged at its end
(2026-08-01 00:00 Paris). File order differs from month order on purpose, so the merge has to restore it.
- T3 created 31 July 22:00, pending from 23:00: still open at as-of, 1 h running, 1 h paused, responded at 23:00;
- T1 created 30 June 20:00 (June part), P1, resolved 1 July 02:00 without history: 6 h > 4 h, breached, in scope;
- T5 created and resolved in June: out of scope;
- T2 created 10 July 10:00, open at 11:00, resolved 15:00, reopened 11 July 10:00, resolved 12:00: two cycles of
  5 h and 2 h within 48 h, met, reopened; first response 1 h (the change out of `new`), met;
- T6 cancelled in July; T4 created in August (its own part): out of scope;
- one status change names a ticket that does not exist (T99).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from auditbridge.errors import DataError
from auditbridge.period import parse_period
from tasks.partition import compute_sla_part, merge_sla, plan_sla
from tasks.sla.engine import compute_sla
from tasks.sla.policy import load_policy

PERIOD = parse_period("2026-07")
POLICY = {
    "timezone": "Europe/Paris",
    "calendars": {"always": "24x7"},
    "statuses": {"pause": ["pending"], "stop": ["resolved", "closed"], "cancel": ["cancelled"]},
    "goals": [
        {
            "name": "critical",
            "match": {"priority": "P1"},
            "calendar": "always",
            "first_response": "1h",
            "resolution": "4h",
        },
        {"name": "default", "match": {}, "calendar": "always", "first_response": "4h", "resolution": "2d"},
    ],
}


def _ts(values: list) -> pd.Series:
    return pd.to_datetime(
        pd.Series([v + "+02:00" if isinstance(v, str) else None for v in values]), utc=True, format="ISO8601"
    )


def tickets_frame() -> pd.DataFrame:
    rows = [  # id, created, status, priority, department, resolved
        ("T3", "2026-07-31T22:00", "pending", "P3", "IT", None),
        ("T1", "2026-06-30T20:00", "resolved", "P1", "Sales", "2026-07-01T02:00"),
        ("T5", "2026-06-01T10:00", "resolved", "P3", "Sales", "2026-06-02T10:00"),
        ("T2", "2026-07-10T10:00", "resolved", None, "IT", "2026-07-11T12:00"),
        ("T6", "2026-07-05T10:00", "cancelled", "P3", "HR", None),
        ("T4", "2026-08-05T10:00", "new", "P2", "IT", None),
    ]
    frame = pd.DataFrame(
        rows, columns=["ticket_id", "created_at", "status", "priority", "department", "resolved_at"]
    )
    return frame.assign(
        created_at=_ts(frame["created_at"].tolist()),
        resolved_at=_ts(frame["resolved_at"].tolist()),
        **{c: frame[c].astype("string") for c in ("ticket_id", "status", "priority", "department")},
    )


def events_frame() -> pd.DataFrame:
    rows = [
        ("T2", "2026-07-11T10:00", "open"),  # the reopening, listed first: the engine sorts by time
        ("T2", "2026-07-10T10:00", "new"),
        ("T3", "2026-07-31T22:00", "new"),
        ("T99", "2026-07-02T10:00", "open"),
        ("T2", "2026-07-10T11:00", "open"),
        ("T2", "2026-07-10T15:00", "resolved"),
        ("T3", "2026-07-31T23:00", "pending"),
        ("T2", "2026-07-11T12:00", "resolved"),
    ]
    frame = pd.DataFrame(rows, columns=["ticket_id", "at", "status"])
    return frame.assign(
        at=_ts(frame["at"].tolist()),
        ticket_id=frame["ticket_id"].astype("string"),
        status=frame["status"].astype("string"),
    )


def run_partitioned(tickets, events, policy, as_of=None, min_tickets=1):
    plan = plan_sla(tickets, events, policy, min_tickets=min_tickets)
    frames = [compute_sla_part(part, policy, PERIOD, as_of) for part in plan.parts]
    return plan, merge_sla(frames, plan.meta, policy, PERIOD, as_of)


def assert_same(merged, single) -> None:
    pd.testing.assert_frame_equal(merged.tickets, single.tickets)
    assert json.dumps(merged.summary, sort_keys=True) == json.dumps(single.summary, sort_keys=True)


def test_merge_equals_single_run_and_hand_figures():
    policy = load_policy(POLICY)
    plan, merged = run_partitioned(tickets_frame(), events_frame(), policy)
    single = compute_sla(tickets_frame(), events_frame(), policy, PERIOD)
    assert [p.label for p in plan.parts] == ["2026-06", "2026-07", "2026-08"]
    assert [p.tickets["ticket_id"].tolist() for p in plan.parts] == [["T1", "T5"], ["T3", "T2", "T6"], ["T4"]]
    assert [len(p.events) for p in plan.parts] == [0, 7, 0]  # T99's change goes nowhere
    assert_same(merged, single)

    t = merged.tickets.set_index("ticket_id")
    assert merged.tickets["ticket_id"].tolist() == ["T3", "T1", "T2", "T6"]  # the file's order, in scope only
    assert t.loc["T1", "resolution_state"] == "breached" and t.loc["T1", "resolution_elapsed_s"] == 6 * 3600
    assert t.loc["T2", "resolution_state"] == "met" and t.loc["T2", "resolution_elapsed_s"] == 5 * 3600
    assert t.loc["T2", "cycles"] == 2 and t.loc["T2", "first_response_elapsed_s"] == 3600
    assert t.loc["T3", "resolution_state"] == "open_within" and t.loc["T3", "paused_s"] == 3600
    assert t.loc["T3", "resolution_elapsed_s"] == 3600 and t.loc["T3", "age_s"] == 2 * 3600
    s = merged.summary
    assert (s["tickets_in_scope"], s["cancelled"], s["reopened"], s["events_unmatched"]) == (4, 1, 1, 1)
    res = s["overall"]["resolution"]
    assert (res["met"], res["breached"], res["open_within"], res["compliance_pct"]) == (1, 1, 1, 50.0)
    assert s["backlog"]["open"] == 1 and s["backlog"]["age_buckets"][0] == {"bucket": "<1d", "count": 1}
    assert "1 status change(s) name a ticket_id that is not in the tickets file: ignored" in s["warnings"]


def test_as_of_inside_the_period_and_grouped_months():
    """Judged on 10 July 13:00: T2 is still in its first cycle (3 h), T3 does not exist yet. Months are grouped
    until a part has 3 tickets: June (2) + July (3), then August."""
    policy = load_policy(POLICY)
    as_of = "2026-07-10T13:00:00+02:00"
    plan, merged = run_partitioned(tickets_frame(), events_frame(), policy, as_of=as_of, min_tickets=3)
    assert [p.label for p in plan.parts] == ["2026-06..2026-07", "2026-08"]
    single = compute_sla(tickets_frame(), events_frame(), policy, PERIOD, as_of)
    assert_same(merged, single)
    t2 = merged.tickets.set_index("ticket_id").loc["T2"]
    assert t2["resolution_state"] == "open_within" and t2["resolution_elapsed_s"] == 3 * 3600


def test_without_events_and_a_ticket_frame_of_strings():
    """No history at all (events None) and timestamps still as text: months are read as the engine reads them."""
    policy = load_policy(POLICY)
    tickets = tickets_frame()
    tickets = tickets.assign(created_at=tickets["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    plan, merged = run_partitioned(tickets, None, policy)
    assert [p.label for p in plan.parts] == ["2026-06", "2026-07", "2026-08"]
    assert all(p.events is None for p in plan.parts)
    assert_same(merged, compute_sla(tickets, None, policy, PERIOD))
    assert merged.summary["events_available"] is False


def test_a_duplicate_id_across_months_is_refused_with_the_file_rows():
    """Each month alone has unique ids; the whole file does not. Rows are the file's (header = row 1)."""
    tickets = tickets_frame()
    tickets.loc[5, "ticket_id"] = "T1"  # T4's row (August) now repeats T1 (June)
    with pytest.raises(DataError) as caught:
        plan_sla(tickets, events_frame(), load_policy(POLICY))
    assert sorted(p.row for p in caught.value.problems) == [3, 7]


def test_merge_restores_the_file_order_whatever_the_parts_order():
    policy = load_policy(POLICY)
    plan = plan_sla(tickets_frame(), events_frame(), policy, min_tickets=1)
    frames = [compute_sla_part(part, policy, PERIOD) for part in plan.parts]
    merged = merge_sla(frames[::-1], plan.meta, policy, PERIOD)
    assert merged.tickets["ticket_id"].tolist() == ["T3", "T1", "T2", "T6"]


def test_a_bad_status_change_is_refused_with_the_file_row_even_for_an_unknown_ticket():
    """The single run refuses a status history with a non-canonical status, even on a change naming no ticket
    (which no part would receive): the plan checks the whole file, rows numbered as in it."""
    events = events_frame()
    events.loc[3, "status"] = "waiting"  # T99's change, file row 5
    events.loc[6, "status"] = "En attente"  # T3's change (July part), file row 8
    policy = load_policy(POLICY)
    with pytest.raises(DataError) as single:
        compute_sla(tickets_frame(), events, policy, PERIOD)
    with pytest.raises(DataError) as split:
        plan_sla(tickets_frame(), events, policy)
    assert (
        sorted(p.row for p in split.value.problems) == sorted(p.row for p in single.value.problems) == [5, 8]
    )
