"""The adoption figures on a small company whose answers are worked out by hand below.

Period: October 2026 (31 days, starts on a Thursday; 22 working days Mon-Fri: Oct 1-2, 5-9, 12-16, 19-23,
26-30). Previous period: September 2026. Timezone Europe/Paris (summer time ends on Sunday 25 October).

Directory: u1-u5 and u8 Sales, u6 u10 u11 Legal (3 people), u8 left on 2026-09-15; u12 has no directory entry
(its log says Ops); u13 has no department anywhere.

crm (10 seats at 30 EUR/month; assignments: u1-u6 and u8 since January, u9 unassigned on Oct 15, u7 only from
November: 7 seats held at the end of October, one of them by u8 who left; activity rule: "email_received" is
not activity):
- u1 active every working day of October (22 days, 1 action each) and on Sep 30
- u2 active once, at 2026-10-24T22:30Z = 00:30 summer time on Sunday 25 October (the DST day)
- u3 never active in October (seat never used), active on Sep 10
- u4 only "email_received" on Oct 5: not active, seat idle
- u5 on Oct 12 and 13 with count 3 each, and on Aug 20 (resurrecting)
- u6 and u10 on Oct 2; u12 on Saturday Oct 31; u13 on Oct 20; u8 (the leaver) on Sep 1
Teams (licence file says "Teams": 8 seats at 5 EUR, no assignments): u1 on Oct 1 at 08:00Z; u11 from a daily
report row dated 2026-10-02 (no time); u6 a daily row with count 0 (not activity).
wiki (no licence data): u13 on Oct 20. erp (3 seats at 100 EUR): no usage at all.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from auditbridge.datasets import coerce
from auditbridge.period import parse_period
from tasks.adoption.engine import compute_adoption

TZ = "Europe/Paris"
OCT = parse_period("2026-10")


def working_days_of_october() -> list[date]:
    days = [date(2026, 10, 1) + timedelta(days=i) for i in range(31)]
    return [d for d in days if d.weekday() < 5]


def usage_rows() -> list[dict]:
    rows = [
        {"tool": "crm", "user": "u1", "at": f"{d.isoformat()}T08:00:00Z", "action": "view", "count": ""}
        for d in working_days_of_october()
    ]
    rows += [
        {"tool": "crm", "user": "u1", "at": "2026-09-30T08:00:00Z", "action": "view", "count": ""},
        {"tool": "crm", "user": "u2", "at": "2026-10-24T22:30:00Z", "action": "view", "count": ""},
        {"tool": "crm", "user": "u3", "at": "2026-09-10T10:00:00+02:00", "action": "edit", "count": ""},
        {
            "tool": "crm",
            "user": "u4",
            "at": "2026-10-05T10:00:00+02:00",
            "action": "email_received",
            "count": "5",
        },
        {"tool": "crm", "user": "u5", "at": "2026-10-12T10:00:00+02:00", "action": "edit", "count": "3"},
        {"tool": "crm", "user": "u5", "at": "2026-10-13T10:00:00+02:00", "action": "edit", "count": "3"},
        {"tool": "crm", "user": "u5", "at": "2026-08-20T10:00:00+02:00", "action": "edit", "count": ""},
        {"tool": "crm", "user": "u6", "at": "2026-10-02T10:00:00+02:00", "action": "view", "count": ""},
        {"tool": "crm", "user": "u10", "at": "2026-10-02T11:00:00+02:00", "action": "view", "count": ""},
        {
            "tool": "crm",
            "user": "u12",
            "at": "2026-10-31T15:00:00+01:00",
            "action": "view",
            "count": "",
            "department": "Ops",
        },
        {"tool": "crm", "user": "u13", "at": "2026-10-20T15:00:00+02:00", "action": "view", "count": ""},
        {"tool": "crm", "user": "u8", "at": "2026-09-01T15:00:00+02:00", "action": "view", "count": ""},
        {"tool": "teams", "user": "u1", "at": "2026-10-01T08:00:00Z", "action": "chat", "count": ""},
        {"tool": "teams", "user": "u11", "at": "2026-10-02", "action": "", "count": "4"},
        {"tool": "teams", "user": "u6", "at": "2026-10-03", "action": "", "count": "0"},
        {"tool": "wiki", "user": "u13", "at": "2026-10-20T09:00:00+02:00", "action": "read", "count": ""},
    ]
    return rows


def usage_frame() -> pd.DataFrame:
    """As `ingest` hands it to the engine: canonical dtypes, except that date-only rows stay as text."""
    frame = pd.DataFrame(usage_rows()).fillna("")
    return frame.astype("string")


LICENCES = pd.DataFrame(
    {
        "tool": ["crm", "Teams", "erp"],
        "seats": [10, 8, 3],
        "cost_per_seat_month": [30, 5, 100],
        "currency": ["EUR", "EUR", "EUR"],
    }
)
ASSIGNMENTS = pd.DataFrame(
    {
        "tool": ["crm"] * 9,
        "user": ["u1", "u2", "u3", "u4", "u5", "u6", "u8", "u9", "u7"],
        "assigned_at": ["2026-01-01T00:00:00+01:00"] * 8 + ["2026-11-05T00:00:00+01:00"],
        "unassigned_at": [""] * 7 + ["2026-10-15T12:00:00+02:00", ""],
    }
)
DIRECTORY = pd.DataFrame(
    {
        "user": ["u1", "u2", "u3", "u4", "u5", "u8", "u6", "u10", "u11"],
        "department": ["Sales"] * 6 + ["Legal"] * 3,
        "end_date": ["", "", "", "", "", "2026-09-15", "", "", ""],
    }
)


def canonical(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    return coerce(frame.replace("", pd.NA), kind)


@pytest.fixture(scope="module")
def result():
    return compute_adoption(
        usage_frame(),
        licences=canonical(LICENCES.astype("string"), "licences"),
        assignments=canonical(ASSIGNMENTS, "assignments"),
        directory=canonical(DIRECTORY, "directory"),
        period=OCT,
        timezone=TZ,
        min_group_size=5,
        activity_rules={"crm": {"exclude_actions": ["email_received"]}},
        zombie_days=60,
    )


def row(result, tool: str, department: str | None = None) -> dict:
    t = result.tools
    sel = (t["tool"] == tool) & (
        t["department"].isna() if department is None else t["department"] == department
    )
    assert int(sel.sum()) == 1, f"expected one row for {tool}/{department}, got {int(sel.sum())}"
    return t[sel.fillna(False)].iloc[0].to_dict()


def test_crm_seats_and_idle_cost(result):
    crm = row(result, "crm")
    assert crm["seats"] == 10
    # u1-u6 and u8 (left in September, seat never taken back); u9 unassigned Oct 15, u7 only from November
    assert crm["assigned"] == 7
    assert crm["unassigned"] == 3
    assert crm["active_users"] == 7  # u1 u2 u5 u6 u10 u12 u13 (u4's email_received does not count)
    assert crm["active_assigned_users"] == 4  # u1 u2 u5 u6
    assert crm["utilisation"] == pytest.approx(4 / 7)
    assert crm["idle_seats"] == 3  # u3 (seat never used), u4 and the leaver u8
    assert crm["idle_cost"] == pytest.approx(3 * 30 * 1.0)  # one month
    assert crm["currency"] == "EUR"
    # nothing in the 60 days Sep 2 - Oct 31: u4, and u8 (last seen Sep 1); u3 was active on Sep 10
    assert crm["zombie_seats"] == 2
    assert crm["leaver_seats"] == 1
    assert result.summary["totals"]["leaver_seats"] == 1


def test_crm_daily_weekly_monthly_users(result):
    crm = row(result, "crm")
    # user-days in October: u1 22 + u2 1 + u5 2 + u6 1 + u10 1 + u12 1 + u13 1 = 29
    assert crm["dau_mean"] == pytest.approx(29 / 31)
    # ending days covered by a 7-day window: u1 31, u2 7 (25-31), u5 8 (12-19), u6 7, u10 7, u12 1, u13 7 = 68
    assert crm["wau_mean"] == pytest.approx(68 / 31)
    # 28-day windows: u1 31, u2 7, u5 20 (12-31), u6 28 (2-29), u10 28, u12 1, u13 12 (20-31),
    # and u3's Sep 10 still inside the windows ending Oct 1-7: 7 -> 134
    assert crm["mau_mean"] == pytest.approx(134 / 31)
    assert crm["stickiness"] == pytest.approx(29 / 134)
    # actions: u1 22 + u2 1 + u5 3+3 + u6 1 + u10 1 + u12 1 + u13 1 = 33 over 7 active users
    assert crm["actions"] == 33
    assert crm["actions_per_active_user"] == pytest.approx(33 / 7)
    assert crm["power_users"] == 1  # only u1 has >= 11 of the 22 working days


def test_crm_lifecycle_against_september(result):
    crm = row(result, "crm")
    assert crm["new_users"] == 6  # u2 u5 u6 u10 u12 u13
    assert crm["returning_users"] == 1  # u1 (Sep 30)
    assert crm["dormant_users"] == 2  # u3 and u8
    assert crm["resurrecting_users"] == 1  # u5, active in August
    assert result.summary["lifecycle_available"] is True


def test_the_dst_day_activity_lands_on_sunday_25_october(result):
    months = {(m["tool"], m["month"]): m["active_users"] for m in result.summary["monthly"]}
    assert months[("crm", "2026-10")] == 7
    sales = row(result, "crm", "Sales")
    # Sales: u1 22 days + u2 1 + u5 2 = 25 user-days. The MAU tells the DST day apart: u2 on Sunday the 25th
    # keeps 7 October windows (25-31); read with a fixed +01:00 the row would fall on the 24th and keep 8.
    # Sales MAU: u1 31 + u2 7 + u5 20 (12-31) + u3 7 (Sep 10 -> windows ending Oct 1-7) = 65
    assert sales["dau_mean"] == pytest.approx(25 / 31)
    assert sales["mau_mean"] == pytest.approx(65 / 31)


def test_small_departments_merge_into_other(result):
    crm_depts = set(
        result.tools.loc[(result.tools["tool"] == "crm") & result.tools["department"].notna(), "department"]
    )
    # Sales has 6 people (u1-u5 hold seats, u8 active in September); Legal 2 (u6, u10), Ops 1 (u12),
    # unknown 1 (u13): all merged
    assert crm_depts == {"Sales", "other"}
    sales, other = row(result, "crm", "Sales"), row(result, "crm", "other")
    assert (sales["people"], sales["active_users"], sales["assigned"], sales["idle_seats"]) == (6, 3, 6, 3)
    assert sales["utilisation"] == pytest.approx(3 / 6)
    assert sales["idle_cost"] == pytest.approx(90)
    assert (sales["new_users"], sales["returning_users"], sales["dormant_users"]) == (2, 1, 2)
    assert (other["people"], other["active_users"], other["assigned"], other["idle_seats"]) == (4, 4, 1, 0)
    assert other["utilisation"] == pytest.approx(1.0)
    # department rows carry no seat counts: seats are bought per tool
    assert pd.isna(sales["seats"]) and pd.isna(sales["unassigned"])


def test_min_group_size_one_shows_every_department():
    res = compute_adoption(
        usage_frame(), directory=canonical(DIRECTORY, "directory"), period=OCT, timezone=TZ, min_group_size=1
    )
    depts = set(res.tools.loc[(res.tools["tool"] == "crm") & res.tools["department"].notna(), "department"])
    assert depts == {"Sales", "Legal", "Ops", "unknown"}
    assert row(res, "crm", "unknown")["active_users"] == 1  # u13
    assert row(res, "crm", "Ops")["active_users"] == 1  # u12, department from the usage row


def test_tool_without_assignments_counts_every_seat_as_assigned(result):
    teams = row(result, "Teams")  # the licence's spelling; usage says "teams"
    assert (teams["seats"], teams["assigned"], teams["unassigned"]) == (8, 8, 0)
    assert teams["active_users"] == 2  # u1, and u11 from a dated daily row; u6's count-0 row is not activity
    assert teams["utilisation"] == pytest.approx(2 / 8)
    assert teams["idle_seats"] == 6
    assert teams["idle_cost"] == pytest.approx(6 * 5)
    assert teams["actions"] == 5  # u1 1 + u11 4
    assert pd.isna(teams["zombie_seats"])  # unknowable without holders
    other = row(result, "Teams", "other")  # u1 (Sales) and u11 (Legal): 1 person each, merged
    assert other["active_users"] == 2 and pd.isna(other["assigned"]) and pd.isna(other["utilisation"])


def test_tool_without_licence_and_licence_without_usage(result):
    wiki = row(result, "wiki")
    assert wiki["active_users"] == 1
    assert pd.isna(wiki["seats"]) and pd.isna(wiki["assigned"]) and pd.isna(wiki["idle_cost"])
    assert pd.isna(wiki["utilisation"])
    erp = row(result, "erp")
    assert (erp["seats"], erp["assigned"], erp["active_users"], erp["idle_seats"]) == (3, 3, 0, 3)
    assert erp["idle_cost"] == pytest.approx(300)
    assert pd.isna(erp["dau_mean"]) is False and erp["dau_mean"] == 0
    assert result.summary["tools_without_licence"] == ["wiki"]
    assert result.summary["licences_without_usage"] == ["erp"]


def test_totals(result):
    totals = result.summary["totals"]
    assert totals == {
        "seats": 21,
        "assigned": 18,
        "unassigned": 3,  # crm 7 + Teams 8 + erp 3 assigned
        "active_users": 8,  # u1 u2 u5 u6 u10 u11 u12 u13 across tools
        "idle_seats": 12,
        "idle_cost": 420.0,
        "currency": "EUR",  # crm 3 x 30 + Teams 6 x 5 + erp 3 x 100
        "zombie_seats": 2,
        "leaver_seats": 1,  # crm only: the other tools have no holders to judge
    }


def test_change_against_september_from_the_usage(result):
    crm = next(t for t in result.summary["tools"] if t["tool"] == "crm")
    assert result.summary["change_source"] == "usage"
    # September: active u1 u3 u8 = 3; holders at Sep 30: u1-u6, u8 (left Sep 15, seat kept), u9 = 8
    assert crm["change"]["active_users"] == 4
    assert crm["change"]["assigned"] == -1  # 7 now
    assert crm["change"]["unassigned"] == 1  # 3 now, 2 then
    # September DAU: 3 user-days over 30 days
    assert crm["change"]["dau_mean"] == pytest.approx(29 / 31 - 3 / 30, abs=1e-6)


def test_change_from_previous_metrics_when_usage_lacks_september():
    october_only = usage_frame()
    october_only = october_only[october_only["at"].str.startswith("2026-10")]
    previous = {
        "adoption": {
            "period": {"label": "2026-09"},
            "tools": [{"tool": "crm", "department": None, "active_users": 2, "utilisation": 0.5}],
        }
    }
    rules = {"crm": {"exclude_actions": ["email_received"]}}
    res = compute_adoption(
        october_only, period=OCT, timezone=TZ, previous_metrics=previous, activity_rules=rules
    )
    crm = next(t for t in res.summary["tools"] if t["tool"] == "crm")
    assert res.summary["change_source"] == "previous_metrics"
    assert crm["change"] == {"active_users": 5.0}  # 7 - 2; utilisation unknown now (no licence)
    assert crm["new_users"] is None  # no September usage: lifecycle cannot be known
    # metrics of another period are not a comparison
    wrong = {"adoption": {**previous["adoption"], "period": {"label": "2026-08"}}}
    res = compute_adoption(october_only, period=OCT, timezone=TZ, previous_metrics=wrong)
    assert res.summary["change_source"] is None
    assert all(t["change"] is None for t in res.summary["tools"])


def test_include_rule_keeps_only_listed_actions():
    res = compute_adoption(
        usage_frame(), period=OCT, timezone=TZ, activity_rules={"crm": {"include_actions": ["EDIT"]}}
    )
    crm = row(res, "crm")
    assert crm["active_users"] == 1  # only u5 edits in October (u4's email_received is not an edit)
    assert crm["actions"] == 6


def test_bad_activity_rule_names_the_key():
    from auditbridge.errors import ConfigError

    with pytest.raises(ConfigError, match=r"adoption\.activity\.crm\.exclude_action"):
        compute_adoption(
            usage_frame(), period=OCT, timezone=TZ, activity_rules={"crm": {"exclude_action": ["x"]}}
        )


def test_frame_with_utc_timestamps_gives_the_same_figures(result):
    frame = usage_frame()
    dated = ~frame["at"].str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    typed = coerce(frame[dated].replace("", pd.NA), "usage")  # datetime64[UTC], Float64 counts
    daily = frame[~dated]
    res = compute_adoption(
        [typed, daily],
        licences=canonical(LICENCES.astype("string"), "licences"),
        assignments=canonical(ASSIGNMENTS, "assignments"),
        directory=canonical(DIRECTORY, "directory"),
        period=OCT,
        timezone=TZ,
        activity_rules={"crm": {"exclude_actions": ["email_received"]}},
        zombie_days=60,
    )
    pd.testing.assert_frame_equal(res.tools, result.tools)


def test_working_days_and_empty_usage():
    res = compute_adoption(
        pd.DataFrame({"tool": [], "user": [], "at": []}, dtype="string"),
        licences=canonical(LICENCES.astype("string"), "licences"),
        period=OCT,
        timezone=TZ,
    )
    assert res.summary["working_days"] == 22
    assert res.summary["totals"]["active_users"] == 0
    assert res.summary["totals"]["idle_seats"] == 21  # every purchased seat, nobody active
    assert np.isclose(res.summary["totals"]["idle_cost"], 10 * 30 + 8 * 5 + 3 * 100)


def test_assignments_as_plain_text_are_read_with_the_canonical_rules(result):
    res = compute_adoption(
        usage_frame(),
        licences=canonical(LICENCES.astype("string"), "licences"),
        assignments=ASSIGNMENTS,
        directory=DIRECTORY,
        period=OCT,
        timezone=TZ,
        activity_rules={"crm": {"exclude_actions": ["email_received"]}},
        zombie_days=60,
    )
    pd.testing.assert_frame_equal(res.tools, result.tools)
