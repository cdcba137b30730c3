"""Adoption on the real usage exports of ../shared/samples, read through `tasks.ingest.api.ingest`.

Expected figures were read off the files by hand (each test's comment says how); skipped when ../shared is absent.
"""

from __future__ import annotations

import pytest

from auditbridge.period import parse_period
from tasks.adoption.engine import compute_adoption
from tasks.ingest.api import ingest

pytestmark = pytest.mark.samples

KEY = b"adoption-samples-test-key"
TZ = "Europe/Paris"
JAN = parse_period("2021-01")  # 31 days, Friday 1st: 21 working days


def row(result, tool: str) -> dict:
    rows = [t for t in result.summary["tools"] if t["tool"] == tool]
    assert len(rows) == 1, f"{tool}: {len(rows)} tool rows"
    return rows[0]


def test_microsoft_365_reports_and_activations(samples):
    # Last Activity Date per user (daily-report style: the date is the activity day):
    # Teams: the guest account 2021-01-21, akash.hirve 2021-01-19, varun 2020-08-26 (not Jan, not Dec);
    # Exchange: the guest 2021-01-11; OneDrive: the guest 2020-12-07 (December = the previous period).
    # Office365ActivationsUserDetail: 5 users hold "OFFICE MOBILE APPS FOR OFFICE 365", no licence file.
    m365 = samples / "m365"
    r = ingest(
        [
            str(m365 / f)
            for f in (
                "TeamsUserActivityUserDetail.csv",
                "EmailActivityUserDetail.csv",
                "OneDriveActivityUserDetail.csv",
                "Office365ActivationsUserDetail.csv",
            )
        ],
        pseudonym_key=KEY,
        timezone=TZ,
    )
    res = compute_adoption(
        r.datasets["usage"], assignments=r.datasets["assignments"], period=JAN, timezone=TZ
    )
    teams, mail, drive = row(res, "teams"), row(res, "exchange"), row(res, "onedrive")
    assert (teams["active_users"], teams["new_users"], teams["returning_users"], teams["dormant_users"]) == (
        2,
        2,
        0,
        0,
    )
    assert teams["dau_mean"] == pytest.approx(2 / 31, abs=1e-6)
    # 28-day windows ending in January: the guest from the 21st (11 days), akash from the 19th (13 days)
    assert teams["mau_mean"] == pytest.approx(24 / 31, abs=1e-6)
    assert (mail["active_users"], mail["new_users"]) == (1, 1)
    assert (drive["active_users"], drive["dormant_users"]) == (0, 1)
    office = row(res, "office-mobile-apps-for-office-365")
    assert (office["assigned"], office["active_users"], office["idle_seats"], office["utilisation"]) == (
        5,
        0,
        5,
        0.0,
    )
    assert office["idle_cost"] is None and office["seats"] is None  # no licence data: no price
    assert "office-mobile-apps-for-office-365" in res.summary["tools_without_licence"]
    # no directory: everyone is in `unknown`; the 5 seat holders of the Office tool are enough for a group of their
    # own, the 1 to 3 people of the other tools are merged into `other`
    depts = {(d["tool"], d["department"]) for d in res.summary["departments"]}
    assert depts == {
        ("office-mobile-apps-for-office-365", "unknown"),
        ("teams", "other"),
        ("exchange", "other"),
        ("onedrive", "other"),
    }


def test_zoom_sign_ins_with_sign_outs_excluded(samples):
    # zoom_signin_signout_activities.txt, Paris days (no time is near midnight): bnb.gsuite signs in on Jan 7, 8,
    # 9, 10, 11, 12, 15, 19, 20, 22, 25 (11 days, 22 sign-ins); vnsidh on the 20th; zero-j... (3 sign-ins) and
    # zero-s... on the 7th. Sign-outs (3) are not activity.
    # DAU: 11 + 1 + 1 + 1 = 14 user-days. WAU windows: bnb covers the 7th-31st (25), the others 7 each -> 46.
    # MAU: bnb 25, vnsidh 12 (20-31), zero-j 25, zero-s 25 -> 87.
    r = ingest([str(samples / "saas_usage_logs" / "zoom_signin_signout_activities.txt")], pseudonym_key=KEY)
    res = compute_adoption(
        r.datasets["usage"],
        period=JAN,
        timezone=TZ,
        activity_rules={"zoom": {"exclude_actions": ["sign-out"]}},
    )
    zoom = row(res, "zoom")
    assert zoom["active_users"] == 4
    assert zoom["dau_mean"] == pytest.approx(14 / 31, abs=1e-6)
    assert zoom["wau_mean"] == pytest.approx(46 / 31, abs=1e-6)
    assert zoom["mau_mean"] == pytest.approx(87 / 31, abs=1e-6)
    assert zoom["actions_per_active_user"] == pytest.approx(27 / 4)
    # bnb's 11 days include only 9 working days (the 9th and 10th are a weekend): below 21 / 2
    assert zoom["power_users"] == 0
    assert zoom["new_users"] is None  # nothing in December 2020: no comparison
    assert res.summary["lifecycle_available"] is False


def test_slack_and_okta_logs_together(samples):
    # slack_access_logs.txt: 8 distinct usernames, every login between 2021-01-22 and 2021-01-27;
    # okta_logs.txt: one SSO to the Okta Admin Console on 2021-01-26.
    logs = samples / "saas_usage_logs"
    r = ingest([str(logs / "slack_access_logs.txt"), str(logs / "okta_logs.txt")], pseudonym_key=KEY)
    res = compute_adoption(r.datasets["usage"], period=JAN, timezone=TZ)
    assert row(res, "slack")["active_users"] == 8
    assert row(res, "okta-admin-console")["active_users"] == 1
    assert row(res, "okta-admin-console")["dau_mean"] == pytest.approx(1 / 31, abs=1e-6)
    assert res.summary["totals"]["active_users"] == 9  # different people in the two tools (different keys)
    assert {m["month"] for m in res.summary["monthly"]} == {"2021-01"}


def test_google_workspace_logins_against_the_licence_count(samples):
    # gsuite_user_usage_reports.txt, accounts:last_login_time in January 2021 (Paris days): admin 23rd,
    # freshid 22nd, fsmailbox 23rd (18:05Z), mondie 21st, noyel 13th, testuser14 21st, wildcard2 12th (04:54Z)
    # -> 7 users, 7 user-days; freshchat (May 2020), freshservice (2018) and bnb (never) are not active.
    # gsuite_usage_reports.txt: 12 licences; the API gives no price, so the source's mapping says 6 EUR a month:
    # all 12 assigned (no assignments), 5 idle -> 5 x 6 x 1 month = 30 EUR.
    g = samples / "google_workspace"
    usage = ingest([str(g / "gsuite_user_usage_reports.txt")], pseudonym_key=KEY).datasets["usage"]
    licences = ingest(
        [str(g / "gsuite_usage_reports.txt")],
        pseudonym_key=KEY,
        mapping={"cost_per_seat_month": 6.0, "currency": "EUR"},
    ).datasets["licences"]
    res = compute_adoption(usage, licences=licences, period=JAN, timezone=TZ)
    gw = row(res, "google-workspace")
    assert (gw["seats"], gw["assigned"], gw["active_users"], gw["idle_seats"]) == (12, 12, 7, 5)
    assert gw["utilisation"] == pytest.approx(7 / 12)
    assert gw["idle_cost"] == pytest.approx(30.0)
    assert gw["dau_mean"] == pytest.approx(7 / 31, abs=1e-6)
    assert gw["new_users"] is None  # nothing in December 2020 to compare with
