"""Atomic publication of a run to S3-compatible storage, and its verified retrieval (CONTRACTS section 7).

A run becomes visible in one step: its files are uploaded first (conditional writes, so nothing is ever
replaced), then `manifest.json`, then the pointers (`latest.json`, `index.html`). Readers only consider run
folders that hold a manifest, so a publication cut short (store killed, key refused, network gone) leaves
files nobody lists, and the next run publishes into a new folder. The pointers are rebuilt from the listing
of complete runs and swapped with compare-and-swap writes (`If-Match`), so two publications racing cannot
make `latest.json` go backwards.

Every function takes the boto3 client as its first argument (one client per run: see `clients.py`) and
raises `PublishError` (a `StorageError`, exit 1) with one sentence naming the object and the cause.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditbridge.errors import UsageError
from tasks.publish.failures import NotPublished, PublishError, describe, error_code
from tasks.publish.index import index_context, render_index
from tasks.publish.layout import (
    IMMUTABLE_CACHE,
    MANIFEST,
    METRICS,
    POINTER_CACHE,
    REPORT,
    RUN_ID_RE,
    RunKey,
    check_relpath,
    check_segment,
    join,
    parse_key,
    period_sort_key,
)
from tasks.publish.manifest import build_manifest, file_entries, sha256_b64, sha256_hex, verify

# What a store answers when it does not do server-side encryption (MinIO without KMS: NotImplemented; AWS
# and others: InvalidArgument / InvalidEncryptionAlgorithmError). We then publish without it and say so.
_SSE_REFUSED = {"NotImplemented", "InvalidArgument", "InvalidEncryptionAlgorithmError", "InvalidRequest"}
_MISSING = {"NoSuchKey", "404", "NotFound"}
_POINTER_ATTEMPTS = 5

UploadCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class PublishedRun:
    """What a publication produced: where the run is, its report, its manifest, and any honest caveat."""

    uri: str  # s3://bucket/prefix/audit/period/run_id/
    report_key: str
    manifest: dict[str, Any]
    bucket: str = ""
    latest_key: str = ""
    index_key: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def report_uri(self) -> str:
        return f"s3://{self.bucket}/{self.report_key}"


@dataclass(frozen=True)
class RunInfo:
    """One run folder as a listing shows it."""

    audit: str
    period: str
    run_id: str
    prefix: str  # the run folder's key, ending in '/'
    complete: bool  # has a manifest.json: only complete runs are shown to readers
    latest: bool = False
    files: tuple[str, ...] = ()
    total_bytes: int = 0

    @property
    def manifest_key(self) -> str:
        return self.prefix + MANIFEST

    @property
    def report_key(self) -> str:
        return self.prefix + REPORT

    @property
    def published_at(self) -> str:
        return run_time(self.run_id)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "files": list(self.files), "published_at": self.published_at}


@dataclass(frozen=True)
class FetchedRun:
    run: RunInfo
    folder: Path
    manifest: dict[str, Any]
    files: tuple[Path, ...] = field(default=())


def run_time(run_id: str) -> str:
    """`20261127T153000Z-1a2b3c` -> `2026-11-27 15:30:00 UTC` (a run id carries its creation time)."""
    stamp = datetime.strptime(run_id.split("-", 1)[0], "%Y%m%dT%H%M%SZ")
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


# --- low-level helpers ----------------------------------------------------------------------------------


def _endpoint(client: Any) -> str | None:
    url = getattr(getattr(client, "meta", None), "endpoint_url", None)
    return None if not url or "amazonaws.com" in url else url


def _uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def _fail(client: Any, exc: BaseException, action: str, bucket: str, key: str) -> PublishError:
    return describe(exc, action=action, where=_uri(bucket, key), endpoint=_endpoint(client))


def _get(client: Any, bucket: str, key: str) -> tuple[bytes, str] | None:
    """The object's bytes and ETag, or None when there is no such object."""
    try:
        response = client.get_object(Bucket=bucket, Key=key)
        return response["Body"].read(), response.get("ETag", "")
    except Exception as exc:
        if error_code(exc) in _MISSING:
            return None
        raise _fail(client, exc, "read", bucket, key) from exc


def _list(client: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    try:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [obj for page in pages for obj in page.get("Contents", [])]
    except Exception as exc:
        raise _fail(client, exc, "list", bucket, prefix) from exc


def _ascii(value: str) -> str:
    """S3 user metadata travels in HTTP headers: ASCII only."""
    return value.encode("ascii", "replace").decode("ascii")


@dataclass
class _StoreFeatures:
    """What this store accepted during this publication (we stop asking for SSE once it refused it)."""

    sse: str | None
    sse_refused: bool = False


def _put_new(
    client: Any,
    bucket: str,
    key: str,
    data: bytes,
    *,
    sha_hex: str,
    content_type: str,
    metadata: Mapping[str, str],
    features: _StoreFeatures,
) -> dict[str, Any]:
    """Upload one object that must not exist yet (If-None-Match: *), with its SHA-256 checked by the store.

    When the object is already there with the same SHA-256 (an earlier attempt of this same run got that far),
    it is accepted as is; different bytes are refused, since a published object is never replaced. Returns what
    the store confirmed, for the manifest."""
    kwargs: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "Body": data,
        "ContentType": content_type,
        "CacheControl": IMMUTABLE_CACHE,
        "Metadata": {**metadata, "sha256": sha_hex},
        "ChecksumSHA256": sha256_b64(sha_hex),
        "IfNoneMatch": "*",
    }
    if features.sse and not features.sse_refused:
        kwargs["ServerSideEncryption"] = features.sse
    try:
        response = client.put_object(**kwargs)
    except Exception as exc:
        code = error_code(exc)
        if code == "PreconditionFailed":
            response = _same_object(client, bucket, key, sha_hex, exc)
        elif code in _SSE_REFUSED and "ServerSideEncryption" in kwargs:
            features.sse_refused = True
            return _put_new(
                client,
                bucket,
                key,
                data,
                sha_hex=sha_hex,
                content_type=content_type,
                metadata=metadata,
                features=features,
            )
        else:
            raise _fail(client, exc, "upload", bucket, key) from exc
    echoed = response.get("ChecksumSHA256")
    if echoed and echoed != sha256_b64(sha_hex):
        raise PublishError(
            f"upload of {_uri(bucket, key)}: the store computed another SHA-256 ({echoed}) than the file's"
        )
    return {
        "server_side_encryption": response.get("ServerSideEncryption"),
        "checksum_sha256_confirmed": echoed == sha256_b64(sha_hex),
        "version_id": response.get("VersionId"),
    }


def _same_object(client: Any, bucket: str, key: str, sha_hex: str, original: BaseException) -> dict[str, Any]:
    try:
        head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except Exception as exc:
        raise _fail(client, exc, "check", bucket, key) from exc
    if head.get("Metadata", {}).get("sha256") == sha_hex or head.get("ChecksumSHA256") == sha256_b64(sha_hex):
        return head
    raise _fail(client, original, "upload", bucket, key) from original


def _swap_pointer(
    client: Any,
    bucket: str,
    key: str,
    content_type: str,
    build: Callable[[bytes | None], bytes | None],
    features: _StoreFeatures,
) -> bool:
    """Replace a pointer object by `build(current)` with compare-and-swap (If-Match on the ETag read, or
    If-None-Match when absent), retrying when another publication changed it in between. `build` returns None
    to leave it as it is. Returns whether it was written."""
    for _ in range(_POINTER_ATTEMPTS):
        current = _get(client, bucket, key)
        body, etag = current if current else (None, "")
        new = build(body)
        if new is None or new == body:
            return False
        kwargs: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "Body": new,
            "ContentType": content_type,
            "CacheControl": POINTER_CACHE,
            "ChecksumSHA256": sha256_b64(sha256_hex(new)),
        }
        kwargs.update({"IfMatch": etag} if etag else {"IfNoneMatch": "*"})
        if features.sse and not features.sse_refused:
            kwargs["ServerSideEncryption"] = features.sse
        try:
            client.put_object(**kwargs)
            return True
        except Exception as exc:
            code = error_code(exc)
            if code in _SSE_REFUSED and "ServerSideEncryption" in kwargs:
                features.sse_refused = True
            elif code != "PreconditionFailed":
                raise _fail(client, exc, "update", bucket, key) from exc
    raise PublishError(
        f"cannot update {_uri(bucket, key)}: other publications kept changing it ({_POINTER_ATTEMPTS} attempts)",
        transient=True,
    )


# --- listing -------------------------------------------------------------------------------------------


def _runs_from_objects(objects: Iterable[Mapping[str, Any]], prefix: str) -> list[RunInfo]:
    grouped: dict[tuple[str, str, str], list[tuple[str, int]]] = {}
    for obj in objects:
        parsed = parse_key(obj["Key"], prefix)
        if parsed:
            audit, period, run_id, rel = parsed
            grouped.setdefault((audit, period, run_id), []).append((rel, int(obj.get("Size", 0))))
    runs = []
    for (audit, period, run_id), items in grouped.items():
        paths = tuple(sorted(p for p, _ in items))
        run_prefix = RunKey(prefix, audit, period, run_id).run_prefix
        runs.append(
            RunInfo(
                audit, period, run_id, run_prefix, MANIFEST in paths, False, paths, sum(s for _, s in items)
            )
        )
    return runs


def _latest_pointer(client: Any, bucket: str, prefix: str, audit: str, period: str) -> dict[str, Any] | None:
    found = _get(client, bucket, RunKey(prefix, audit, period, "x").latest)
    if not found:
        return None
    try:
        pointer = json.loads(found[0])
        return pointer if isinstance(pointer, dict) else None
    except ValueError:
        return None


def list_runs(
    client: Any,
    *,
    bucket: str,
    prefix: str,
    audit: str | None = None,
    period: str | None = None,
    include_incomplete: bool = False,
) -> list[RunInfo]:
    """Runs under `prefix` (optionally one audit, one period), newest period first, newest run first.

    Only complete runs (with a manifest) unless `include_incomplete` (for an operator cleaning up after an
    interrupted publication). `latest` marks the run `latest.json` points at, or the newest complete run of
    the period when the pointer is missing or points at nothing complete."""
    scope = join(prefix, audit or "", period or "") if audit else join(prefix)
    runs = _runs_from_objects(_list(client, bucket, scope + "/" if scope else ""), prefix)
    runs = [r for r in runs if period is None or r.period == period]
    complete: dict[tuple[str, str], set[str]] = {}
    for run in runs:
        if run.complete:
            complete.setdefault((run.audit, run.period), set()).add(run.run_id)
    latest: dict[tuple[str, str], str] = {}
    for (a, p), ids in complete.items():
        pointer = _latest_pointer(client, bucket, prefix, a, p)
        pointed = pointer.get("run_id") if pointer else None
        latest[(a, p)] = pointed if pointed in ids else max(ids)
    shown = [
        RunInfo(**{**asdict(r), "latest": latest.get((r.audit, r.period)) == r.run_id, "files": r.files})
        for r in runs
        if r.complete or include_incomplete
    ]
    shown.sort(key=lambda r: r.run_id, reverse=True)
    shown.sort(key=lambda r: period_sort_key(r.period), reverse=True)
    shown.sort(key=lambda r: r.audit)
    return shown


def resolve_run(
    client: Any,
    *,
    bucket: str,
    prefix: str,
    audit: str | None = None,
    period: str | None = None,
    run_id: str | None = None,
) -> RunInfo:
    """The run a reader means: the only audit when none is named, the newest period when none is named, and
    that period's latest run when no run id is given. Incomplete runs are never chosen."""
    runs = list_runs(client, bucket=bucket, prefix=prefix, audit=audit, period=period)
    if not runs:
        what = " ".join(
            x for x in (f"audit {audit}" if audit else "", f"period {period}" if period else "") if x
        )
        known = ""
        if period:
            others = list_runs(client, bucket=bucket, prefix=prefix, audit=audit)
            known = f" (published periods: {', '.join(dict.fromkeys(r.period for r in others)) or 'none'})"
        raise NotPublished(
            f"no complete published run{' for ' + what if what else ''} under {_uri(bucket, join(prefix) + '/')}{known}"
        )
    audits = sorted({r.audit for r in runs})
    if audit is None and len(audits) > 1:
        raise UsageError(
            f"several audits are published under {_uri(bucket, join(prefix))}: choose one with --audit ({', '.join(audits)})"
        )
    audit = audits[0]
    runs = [r for r in runs if r.audit == audit]
    if run_id:  # a run id names one run: look in every period unless one was given
        match = [r for r in runs if r.run_id == run_id]
        if not match:
            known = ", ".join(f"{r.period}/{r.run_id}" for r in runs)
            raise NotPublished(f"no complete run {run_id} for audit {audit} (complete runs: {known})")
        return match[0]
    period = period or runs[0].period  # runs are sorted newest period first
    return next(r for r in runs if r.period == period and r.latest)


# --- publication ---------------------------------------------------------------------------------------


def _latest_body(
    client: Any, bucket: str, rk: RunKey, own_manifest: bytes, current: bytes | None
) -> bytes | None:
    """latest.json pointing at the newest complete run of the period (ours, or a newer one published meanwhile)."""
    runs = _runs_from_objects(_list(client, bucket, rk.period_prefix), rk.prefix)
    newest = max(
        (r.run_id for r in runs if r.complete and r.audit == rk.audit and r.period == rk.period), default=None
    )
    if newest is None:
        return None
    if current:
        try:
            if json.loads(current).get("run_id", "") >= newest:
                return None  # never move the pointer backwards
        except (ValueError, AttributeError):
            pass
    target = RunKey(rk.prefix, rk.audit, rk.period, newest)
    if newest == rk.run_id:
        manifest_bytes = own_manifest
    else:
        found = _get(client, bucket, target.manifest)
        if not found:
            return None
        manifest_bytes = found[0]
    manifest = json.loads(manifest_bytes)
    pointer = {
        "schema_version": 1,
        "audit": rk.audit,
        "period": rk.period,
        "run_id": newest,
        "run_prefix": target.run_prefix,
        "manifest": f"{newest}/{MANIFEST}",
        "manifest_sha256": sha256_hex(manifest_bytes),
        "report": f"{newest}/{REPORT}",
        "created_at": manifest.get("created_at"),
        "code_version": manifest.get("code_version"),
    }
    return (json.dumps(pointer, indent=2) + "\n").encode("utf-8")


def _index_body(client: Any, bucket: str, rk: RunKey, code_version: str) -> bytes:
    """index.html rebuilt from the listing of the audit's complete runs (deterministic for one listing)."""
    runs = [
        r
        for r in _runs_from_objects(_list(client, bucket, rk.audit_prefix), rk.prefix)
        if r.complete and r.audit == rk.audit
    ]
    latest: dict[str, str] = {}
    for r in runs:
        latest[r.period] = max(latest.get(r.period, ""), r.run_id)
    records = [
        {"period": r.period, "run_id": r.run_id, "created_at": r.published_at, "paths": r.files} for r in runs
    ]
    newest = max((r.run_id for r in runs), default=None)
    context = index_context(
        rk.audit, records, latest, generated_at=run_time(newest) if newest else "", code_version=code_version
    )
    return render_index(context)


def _upload_run(
    client: Any,
    bucket: str,
    rk: RunKey,
    files: Mapping[str, bytes],
    entries: list[dict[str, Any]],
    *,
    inputs: Iterable[Mapping[str, Any]],
    code_version: str,
    created_at: str | None,
    features: _StoreFeatures,
    on_upload: UploadCallback | None,
) -> tuple[dict[str, Any], bytes, list[str]]:
    """Every file of the run, then its manifest (built from what the store confirmed). Returns the manifest,
    its bytes and the caveats to report."""
    metadata = {
        "audit": rk.audit,
        "period": rk.period,
        "run-id": rk.run_id,
        "code-version": _ascii(code_version),
    }
    confirmed: dict[str, dict[str, Any]] = {}
    for done, entry in enumerate(entries, start=1):
        key = rk.file(entry["path"])
        confirmed[entry["path"]] = _put_new(
            client,
            bucket,
            key,
            files[entry["path"]],
            sha_hex=entry["sha256"],
            content_type=entry["content_type"],
            metadata=metadata,
            features=features,
        )
        if on_upload:
            on_upload(done, len(entries), key)
    sse = features.sse
    warnings = []
    if features.sse_refused:
        warnings.append(f"the store refused server-side encryption {sse!r}: the files were stored without it")
    sse_seen = {c["server_side_encryption"] for c in confirmed.values()}
    storage = {
        "bucket": bucket,
        "run_prefix": rk.run_prefix,
        "server_side_encryption_requested": sse,
        "server_side_encryption_confirmed": sse_seen.pop() if len(sse_seen) == 1 else None,
        "checksum_sha256_confirmed": all(c["checksum_sha256_confirmed"] for c in confirmed.values()),
        "conditional_writes_requested": True,
    }
    if sse and storage["server_side_encryption_confirmed"] != sse and not features.sse_refused:
        warnings.append(f"the store did not confirm server-side encryption {sse!r} on every file")
    if not storage["checksum_sha256_confirmed"]:
        warnings.append(
            "the store did not confirm the SHA-256 checksum of every file (the manifest still lists them)"
        )
    manifest = build_manifest(
        audit=rk.audit,
        period=rk.period,
        run_id=rk.run_id,
        files=files,
        inputs=inputs,
        code_version=code_version,
        created_at=created_at or datetime.now(UTC).isoformat(timespec="seconds"),
        storage=storage,
        confirmed=confirmed,
    )
    manifest_bytes = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    _put_new(
        client,
        bucket,
        rk.manifest,
        manifest_bytes,
        sha_hex=sha256_hex(manifest_bytes),
        content_type="application/json",
        metadata=metadata,
        features=features,
    )
    return manifest, manifest_bytes, warnings


def publish_run(
    client: Any,
    *,
    bucket: str,
    prefix: str,
    audit: str,
    period: str,
    run_id: str,
    files: Mapping[str, bytes],
    inputs: Iterable[Mapping[str, Any]] = (),
    code_version: str,
    sse: str | None = "AES256",
    created_at: str | None = None,
    on_upload: UploadCallback | None = None,
) -> PublishedRun:
    """Publish one run: its files, then its manifest, then latest.json, then index.html.

    `files` maps relative paths (`report.html`, `tables/sla.csv`) to bytes; `inputs` are the input files'
    records for the manifest. `sse` is the server-side encryption to request (`AES256`, `aws:kms`, or None /
    `none`); a store that refuses it gets the files without it, and the manifest says what was confirmed.
    `on_upload(done, total, key)` is called after each file (progress; tests use it to kill the store).
    Calling it again with the same run id and the same files completes an interrupted publication; with
    other files it is refused."""
    check_segment(audit, "audit name")
    check_segment(period, "period")
    if not RUN_ID_RE.match(run_id):
        raise UsageError(f"run id {run_id!r} is not of the form 20261127T153000Z-1a2b3c")
    if not files:
        raise UsageError("nothing to publish: the run has no files")
    if REPORT not in files:
        raise UsageError(f"a run must contain {REPORT} (files given: {', '.join(sorted(files))})")
    rk = RunKey(prefix, audit, period, run_id)
    entries = file_entries(files)  # checks every path
    sse = None if not sse or sse == "none" else sse
    features = _StoreFeatures(sse)
    try:
        existing = _get(client, bucket, rk.manifest)
    except PublishError as exc:  # the first call: say what was being attempted
        raise PublishError(
            f"cannot publish {_uri(bucket, rk.run_prefix)}: {exc}", transient=exc.transient
        ) from exc
    if existing:
        manifest_bytes = existing[0]
        manifest = json.loads(manifest_bytes)
        stored = {(e["path"], e["sha256"]) for e in manifest.get("files", [])}
        if stored != {(e["path"], e["sha256"]) for e in entries}:
            raise PublishError(
                f"run {_uri(bucket, rk.run_prefix)} is already published with other files; a run is never replaced"
            )
        warnings: list[str] = []
    else:
        manifest, manifest_bytes, warnings = _upload_run(
            client,
            bucket,
            rk,
            files,
            entries,
            inputs=inputs,
            code_version=code_version,
            created_at=created_at,
            features=features,
            on_upload=on_upload,
        )
    _swap_pointer(
        client,
        bucket,
        rk.latest,
        "application/json",
        lambda cur: _latest_body(client, bucket, rk, manifest_bytes, cur),
        features,
    )
    _swap_pointer(
        client,
        bucket,
        rk.index,
        "text/html; charset=utf-8",
        lambda cur: _index_body(client, bucket, rk, code_version),
        features,
    )
    if features.sse_refused and not any("refused server-side encryption" in w for w in warnings):
        warnings.append(f"the store refused server-side encryption {sse!r} for latest.json and index.html")
    return PublishedRun(
        uri=_uri(bucket, rk.run_prefix),
        report_key=rk.file(REPORT),
        manifest=manifest,
        bucket=bucket,
        latest_key=rk.latest,
        index_key=rk.index,
        warnings=tuple(warnings),
    )


# --- retrieval -----------------------------------------------------------------------------------------


def read_manifest(client: Any, *, bucket: str, run: RunInfo) -> tuple[dict[str, Any], bytes]:
    found = _get(client, bucket, run.manifest_key)
    if not found:
        raise PublishError(
            f"run {_uri(bucket, run.prefix)} has no manifest: it is not a complete publication"
        )
    try:
        return json.loads(found[0]), found[0]
    except ValueError as exc:
        raise PublishError(f"{_uri(bucket, run.manifest_key)} is not valid JSON: {exc}") from None


def fetch_run(
    client: Any,
    *,
    bucket: str,
    prefix: str,
    out: str | Path,
    audit: str | None = None,
    period: str | None = None,
    run_id: str | None = None,
) -> FetchedRun:
    """Download a complete run into `out`, checking every file's size and SHA-256 against its manifest.

    Files are downloaded to a temporary folder next to `out` and moved into place only when all of them
    match, so a failed verification leaves nothing behind that could be mistaken for the report."""
    run = resolve_run(client, bucket=bucket, prefix=prefix, audit=audit, period=period, run_id=run_id)
    manifest, manifest_bytes = read_manifest(client, bucket=bucket, run=run)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(dir=out, prefix=".fetch-") as tmp:
        fetched: dict[str, bytes] = {}
        for entry in manifest.get("files", []):
            path = check_relpath(entry["path"])
            found = _get(client, bucket, run.prefix + path)
            if found is None:
                problems.append(f"{path}: listed in the manifest but missing from the bucket")
                continue
            problem = verify(manifest, path, found[0])
            if problem:
                problems.append(problem)
            fetched[path] = found[0]
        if problems:
            raise PublishError(
                f"verification of {_uri(bucket, run.prefix)} failed; nothing was written to {out}:\n"
                + "\n".join(problems)
            )
        staged = write_local_copy(fetched, Path(tmp) / "run")
        (staged / MANIFEST).write_bytes(manifest_bytes)
        written = []
        for path in [*fetched, MANIFEST]:
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged / path, target)
            written.append(target)
    return FetchedRun(run=run, folder=out, manifest=manifest, files=tuple(written))


def presign(client: Any, *, bucket: str, key: str, expires: int) -> str:
    """A GET link to `key` valid `expires` seconds (at most 7 days, and no longer than the signing
    credentials themselves when they are temporary)."""
    try:
        return client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=int(expires)
        )
    except Exception as exc:
        raise _fail(client, exc, "sign a link to", bucket, key) from exc


def read_latest_metrics(
    client: Any, *, bucket: str, prefix: str, audit: str, period: str
) -> dict[str, Any] | None:
    """`metrics.json` of the latest complete run of `period` (verified against its manifest), or None when that
    period has no complete run or the run has no metrics. For period-over-period comparisons pass the
    previous period's label (`Period.previous().label`)."""
    try:
        run = resolve_run(client, bucket=bucket, prefix=prefix, audit=audit, period=period)
    except NotPublished:
        return None
    manifest, _ = read_manifest(client, bucket=bucket, run=run)
    if not any(e.get("path") == METRICS for e in manifest.get("files", [])):
        return None
    found = _get(client, bucket, run.prefix + METRICS)
    if not found:
        raise PublishError(f"{_uri(bucket, run.prefix + METRICS)} is listed in its manifest but missing")
    problem = verify(manifest, METRICS, found[0])
    if problem:
        raise PublishError(f"{_uri(bucket, run.prefix)}: {problem}")
    return json.loads(found[0])


def write_local_copy(
    files: Mapping[str, bytes], folder: str | Path, *, manifest: Mapping[str, Any] | None = None
) -> Path:
    """Write a run's files (and its manifest when given) under `folder`, same relative paths as in the bucket.

    Each file is written to a temporary name then renamed, so a reader of the folder never sees half a file."""
    folder = Path(folder)
    items = dict(files)
    if manifest is not None:
        items[MANIFEST] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    for path, data in items.items():
        target = folder / check_relpath(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # not mkstemp: its 0600 would make a shared report folder unreadable; 0666 minus the umask instead
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.partial"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return folder
