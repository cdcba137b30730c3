"""Prefect tasks of the ingestion stage: thin wrappers, the logic lives in `api`, `sources` and the formats.

Two steps because only one of them is worth retrying: fetching the inputs is I/O (an object store may be briefly
unavailable), so it retries with backoff, but only for store failures (`StorageError`) and only when an input is
an `s3://` prefix; reading the exports is a pure transform whose refusals (DataError) must fail at once.
Prefect is imported only here.
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from auditbridge.errors import StorageError
from tasks.ingest import api, sources


def _store_failure(task_, task_run, state) -> bool:
    """Retry only when the object store failed, never for a refused or missing input."""
    exc = state.data if isinstance(getattr(state, "data", None), BaseException) else None
    if exc is None:
        try:
            state.result(raise_on_failure=True)
        except BaseException as raised:  # the task's own exception, re-raised by Prefect
            exc = raised
    return isinstance(exc, StorageError)


# Inputs are whole files and outputs whole frames: never hashed into cache keys nor persisted as results
# (exports carry personal data until pseudonymised, and hashing hundreds of MB per call would cost seconds).
_NO_STATE = {"persist_result": False, "cache_policy": NO_CACHE}


@task(
    name="fetch-inputs",
    retries=3,
    retry_delay_seconds=[2, 5, 15],
    retry_condition_fn=_store_failure,
    **_NO_STATE,
)
def fetch_inputs(inputs: list[str]) -> list[sources.InputFile]:
    """The files named by paths, globs or `s3://` prefixes (retried on store failures only)."""
    return sources.fetch(inputs)


@task(name="ingest", **_NO_STATE)
def read_exports(
    files: list[sources.InputFile],
    fmt: str = "auto",
    *,
    kind: str | None = None,
    timezone: str | None = None,
    pseudonym_key: bytes,
    on_row_error: str = "refuse",
    mapping: Any = None,
    tool: str | None = None,
) -> api.IngestResult:
    """Exports -> canonical frames (no retries: a refusal does not change on a second try)."""
    return api.ingest_files(
        files,
        fmt,
        kind=kind,
        timezone=timezone,
        pseudonym_key=pseudonym_key,
        on_row_error=on_row_error,
        mapping=mapping,
        tool=tool,
    )


def ingest_source(inputs: list[str], fmt: str = "auto", **options: Any) -> api.IngestResult:
    """Fetch then read, for use inside a flow; local inputs skip the retrying wrapper's delays entirely."""
    files = fetch_inputs(inputs) if any(sources.is_s3(i) for i in inputs) else sources.fetch(inputs)
    return read_exports(files, fmt, **options)
