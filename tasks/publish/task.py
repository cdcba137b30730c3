"""Prefect tasks around the publisher: I/O only, with retries and backoff on what a retry can cure.

Each task builds its own client (`clients.resolve_client`): boto3 clients are never passed between tasks or
threads. Retrying `publish` with the same run id is safe: objects already stored with the same SHA-256 are
kept, and the manifest is written only once every file is there. A refused key, a denied access or a run
already published with other files are not retried (`PublishError.transient` is False): the task fails at
once with that message, and so does the flow run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from auditbridge.config import PublishSettings
from auditbridge.errors import AuditError
from tasks.publish import publisher
from tasks.publish.clients import resolve_client
from tasks.publish.layout import parse_expiry

RETRY_DELAYS = [2, 5, 15]
# Per S3 call: 3 attempts of at most 15 s each (boto3 adaptive retries). With the task's 3 retries, a store
# that accepts connections but never answers fails the run after about 4 x 45 s + 22 s of backoff; a store
# that is down (connection refused) fails it in about half a minute.
CLIENT_TIMEOUT = 15
CLIENT_ATTEMPTS = 3


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a store that was down or slow; not a refused key, a denied access, a run already there, or a
    configuration or usage error (an AuditError without `transient`); unexpected errors get one more chance."""
    exc = state.data if isinstance(getattr(state, "data", None), BaseException) else None
    if exc is None:
        try:
            exc = state.result(raise_on_failure=False)
        except Exception:  # the state holds no readable result: let the retry happen
            return True
    if isinstance(exc, AuditError):
        return bool(getattr(exc, "transient", False))
    return True


@task(
    name="publish",
    task_run_name="publish {audit} {period}",
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
)
def publish(
    settings: PublishSettings,
    *,
    audit: str,
    period: str,
    run_id: str,
    files: Mapping[str, bytes],
    inputs: Iterable[Mapping[str, Any]] = (),
    code_version: str,
) -> publisher.PublishedRun:
    """Upload the run's files, then its manifest, latest.json and index.html (see `publisher.publish_run`)."""
    client, target = resolve_client(
        settings, role="publisher", timeout=CLIENT_TIMEOUT, attempts=CLIENT_ATTEMPTS
    )
    return publisher.publish_run(
        client,
        bucket=target.bucket,
        prefix=target.prefix,
        audit=audit,
        period=period,
        run_id=run_id,
        files=files,
        inputs=list(inputs),
        code_version=code_version,
        sse=target.sse,
    )


@task(
    name="read-previous-metrics",
    task_run_name="read metrics of {audit} {period}",
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
)
def read_previous_metrics(settings: PublishSettings, *, audit: str, period: str) -> dict[str, Any] | None:
    """metrics.json of `period`'s latest complete run (pass the previous period's label), or None."""
    client, target = resolve_client(settings, role="reader", timeout=CLIENT_TIMEOUT, attempts=CLIENT_ATTEMPTS)
    return publisher.read_latest_metrics(
        client, bucket=target.bucket, prefix=target.prefix, audit=audit, period=period
    )


@task(
    name="report-link",
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
)
def report_link(settings: PublishSettings, *, key: str, expires: str | int | None = None) -> str:
    """A presigned GET link to `key`, signed with the reader key when the embedded store is used."""
    client, target = resolve_client(settings, role="reader", timeout=CLIENT_TIMEOUT, attempts=CLIENT_ATTEMPTS)
    seconds = parse_expiry(expires if expires is not None else settings.presign_expiry)
    return publisher.presign(client, bucket=target.bucket, key=key, expires=seconds)


@task(name="write-local-copy", cache_policy=NO_CACHE)
def write_local_copy(
    files: Mapping[str, bytes], folder: str | Path, manifest: Mapping[str, Any] | None = None
) -> Path:
    """The run's files in a local folder, same layout as in the bucket."""
    return publisher.write_local_copy(files, folder, manifest=manifest)
