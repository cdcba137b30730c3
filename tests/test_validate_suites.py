"""Each suite: a clean file passes; a file of planted defects fails exactly for those reasons, on those rows.

Each defect file is the clean rows followed by one row per planted defect (so every defect has its own row and
none can hide another); the expected failing rows were worked out by hand from the CSV text below and are given
as spreadsheet rows (header = row 1). One file per suite rather than one per defect keeps the run in seconds:
every validation pays Great Expectations' fixed cost (about a second).
"""

from __future__ import annotations

import pandas as pd
import pytest

from auditbridge.datasets import read_canonical
from auditbridge.errors import UsageError
from tasks.validate.api import validate

AS_OF = "2026-11-27T12:00:00Z"

CLEAN = {
    "tickets": """\
ticket_id,created_at,status,priority,first_response_at,resolved_at,closed_at,department,category
T1,2026-07-01T09:00:00+02:00,closed,P1,2026-07-01T09:10:00+02:00,2026-07-01T11:00:00+02:00,2026-07-02T09:00:00+02:00,Finance,access
T2,2026-07-02T10:00:00Z,resolved,P2,2026-07-02T10:30:00Z,2026-07-03T10:00:00Z,,IT,hardware
T3,2026-07-03T08:00:00Z,open,P3,2026-07-03T09:00:00Z,,,Sales,software
T4,2026-07-04T08:00:00Z,pending,,,,,HR,software
T5,2026-07-05T08:00:00Z,new,P5,,,,IT,
T6,2026-07-06T08:00:00Z,cancelled,P4,,,,Sales,access
""",
    "ticket_events": """\
ticket_id,at,status,seq
T1,2026-07-01T09:00:00+02:00,new,1
T1,2026-07-01T09:10:00+02:00,open,2
T1,2026-07-01T10:00:00+02:00,pending,3
T1,2026-07-01T11:00:00+02:00,resolved,4
T2,2026-07-02T10:00:00Z,new,1
T2,2026-07-03T10:00:00Z,resolved,2
""",
    "usage": """\
tool,user,at,action,count,department
crm,u1,2026-07-01T09:00:00Z,login,1,Sales
crm,u2,2026-07-01T10:00:00Z,edit,3,Sales
teams,u1,2026-07-02T00:00:00Z,,1,Sales
teams,u3,2026-07-02T00:00:00Z,,2,IT
zoom,u3,2026-07-03T00:00:00Z,meeting,1,IT
""",
    "licences": """\
tool,seats,cost_per_seat_month,currency
crm,50,45.5,EUR
teams,120,0,EUR
zoom,30,12,EUR
""",
    "assignments": """\
tool,user,assigned_at,unassigned_at
crm,u1,2026-01-01T00:00:00Z,
crm,u2,2026-01-01T00:00:00Z,2026-06-30T00:00:00Z
teams,u1,2026-02-01T00:00:00Z,
""",
    "directory": """\
user,department,active,start_date,end_date
u1,Sales,true,2020-01-01,
u2,Sales,true,2021-03-01,
u3,IT,false,2019-05-01,2026-03-31
""",
}

# kind -> (rows appended to the clean file, {expectation id: failing spreadsheet rows})
DEFECTS = {
    "tickets": (
        """\
T1,2026-07-07T08:00:00Z,open,P2,,,,IT,access
,2026-07-07T08:00:00Z,open,P2,,,,IT,access
T7,,open,P2,,,,IT,access
T8,2026-07-08T08:00:00Z,done,P2,,,,IT,access
T9,2026-07-09T08:00:00Z,,P2,,,,IT,access
T10,2026-07-10T08:00:00Z,open,High,,,,IT,access
T11,1999-12-31T23:00:00Z,new,P3,,,,IT,access
T12,2026-07-10T08:00:00Z,open,P3,2027-01-01T00:00:00Z,,,IT,access
T13,2026-07-10T08:00:00Z,resolved,P3,,2026-07-10T07:00:00Z,,IT,access
T14,2026-07-10T08:00:00Z,open,P3,2026-07-10T07:59:00Z,,,IT,access
T15,2026-07-10T08:00:00Z,closed,P3,,,2026-07-09T08:00:00Z,IT,access
T16,2026-07-10T08:00:00Z,closed,P3,,2026-07-12T08:00:00Z,2026-07-11T08:00:00Z,IT,access
T17,2026-07-10T08:00:00Z,closed,P3,,,,IT,access
T18,2026-07-10T08:00:00Z,open,P3,,2026-07-11T08:00:00Z,,IT,access
T19,2026-07-10T08:00:00Z,resolved,P3,,2027-01-01T00:00:00Z,,IT,access
T20,2026-07-10T08:00:00Z,closed,P3,,2026-07-11T08:00:00Z,2027-02-01T00:00:00Z,IT,access
""",
        {
            # the clean file is rows 2-7, so the planted rows are 8-23
            "tickets.ticket_id.unique": [2, 8],  # T1 again
            "tickets.ticket_id.not_null": [9],
            "tickets.created_at.not_null": [10],
            "tickets.status.allowed": [11],  # 'done'
            "tickets.status.not_null": [12],
            "tickets.priority.allowed": [13],  # 'High'
            "tickets.created_at.in_bounds": [14],  # 1999
            "tickets.first_response_at.in_bounds": [15],  # 2027, after the run
            "tickets.resolution_after_creation": [16],  # resolved an hour before creation
            "tickets.first_response_after_creation": [17],
            "tickets.closing_after_creation": [18],
            "tickets.closing_after_resolution": [19],  # warning
            "tickets.resolved_has_time": [20],  # closed without any end time: warning
            "tickets.open_without_resolution": [21],  # open yet resolved: warning
            "tickets.resolved_at.in_bounds": [22],
            "tickets.closed_at.in_bounds": [23],
        },
    ),
    "ticket_events": (
        """\
T2,2026-07-02T12:00:00Z,open,3
T2,2026-07-02T11:00:00Z,pending,4
T1,2026-07-01T09:10:00+02:00,open,2
,2026-07-05T00:00:00Z,open,
T3,,open,1
T3,2026-07-03T09:00:00Z,reopened,2
T3,2026-07-03T10:00:00Z,,3
T3,2027-01-01T00:00:00Z,closed,4
T3,2026-07-03T11:00:00Z,pending,-1
T99,2026-07-05T00:00:00Z,new,1
T5,2026-07-04T00:00:00Z,new,1
""",
        {
            # clean rows 2-7 (T2's seq 1 and 2 are rows 6-7 at 10:00 on 2 and 3 July)
            # row 8: seq 3 at 12:00 on 2 July, after seq 2 (3 July) in seq order: back in time; row 9: seq 4 at 11:00
            # on 2 July, before seq 3 (12:00): back in time again
            "ticket_events.ordered": [8, 9],
            "ticket_events.unique": [3, 10],  # T1 open at 09:10+02:00 twice
            "ticket_events.ticket_id.not_null": [11],
            "ticket_events.at.not_null": [12],
            "ticket_events.status.allowed": [13],  # 'reopened'
            "ticket_events.status.not_null": [14],
            "ticket_events.at.in_bounds": [15],  # 2027
            "ticket_events.seq.non_negative": [16],
            "ticket_events.ticket_known": [17],  # T99 is not in the tickets file (threshold 0 %)
            "ticket_events.after_ticket_creation": [18],  # T5 was created on 5 July 08:00Z
        },
    ),
    "usage": (
        """\
,u1,2026-07-04T00:00:00Z,login,1,
crm,u1,,login,1,
crm,u1,1999-01-01T00:00:00Z,login,1,
crm,u2,2026-07-05T00:00:00Z,login,-2,
crm,,2026-07-05T00:00:00Z,login,1,
crm,u1,2026-07-01T09:00:00Z,login,1,Sales
crm,u9,2026-07-06T00:00:00Z,login,1,
""",
        {
            "usage.tool.not_null": [7],
            "usage.at.not_null": [8],
            "usage.at.in_bounds": [9],
            "usage.count.non_negative": [10],
            "usage.user.missing": [11],  # 1 of 12 rows = 8.3 % > 1 %: warning, dataset-level
            "usage.duplicates": [2, 12],  # row 12 repeats row 2: 2 of 12 = 16.7 % > 1 %
            "usage.user_in_directory": [13],  # u9: 1 of 11 users = 9.1 % > 5 %
        },
    ),
    "licences": (
        """\
crm,10,1,EUR
,5,1,EUR
slack,,1,EUR
jira,-3,1,EUR
miro,2.5,1,EUR
figma,5,,EUR
notion,5,-1,EUR
asana,5,1,euro
trello,5,1,
""",
        {
            "licences.tool.unique": [2, 5],
            "licences.tool.not_null": [6],
            "licences.seats.not_null": [7],
            "licences.seats.non_negative": [8],
            "licences.seats.whole": [9],
            "licences.cost_per_seat_month.not_null": [10],
            "licences.cost_per_seat_month.non_negative": [11],
            "licences.currency.code": [12],
            "licences.currency.single": [],  # EUR and 'euro': two currencies (dataset-level)
            "licences.currency.not_null": [13],
        },
    ),
    "assignments": (
        """\
hubspot,u1,2026-01-01T00:00:00Z,
crm,u9,2026-01-01T00:00:00Z,
,u1,2026-01-01T00:00:00Z,
zoom,,2026-01-01T00:00:00Z,
zoom,u3,2026-05-01T00:00:00Z,2026-04-01T00:00:00Z
zoom,u2,1999-01-01T00:00:00Z,
zoom,u1,2026-01-01T00:00:00Z,2027-01-01T00:00:00Z
crm,u1,2026-01-01T00:00:00Z,
""",
        {
            "assignments.tool_in_inventory": [5],  # hubspot has no licence
            "assignments.user_in_directory": [6],  # u9 (threshold 0 %)
            "assignments.tool.not_null": [7],
            "assignments.user.not_null": [8],
            "assignments.unassigned_after_assigned": [9],
            "assignments.assigned_at.in_bounds": [10],
            "assignments.unassigned_at.in_bounds": [11],
            "assignments.unique": [2, 12],
        },
    ),
    "directory": (
        """\
u1,IT,true,,
,IT,true,,
u7,,true,,
u8,HR,true,2026-05-01,2026-04-01
""",
        {
            "directory.user.unique": [2, 5],
            "directory.user.not_null": [6],
            "directory.department.missing": [7],  # 1 of 7 users = 14 % > 5 %
            "directory.end_after_start": [8],
        },
    ),
}

DATASET_LEVEL = {
    "usage.user.missing",
    "usage.duplicates",
    "licences.currency.single",
    "directory.department.missing",
}


def _write(tmp_path, name: str, text: str):
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("validate")
    out = {}
    for kind, text in CLEAN.items():
        out[("clean", kind)] = _write(root, f"{kind}_clean", text)
        out[("defects", kind)] = _write(root, f"{kind}_defects", text + DEFECTS[kind][0])
    return out


@pytest.fixture(scope="module")
def reference(files):
    """The clean licences, directory and tickets, for the cross-dataset expectations."""
    return {
        kind: read_canonical(files[("clean", kind)], kind) for kind in ("licences", "directory", "tickets")
    }


def _validate(files, reference, variant: str, kind: str):
    df = read_canonical(files[(variant, kind)], kind)
    return validate(kind, df, as_of=AS_OF, reference=reference, source=str(files[(variant, kind)]))


@pytest.mark.parametrize("kind", list(CLEAN))
def test_clean_file_passes_every_expectation(files, reference, kind):
    report = _validate(files, reference, "clean", kind)
    assert [(o.id, o.examples) for o in report.failed] == []
    assert report.verdict == "pass"
    assert report.blocking_failed == []
    assert len(report.rows_failed) == 0
    # the cross-dataset expectations did run (the reference was given), none was skipped for want of it
    assert not [s for s in report.skipped if "file given" in s.reason]


@pytest.mark.parametrize("kind", list(CLEAN))
def test_each_planted_defect_fails_its_expectation_on_its_row(files, reference, kind):
    report = _validate(files, reference, "defects", kind)
    expected = DEFECTS[kind][1]
    assert sorted(o.id for o in report.failed) == sorted(expected)
    for outcome in report.failed:
        rows = expected[outcome.id]
        if outcome.id in DATASET_LEVEL:
            assert not outcome.row_level
            assert outcome.positions is None
            assert [ex.get("row") for ex in outcome.examples][: len(rows)] == rows[: len(outcome.examples)]
            continue
        assert outcome.row_level, outcome.id
        assert sorted(int(p) + 2 for p in outcome.positions) == rows, outcome.id
        assert outcome.unexpected_count == len(rows), outcome.id
        assert [ex["row"] for ex in outcome.examples] == rows, outcome.id
    blocking = sorted(o.id for o in report.failed if o.severity == "blocking")
    assert report.blocking_failed == [i for i in (o.id for o in report.outcomes) if i in blocking]
    assert report.verdict == "fail"


def test_examples_name_the_row_its_id_and_the_offending_value(files, reference):
    report = _validate(files, reference, "defects", "tickets")
    by_id = {o.id: o for o in report.outcomes}
    assert by_id["tickets.status.allowed"].examples == [{"row": 11, "ticket_id": "T8", "status": "done"}]
    assert by_id["tickets.resolution_after_creation"].examples == [
        {
            "row": 16,
            "ticket_id": "T13",
            "resolved_at": "2026-07-10T07:00:00+00:00",
            "created_at": "2026-07-10T08:00:00+00:00",
        }
    ]
    assert by_id["tickets.ticket_id.unique"].severity == "blocking"
    assert by_id["tickets.closing_after_resolution"].severity == "warning"


def test_missing_required_column_and_wrong_type_fail_and_skip_what_depends_on_them():
    df = pd.DataFrame(
        {
            "ticket_id": pd.Series(["A", "B"], dtype="string"),
            # timestamps left as text, not parsed
            "created_at": pd.Series(["2026-07-01T09:00:00Z", "2026-07-02T09:00:00Z"], dtype="string"),
        }
    )
    report = validate("tickets", df, as_of=AS_OF)
    failed = {o.id: o for o in report.failed}
    assert set(failed) == {"tickets.column.status", "tickets.type.created_at"}
    assert failed["tickets.type.created_at"].examples == [{"observed": "string"}]
    skipped = {s.id: s.reason for s in report.skipped}
    assert skipped["tickets.status.allowed"] == "no column status"
    assert skipped["tickets.created_at.in_bounds"] == "created_at is not of the expected type"
    assert report.verdict == "fail"


def test_an_empty_file_is_refused(tmp_path):
    path = _write(tmp_path, "empty", "tool,seats,cost_per_seat_month,currency\n")
    report = validate("licences", read_canonical(path, "licences"), as_of=AS_OF)
    assert report.blocking_failed == ["licences.rows"]


def _tickets_with_missing_departments(n: int, missing: int) -> pd.DataFrame:
    created = pd.Timestamp("2026-07-01T00:00:00Z") + pd.to_timedelta(range(n), unit="h")
    dept = pd.Series(["IT"] * (n - missing) + [None] * missing, dtype="string")
    return pd.DataFrame(
        {
            "ticket_id": pd.Series([f"T{i}" for i in range(n)], dtype="string"),
            "created_at": created,
            "status": pd.Series(["open"] * n, dtype="string"),
            "department": dept,
        }
    )


def test_department_threshold_comes_from_configuration():
    # 100 tickets: 2 without department is exactly the default 2 % (passes); 3 is 3 % (warning)
    at_limit = validate("tickets", _tickets_with_missing_departments(100, 2), as_of=AS_OF)
    assert at_limit.verdict == "pass"
    over = validate("tickets", _tickets_with_missing_departments(100, 3), as_of=AS_OF)
    assert [o.id for o in over.failed] == ["tickets.department.missing"]
    assert over.verdict == "warning"  # a warning does not block
    assert over.failed[0].unexpected_count == 3
    assert over.failed[0].description == "at most 2 % of tickets have no 'department'"
    relaxed = validate(
        "tickets",
        _tickets_with_missing_departments(100, 3),
        as_of=AS_OF,
        thresholds={"tickets.department_missing_max": 0.05},
    )
    assert relaxed.verdict == "pass"


def test_unknown_or_out_of_range_threshold_is_a_usage_error():
    df = _tickets_with_missing_departments(3, 0)
    with pytest.raises(UsageError, match="tickets.department_missing_max"):
        validate("tickets", df, thresholds={"tickets.departement_missing_max": 0.1})
    with pytest.raises(UsageError, match="between 0 and 1"):
        validate("tickets", df, thresholds={"tickets.department_missing_max": 2})


def test_readme_documents_every_expectation_and_threshold():
    from pathlib import Path

    from tasks.validate.suites import DEFAULT_THRESHOLDS, SUITES

    text = (Path(__file__).resolve().parent.parent / "tasks" / "validate" / "README.md").read_text(
        encoding="utf-8"
    )
    missing = [c.id for checks in SUITES.values() for c in checks if f"`{c.id}`" not in text]
    missing += [name for name in DEFAULT_THRESHOLDS if f"`{name}`" not in text]
    assert missing == []


def test_more_seats_held_than_bought_is_a_warning(tmp_path):
    licences = read_canonical(
        _write(tmp_path, "lic", "tool,seats,cost_per_seat_month,currency\ncrm,2,10,EUR\nzoom,1,5,EUR\n"),
        "licences",
    )
    # crm: 3 holders at the run (u3's seat was taken back in June, so it does not count) for 2 seats bought;
    # zoom: 1 holder for 1 seat
    path = _write(
        tmp_path,
        "asg",
        "tool,user,assigned_at,unassigned_at\n"
        "crm,u1,2026-01-01T00:00:00Z,\ncrm,u2,2026-01-01T00:00:00Z,\n"
        "crm,u3,2026-01-01T00:00:00Z,2026-06-30T00:00:00Z\ncrm,u4,2026-02-01T00:00:00Z,\n"
        "zoom,u1,2026-01-01T00:00:00Z,\n",
    )
    report = validate(
        "assignments", read_canonical(path, "assignments"), as_of=AS_OF, reference={"licences": licences}
    )
    (failed,) = report.failed
    assert failed.id == "assignments.within_seats" and failed.severity == "warning"
    assert failed.unexpected_count == 3  # the three crm seats held
    assert failed.examples[0] == {
        "row": 2,
        "user": "u1",
        "seats_bought": "2.0",
        "seats_held": "3.0",
        "tool": "crm",
    }
    assert report.verdict == "warning"
