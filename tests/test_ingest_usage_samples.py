"""Every real usage export of ../shared/samples read through `tasks.ingest.api.ingest` with auto-detection.

Expected values were read off the files by hand (see each test's comment), not produced by the code.
Users come back pseudonymised: the expected pseudonyms are computed here with HMAC-SHA-256 directly.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from auditbridge.errors import DataError
from tasks.ingest.api import ingest

pytestmark = pytest.mark.samples

KEY = b"usage-samples-test-key"
USAGE_COLUMNS = ["tool", "user", "at", "action", "count"]
M365_DOMAIN = "anuragdube3091gmail.onmicrosoft.com"
GUEST = f"anuragdube3091_gmail.com#EXT#@{M365_DOMAIN}"


def pseudo(person: str) -> str:
    """CONTRACTS section 6 by hand: p_ + 16 hex of HMAC-SHA-256(key, case-folded value)."""
    return "p_" + hmac.new(KEY, person.strip().casefold().encode(), hashlib.sha256).hexdigest()[:16]


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


def read(path, **kw):
    return ingest([str(path)], pseudonym_key=KEY, **kw)


# ---- Microsoft 365 ---------------------------------------------------------------------------------------


def test_teams_user_detail_gives_one_row_per_user_with_a_last_activity_date(samples):
    # TeamsUserActivityUserDetail.csv: 5 users; Last Activity Date set for varun (2020-08-26), the guest
    # #EXT# account (2021-01-21) and akash.hirve (2021-01-19); sumit and diksha have none -> 3 rows.
    # Midnight in Europe/Paris: CET (+01:00) in January, CEST (+02:00) in August.
    r = read(samples / "m365" / "TeamsUserActivityUserDetail.csv", timezone="Europe/Paris")
    assert r.format == "m365"
    usage = r.datasets["usage"]
    assert list(usage.columns) == USAGE_COLUMNS  # no display name, licence or count columns travel
    assert str(usage["at"].dtype) == "datetime64[ns, UTC]"
    got = dict(zip(usage["user"], usage["at"], strict=True))
    assert got == {
        pseudo(f"varun@{M365_DOMAIN}"): ts("2020-08-25T22:00:00Z"),
        pseudo(GUEST): ts("2021-01-20T23:00:00Z"),
        pseudo(f"akash.hirve@{M365_DOMAIN}"): ts("2021-01-18T23:00:00Z"),
    }
    assert set(usage["tool"]) == {"teams"}
    assert usage["count"].tolist() == [1.0, 1.0, 1.0]
    assert any("90-day" in n for n in r.notes)  # the D90 caveat is said, not hidden


def test_email_received_mail_is_not_activity(samples):
    # EmailActivityUserDetail.csv: akash.hirve received 1 mail but has no Last Activity Date (receiving is not
    # activity); only the guest account (sent 7, last activity 2021-01-11) is active. No timezone: UTC midnight.
    r = read(samples / "m365" / "EmailActivityUserDetail.csv")
    usage = r.datasets["usage"]
    assert usage[["tool", "user", "at"]].values.tolist() == [
        ["exchange", pseudo(GUEST), ts("2021-01-11T00:00:00Z")]
    ]


def test_onedrive_user_detail(samples):
    # OneDriveActivityUserDetail.csv: only the guest account has a Last Activity Date (2020-12-07).
    usage = read(samples / "m365" / "OneDriveActivityUserDetail.csv").datasets["usage"]
    assert usage[["tool", "user", "at"]].values.tolist() == [
        ["onedrive", pseudo(GUEST), ts("2020-12-07T00:00:00Z")]
    ]


def test_activations_are_seat_assignments_not_usage(samples):
    # Office365ActivationsUserDetail.csv: 5 users, all with Product Type OFFICE MOBILE APPS FOR OFFICE 365.
    r = read(samples / "m365" / "Office365ActivationsUserDetail.csv")
    assert list(r.datasets) == ["assignments"]
    a = r.datasets["assignments"]
    assert set(a["tool"]) == {"office-mobile-apps-for-office-365"}
    names = ["sumit", "varun", "diksha", "akash.hirve"]
    assert sorted(a["user"]) == sorted([pseudo(f"{n}@{M365_DOMAIN}") for n in names] + [pseudo(GUEST)])


def test_teams_user_counts_aggregate_is_refused_with_the_report_to_use(samples):
    # TeamsUserActivityUserCounts.csv has Report Date and totals, no User Principal Name: no user, no DAU.
    with pytest.raises(DataError) as err:
        read(samples / "m365" / "TeamsUserActivityUserCounts.csv")
    text = str(err.value)
    assert "TeamsUserActivityUserCounts.csv" in text and "Report Date" in text
    assert "user detail" in text and "without users" in text


# ---- Google Workspace --------------------------------------------------------------------------------------


def test_google_user_usage_pivots_parameters_per_user(samples):
    # gsuite_user_usage_reports.txt: 10 users; accounts:last_login_time is epoch zero ("never") for
    # bnb.gsuite@ -> 9 login rows. gmail:last_access_time is not activity (receiving mail triggers it);
    # creation time, quotas and authorised apps are not activity either. admin@ logged in 2021-01-23T06:49:01Z,
    # freshservice-automation@ last on 2018-07-13T10:27:56Z.
    r = read(samples / "google_workspace" / "gsuite_user_usage_reports.txt")
    assert r.format == "google-workspace"
    usage = r.datasets["usage"]
    assert list(usage.columns) == USAGE_COLUMNS
    assert len(usage) == 9
    assert set(usage["action"]) == {"accounts:last_login_time"}
    assert set(usage["tool"]) == {"google-workspace"}
    assert pseudo("bnb.gsuite@freshbugs.com") not in set(usage["user"])
    at = dict(zip(usage["user"], usage["at"], strict=True))
    assert at[pseudo("admin@freshbugs.com")] == ts("2021-01-23T06:49:01Z")
    assert at[pseudo("freshservice-automation@freshbugs.com")] == ts("2018-07-13T10:27:56Z")


def test_google_customer_report_gives_licence_counts(samples):
    # gsuite_usage_reports.txt: accounts:gsuite_basic_total_licenses "12", ..._used_licenses "10"; no price in
    # the API, so the price comes from the source's mapping (6 EUR here); without it the row is refused.
    path = samples / "google_workspace" / "gsuite_usage_reports.txt"
    r = read(path, mapping={"cost_per_seat_month": 6, "currency": "eur"})
    lic = r.datasets["licences"]
    assert lic[["tool", "seats", "cost_per_seat_month", "currency", "seats_assigned"]].values.tolist() == [
        ["google-workspace", 12.0, 6.0, "EUR", 10.0]
    ]
    with pytest.raises(DataError) as err:
        read(path)
    assert "no price" in str(err.value)
    assert "usageReports[0].parameters[name=accounts:gsuite_basic_total_licenses]" in str(err.value)


# ---- Okta, Slack, Zoom -------------------------------------------------------------------------------------


def test_okta_sso_event_is_usage_of_the_target_app(samples):
    # okta_logs.txt: one user.authentication.sso by snfsaas@gmail.com to AppInstance "Okta Admin Console",
    # published 2021-01-26T19:09:43.425Z, outcome SUCCESS.
    r = read(samples / "saas_usage_logs" / "okta_logs.txt")
    assert r.format == "okta"
    usage = r.datasets["usage"]
    assert usage.values.tolist() == [
        [
            "okta-admin-console",
            pseudo("snfsaas@gmail.com"),
            ts("2021-01-26T19:09:43.425Z"),
            "user.authentication.sso",
            1.0,
        ]
    ]


def test_slack_access_logs_keep_the_login_count_and_both_days(samples):
    # slack_access_logs.txt: 100 items whose counts add up to 199 logins; 39 items have date_last != date_first
    # and give a second row -> 139 rows; 8 distinct usernames. First item: mohana.sidhaarth, 1611733994 =
    # 2021-01-27T07:53:14Z, user agent "ApiApp/..." -> login-api. Client split by user agent prefix:
    # SlackWeb 45 items, ApiApp 29, slack/ 26.
    r = read(samples / "saas_usage_logs" / "slack_access_logs.txt")
    assert r.format == "slack"
    usage = r.datasets["usage"]
    assert list(usage.columns) == USAGE_COLUMNS  # no ip, isp, country, region, user_agent
    assert len(usage) == 139
    assert usage["count"].sum() == 199
    assert usage["user"].nunique() == 8
    assert usage.iloc[0][["user", "at", "action"]].tolist() == [
        pseudo("mohana.sidhaarth"),
        ts("2021-01-27T07:53:14Z"),
        "login-api",
    ]
    assert set(usage["action"]) == {"login-web", "login-api", "login-app"}
    assert usage["at"].min() == ts("2021-01-22T05:17:04Z")  # 1611292624, the smallest epoch of the file


def test_zoom_sign_in_activities(samples):
    # zoom_signin_signout_activities.txt: 30 items, type "Sign in" 27 / "Sign out" 3, 4 distinct e-mails,
    # times from 2021-01-07 to 2021-01-25 (first item 2021-01-25T14:39:42Z, bnb.gsuite@gmail.com).
    r = read(samples / "saas_usage_logs" / "zoom_signin_signout_activities.txt")
    assert r.format == "zoom"
    usage = r.datasets["usage"]
    assert (usage["action"] == "sign-in").sum() == 27
    assert (usage["action"] == "sign-out").sum() == 3
    assert usage["user"].nunique() == 4
    assert usage.iloc[0][["user", "at"]].tolist() == [
        pseudo("bnb.gsuite@gmail.com"),
        ts("2021-01-25T14:39:42Z"),
    ]
    assert usage["at"].min().date().isoformat() == "2021-01-07"


def test_a_folder_of_three_tools_is_merged_into_one_usage_dataset(samples):
    # a glob of the three logs: okta 1 + slack 139 + zoom 30 rows, each file detected on its own.
    r = ingest([str(samples / "saas_usage_logs" / "*.txt")], pseudonym_key=KEY)
    assert sorted(f["format"] for f in r.files) == ["okta", "slack", "zoom"]
    usage = r.datasets["usage"]
    assert len(usage) == 170
    assert usage.groupby("tool").size().to_dict() == {"okta-admin-console": 1, "slack": 139, "zoom": 30}


@pytest.mark.parametrize(
    ("relpath", "expected"),
    [
        ("m365/TeamsUserActivityUserDetail.csv", "m365"),
        ("m365/EmailActivityUserDetail.csv", "m365"),
        ("m365/OneDriveActivityUserDetail.csv", "m365"),
        ("m365/Office365ActivationsUserDetail.csv", "m365"),
        ("m365/TeamsUserActivityUserCounts.csv", "m365"),  # recognised, so its refusal can say why
        ("google_workspace/gsuite_usage_reports.txt", "google-workspace"),
        ("google_workspace/gsuite_user_usage_reports.txt", "google-workspace"),
        ("saas_usage_logs/okta_logs.txt", "okta"),
        ("saas_usage_logs/slack_access_logs.txt", "slack"),
        ("saas_usage_logs/zoom_signin_signout_activities.txt", "zoom"),
    ],
)
def test_auto_detection_picks_the_usage_format(samples, relpath, expected):
    from tasks.ingest.api import detect
    from tasks.ingest.base import registry

    path = samples / relpath
    chosen, score = detect(path.read_bytes()[:65536], str(path), registry())
    assert chosen.name == expected and score >= 0.9
