"""Bad usage inputs on small files of our own: every refusal names the file, the row or JSON item, the field
and what was expected; quarantine keeps the good rows."""

from __future__ import annotations

import json

import pytest

from auditbridge.errors import DataError, UsageError
from tasks.ingest.api import ingest

KEY = b"bad-input-key"


def write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    if isinstance(content, (dict, list)):
        content = json.dumps(content, indent=2)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return str(path)


def refused(path: str, **kw) -> str:
    with pytest.raises(DataError) as err:
        ingest([path], pseudonym_key=KEY, **kw)
    return str(err.value)


def slack_item(**over):
    item = {
        "user_id": "U1",
        "username": "alice",
        "date_first": 1700000000,
        "date_last": 1700000000,
        "count": 1,
        "ip": "10.0.0.1",
        "user_agent": "SlackWeb/0",
        "isp": "",
        "country": "",
        "region": "",
    }
    return {**item, **over}


def test_slack_error_response_is_refused_with_the_api_error(tmp_path):
    path = write(tmp_path, "slack.json", {"ok": False, "error": "not_authed"})
    text = refused(path, fmt="slack")
    assert "slack.json" in text and "not_authed" in text and "ok" in text


def test_slack_bad_epoch_names_the_item_and_field(tmp_path):
    doc = {"ok": True, "logins": [slack_item(), slack_item(username="bob", date_first="yesterday")]}
    text = refused(write(tmp_path, "slack.json", doc))
    assert "slack.json, column 'logins[1].date_first'" in text
    assert "Unix epoch seconds" in text and "'yesterday'" in text


def test_slack_quarantine_sets_the_bad_item_aside_and_keeps_the_rest(tmp_path):
    doc = {"ok": True, "logins": [slack_item(), slack_item(username="bob", count=0)]}
    r = ingest([write(tmp_path, "slack.json", doc)], pseudonym_key=KEY, on_row_error="quarantine")
    assert len(r.datasets["usage"]) == 1
    assert r.quarantined["usage"]["_problem"].tolist() == ["bad count"]
    assert any(p.column == "logins[1].count" for p in r.problems)


def test_json_that_is_not_the_api_response_is_refused_clearly(tmp_path):
    path = write(tmp_path, "users.json", {"users": [{"email": "a@x.com"}]})
    text = refused(path, fmt="zoom")
    assert "users.json" in text and "Zoom report/activities" in text and "'activity_logs'" in text
    assert "keys found: users" in text


def test_truncated_json_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, "zoom.json", '{\n  "activity_logs": [\n    {"email": "a@x.com",\n')
    text = refused(path, fmt="zoom")
    assert "zoom.json" in text and "not valid JSON" in text and "line 4" in text


def test_zoom_time_without_offset_names_the_item(tmp_path):
    doc = {"activity_logs": [{"email": "a@x.com", "time": "2021-01-25 14:39", "type": "Sign in"}]}
    text = refused(write(tmp_path, "zoom.json", doc))
    assert "column 'activity_logs[0].time'" in text and "ISO 8601" in text


def test_okta_object_instead_of_array_is_refused(tmp_path):
    path = write(tmp_path, "okta.json", {"errorCode": "E0000011", "errorSummary": "Invalid token provided"})
    text = refused(path, fmt="okta")
    assert "okta.json" in text and "Okta System Log" in text and "errorCode" in text


def test_okta_failed_and_system_events_are_not_use(tmp_path):
    def event(actor_type, result, who="a@x.com"):
        return {
            "actor": {"type": actor_type, "alternateId": who, "displayName": "A"},
            "eventType": "user.session.start",
            "published": "2026-07-01T08:00:00.000Z",
            "outcome": {"result": result},
            "target": None,
        }

    events = [
        event("User", "SUCCESS"),
        event("User", "FAILURE"),
        event("SystemPrincipal", "SUCCESS", "system@okta.com"),
    ]
    r = ingest([write(tmp_path, "okta.json", events)], pseudonym_key=KEY)
    usage = r.datasets["usage"]
    # one counted event; without an AppInstance target the tool is okta itself
    assert usage["tool"].tolist() == ["okta"] and len(usage) == 1
    assert any("1 failed or denied event(s) and 1 event(s) by non-person actors" in n for n in r.notes)


def test_google_response_of_another_kind_is_refused(tmp_path):
    path = write(tmp_path, "g.json", {"kind": "admin#reports#activities", "items": []})
    text = refused(path, fmt="google-workspace")
    assert "g.json, column 'kind'" in text and "admin#reports#activities" in text


def test_google_bad_time_names_the_report_item_and_parameter(tmp_path):
    doc = {
        "kind": "admin#reports#usageReports",
        "usageReports": [
            {
                "date": "2026-07-01",
                "entity": {"type": "USER", "userEmail": "a@x.com"},
                "parameters": [{"name": "accounts:last_login_time", "datetimeValue": "last tuesday"}],
            }
        ],
    }
    text = refused(write(tmp_path, "g.json", doc))
    assert "column 'usageReports[0].parameters[name=accounts:last_login_time]'" in text
    assert "RFC 3339" in text and "'last tuesday'" in text


def test_m365_bad_date_names_row_and_column(tmp_path):
    csv = (
        "\ufeffReport Refresh Date,User Principal Name,Last Activity Date,Team Chat Message Count,Report Period\r\n"
        "2026-07-02,a@x.com,2026-07-01,1,1\r\n"
        "2026-07-02,b@x.com,last week,1,1\r\n"
    )
    path = write(tmp_path, "teams.csv", csv)
    text = refused(path)
    # header = row 1, so b@x.com is row 3
    assert (
        "teams.csv, row 3, column 'Last Activity Date'" in text
        and "expected a date" in text
        and "'last week'" in text
    )
    r = ingest([path], pseudonym_key=KEY, on_row_error="quarantine")
    assert len(r.datasets["usage"]) == 1 and r.quarantined["usage"]["_row"].tolist() == [3]


def test_m365_unknown_report_needs_a_tool_name(tmp_path):
    csv = "Report Refresh Date,User Principal Name,Last Activity Date,Widget Count\n2026-07-02,a@x.com,2026-07-01,3\n"
    path = write(tmp_path, "widgets.csv", csv)
    text = refused(path)
    assert "widgets.csv" in text and "tool" in text
    r = ingest([path], pseudonym_key=KEY, tool="widgets")
    assert r.datasets["usage"]["tool"].tolist() == ["widgets"]


def test_forcing_a_kind_the_format_cannot_give_is_a_usage_error(tmp_path):
    doc = {"activity_logs": [{"email": "a@x.com", "time": "2021-01-25T14:39:42Z", "type": "Sign in"}]}
    with pytest.raises(UsageError, match="zoom produces usage, not licences"):
        ingest([write(tmp_path, "zoom.json", doc)], pseudonym_key=KEY, kind="licences")


def test_partial_pages_are_said_in_the_notes(tmp_path):
    zoom = {
        "activity_logs": [{"email": "a@x.com", "time": "2021-01-25T14:39:42Z", "type": "Sign in"}],
        "next_page_token": "abc",
        "total_records": 31,
    }
    slack = {
        "ok": True,
        "logins": [slack_item()],
        "paging": {"count": 100, "total": 250, "page": 1, "pages": 3},
    }
    google = {
        "kind": "admin#reports#usageReports",
        "usageReports": [],
        "warnings": [
            {"code": "PARTIAL_DATA_AVAILABLE", "message": "Data for 2026-07-01 is not available yet"}
        ],
    }
    r = ingest(
        [
            write(tmp_path, "z.json", zoom),
            write(tmp_path, "s.json", slack),
            write(tmp_path, "g.json", google),
        ],
        pseudonym_key=KEY,
    )
    notes = "\n".join(r.notes)
    assert (
        "1 of 31 records" in notes
        and "page 1 of 3" in notes
        and "Data for 2026-07-01 is not available" in notes
    )
    assert len(r.datasets["usage"]) == 2  # zoom 1 + slack 1; the empty Google day adds nothing


def test_google_item_without_user_names_the_item(tmp_path):
    doc = {
        "kind": "admin#reports#usageReports",
        "usageReports": [
            {
                "date": "2026-07-01",
                "entity": {"type": "USER", "userEmail": "a@x.com"},
                "parameters": [
                    {"name": "accounts:last_login_time", "datetimeValue": "2026-07-01T08:00:00.000Z"}
                ],
            },
            {
                "date": "2026-07-01",
                "entity": {"type": "USER"},
                "parameters": [
                    {"name": "accounts:last_login_time", "datetimeValue": "2026-07-01T09:00:00.000Z"}
                ],
            },
        ],
    }
    path = write(tmp_path, "g.json", doc)
    assert "column 'usageReports[1].entity.userEmail'" in refused(path)
    r = ingest([path], pseudonym_key=KEY, on_row_error="quarantine")
    assert len(r.datasets["usage"]) == 1 and r.quarantined["usage"]["_problem"].tolist() == [
        "no entity.userEmail"
    ]


def test_a_price_that_is_not_a_number_is_a_config_error(tmp_path):
    from auditbridge.errors import ConfigError

    doc = {
        "kind": "admin#reports#usageReports",
        "usageReports": [
            {
                "date": "2026-07-01",
                "entity": {"type": "CUSTOMER", "customerId": "C1"},
                "parameters": [{"name": "accounts:gsuite_basic_total_licenses", "intValue": "3"}],
            }
        ],
    }
    with pytest.raises(ConfigError, match="cost_per_seat_month"):
        ingest(
            [write(tmp_path, "c.json", doc)],
            pseudonym_key=KEY,
            mapping={"cost_per_seat_month": "six", "currency": "EUR"},
        )
