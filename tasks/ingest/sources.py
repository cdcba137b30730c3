"""Where exports come from: local paths, globs, folders and `s3://bucket/prefix`, as (name, bytes) pairs.

Names are kept as the user wrote them (a path or an `s3://` URI) because every message quotes them. S3 listings
are paginated (a prefix may hold more than 1,000 objects) and objects are read in chunks from the streaming body;
the client is created here, when needed, never at import. Failures of the store raise `StorageError`, which the
Prefect task retries; a pattern matching nothing is a usage error.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from auditbridge.errors import StorageError, UsageError

CHUNK = 1 << 20


@dataclass(frozen=True)
class InputFile:
    name: str
    data: bytes


def is_s3(uri: str) -> bool:
    return str(uri).startswith("s3://")


def fetch(inputs: Iterable[str | Path], *, s3_client=None) -> list[InputFile]:
    """Every file named by `inputs`, in a stable order (sorted within a glob, folder or prefix)."""
    out: list[InputFile] = []
    seen: set[str] = set()
    for item in inputs:
        for f in _fetch_s3(str(item), s3_client) if is_s3(str(item)) else _fetch_local(str(item)):
            if f.name not in seen:
                seen.add(f.name)
                out.append(f)
    if not out:
        raise UsageError("no input files: give at least one path, glob or s3:// prefix")
    return out


def local_paths(pattern: str) -> list[Path]:
    """A path, a folder (its files, not hidden ones) or a glob (`**` allowed) -> files, sorted."""
    if any(ch in pattern for ch in "*?["):
        matches = sorted(Path(p) for p in glob.glob(os.path.expanduser(pattern), recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise UsageError(f"{pattern}: no file matches this pattern")
        return files
    path = Path(os.path.expanduser(pattern))
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not any(x.startswith(".") for x in p.relative_to(path).parts)
        )
        if not files:
            raise UsageError(f"{pattern}: the folder holds no file")
        return files
    if not path.exists():
        raise UsageError(f"{pattern}: no such file")
    return [path]


def _fetch_local(pattern: str) -> list[InputFile]:
    return [InputFile(str(p), p.read_bytes()) for p in local_paths(pattern)]


def s3_keys(client, bucket: str, prefix: str, *, page_size: int | None = None) -> list[str]:
    """Keys under `prefix`, every page of the listing; an exact key names one object."""
    keys: list[str] = []
    paginator = client.get_paginator("list_objects_v2")
    config = {"PageSize": page_size} if page_size else {}
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, PaginationConfig=config):
        keys.extend(obj["Key"] for obj in page.get("Contents", []) if not obj["Key"].endswith("/"))
    if prefix in keys:
        return [prefix]
    return sorted(k for k in keys if not Path(k).name.startswith("."))


def read_object(client, bucket: str, key: str) -> bytes:
    """One object, read from the streaming body in chunks."""
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        return b"".join(body.iter_chunks(CHUNK))
    finally:
        body.close()


def _fetch_s3(uri: str, client) -> list[InputFile]:
    from botocore.exceptions import BotoCoreError, ClientError

    from auditbridge.s3 import make_client, split_uri

    bucket, prefix = split_uri(uri)
    if not bucket:
        raise UsageError(f"{uri}: expected s3://bucket/prefix")
    client = client or make_client()
    try:
        keys = s3_keys(client, bucket, prefix)
        if not keys:
            raise UsageError(f"{uri}: no object under this prefix")
        return [InputFile(f"s3://{bucket}/{k}", read_object(client, bucket, k)) for k in keys]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket", "AccessDenied", "403", "404", "NoSuchKey"):
            raise UsageError(f"{uri}: {code} ({exc.response.get('Error', {}).get('Message', '')})") from None
        raise StorageError(f"{uri}: the object store refused the read ({code}: {exc})") from exc
    except BotoCoreError as exc:
        raise StorageError(f"{uri}: the object store could not be read ({exc})") from exc
