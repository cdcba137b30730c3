"""`auditbridge sla` as users run it: outputs, exit codes, one readable message per problem, a light import path."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from auditbridge.cli import main

POLICY = """\
timezone: Europe/Paris
calendars:
  office:
    hours: {mon: ["09:00-12:30", "13:30-18:00"], tue: ["09:00-12:30", "13:30-18:00"], wed: ["09:00-12:30", "13:30-18:00"],
            thu: ["09:00-12:30", "13:30-18:00"], fri: ["09:00-12:30", "13:30-17:00"]}
    holidays: {country: FR}
goals:
  - {name: default, match: {}, calendar: office, first_response: 4h, resolution: 3d}
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "sla.yaml").write_text(POLICY, encoding="utf-8")
    pd.DataFrame(
        {
            "ticket_id": ["1", "2"],
            "created_at": ["2026-07-01T09:00:00+02:00", "2026-07-02T09:00:00+02:00"],
            "status": ["resolved", "open"],
            "resolved_at": ["2026-07-01T10:30:00+02:00", ""],
            "requester": ["u1", "u2"],
        }
    ).to_csv(tmp_path / "tickets.csv", index=False)
    return tmp_path


def args(folder, *extra):
    return [
        "sla",
        "--tickets",
        str(folder / "tickets.csv"),
        "--policy",
        str(folder / "sla.yaml"),
        "--period",
        "2026-07",
        "--as-of",
        "2026-07-03T12:00:00+02:00",
        "--out",
        str(folder / "out"),
        *extra,
    ]


def test_outputs_and_exit_zero(files, capsys):
    assert main(args(files, "--quiet")) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(files / "out" / "sla_tickets.csv"), str(files / "out" / "sla_summary.json")]
    out = pd.read_csv(files / "out" / "sla_tickets.csv", dtype="string", keep_default_na=False).set_index(
        "ticket_id"
    )
    assert out.loc["1", "requester"] == "u1"  # every input column is kept
    # ticket 1: Wed 09:00-10:30 = 1.5 h; ticket 2: Thu 8 h + Fri 09:00-12:00 3 h = 11 h, still open
    assert (out.loc["1", "resolution_elapsed_s"], out.loc["1", "resolution_state"]) == ("5400", "met")
    assert (out.loc["2", "resolution_elapsed_s"], out.loc["2", "resolution_state"]) == (
        "39600",
        "open_within",
    )
    summary = json.loads((files / "out" / "sla_summary.json").read_text(encoding="utf-8"))
    assert summary["as_of"] == "2026-07-03T12:00:00+02:00" and summary["period"]["label"] == "2026-07"
    assert summary["events_available"] is False and summary["pauses_unknown"] == 2


def test_policy_mistakes_exit_2_with_the_key_path(files, capsys):
    (files / "sla.yaml").write_text(
        POLICY.replace("09:00-12:30", "12:30-09:00", 1).replace("3d", "3 days"), encoding="utf-8"
    )
    assert main(args(files)) == 2
    err = capsys.readouterr().err
    assert "calendars.office.hours.mon[0]: range '12:30-09:00' ends before it starts" in err
    assert "goals[0].resolution: expected a duration" in err
    assert "Traceback" not in err


def test_naive_timestamps_need_a_timezone(files, capsys):
    pd.DataFrame({"ticket_id": ["1"], "created_at": ["2026-07-01 09:00:00"], "status": ["open"]}).to_csv(
        files / "tickets.csv", index=False
    )
    assert main(args(files)) == 1
    err = capsys.readouterr().err
    assert "row 2, column 'created_at'" in err and "--timezone" in err
    assert main(args(files, "--timezone", "Europe/Paris")) == 0
    out = pd.read_csv(files / "out" / "sla_tickets.csv", dtype="string")
    assert out.loc[0, "created_at"] == "2026-07-01T07:00:00Z"  # 09:00 in Paris, summer time


def test_duplicate_ids_and_unknown_statuses_are_refused_by_row(files, capsys):
    pd.DataFrame(
        {
            "ticket_id": ["1", "1", "2"],
            "created_at": ["2026-07-01T09:00:00Z"] * 3,
            "status": ["open", "open", "waiting"],
        }
    ).to_csv(files / "tickets.csv", index=False)
    assert main(args(files)) == 1
    err = capsys.readouterr().err
    assert "row 2, column 'ticket_id': ticket_id must be unique" in err
    assert "row 3, column 'ticket_id'" in err
    assert "row 4, column 'status': expected a normalised status" in err


def test_usage_errors_exit_2(files, capsys):
    assert main(args(files)[:-2] + ["--out", str(files / "out"), "--period", "2026-Q5"]) == 2
    assert "period '2026-Q5' not understood" in capsys.readouterr().err
    assert main(args(files, "--as-of", "yesterday")) == 2
    assert "--as-of 'yesterday'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["sla", "--help"])
    assert info.value.code == 0


def test_import_path_stays_light(files):
    """No Prefect, Great Expectations or boto3 when the command runs: process start stays small."""
    code = (
        "import sys; from auditbridge.cli import main; "
        f"rc = main({args(files, '--quiet')!r}); "
        "print(rc, sorted(m for m in ('prefect', 'great_expectations', 'boto3') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stderr


def test_bom_multiline_titles_and_malformed_files(files, capsys):
    """What real canonical CSVs contain: a BOM, a title over two lines; and a file with a stray field."""
    (files / "tickets.csv").write_bytes(
        "\ufeffticket_id,created_at,status,title\n"
        '1,2026-07-01T09:00:00+02:00,open,"printer\nbroken, again"\n'.encode()
    )
    assert main(args(files, "--quiet")) == 0
    out = pd.read_csv(files / "out" / "sla_tickets.csv", dtype="string")
    assert out.loc[0, "ticket_id"] == "1" and out.loc[0, "title"] == "printer\nbroken, again"
    (files / "tickets.csv").write_text(
        "ticket_id,created_at,status\n1,2026-07-01T09:00:00Z,open\n2,x\n", encoding="utf-8"
    )
    assert main(args(files)) == 1
    assert "row 3, column 'created_at'" in capsys.readouterr().err


def test_events_with_unknown_statuses_are_refused(files, capsys):
    pd.DataFrame(
        {
            "ticket_id": ["1", "1"],
            "at": ["2026-07-01T10:00:00+02:00", ""],
            "status": ["waiting for customer", "open"],
        }
    ).to_csv(files / "events.csv", index=False)
    assert main(args(files, "--events", str(files / "events.csv"))) == 1
    err = capsys.readouterr().err
    assert "events.csv, row 2, column 'status': expected a normalised status" in err
    assert "events.csv, row 3, column 'at': the time of the status change is required" in err
