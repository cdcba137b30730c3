"""Prefect tasks of the ingestion stage: thin wrappers, the logic lives in `api`, `sources` and the formats.

Two steps because only one of them is worth retrying: fetching the inputs is I/O (an object store may be briefly
unavailable), so it retries with backoff, but only for store failures (`StorageError`) and only when an input is
an `s3://` prefix; reading the exports is a pure transform whose refusals (DataError) must fail at once.
Prefect is imported only here.

Reading is cached: the same bytes, read with the same options, the same pseudonymisation key and the same
ingestion code give the same canonical frames, so a second audit of the same exports (another period, the
previous quarter the demo publishes first, a retried run) skips it. The key is computed from SHA-256 digests
(`ingest_cache_key`), not by hashing the frames; the cached result is already pseudonymised and is stored in
Prefect's local result storage under the state folder, beside the local report copies.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

import auditbridge
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


# Fetched exports carry personal data until pseudonymised: never persisted nor hashed by Prefect.
_NO_STATE = {"persist_result": False, "cache_policy": NO_CACHE}
_CODE = (Path(__file__).parent, Path(auditbridge.__file__).parent)


@functools.cache
def _code_digest() -> bytes:
    """The ingestion code and the shared pieces it uses: a changed reader invalidates the cache."""
    h = hashlib.sha256()
    for folder in _CODE:
        for path in sorted(folder.rglob("*.py")):
            h.update(path.read_bytes())
    return h.digest()


def ingest_cache_key(context: Any, parameters: dict[str, Any]) -> str:
    """Digest of the files' bytes, the reading options, the pseudonymisation key (keyed, never stored) and the code."""
    h = hashlib.sha256(_code_digest())
    for f in parameters["files"]:
        h.update(f.name.encode())
        h.update(hashlib.sha256(f.data).digest())
    options = {k: parameters.get(k) for k in ("fmt", "kind", "timezone", "on_row_error", "mapping", "tool")}
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    h.update(hmac.new(parameters["pseudonym_key"], b"auditbridge ingest cache", hashlib.sha256).digest())
    return "ingest-" + h.hexdigest()


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


@task(name="ingest", cache_key_fn=ingest_cache_key, cache_expiration=timedelta(days=30), persist_result=True)
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
