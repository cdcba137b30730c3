"""Adoption split per tool and merged (tasks/partition.py) gives the single run's rows and summary.

The inputs are built by hand so that every figure the engine reads across tools matters:
- alice uses crm (Sales on 2 rows) and Teams (IT on 1 row): her department is Sales over all tools, although
  the Teams rows alone say IT;
- a tool written `Teams`, `teams ` and `teams` is one tool;
- Teams has no row in June, crm has: lifecycle figures (new/returning/dormant) exist for Teams only because the
  usage as a whole covers the previous period;
- visio has a licence and two seat holders (alice, bob) and no usage at all: its holders' department (Sales)
  comes from the other tools' usage;
- with `min_group_size` 2, crm's HR (dan) and unknown (hank) departments, and Teams' Sales (alice), go to `other`.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from auditbridge.errors import DataError
from auditbridge.period import parse_period
from tasks.adoption.engine import compute_adoption
from tasks.partition import compute_adoption_part, merge_adoption, plan_adoption

PERIOD = parse_period("2026-07")
TZ = "Europe/Paris"
RULES = {"teams": {"exclude_actions": ["mention_received"]}}


def usage_frame() -> pd.DataFrame:
    rows = [  # tool, user, local time (+02:00), action, count, department
        ("crm", "alice", "2026-07-01T10:00", "view", 1, "Sales"),
        ("crm", "alice", "2026-07-02T10:00", "view", 1, "Sales"),
        ("crm", "bob", "2026-07-03T10:00", "view", 2, "Sales"),
        ("crm", "carol", "2026-07-03T11:00", "edit", 1, "Sales"),
        ("crm", "dan", "2026-07-06T10:00", "view", 1, "HR"),
        ("crm", "hank", "2026-07-07T10:00", "view", 1, None),
        ("crm", "erin", "2026-06-15T10:00", "view", 1, "Sales"),  # June only: dormant in July
        ("crm", "bob", "2026-06-10T10:00", "view", 1, "Sales"),  # June and July: returning
        ("Teams", "alice", "2026-07-01T09:00", "chat", 1, "IT"),
        ("teams ", "frank", "2026-07-10T09:00", "chat", 1, "IT"),
        ("teams", "gina", "2026-07-11T09:00", "chat", 1, "IT"),
        (
            "teams",
            "alice",
            "2026-07-20T09:00",
            "chat",
            0,
            None,
        ),  # count 0: not activity (counts for departments)
        ("teams", "bob", "2026-07-21T09:00", "mention_received", 1, "Sales"),  # excluded action: not activity
    ]
    frame = pd.DataFrame(rows, columns=["tool", "user", "at", "action", "count", "department"])
    return frame.assign(
        at=pd.to_datetime(frame["at"] + "+02:00", utc=True),
        count=frame["count"].astype("Int64"),
        **{c: frame[c].astype("string") for c in ("tool", "user", "action", "department")},
    )


def licences_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tool": ["CRM", "teams", "visio"],
            "seats": [10, 5, 3],
            "cost_per_seat_month": [20.0, 4.0, 10.0],
            "currency": ["EUR", "EUR", "EUR"],
        }
    )


def assignments_frame() -> pd.DataFrame:
    return pd.DataFrame({"tool": ["visio", "visio"], "user": ["alice", "bob"]}).astype("string")


def directory_frame() -> pd.DataFrame:
    return pd.DataFrame({"user": ["frank"], "department": ["IT"]}).astype("string")


INPUTS = {"licences": licences_frame, "assignments": assignments_frame, "directory": directory_frame}


def run_partitioned(usage, *, licences=None, assignments=None, directory=None, min_group_size=2, rules=RULES):
    plan = plan_adoption(
        usage,
        period=PERIOD,
        timezone=TZ,
        licences=licences,
        assignments=assignments,
        directory=directory,
        currency="EUR",
    )
    results = [
        compute_adoption_part(
            part,
            period=PERIOD,
            timezone=TZ,
            currency=plan.meta.currency,
            directory=plan.directory,
            min_group_size=min_group_size,
            activity_rules=rules,
        )
        for part in plan.parts
    ]
    return plan, results, merge_adoption(results, plan.meta, period=PERIOD)


def run_single(usage, *, licences=None, assignments=None, directory=None, min_group_size=2, rules=RULES):
    return compute_adoption(
        usage,
        licences=licences,
        assignments=assignments,
        directory=directory,
        period=PERIOD,
        timezone=TZ,
        min_group_size=min_group_size,
        activity_rules=rules,
        currency="EUR",
    )


def assert_same(merged, single) -> None:
    pd.testing.assert_frame_equal(merged.tools, single.tools)
    assert json.dumps(merged.summary, sort_keys=True) == json.dumps(single.summary, sort_keys=True)


def test_merge_equals_single_run_and_hand_figures():
    inputs = {k: f() for k, f in INPUTS.items()}
    plan, _, merged = run_partitioned(usage_frame(), **inputs)
    single = run_single(usage_frame(), **inputs)
    assert [p.key for p in plan.parts] == ["crm", "teams", "visio"]
    assert_same(merged, single)

    s = merged.summary
    rows = merged.tools.set_index(["tool", merged.tools["department"].fillna("-")])
    # crm in July: alice, bob, carol, dan, hank; Teams: alice, frank, gina (alice's count-0 row and bob's
    # excluded action are not activity); visio: nobody. Distinct people over the tools: 7, not 5 + 3 + 0.
    assert rows.loc[("CRM", "-"), "active_users"] == 5
    assert rows.loc[("teams", "-"), "active_users"] == 3
    assert s["totals"]["active_users"] == 7
    # idle seats x price x 1 month: crm 10 - 5 = 5 x 20 = 100; teams 5 - 3 = 2 x 4 = 8; visio 2 held, 0 active x 10
    assert s["totals"]["idle_cost"] == pytest.approx(128.0)
    assert s["totals"]["seats"] == 18
    # departments (min 2 people): crm Sales = alice, bob, carol, erin; dan (HR) + hank (unknown) -> other;
    # teams: alice is Sales overall (2 crm rows vs 1 teams row) -> other alone, frank + gina = IT
    assert rows.loc[("CRM", "Sales"), "people"] == 4 and rows.loc[("CRM", "other"), "people"] == 2
    assert rows.loc[("teams", "IT"), "people"] == 2 and rows.loc[("teams", "other"), "people"] == 1
    # visio: the two holders have no visio row; their department (Sales) comes from crm's usage
    assert rows.loc[("visio", "Sales"), "people"] == 2
    # lifecycle against June: crm new alice, carol, dan, hank; returning bob; dormant erin. Teams has no June row
    # but the usage has, so its figures exist: 3 new.
    assert rows.loc[("CRM", "-"), ["new_users", "returning_users", "dormant_users"]].tolist() == [4, 1, 1]
    assert rows.loc[("teams", "-"), "new_users"] == 3
    assert s["monthly"] == [
        {"tool": "CRM", "month": "2026-07", "active_users": 5},
        {"tool": "teams", "month": "2026-07", "active_users": 3},
        {"tool": "visio", "month": "2026-07", "active_users": 0},
    ]
    assert s["licences_without_usage"] == ["visio"]
    # 13 rows; users: alice, bob, carol, dan, erin, frank, gina, hank; frank in the directory, hank has no department
    assert s["usage_rows"] == 13
    assert s["department_source"] == {"directory": 1, "usage": 6, "unknown": 1}


def test_parts_alone_would_differ_without_the_global_pass():
    """What the merge repairs is real: the Teams part computed on its own rows only sees alice as IT and has no
    previous-period data, so its lifecycle figures are unknown."""
    usage = usage_frame()
    alone = run_single(usage[usage["tool"].str.strip().str.lower() == "teams"], licences=licences_frame())
    head = alone.tools[alone.tools["department"].isna()].iloc[0]
    assert pd.isna(head["new_users"])
    assert alone.tools["department"].dropna().tolist() == ["IT"]  # alice, frank, gina all IT: no `other`
    _, _, merged = run_partitioned(usage, licences=licences_frame())
    teams = merged.tools[merged.tools["tool"] == "teams"]
    assert teams["department"].dropna().tolist() == ["IT", "other"]


def test_without_licences_directory_or_counts():
    usage = usage_frame().drop(columns=["count"])
    _, _, merged = run_partitioned(usage, min_group_size=1, rules=None)
    single = run_single(usage, min_group_size=1, rules=None)
    assert_same(merged, single)
    # without counts every row is activity: Teams' alice (20th) and bob's mention count -> alice, bob, frank, gina;
    # crm is unchanged (5). Without a licence the display name is the usage's first spelling, and rows are in
    # display order, as in the single run: `Teams` sorts before `crm`.
    heads = merged.tools[merged.tools["department"].isna()]
    assert heads[["tool", "active_users"]].values.tolist() == [["Teams", 4], ["crm", 5]]


def test_random_usage_over_three_quarters_merges_exactly():
    """A larger random case: 8 spellings of 6 tools, 300 users, zero counts, empty departments, a licence in
    another currency, seat holders with no usage, and usage before the previous period (resurrecting users)."""
    rng = np.random.default_rng(7)
    n = 20_000
    tools = np.array(["crm", "CRM ", "teams", "outlook", "erp", "Slack", "zoom", "jira"], dtype=object)
    users = np.array([f"u{i:03d}" for i in range(300)], dtype=object)
    depts = np.array(["d1", "d2", "d3", "d4", " ", None], dtype=object)
    start = pd.Timestamp("2026-01-01", tz="UTC").value // 10**9
    usage = pd.DataFrame(
        {
            "tool": pd.array(tools[rng.integers(0, 8, n)], dtype="string"),
            "user": pd.array(users[rng.zipf(1.4, n) % 300], dtype="string"),
            "at": pd.to_datetime(start + rng.integers(0, 273 * 86400, n), unit="s", utc=True),
            "action": pd.array(
                rng.choice(np.array(["view", "edit", "mail_receive"], dtype=object), n), dtype="string"
            ),
            "count": pd.array(rng.integers(0, 3, n), dtype="Int64"),
            "department": pd.array(depts[rng.integers(0, 6, n)], dtype="string"),
        }
    )
    licences = pd.DataFrame(
        {
            "tool": ["crm", "Teams", "visio", "zoom"],
            "seats": [200, 250, 20, 40],
            "cost_per_seat_month": [30.0, 5.0, 12.0, 14.0],
            "currency": ["EUR", "EUR", "EUR", "USD"],
        }
    )
    assignments = pd.DataFrame(
        {
            "tool": ["crm"] * 120 + ["visio"] * 15 + ["notion"] * 3,
            "user": list(users[:120]) + list(users[250:265]) + ["zz1", "u001", "u002"],
        }
    )
    directory = pd.DataFrame({"user": users[:100], "department": [f"d{i % 3}" for i in range(100)]})
    kw = dict(
        licences=licences,
        assignments=assignments,
        directory=directory,
        min_group_size=5,
        rules={"outlook": {"exclude_actions": ["mail_receive"]}},
    )
    period = parse_period("2026-Q3")
    plan = plan_adoption(
        usage,
        period=period,
        timezone=TZ,
        licences=licences,
        assignments=assignments,
        directory=directory,
        currency=None,
    )
    results = [
        compute_adoption_part(
            p,
            period=period,
            timezone=TZ,
            currency=plan.meta.currency,
            directory=plan.directory,
            min_group_size=5,
            activity_rules=kw["rules"],
        )
        for p in plan.parts
    ]
    merged = merge_adoption(results, plan.meta, period=period)
    single = compute_adoption(
        usage,
        licences=licences,
        assignments=assignments,
        directory=directory,
        period=period,
        timezone=TZ,
        min_group_size=5,
        activity_rules=kw["rules"],
    )
    assert [p.key for p in plan.parts] == [
        "crm",
        "erp",
        "jira",
        "notion",
        "outlook",
        "slack",
        "teams",
        "visio",
        "zoom",
    ]
    assert_same(merged, single)
    assert single.summary["lifecycle_available"] and single.summary["currency"] == "mixed"


def test_merge_refuses_parts_that_disagree():
    """The merge checks what must be equal across parts instead of trusting it."""
    plan, results, _ = run_partitioned(usage_frame(), **{k: f() for k, f in INPUTS.items()})
    results[1].active = results[1].active[:-1]  # one active user fewer than the engine counted on Teams
    with pytest.raises(RuntimeError, match="active users"):
        merge_adoption(results, plan.meta, period=PERIOD)
    plan, results, _ = run_partitioned(usage_frame(), **{k: f() for k, f in INPUTS.items()})
    results[2].result.summary["usage_last_day"] = "2026-07-31"
    with pytest.raises(RuntimeError, match="usage_last_day"):
        merge_adoption(results, plan.meta, period=PERIOD)


def test_a_bad_licence_file_is_refused_with_its_own_row_numbers():
    licences = pd.concat(
        [
            licences_frame(),
            pd.DataFrame({"tool": [" crm"], "seats": [1], "cost_per_seat_month": [1.0], "currency": ["EUR"]}),
        ],
        ignore_index=True,
    )
    with pytest.raises(DataError) as caught:
        plan_adoption(usage_frame(), period=PERIOD, timezone=TZ, licences=licences)
    assert caught.value.problems[0].row == 5  # header row 1, then CRM, teams, visio, and crm again
