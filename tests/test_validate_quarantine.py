"""Quarantine, evidence, data-quality.json and the refusal that stops a run."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from auditbridge.datasets import read_canonical
from auditbridge.errors import DataError
from tasks.validate.api import data_quality, quarantine, refusal, validate
from tasks.validate.evidence import evidence_files, failing_rows, markdown, table_rows

AS_OF = "2026-11-27T12:00:00Z"


def _tickets(n: int) -> pd.DataFrame:
    """n valid tickets, one an hour from 1 July 2026, all open, in IT."""
    return pd.DataFrame(
        {
            "ticket_id": pd.Series([f"T{i}" for i in range(n)], dtype="string"),
            "created_at": pd.Timestamp("2026-07-01T00:00:00Z") + pd.to_timedelta(np.arange(n), unit="h"),
            "status": pd.Series(["open"] * n, dtype="string"),
            "department": pd.Series(["IT"] * n, dtype="string"),
        }
    )


@pytest.fixture(scope="module")
def big():
    """1,000 tickets of which every 40th from the 5th (positions 5, 45, ..., 965: 25 rows) has an unknown status,
    more than the 20 examples GX returns in its first pass, so the failing rows come from the COMPLETE pass;
    ticket T3 (position 3) appears twice (the copy is the last row), and one ticket has no department
    (warning only: 1 of 1,001 is under 2 %)."""
    df = _tickets(1000)
    bad = np.arange(5, 1000, 40)
    df.loc[bad, "status"] = "wip"
    df.loc[7, "department"] = pd.NA
    df = pd.concat([df, df.iloc[[3]]], ignore_index=True)
    return df, bad


@pytest.fixture(scope="module")
def big_report(big):
    df, _ = big
    return validate("tickets", df, as_of=AS_OF, source="big.csv")


def test_every_failing_row_is_found_past_the_first_examples(big, big_report):
    df, bad = big
    status = next(o for o in big_report.outcomes if o.id == "tickets.status.allowed")
    assert status.unexpected_count == 25
    assert sorted(status.positions.tolist()) == bad.tolist()
    assert len(status.examples) == 5
    # rows failing blocking row-level expectations: the 25 statuses and both copies of T3 (positions 3 and 1000)
    assert sorted(big_report.rows_failed.tolist()) == sorted([*bad.tolist(), 3, 1000])
    assert big_report.verdict == "fail"


def test_quarantine_sets_failing_rows_aside_and_the_run_goes_on(big, big_report):
    df, bad = big
    result = quarantine(df, big_report)
    # 27 of 1,001 rows = 2.7 %, under the default 5 % limit
    assert len(result.quarantined) == 27
    assert len(result.clean) == 1001 - 27
    assert not result.clean["status"].eq("wip").any()
    assert "T3" not in set(result.clean["ticket_id"])  # both copies: we cannot know which one is right
    assert result.report.quarantined == 27
    assert result.report.verdict == "warning"
    assert result.report.blocking_failed == []
    kept = {o.id: o.quarantined for o in result.report.failed}
    assert kept == {"tickets.ticket_id.unique": True, "tickets.status.allowed": True}


def test_quarantine_beyond_the_limit_still_refuses(big, big_report):
    df, _ = big
    strict = validate("tickets", df, as_of=AS_OF, thresholds={"tickets.quarantine_max": 0.02})
    result = quarantine(df, strict)
    assert result.report.verdict == "fail"
    assert "tickets.quarantine" in result.report.blocking_failed
    assert len(result.quarantined) == 0 and len(result.clean) == len(df)


def test_evidence_csv_lists_the_failing_rows_with_their_file_row_and_reasons(big, big_report):
    df, bad = big
    rows = failing_rows(df, big_report)
    assert rows.columns[:2].tolist() == ["row", "failed"]
    # spreadsheet rows: position + 2 (header is row 1)
    assert rows["row"].tolist() == sorted([*(bad + 2).tolist(), 5, 1002])
    assert rows.loc[rows["row"] == 7, "failed"].item() == "tickets.status.allowed"
    assert rows.loc[rows["row"] == 5, "failed"].item() == "tickets.ticket_id.unique"
    files = evidence_files({"tickets": df}, [big_report])
    assert list(files) == ["evidence/tickets.csv"]
    back = pd.read_csv(io.BytesIO(files["evidence/tickets.csv"]), dtype=str)
    assert len(back) == 27
    assert back.loc[0, "created_at"] == "2026-07-01T03:00:00+00:00"  # canonical timestamp format, row 5 = T3
    quarantined = evidence_files({"tickets": df}, [big_report], quarantined=True)
    assert list(quarantined) == ["quarantine/tickets.csv"]


def test_data_quality_json_has_the_documented_shape_and_the_worst_verdict(tmp_path, big, big_report):
    df, _ = big
    clean = validate("tickets", _tickets(10), as_of=AS_OF, source="clean.csv")
    dq = data_quality([clean, big_report], {"tickets": 0})
    json.dumps(dq)  # serialisable as it is
    assert dq["verdict"] == "fail"
    assert [d["verdict"] for d in dq["datasets"]] == ["pass", "fail"]
    entry = dq["datasets"][1]
    assert {"kind", "source", "rows", "quarantined", "verdict", "expectations"} <= set(entry)
    assert entry["rows"] == 1001 and entry["source"] == "big.csv"
    status = next(e for e in entry["expectations"] if e["id"] == "tickets.status.allowed")
    assert {
        "id",
        "description",
        "severity",
        "success",
        "unexpected_count",
        "unexpected_percent",
        "examples",
    } <= set(status)
    assert status["unexpected_count"] == 25
    assert status["unexpected_percent"] == pytest.approx(25 / 1001 * 100, abs=1e-3)
    assert status["examples"][0] == {"row": 7, "ticket_id": "T5", "status": "wip"}

    after = quarantine(df, big_report).report
    dq = data_quality([clean, after])
    assert dq["verdict"] == "warning"
    assert dq["datasets"][1]["quarantined"] == 27
    # rows ingestion already set aside add up, and make a clean dataset a warning
    ingested = data_quality([clean, after], {"tickets": 3})
    assert [d["quarantined"] for d in ingested["datasets"]] == [3, 30]
    assert [d["verdict"] for d in ingested["datasets"]] == ["warning", "warning"]
    md = markdown(dq)
    assert "# Data quality: WARNING" in md and "tickets.status.allowed" in md and "(quarantined)" in md
    # the one ticket without department (0.1 %) is under the 2 % threshold: no warning
    assert {r["result"] for r in table_rows(dq)} == {"pass", "quarantined"}
    assert {r["result"] for r in table_rows(data_quality([big_report]))} == {"pass", "FAIL"}


def test_refusal_names_each_blocking_failure_with_a_row(big_report):
    error = refusal([big_report])
    assert isinstance(error, DataError)
    text = str(error)
    assert "big.csv, row 7: [tickets.status.allowed] 25 row(s) fail" in text
    assert "[tickets.ticket_id.unique] 2 row(s) fail" in text
    assert "department" not in text  # a warning does not refuse
    assert refusal([validate("tickets", _tickets(5), as_of=AS_OF)]) is None


def test_evidence_leaves_free_text_out():
    df = _tickets(30).assign(title=pd.Series([f"Printer of Jane Doe {i}" for i in range(30)], dtype="string"))
    df.loc[2, "status"] = "wip"
    rows = failing_rows(df, validate("tickets", df, as_of=AS_OF))
    assert rows.columns.tolist() == ["row", "failed", "ticket_id", "created_at", "status", "department"]
    assert rows["row"].tolist() == [4]


def test_quarantine_of_a_file_as_read_keeps_its_rows(tmp_path):
    path = tmp_path / "licences.csv"
    path.write_text(
        "tool,seats,cost_per_seat_month,currency\ncrm,10,5,EUR\nzoom,-1,5,EUR\n"
        + "".join(f"tool{i},1,1,EUR\n" for i in range(30)),
        encoding="utf-8",
    )
    df = read_canonical(path, "licences")
    result = quarantine(df, validate("licences", df, as_of=AS_OF))
    # 1 of 32 = 3.1 % <= 5 %: zoom (row 3) is set aside
    assert result.quarantined["tool"].tolist() == ["zoom"]
    assert result.report.verdict == "warning" and len(result.clean) == 31


def test_quarantine_works_by_position_when_the_index_repeats_labels():
    # two concatenated exports keep their own indexes: labels 0..19 appear twice
    df = pd.concat([_tickets(20), _tickets(40).iloc[20:].reset_index(drop=True)])
    df.iloc[25, df.columns.get_loc("status")] = "wip"  # second part, label 5, ticket T25
    result = quarantine(df, validate("tickets", df, as_of=AS_OF))
    assert result.quarantined["ticket_id"].tolist() == ["T25"]
    assert len(result.clean) == 39 and "T5" in set(result.clean["ticket_id"])
