"""SLA clocks on a hand-built helpdesk: every expected figure below is worked out by hand in the comments.

Calendar `office` (Europe/Paris): Mon-Thu 09:00-12:30 + 13:30-18:00 (8 h), Fri 09:00-12:30 + 13:30-17:00 (7 h),
French holidays (14 July 2026 is a Tuesday) plus 15 July added. 2026-07-01 is a Wednesday, 07-06 a Monday.
Goals, first match wins: critical (P1, 24x7, 30m / 4h), finance (department Finance, office, resolution 1d =
24 office hours), default (office, 2h / 8h). Period 2026-Q3, judged as of Fri 2026-07-10 12:00 +02:00.
"""

from __future__ import annotations

import pandas as pd
import pytest

from auditbridge.datasets import read_canonical
from tasks.sla.engine import compute_sla, write_outputs
from tasks.sla.policy import load_policy

H = 3600
AS_OF = "2026-07-10T12:00:00+02:00"

POLICY = {
    "timezone": "Europe/Paris",
    "calendars": {
        "office": {
            "hours": {d: ["09:00-12:30", "13:30-18:00"] for d in ("mon", "tue", "wed", "thu")}
            | {"fri": ["09:00-12:30", "13:30-17:00"]},
            "holidays": {"country": "FR", "add": ["2026-07-15"]},
        },
        "always": "24x7",
    },
    "goals": [
        {
            "name": "critical",
            "match": {"priority": "P1"},
            "calendar": "always",
            "first_response": "30m",
            "resolution": "4h",
        },
        {
            "name": "finance",
            "match": {"department": ["Finance", "Accounting"]},
            "calendar": "office",
            "resolution": "1d",
        },
        {"name": "default", "match": {}, "calendar": "office", "first_response": "2h", "resolution": "8h"},
    ],
}

# ticket_id, created (local +02:00), status, priority, department, first_response_at, resolved_at
TICKETS = [
    ("T1", "07-01 09:00", "resolved", "P3", "Sales", "07-01 11:00", "07-02 09:00"),
    ("T2", "07-01 09:00", "resolved", "P3", "Sales", "07-01 11:00:01", "07-02 09:00:01"),
    ("T3", "07-03 20:00", "resolved", "P1", "Finance", "07-03 20:30", "07-04 00:00"),
    ("T4", "07-03 16:00", "resolved", "P2", "Finance", "", "07-06 10:00"),
    ("T5", "07-06 09:00", "resolved", "P3", "HR", "", "07-07 12:00"),
    ("T6", "07-06 09:00", "resolved", "P4", "IT", "", "07-08 10:00"),
    ("T7", "07-06 09:00", "open", "P4", "IT", "", ""),
    ("T8", "07-08 09:00", "open", "P2", "Sales", "", ""),
    ("T9", "07-02 09:00", "cancelled", "P3", "Sales", "", ""),
    ("T10", "06-01 09:00", "resolved", "P3", "Sales", "", "06-02 09:00"),
    ("T11", "10-02 09:00", "open", "P3", "Sales", "", ""),
    ("T12", "07-20 09:00", "open", "P3", "Sales", "", ""),
    ("T13", "07-09 09:00", "resolved", "P3", "HR", "", "07-15 10:00"),
    ("T14", "07-01 09:00", "closed", "P3", "HR", "", ""),
    ("T16", "07-09 09:00", "pending", "P3", "HR", "", ""),
    ("T17", "07-09 13:00", "open", "", "IT", "", ""),
    ("T18", "07-10 09:00", "resolved", "", "IT", "", "07-10 13:00"),
]
EVENTS = [
    ("T5", "07-06 10:00", "open"),
    ("T5", "07-06 11:00", "pending"),
    ("T5", "07-07 11:00", "open"),
    ("T5", "07-07 12:00", "resolved"),
    ("T6", "07-06 09:30", "open"),
    ("T6", "07-07 12:00", "resolved"),
    ("T6", "07-08 09:00", "open"),
    ("T6", "07-08 10:00", "resolved"),
    ("T7", "07-06 10:00", "resolved"),
    ("T7", "07-09 17:00", "open"),
    ("T16", "07-09 10:00", "pending"),
    ("T18", "07-10 13:00", "resolved"),  # after as-of: not yet known when the audit judges
    ("ZZZ", "07-01 10:00", "open"),  # a ticket that is not in the tickets file
]


def _ts(text: str) -> str:
    if not text:
        return ""
    return f"2026-{text}{':00' if text.count(':') == 1 else ''}+02:00".replace(" ", "T")


def write_inputs(folder) -> tuple[str, str]:
    tickets = pd.DataFrame(
        [(i, _ts(c), s, p, d, _ts(f), _ts(r)) for i, c, s, p, d, f, r in TICKETS],
        columns=[
            "ticket_id",
            "created_at",
            "status",
            "priority",
            "department",
            "first_response_at",
            "resolved_at",
        ],
    )
    events = pd.DataFrame([(i, _ts(a), s) for i, a, s in EVENTS], columns=["ticket_id", "at", "status"])
    tickets.to_csv(folder / "tickets.csv", index=False)
    events.to_csv(folder / "events.csv", index=False)
    return str(folder / "tickets.csv"), str(folder / "events.csv")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sla")
    tpath, epath = write_inputs(folder)
    tickets = read_canonical(tpath, "tickets")
    events = read_canonical(epath, "ticket_events")
    return compute_sla(tickets, events, load_policy(POLICY), "2026-Q3", AS_OF)


# ticket -> (goal, resolution state, resolution elapsed, first-response state, first-response elapsed, paused)
EXPECTED = {
    # 09:00-11:00 = 2 h, exactly the 2 h target: met. Wed 09:00-18:00 minus lunch = 8 h = target: met.
    "T1": ("default", "met", 8 * H, "met", 2 * H, 0),
    # one second more on each clock: breached.
    "T2": ("default", "breached", 8 * H + 1, "breached", 2 * H + 1, 0),
    # P1 matches before Finance: 24x7, Fri 20:00 -> Sat 00:00 = 4 h (met); response 30 min (met).
    "T3": ("critical", "met", 4 * H, "met", 1800, 0),
    # Finance goal: Fri 16:00-17:00 + Mon 09:00-10:00 = 2 h over the weekend; no response target; the
    # resolution is the first response (no first_response_at, no history): 2 h.
    "T4": ("finance", "met", 2 * H, "no_target", 2 * H, 0),
    # running Mon 09:00-11:00 (2 h) + Tue 11:00-12:00 (1 h) = 3 h; paused Mon 11:00-12:30, 13:30-18:00
    # and Tue 09:00-11:00 = 1.5 + 4.5 + 2 = 8 h. Response: first status change at 10:00 = 1 h.
    "T5": ("default", "met", 3 * H, "met", 1 * H, 8 * H),
    # cycle 1: Mon 09:00-18:00 (8 h) + Tue 09:00-12:00 (3 h) = 11 h > 8 h: breached; cycle 2 (Wed
    # 09:00-10:00, 1 h) met; a ticket breaches if any cycle did. Response 09:30 = 30 min.
    "T6": ("default", "breached", 11 * H, "met", 1800, 0),
    # cycle 1 met (1 h); reopened Thu 17:00, open at as-of: Thu 17:00-18:00 + Fri 09:00-12:00 = 4 h.
    "T7": ("default", "open_within", 4 * H, "met", 1 * H, 0),
    # no history, open: Wed 8 h + Thu 8 h + Fri 3 h = 19 h, past both targets.
    "T8": ("default", "open_breached", 19 * H, "open_breached", 19 * H, 0),
    "T9": ("default", "cancelled", None, "cancelled", None, None),
    # resolved after as-of: still open then, Thu 8 h + Fri 3 h = 11 h.
    "T13": ("default", "open_breached", 11 * H, "open_breached", 11 * H, 0),
    # closed but no resolution time and no history: cannot be judged.
    "T14": ("default", "unknown", None, "unknown", None, 0),
    # pending since Thu 10:00: running 1 h; paused Thu 10:00-12:30 + 13:30-18:00 (7 h) + Fri 3 h = 10 h.
    "T16": ("default", "open_within", 1 * H, "met", 1 * H, 10 * H),
    # Thu 13:30-18:00 + Fri 09:00-12:00 = 7.5 h: within 8 h but past 80 % of it (at risk).
    "T17": ("default", "open_within", 27000, "open_breached", 27000, 0),
    # the resolution event at 13:00 is after as-of: open, Fri 09:00-12:00 = 3 h.
    "T18": ("default", "open_within", 3 * H, "open_breached", 3 * H, 0),
}


def test_every_ticket_in_scope_matches_the_hand_computation(result):
    out = result.tickets.set_index("ticket_id")
    # T10 resolved before the period; T11 created after it; T12 created after as-of.
    assert sorted(out.index) == sorted(EXPECTED)
    for tid, (goal, rstate, relapsed, fstate, felapsed, paused) in EXPECTED.items():
        row = out.loc[tid]
        got = (
            row["goal"],
            row["resolution_state"],
            _int(row["resolution_elapsed_s"]),
            row["first_response_state"],
            _int(row["first_response_elapsed_s"]),
            _int(row["paused_s"]),
        )
        assert got == (goal, rstate, relapsed, fstate, felapsed, paused), tid


def _int(value):
    return None if pd.isna(value) else int(value)


def test_targets_calendars_cycles_and_notes(result):
    out = result.tickets.set_index("ticket_id")
    assert out.loc["T3", "calendar"] == "always"
    assert int(out.loc["T3", "resolution_target_s"]) == 4 * H
    assert int(out.loc["T4", "resolution_target_s"]) == 24 * H  # 1d = 24 office hours, not one working day
    assert pd.isna(out.loc["T4", "first_response_target_s"])
    assert (int(out.loc["T6", "cycles"]), bool(out.loc["T6", "reopened"])) == (2, True)
    assert (int(out.loc["T7", "cycles"]), bool(out.loc["T7", "reopened"])) == (2, True)
    assert int(out.loc["T5", "cycles"]) == 1
    assert out.loc["T8", "clock_notes"] == "no_history"
    assert out.loc["T5", "clock_notes"] == ""
    assert "stop_without_time" in out.loc["T14", "clock_notes"]
    assert out.loc["T4", "first_response_source"] == "resolution"
    assert out.loc["T5", "first_response_source"] == "status_change"
    assert out.loc["T1", "first_response_source"] == "first_response_at"
    assert bool(out.loc["T17", "at_risk"]) and not bool(out.loc["T7", "at_risk"])
    assert str(out.loc["T5", "resolved_used_at"]) == "2026-07-07 10:00:00+00:00"


def test_summary_figures(result):
    s = result.summary
    assert s["tickets_in_scope"] == 14 and s["cancelled"] == 1
    res = s["overall"]["resolution"]
    # met T1 T3 T4 T5; breached T2 T6; open_within T7 T16 T17 T18; open_breached T8 T13; unknown T14
    assert {
        k: res[k] for k in ("met", "breached", "open_within", "open_breached", "no_target", "unknown")
    } == {"met": 4, "breached": 2, "open_within": 4, "open_breached": 2, "no_target": 0, "unknown": 1}
    assert res["compliance_pct"] == pytest.approx(66.67)  # 4 / (4 + 2)
    # completed resolutions: 2 h, 3 h, 4 h, 8 h, 8 h + 1 s, 11 h -> median (4 h + 8 h) / 2 = 21600;
    # p90 at rank 0.9 x 5 = 4.5: 28801 + 0.5 x (39600 - 28801) = 34200.5
    assert (res["median_s"], res["p90_s"]) == (21600.0, 34200.5)
    fr = s["overall"]["first_response"]
    assert (fr["met"], fr["breached"], fr["open_breached"], fr["no_target"], fr["unknown"]) == (6, 1, 4, 1, 1)
    # completed responses: 1800 1800 3600 3600 3600 7200 7200 7201 -> median 3600, p90 rank 6.3 -> 7200.3
    assert (fr["median_s"], fr["p90_s"]) == (3600.0, 7200.3)
    assert s["overall"]["tickets"] == 13
    assert s["no_priority_share"] == pytest.approx(round(2 / 13, 4))  # T17, T18
    assert s["reopen_rate"] == 0.4  # T6, T7 among the five tickets with a history (T5 T6 T7 T16 T18)
    assert s["pauses_unknown"] == 8  # T1 T2 T3 T4 T8 T13 T14 T17
    assert s["open_breached"] == 4  # T8, T13 (resolution), T17, T18 (first response)
    assert s["at_risk"] == 1  # T17
    assert s["events_unmatched"] == 1
    # open at as-of: T17 (23 h), T18 (3 h) | T8 (2 d 3 h), T13, T16 (1 d 3 h) | T7 (4 d 3 h)
    assert s["backlog"] == {
        "open": 6,
        "age_buckets": [
            {"bucket": "<1d", "count": 2},
            {"bucket": "1-3d", "count": 3},
            {"bucket": "3-7d", "count": 1},
            {"bucket": "7-30d", "count": 0},
            {"bucket": ">30d", "count": 0},
        ],
    }
    goals = {g["key"]: g for g in s["by_goal"]}
    assert [g["key"] for g in s["by_goal"]] == ["critical", "finance", "default"]
    assert goals["default"]["tickets"] == 11 and goals["default"]["cancelled"] == 1
    assert goals["critical"]["resolution"]["met"] == 1
    prios = [g["key"] for g in s["by_priority"]]
    assert prios == ["P1", "P2", "P3", "P4", "none"]
    hr = {g["key"]: g for g in s["by_department"]}["HR"]
    # HR: T5 met, T13 open_breached, T14 unknown, T16 open_within
    assert (hr["tickets"], hr["resolution"]["met"], hr["resolution"]["compliance_pct"]) == (4, 1, 100.0)


def test_without_events_every_ticket_says_what_could_not_be_known(tmp_path):
    tpath, _ = write_inputs(tmp_path)
    result = compute_sla(read_canonical(tpath, "tickets"), None, load_policy(POLICY), "2026-Q3", AS_OF)
    out = result.tickets.set_index("ticket_id")
    live = out[out["resolution_state"] != "cancelled"]
    assert live["clock_notes"].str.contains("no_history").all()
    assert "pause_unmeasured" in out.loc["T16", "clock_notes"]
    assert result.summary["events_available"] is False and result.summary["reopen_rate"] is None
    assert result.summary["pauses_unknown"] == len(live)
    # T5 without its history: the pause is unknown, so Mon 09:00 -> Tue 12:00 runs: 8 h + 3 h = 11 h.
    assert (out.loc["T5", "resolution_state"], int(out.loc["T5", "resolution_elapsed_s"])) == (
        "breached",
        11 * H,
    )


def test_write_outputs_round_trip(result, tmp_path):
    paths = write_outputs(result, tmp_path)
    back = pd.read_csv(paths["tickets"], dtype="string", keep_default_na=False)
    required = [
        "ticket_id",
        "goal",
        "calendar",
        "first_response_target_s",
        "first_response_elapsed_s",
        "first_response_state",
        "resolution_target_s",
        "resolution_elapsed_s",
        "resolution_state",
        "paused_s",
        "created_at",
        "status",
        "priority",
        "department",
        "first_response_at",
        "resolved_at",
    ]
    assert set(required) <= set(back.columns)
    row = back.set_index("ticket_id").loc["T5"]
    assert (row["resolution_elapsed_s"], row["paused_s"], row["resolution_state"]) == (
        "10800",
        "28800",
        "met",
    )
    assert row["created_at"] == "2026-07-06T07:00:00Z"  # 09:00 +02:00 in UTC, ISO 8601
    assert back.set_index("ticket_id").loc["T9", "resolution_elapsed_s"] == ""
    import json

    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert summary["overall"]["resolution"]["met"] == 4 and summary["period"]["label"] == "2026-Q3"


def test_prefect_task_runs_the_same_code(tmp_path):
    """The flow's `sla` step is a thin wrapper: same result as the engine, no retries on a pure stage."""
    from tasks.sla.task import load_sla_policy, sla_task, write_sla_outputs

    tpath, epath = write_inputs(tmp_path)
    tickets, events = read_canonical(tpath, "tickets"), read_canonical(epath, "ticket_events")
    policy = load_sla_policy.fn(POLICY)
    wrapped = sla_task.fn(tickets, events, policy, "2026-Q3", AS_OF)
    direct = compute_sla(tickets, events, policy, "2026-Q3", AS_OF)
    pd.testing.assert_frame_equal(wrapped.tickets, direct.tickets)
    assert wrapped.summary == direct.summary
    assert sla_task.retries == 0
    assert write_sla_outputs.fn(wrapped, tmp_path / "out")["summary"].is_file()


def test_due_time_of_running_clocks(result):
    out = result.tickets.set_index("ticket_id")
    # T17: 7.5 h used of 8 h at Fri 12:00 -> 30 office minutes left: Fri 12:30 (+02:00) = 10:30 UTC
    assert str(out.loc["T17", "resolution_due_at"]) == "2026-07-10 10:30:00+00:00"
    # T7: 4 h left from Fri 12:00: 12:00-12:30, 13:30-17:00 (Friday) = 4 h -> Fri 17:00 = 15:00 UTC
    assert str(out.loc["T7", "resolution_due_at"]) == "2026-07-10 15:00:00+00:00"
    # T16: 7 h left: Fri 12:00-12:30 + 13:30-17:00 (4 h), Mon 13 July 09:00-12:00 (3 h) -> Mon 12:00
    assert str(out.loc["T16", "resolution_due_at"]) == "2026-07-13 10:00:00+00:00"
    assert pd.isna(out.loc["T8", "resolution_due_at"]) and pd.isna(out.loc["T1", "resolution_due_at"])
