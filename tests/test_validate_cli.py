"""`auditbridge validate --kind KIND FILE`: exit codes, listing, JSON, thresholds, and a light import path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from auditbridge.cli import main

TICKETS = """\
ticket_id,created_at,status,priority,resolved_at,department
A1,2026-07-01T09:00:00+02:00,resolved,P1,2026-07-01T10:00:00+02:00,IT
A2,2026-07-02T09:00:00+02:00,open,P2,,Sales
A3,2026-07-03T09:00:00+02:00,closed,P3,2026-07-04T09:00:00+02:00,Finance
"""
BAD = (
    TICKETS
    + """\
A4,2026-07-04T09:00:00+02:00,wip,P2,,IT
A5,2026-07-05T09:00:00+02:00,resolved,P2,2026-07-05T08:00:00+02:00,
"""
)


@pytest.fixture
def write(tmp_path):
    def _write(name: str, text: str):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return _write


def test_clean_file_exits_0(write, capsys):
    path = write("tickets.csv", TICKETS)
    assert main(["validate", "--kind", "tickets", path, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: 3 tickets rows,")
    assert ": PASS" in out


def test_defects_exit_1_listing_each_failure_with_count_and_examples(write, capsys, tmp_path):
    path = write("bad.csv", BAD)
    evidence = tmp_path / "out" / "failing.csv"
    assert main(["validate", "--kind", "tickets", path, "--quiet", "--evidence", str(evidence)]) == 1
    out = capsys.readouterr().out
    assert "FAIL (2 blocking and 1 warning expectation(s) failed)" in out
    # row 5 is A4 (header is row 1); A5 was resolved an hour before it was created (row 6)
    assert "  FAIL tickets.status.allowed: 1 row(s) (20 %); expected 'status' is one of" in out
    assert "e.g. row 5, ticket_id=A4, status=wip" in out
    assert "  FAIL tickets.resolution_after_creation: 1 row(s)" in out
    assert (
        "row 6, ticket_id=A5, resolved_at=2026-07-05T06:00:00+00:00, created_at=2026-07-05T07:00:00+00:00"
        in out
    )
    # 1 of 5 tickets without department = 20 % > 2 %
    assert "  WARN tickets.department.missing: 1 row(s) (20 %)" in out
    lines = evidence.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("row,failed,ticket_id,")
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["5", "tickets.status.allowed", "A4"],
        ["6", "tickets.resolution_after_creation", "A5"],
    ]


def test_a_warning_alone_is_not_clean_and_thresholds_relax_it(write, capsys, tmp_path):
    path = write("warn.csv", TICKETS + "A4,2026-07-04T09:00:00+02:00,open,P2,,\n")
    assert main(["validate", "--kind", "tickets", path, "--quiet"]) == 1  # 1 of 4 without department: 25 %
    assert "WARNING" in capsys.readouterr().out
    assert (
        main(
            [
                "validate",
                "--kind",
                "tickets",
                path,
                "--quiet",
                "--threshold",
                "tickets.department_missing_max=30%",
            ]
        )
        == 0
    )
    config = write(
        "audit.yaml",
        "name: acme\nsources: {}\nvalidation:\n  thresholds:\n    tickets.department_missing_max: 0.25\n",
    )
    assert main(["validate", "--kind", "tickets", path, "--quiet", "--config", config]) == 0
    # the command line wins over the config
    assert (
        main(
            [
                "validate",
                "--kind",
                "tickets",
                path,
                "--quiet",
                "--config",
                config,
                "--threshold",
                "tickets.department_missing_max=0.1",
            ]
        )
        == 1
    )


def test_json_output_is_data_quality_json(write, capsys):
    path = write("bad.csv", BAD)
    assert main(["validate", "--kind", "tickets", path, "--quiet", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "fail"
    (dataset,) = report["datasets"]
    assert dataset["kind"] == "tickets" and dataset["rows"] == 5
    failed = {e["id"]: e["unexpected_count"] for e in dataset["expectations"] if not e["success"]}
    assert failed == {
        "tickets.status.allowed": 1,
        "tickets.resolution_after_creation": 1,
        "tickets.department.missing": 1,
    }


def test_cross_checks_use_the_reference_files(write, capsys):
    licences = write("licences.csv", "tool,seats,cost_per_seat_month,currency\ncrm,10,5,EUR\n")
    assignments = write(
        "assignments.csv",
        "tool,user,assigned_at\ncrm,u1,2026-01-01T00:00:00Z\nzoom,u2,2026-01-01T00:00:00Z\n",
    )
    assert main(["validate", "--kind", "assignments", assignments, "--quiet"]) == 0  # nothing to compare with
    assert main(["validate", "--kind", "assignments", assignments, "--quiet", "--licences", licences]) == 1
    assert "FAIL assignments.tool_in_inventory: 1 row(s) (50 %)" in capsys.readouterr().out


def test_usage_errors_exit_2_and_refused_files_exit_1(write, capsys):
    path = write("tickets.csv", TICKETS)
    assert main(["validate", "--kind", "tickets", path, "--threshold", "nope=1"]) == 2
    assert "unknown validation threshold 'nope'" in capsys.readouterr().err
    assert main(["validate", "--kind", "tickets", path, "--threshold", "tickets.department_missing_max"]) == 2
    naive = write("naive.csv", "ticket_id,created_at,status\nA1,2026-07-01 09:00,open\n")
    assert main(["validate", "--kind", "tickets", naive, "--quiet"]) == 1
    assert "--timezone" in capsys.readouterr().err
    assert main(["validate", "--kind", "tickets", naive, "--quiet", "--timezone", "Europe/Paris"]) == 0
    assert main(["validate", "--kind", "tickets", str(write("x.csv", "id\n1\n")), "--quiet"]) == 1
    assert "missing required column" in capsys.readouterr().err


def test_commands_that_do_not_validate_never_import_great_expectations():
    code = (
        "import sys; from auditbridge.cli import build_parser; build_parser(); "
        "import tasks.validate.api, tasks.validate.evidence, tasks.validate.suites; "
        "print('great_expectations' in sys.modules, 'prefect' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
