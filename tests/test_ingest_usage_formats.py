"""Usage format behaviours beyond the samples, on small files written here: newer Microsoft 365 reports and
concealed names, Google daily counters and several editions, licence inventories, directories and
assignments under the headers people actually use."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from auditbridge.errors import DataError
from auditbridge.pseudo import is_pseudonym
from tasks.ingest.api import ingest
from tasks.ingest.base import ReadContext
from tasks.ingest.formats.inventory import Inventory
from tasks.ingest.formats.m365 import M365

KEY = b"formats-test-key"


def write(tmp_path, name, content) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(content) if isinstance(content, (dict, list)) else content, encoding="utf-8")
    return str(path)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


# ---- Microsoft 365 -----------------------------------------------------------------------------------------


def test_concealed_names_pass_through_as_the_user_key(tmp_path):
    # With "conceal user names" on, UPN is a 32-hex hash; two rows of the same hash are the same person.
    hashed = "8C1D3B5F0E2A4C6B9D7E1F3A5B7C9D0E"
    csv = (
        "\ufeffReport Refresh Date,User Id,User Principal Name,Display Name,Last Activity Date,Send Count,"
        "Receive Count,Read Count,Report Period\r\n"
        f"2026-07-02,,{hashed},0F1E2D3C,2026-07-01,2,0,4,1\r\n"
        "2026-07-02,,11112222333344445555666677778888,AAAA,,0,5,0,1\r\n"
    )
    ctx = ReadContext(name="mail.csv", data=csv.encode("utf-8"), pseudonym_key=b"")
    out = M365().read(ctx)
    usage = out["usage"]
    # clear (here: concealed) key handed to api.py, which pseudonymises it; only the active user is a row
    assert usage["user"].tolist() == [hashed]
    assert usage["tool"].tolist() == ["exchange"]
    assert "Display Name" not in usage.columns


def test_office365_active_users_gives_usage_per_product_and_assignments(tmp_path):
    # Office 365 active users detail (newer layout, "(UTC)" suffixes): a@ used Exchange on 07-01 and Teams on
    # 07-02; b@ holds an Exchange licence (assigned 2026-03-15) but has no activity.
    csv = (
        "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Has Exchange License,Has Teams License,"
        "Exchange Last Activity Date (UTC),Teams Last Activity Date (UTC),Exchange License Assign Date,"
        "Teams License Assign Date\n"
        "2026-07-03,a@x.com,A,False,True,True,2026-07-01,2026-07-02,2026-01-10,2026-01-10\n"
        "2026-07-03,b@x.com,B,False,True,False,,,2026-03-15,\n"
    )
    r = ingest([write(tmp_path, "active.csv", csv)], pseudonym_key=KEY)
    usage = r.datasets["usage"].sort_values("at")
    assert usage["tool"].tolist() == ["exchange", "teams"]
    assert usage["at"].tolist() == [ts("2026-07-01T00:00Z"), ts("2026-07-02T00:00Z")]
    a = r.datasets["assignments"].sort_values(["tool", "assigned_at"])
    # a@ exchange + teams, b@ exchange only -> 3 seats held
    assert a["tool"].tolist() == ["exchange", "exchange", "teams"]
    assert a["assigned_at"].tolist() == [
        ts("2026-01-10T00:00Z"),
        ts("2026-03-15T00:00Z"),
        ts("2026-01-10T00:00Z"),
    ]
    assert all(is_pseudonym(u) for u in a["user"])


def test_m365_tool_name_can_be_given(tmp_path):
    csv = "Report Refresh Date,User Principal Name,Last Activity Date,Viewed Or Edited File Count\n2026-07-02,a@x.com,2026-07-01,3\n"
    r = ingest([write(tmp_path, "od.csv", csv)], pseudonym_key=KEY, tool="files")
    assert r.datasets["usage"]["tool"].tolist() == ["files"]


# ---- Google Workspace --------------------------------------------------------------------------------------


def google(reports):
    return {"kind": "admin#reports#usageReports", "usageReports": reports}


def test_google_daily_counters_and_last_times(tmp_path):
    # a@ on 2026-07-01: sent 3 mails (activity, count 3), received 40 (not activity), drive items edited 0 (no
    # row), last interaction in Gmail at 09:12Z; the same last interaction repeated by the next day's report is
    # kept once. With Europe/Paris, the daily counter sits at 2026-07-01 00:00+02:00 = 2026-06-30T22:00Z.
    def day(date, sent):
        return {
            "date": date,
            "entity": {"type": "USER", "userEmail": "a@x.com", "profileId": "1"},
            "parameters": [
                {"name": "gmail:num_emails_sent", "intValue": str(sent)},
                {"name": "gmail:num_emails_received", "intValue": "40"},
                {"name": "drive:num_items_edited", "intValue": "0"},
                {"name": "gmail:last_interaction_time", "datetimeValue": "2026-07-01T09:12:00.000Z"},
                {"name": "gmail:last_access_time", "datetimeValue": "2026-07-02T23:59:00.000Z"},
            ],
        }

    path = write(tmp_path, "g.json", google([day("2026-07-01", 3), day("2026-07-02", 0)]))
    usage = ingest([path], pseudonym_key=KEY, timezone="Europe/Paris").datasets["usage"].sort_values("at")
    assert usage[["action", "count"]].values.tolist() == [
        ["gmail:num_emails_sent", 3.0],
        ["gmail:last_interaction_time", 1.0],
    ]
    assert usage["at"].tolist() == [ts("2026-06-30T22:00Z"), ts("2026-07-01T09:12Z")]


def test_google_several_editions_give_one_licence_row_each(tmp_path):
    doc = google(
        [
            {
                "date": "2026-07-01",
                "entity": {"type": "CUSTOMER", "customerId": "C1"},
                "parameters": [
                    {"name": "accounts:gsuite_basic_total_licenses", "intValue": "20"},
                    {"name": "accounts:gsuite_basic_used_licenses", "intValue": "18"},
                    {"name": "accounts:gsuite_enterprise_total_licenses", "intValue": "5"},
                    {"name": "accounts:gsuite_enterprise_used_licenses", "intValue": "2"},
                    {"name": "accounts:num_users", "intValue": "25"},
                ],
            }
        ]
    )
    price = {"cost_per_seat_month": "7.5", "currency": "EUR"}
    lic = ingest([write(tmp_path, "c.json", doc)], pseudonym_key=KEY, mapping=price).datasets["licences"]
    lic = lic.sort_values("tool")
    assert lic[["tool", "seats", "seats_assigned"]].values.tolist() == [
        ["google-workspace-gsuite-basic", 20.0, 18.0],
        ["google-workspace-gsuite-enterprise", 5.0, 2.0],
    ]


# ---- Inventories -------------------------------------------------------------------------------------------


def test_french_licence_inventory_with_prices_as_written(tmp_path):
    # "1 200" seats, "12,50 €" = 12.50 EUR; "€14.99"; a yearly price column is not present here.
    csv = 'Application;Nb licences;Prix unitaire;Devise\nSlack;25;6,75 €;\nMicrosoft Teams;"1 200";12,50;EUR\nZoom;10;€14.99;\n'
    r = ingest([write(tmp_path, "licences.csv", csv)], pseudonym_key=KEY)
    assert r.format == "inventory"
    lic = r.datasets["licences"]
    assert lic.values.tolist() == [
        ["slack", 25.0, 6.75, "EUR"],
        ["microsoft-teams", 1200.0, 12.5, "EUR"],
        ["zoom", 10.0, 14.99, "EUR"],
    ]


def test_yearly_prices_become_monthly(tmp_path):
    csv = 'Tool,Seats,Annual price,Currency\nCRM,10,"1,200.00",USD\n'
    lic = ingest([write(tmp_path, "lic.csv", csv)], pseudonym_key=KEY).datasets["licences"]
    assert lic["cost_per_seat_month"].tolist() == [100.0]  # 1,200.00 a year / 12


def test_bad_price_is_refused_with_row_and_column(tmp_path):
    csv = "Tool,Seats,Unit price,Currency\nCRM,10,12.5,EUR\nERP,5,ask sales,EUR\n"
    with pytest.raises(DataError) as err:
        ingest([write(tmp_path, "lic.csv", csv)], pseudonym_key=KEY)
    assert "lic.csv, row 3, column 'Unit price'" in str(err.value)  # the file's own header
    assert "'ask sales'" in str(err.value)


def test_entra_user_export_as_directory_keeps_no_names(tmp_path):
    csv = (
        "userPrincipalName,displayName,givenName,jobTitle,department,accountEnabled\n"
        "alice@x.com,Alice Martin,Alice,CFO,Finance,True\n"
        "bob@x.com,Bob Durand,Bob,Rep,Sales,False\n"
        "svc-backup@x.com,Backup,,,,True\n"
    )
    path = write(tmp_path, "entra.csv", csv)
    r = ingest([path], pseudonym_key=KEY, on_row_error="quarantine")
    d = r.datasets["directory"]
    assert list(d.columns) == ["user", "department", "active"]
    assert d[["department", "active"]].values.tolist() == [["Finance", True], ["Sales", False]]
    # the service account has no department (required): set aside, row 4 as the user counts
    assert r.quarantined["directory"]["_row"].tolist() == [4]
    with pytest.raises(DataError, match="entra.csv, row 4"):
        ingest([path], pseudonym_key=KEY)


def test_google_user_export_status_and_french_dates(tmp_path):
    # Google admin console export headers; "Date d'entrée" written day first (25/03/2024 = 25 March).
    csv = (
        "First Name [Required],Last Name [Required],Email Address [Required],Status [READ ONLY],Department,"
        "Date d'entrée\nAnne,Roy,anne@x.com,Active,RH,25/03/2024\nLuc,Bon,luc@x.com,Suspended,IT,02/01/2023\n"
    )
    d = ingest([write(tmp_path, "gusers.csv", csv)], pseudonym_key=KEY).datasets["directory"]
    assert d["active"].tolist() == [True, False]
    assert [x.date().isoformat() for x in d["start_date"]] == ["2024-03-25", "2023-01-02"]


def test_directory_date_problems_name_the_files_header(tmp_path):
    csv = "Courriel;Service;Date d'entrée\nanne@x.com;RH;25/03/2024\nluc@x.com;IT;bientôt\n"
    with pytest.raises(DataError) as err:
        ingest([write(tmp_path, "annuaire.csv", csv)], pseudonym_key=KEY)
    assert "annuaire.csv, row 3, column 'Date d'entrée'" in str(err.value) and "'bientôt'" in str(err.value)


def test_assignments_with_dates_only_need_no_timezone(tmp_path):
    csv = "Product,Email,Assigned date,Removed date\nSlack,alice@x.com,2026-01-15,\nZoom,bob@x.com,2026-02-01,2026-06-30\n"
    a = ingest([write(tmp_path, "seats.csv", csv)], pseudonym_key=KEY).datasets["assignments"]
    assert a["tool"].tolist() == ["slack", "zoom"]
    assert a["assigned_at"].tolist() == [ts("2026-01-15T00:00Z"), ts("2026-02-01T00:00Z")]
    assert a["unassigned_at"].isna().tolist() == [True, False]


def test_canonical_inventories_are_left_to_generic():
    head = b"tool,seats,cost_per_seat_month,currency\ncrm,10,12,EUR\n"
    assert Inventory().sniff(head, "licences.csv") == 0.0
    assert Inventory().sniff(b"Logiciel,Licences,Prix mensuel,Devise\ncrm,10,12,EUR\n", "l.csv") > 0.5


def test_m365_resaved_by_excel_with_semicolons_is_still_recognised(tmp_path):
    # a French Excel re-save: `;` delimiter, Windows-1252, no BOM, dates day first (21/06 can only be day first,
    # so 01/07/2026 is 1 July); midnight in Europe/Paris (+02:00 in summer)
    csv = (
        "Report Refresh Date;User Principal Name;Last Activity Date;Team Chat Message Count;Report Period\r\n"
        "02/07/2026;zoé@x.com;01/07/2026;4;1\r\n"
        "02/07/2026;léa@x.com;21/06/2026;1;1\r\n"
    )
    path = tmp_path / "teams.csv"
    path.write_bytes(csv.encode("cp1252"))
    r = ingest([str(path)], pseudonym_key=KEY, timezone="Europe/Paris")
    usage = r.datasets["usage"]
    assert r.format == "m365" and usage["tool"].tolist() == ["teams", "teams"]
    assert usage["at"].tolist() == [ts("2026-06-30T22:00Z"), ts("2026-06-20T22:00Z")]


def test_numbers_written_as_text_in_some_items_and_numbers_in_others(tmp_path):
    # The API writes intValue as a string; a hand-edited file may mix "3" and 3 for the same field.
    doc = google(
        [
            {
                "date": "2026-07-01",
                "entity": {"type": "USER", "userEmail": f"{u}@x.com"},
                "parameters": [{"name": "gmail:num_emails_sent", "intValue": v}],
            }
            for u, v in (("a", "3"), ("b", 5))
        ]
    )
    usage = ingest([write(tmp_path, "g.json", doc)], pseudonym_key=KEY).datasets["usage"]
    assert sorted(usage["count"].tolist()) == [3.0, 5.0]


def test_okta_events_without_targets_and_with_app_targets(tmp_path):
    events = [
        {
            "actor": {"type": "User", "alternateId": "a@x.com"},
            "eventType": "user.session.start",
            "published": "2026-07-01T08:00:00Z",
            "outcome": {"result": "SUCCESS"},
        },
        {
            "actor": {"type": "User", "alternateId": "a@x.com"},
            "eventType": "user.authentication.sso",
            "published": "2026-07-01T08:01:00Z",
            "outcome": {"result": "SUCCESS"},
            "target": [
                {"type": "AppUser", "displayName": "A"},
                {"type": "AppInstance", "displayName": "Salesforce.com"},
            ],
        },
    ]
    usage = ingest([write(tmp_path, "okta.json", events)], pseudonym_key=KEY, tool="sso").datasets["usage"]
    # no AppInstance -> the given tool (the file does not name one); the SSO names its application
    assert usage["tool"].tolist() == ["sso", "salesforce-com"]


def test_teams_device_usage_report_is_teams(tmp_path):
    csv = (
        "Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Used Web,"
        "Used Windows Phone,Used iOS,Used Mac,Used Android Phone,Used Windows,Report Period\n"
        "2026-07-02,,a@x.com,2026-07-01,False,,Yes,No,No,No,No,Yes,1\n"
    )
    r = ingest([write(tmp_path, "devices.csv", csv)], pseudonym_key=KEY)
    assert r.datasets["usage"][["tool", "at"]].values.tolist() == [["teams", ts("2026-07-01T00:00Z")]]
