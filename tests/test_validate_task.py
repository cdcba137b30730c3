"""The Prefect wrappers: quarantine on demand, evidence files, and the data-quality verdict left as artifacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

AS_OF = "2026-11-27T12:00:00Z"


def _tickets(n: int, bad: list[int]) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "ticket_id": pd.Series([f"T{i}" for i in range(n)], dtype="string"),
            "created_at": pd.Timestamp("2026-07-01T00:00:00Z") + pd.to_timedelta(np.arange(n), unit="h"),
            "status": pd.Series(["open"] * n, dtype="string"),
        }
    )
    df.loc[bad, "status"] = "wip"
    return df


def test_task_body_refuses_or_quarantines_as_configured():
    from tasks.validate.task import validate_dataset

    df = _tickets(40, [4])
    refused = validate_dataset.fn("tickets", df, as_of=AS_OF, source="t.csv")
    assert refused.report.verdict == "fail"
    assert len(refused.data) == 40 and len(refused.quarantined) == 0
    assert list(refused.files) == ["evidence/tickets.csv"]

    kept = validate_dataset.fn("tickets", df, as_of=AS_OF, source="t.csv", on_row_error="quarantine")
    # 1 of 40 = 2.5 % <= 5 %: the wip ticket (position 4, row 6) is set aside
    assert kept.report.verdict == "warning"
    assert kept.quarantined["ticket_id"].tolist() == ["T4"]
    assert len(kept.data) == 39
    assert sorted(kept.files) == ["evidence/tickets.csv", "quarantine/tickets.csv"]
    assert (
        kept.files["quarantine/tickets.csv"]
        .decode()
        .splitlines()[1]
        .startswith("6,tickets.status.allowed,T4,")
    )


def test_tasks_declare_no_retries():
    from tasks.validate.task import record_data_quality, validate_dataset

    assert validate_dataset.retries == 0 and record_data_quality.retries == 0


@pytest.mark.integration
def test_flow_run_leaves_the_verdict_as_artifacts():
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.context import get_run_context

    from tasks.validate.task import record_data_quality, validate_dataset

    @flow(name="validate-artifacts-test")
    def check() -> tuple[str, dict]:
        done = validate_dataset(
            "tickets", _tickets(40, [4]), as_of=AS_OF, source="t.csv", on_row_error="quarantine"
        )
        return str(get_run_context().flow_run.id), record_data_quality([done.report])

    run_id, data_quality = check()
    assert data_quality["verdict"] == "warning"
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    by_key = {a.key: a for a in artifacts}
    assert by_key["data-quality"].type == "markdown"
    assert "# Data quality: WARNING" in by_key["data-quality"].data
    assert by_key["data-quality-expectations"].type == "table"
    assert "tickets.status.allowed" in str(by_key["data-quality-expectations"].data)
