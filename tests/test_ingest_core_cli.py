"""`auditbridge ingest` end to end in-process: exit codes, one message per problem and no traceback, the files it
writes (UTC offsets in CSV, several datasets, quarantine)."""

from __future__ import annotations

import pandas as pd
import pytest

from auditbridge.cli import main

EVENTS = (
    "number,incident_state,sys_mod_count,sys_updated_at,opened_at,priority,caller_id,assigned_to\n"
    "INC1,New,0,01-02-2026 09:00,01-02-2026 09:00,2 - High,Ann Lee,\n"
    "INC1,Active,1,01-02-2026 09:30,01-02-2026 09:00,2 - High,Ann Lee,Bo Chan\n"
    "INC1,Active,2,01-02-2026 10:00,01-02-2026 09:00,2 - High,Ann Lee,Bo Chan\n"
    "INC1,Resolved,3,13-02-2026 11:00,01-02-2026 09:00,2 - High,Ann Lee,Bo Chan\n"
    "INC2,New,0,02-02-2026 08:00,02-02-2026 08:00,4 - Low,Cy Dee,\n"
)


def test_writes_several_datasets_with_utc_offsets(tmp_path, capsys):
    src = tmp_path / "events.csv"
    src.write_text(EVENTS)
    out = tmp_path / "out" / "sn.csv"
    code = main(["ingest", str(src), "--out", str(out), "--timezone", "UTC"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "format: servicenow-events" in printed.out
    assert "tickets: 2 row(s)" in printed.out and "ticket_events: 4 row(s)" in printed.out
    tickets = pd.read_csv(out, dtype=str)
    events = pd.read_csv(tmp_path / "out" / "sn.ticket_events.csv", dtype=str)
    # INC1: New -> Active -> (Active again, not a change) -> Resolved = 3 events; INC2: 1 event
    assert events["status"].tolist() == ["new", "open", "resolved", "new"]
    assert events["at"].tolist()[2] == "2026-02-13T11:00:00+00:00"  # day-first: 13 cannot be a month
    assert tickets.set_index("ticket_id").loc["INC1", "status"] == "resolved"
    assert tickets["requester"].str.startswith("p_").all() and "Ann Lee" not in out.read_text()


def test_refusal_exit_1_one_line_per_problem_no_traceback(tmp_path, capsys):
    src = tmp_path / "bad.csv"
    src.write_text(EVENTS.replace("13-02-2026 11:00", "31-02-2026 11:00").replace("Resolved", "Someday"))
    code = main(["ingest", str(src), "--out", str(tmp_path / "x.csv"), "--timezone", "UTC"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert any("bad.csv, row 5, column 'sys_updated_at': impossible date" in line for line in lines)
    assert any(
        "bad.csv, row 5, column 'incident_state': unknown status" in line and "Someday" in line
        for line in lines
    )
    assert not (tmp_path / "x.csv").exists()


def test_quarantine_writes_the_set_aside_rows(tmp_path, capsys):
    src = tmp_path / "fd.csv"
    src.write_text(
        "Ticket ID,Subject,Status,Priority,Created time,Full name\n"
        "1,a,Open,Low,2026-02-01 10:00:00,Ann\n2,b,OpenPending,Low,2026-02-01 10:00:00,Bo\n"
    )
    out = tmp_path / "fd.parquet"
    code = main(
        [
            "ingest",
            "--format",
            "freshdesk",
            str(src),
            "--out",
            str(out),
            "--timezone",
            "UTC",
            "--on-row-error",
            "quarantine",
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert len(pd.read_parquet(out)) == 1
    q = pd.read_csv(tmp_path / "fd.quarantined.tickets.csv", dtype=str)
    assert q["_row"].tolist() == ["3"] and "OpenPending" in q.loc[0, "_problem"]
    assert q.loc[0, "requester"].startswith("p_")


@pytest.mark.parametrize(
    "argv",
    [
        ["ingest", "IN", "--out", "x.txt"],
        ["ingest", "IN", "--out", "x.csv", "--format", "nope"],
        ["ingest", "IN", "--out", "x.csv", "--on-row-error", "skip"],
    ],
)
def test_usage_errors_exit_2(tmp_path, capsys, argv):
    (tmp_path / "in.csv").write_text(EVENTS)
    argv = [a.replace("IN", str(tmp_path / "in.csv")).replace("x.", str(tmp_path / "x.")) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses bad choices itself, with exit 2
        code = exc.code
    assert code == 2 and "Traceback" not in capsys.readouterr().err


def test_naive_times_without_timezone_name_the_option(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text(EVENTS)
    assert main(["ingest", str(src), "--out", str(tmp_path / "o.csv")]) == 1
    assert "--timezone" in capsys.readouterr().err


def test_help_names_every_registered_format():
    from auditbridge.commands.ingest import FORMAT_NAMES
    from tasks.ingest.base import registry

    assert set(FORMAT_NAMES) == {"auto", *registry()}
