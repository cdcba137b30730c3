"""Prefect tasks of the validation stage: thin wrappers over `api`, plus the data-quality artifacts.

No retries: validation is a pure transform, a second try gives the same verdict. The flow calls
`validate_dataset` per dataset (reference datasets first), then `record_data_quality` once, then stops before
publishing when `api.refusal(reports)` returns an error (after writing `evidence` files to the run's output).
Prefect is imported only here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from tasks.validate import api, evidence


@dataclass(frozen=True)
class ValidatedDataset:
    """A dataset after validation: the report, the rows to use, the rows set aside and their files."""

    report: api.ValidationReport
    data: pd.DataFrame  # the rows the audit may use (all of them unless quarantined)
    quarantined: pd.DataFrame
    files: dict[str, bytes] = field(default_factory=dict)  # evidence/<kind>.csv, quarantine/<kind>.csv


@task(name="validate", task_run_name="validate {kind}")
def validate_dataset(
    kind: str,
    df: pd.DataFrame,
    *,
    thresholds: Mapping[str, float] | None = None,
    as_of: datetime | None = None,
    reference: Mapping[str, pd.DataFrame] | None = None,
    source: str = "",
    on_row_error: str = "refuse",
) -> ValidatedDataset:
    """Run the suite; with `on_row_error="quarantine"` set failing rows aside instead of refusing the file."""
    report = api.validate(kind, df, thresholds=thresholds, as_of=as_of, reference=reference, source=source)
    files = evidence.evidence_files({kind: df}, [report])
    if on_row_error == "quarantine":
        result = api.quarantine(df, report)
        if result.report.quarantined:
            files.update(evidence.evidence_files({kind: df}, [report], quarantined=True))
        return ValidatedDataset(result.report, result.clean, result.quarantined, files)
    return ValidatedDataset(report, df, df.iloc[:0], files)


@task(name="data-quality")
def record_data_quality(
    reports: list[api.ValidationReport], quarantined_counts: Mapping[str, int] | None = None
) -> dict:
    """`data-quality.json` of the run, also left in Prefect as a table and a Markdown verdict."""
    data_quality = api.data_quality(reports, quarantined_counts)
    create_table_artifact(
        key="data-quality-expectations",
        table=evidence.table_rows(data_quality),
        description=f"Data-quality verdict: {data_quality['verdict']}",
    )
    create_markdown_artifact(
        key="data-quality",
        markdown=evidence.markdown(data_quality),
        description=f"Data-quality verdict: {data_quality['verdict']}",
    )
    return data_quality
