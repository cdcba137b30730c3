"""The Prefect task wrappers: retried only when a retry can help, and wired to the settings."""

from __future__ import annotations

import json

import pytest

from auditbridge.config import PublishSettings
from auditbridge.errors import UsageError
from tasks.publish.failures import PublishError


def test_retry_only_transient_failures():
    from prefect.states import Failed

    from tasks.publish.task import retry_if_transient

    assert retry_if_transient(None, None, Failed(data=PublishError("store down", transient=True))) is True
    assert retry_if_transient(None, None, Failed(data=PublishError("key refused", transient=False))) is False
    # nothing configured, or a bad setting: waiting will not fix it
    assert retry_if_transient(None, None, Failed(data=UsageError("no object store configured"))) is False
    # an unexpected error (a bug, a botocore surprise) gets the benefit of the doubt
    assert retry_if_transient(None, None, Failed(data=RuntimeError("boom"))) is True


def test_publish_task_declares_retries_with_backoff():
    from tasks.publish.task import publish, read_previous_metrics

    for task in (publish, read_previous_metrics):
        assert task.retries == 3
        assert task.retry_delay_seconds == [2, 5, 15]


@pytest.mark.integration
def test_publish_task_body_publishes_with_the_configured_store(store_info, s3_prefix, monkeypatch, tmp_path):
    from tasks.publish.task import publish, read_previous_metrics, report_link

    for key, value in store_info.env("publisher").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = PublishSettings(prefix=s3_prefix, server_side_encryption="none")
    files = {"report.html": b"<html>task</html>", "metrics.json": b'{"figure": 42}'}
    published = publish.fn(
        settings,
        audit="acme",
        period="2026-Q2",
        run_id="20260701T060000Z-abcdef",
        files=files,
        code_version="0.1.0",
    )
    assert published.uri == f"s3://{store_info.bucket}/{s3_prefix}/acme/2026-Q2/20260701T060000Z-abcdef/"
    # server_side_encryption: none in the settings reaches the store as "no SSE requested"
    assert published.manifest["storage"]["server_side_encryption_requested"] is None
    assert read_previous_metrics.fn(settings, audit="acme", period="2026-Q2") == json.loads(
        files["metrics.json"]
    )
    assert read_previous_metrics.fn(settings, audit="acme", period="2026-Q1") is None
    link = report_link.fn(settings, key=published.report_key, expires="2h")
    assert "X-Amz-Expires=7200" in link
