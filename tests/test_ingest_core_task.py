"""The Prefect wrappers of ingestion: fetching retries on store failures only; reading never retries."""

from __future__ import annotations

import pytest
from prefect.states import Failed

from auditbridge.errors import DataError, StorageError, UsageError
from auditbridge.s3 import make_client
from tasks.ingest import sources
from tasks.ingest.task import _store_failure, fetch_inputs, read_exports


def test_retry_policy_is_on_fetching_and_only_for_store_failures():
    assert fetch_inputs.retries == 3 and fetch_inputs.retry_condition_fn is _store_failure
    assert read_exports.retries == 0
    assert _store_failure(fetch_inputs, None, Failed(data=StorageError("store down"))) is True
    assert _store_failure(fetch_inputs, None, Failed(data=UsageError("no such file"))) is False
    assert _store_failure(fetch_inputs, None, Failed(data=DataError([]))) is False


def test_a_dead_store_is_a_storage_error(tmp_path):
    client = make_client("http://127.0.0.1:9", "k", "s", attempts=1, timeout=2)  # nothing listens on port 9
    with pytest.raises(StorageError, match="s3://bucket/prefix"):
        sources.fetch(["s3://bucket/prefix"], s3_client=client)


def test_read_exports_runs_the_api(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,created_at,status\nT1,2026-07-01T09:00:00+02:00,open\n")
    files = sources.fetch([str(path)])
    result = read_exports.fn(files, "generic", pseudonym_key=b"k")
    assert result.datasets["tickets"]["ticket_id"].tolist() == ["T1"]
