"""Failing rows as CSV for the run's output, and a plain summary of a data-quality verdict.

A person fixing an export needs the rows themselves, where they are in the file and what they broke: each
evidence row starts with `row` (as a spreadsheet user counts it, header = row 1) and `failed` (the ids of the
expectations it fails, `;`-separated), followed by the row's columns. Row numbers are the positions in the
validated frame, which are the file's rows when the frame is one file as read. Free-text columns (`title`) are
left out: evidence files are published with the run, and free text may name people (CONTRACTS section 6);
the row number and the id are enough to find the row in the export.

File names in the run's output:
- `evidence/<kind>.csv`: rows failing any row-level expectation (blocking and warning), written when a run is
  refused and whenever something was flagged;
- `quarantine/<kind>.csv`: the rows set aside by `validation.on_row_error: quarantine`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from auditbridge.datasets import to_output
from tasks.validate.api import HEADER_ROWS, ValidationReport

FREE_TEXT = ("title",)  # never copied into evidence (see the module docstring)


def failing_rows(df: pd.DataFrame, report: ValidationReport, *, blocking_only: bool = False) -> pd.DataFrame:
    """The rows of `df` (the frame `report` was made from) that fail row-level expectations, annotated."""
    outcomes = [o for o in report.failed if o.row_level and (o.severity == "blocking" or not blocking_only)]
    failed = report.failures_by_position(outcomes)
    columns = [c for c in df.columns if c not in FREE_TEXT]
    if failed.empty:
        return pd.DataFrame(columns=["row", "failed", *columns])
    positions = failed.index.to_numpy()
    rows = df.iloc[positions][columns].reset_index(drop=True)
    head = pd.DataFrame({"row": positions + HEADER_ROWS + 1, "failed": failed.to_numpy()})
    return pd.concat([head, rows], axis=1)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with the canonical timestamp format (ISO 8601 with offset), like the canonical files."""
    return to_output(frame).to_csv(index=False).encode("utf-8")


def evidence_files(
    frames: Mapping[str, pd.DataFrame], reports: list[ValidationReport], *, quarantined: bool = False
) -> dict[str, bytes]:
    """`evidence/<kind>.csv` (or `quarantine/<kind>.csv`) for every dataset with failing rows.

    `frames` are the validated frames by kind, before any quarantine.
    """
    folder = "quarantine" if quarantined else "evidence"
    out: dict[str, bytes] = {}
    for report in reports:
        rows = failing_rows(frames[report.kind], report, blocking_only=quarantined)
        if len(rows):
            out[f"{folder}/{report.kind}.csv"] = to_csv_bytes(rows)
    return out


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _result(expectation: dict) -> str:
    if expectation["success"]:
        return "pass"
    if expectation.get("quarantined"):
        return "quarantined"
    return "FAIL" if expectation["severity"] == "blocking" else "warning"


def table_rows(data_quality: dict) -> list[dict]:
    """One row per expectation and dataset, for a Prefect table artifact."""
    rows = []
    for ds in data_quality["datasets"]:
        for e in ds["expectations"]:
            rows.append(
                {
                    "dataset": ds["kind"],
                    "expectation": e["id"],
                    "severity": e["severity"],
                    "result": _result(e),
                    "failing rows": "" if e["unexpected_count"] is None else e["unexpected_count"],
                    "percent": "" if e["unexpected_percent"] is None else e["unexpected_percent"],
                }
            )
    return rows


def markdown(data_quality: dict) -> str:
    """The verdict and every failed expectation with its count and first examples (Markdown)."""
    lines = [f"# Data quality: {data_quality['verdict'].upper()}", ""]
    lines += ["| dataset | rows | quarantined | verdict |", "|---|---:|---:|---|"]
    for ds in data_quality["datasets"]:
        lines.append(f"| {_cell(ds['kind'])} | {ds['rows']} | {ds['quarantined']} | {ds['verdict']} |")
    failed = [
        (ds["kind"], e) for ds in data_quality["datasets"] for e in ds["expectations"] if not e["success"]
    ]
    if failed:
        lines += [
            "",
            "| dataset | expectation | severity | failing | expected | examples |",
            "|---|---|---|---:|---|---|",
        ]
        for kind, e in failed:
            count = "" if e["unexpected_count"] is None else e["unexpected_count"]
            examples = "; ".join(", ".join(f"{k}={v}" for k, v in ex.items()) for ex in e["examples"][:3])
            severity = e["severity"] + (" (quarantined)" if e.get("quarantined") else "")
            lines.append(
                f"| {_cell(kind)} | {_cell(e['id'])} | {severity} | {count} | {_cell(e['description'])} "
                f"| {_cell(examples)} |"
            )
    return "\n".join(lines) + "\n"
