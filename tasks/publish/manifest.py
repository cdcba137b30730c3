"""`manifest.json`: what a run contains, so a reader months later can check every byte.

Pure functions: the manifest is built from the files' bytes and, when published, from what the store
confirmed for each object (server-side encryption, checksum). It is written last; its presence is what
makes a run visible.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from tasks.publish.layout import MANIFEST, check_relpath, content_type

SCHEMA_VERSION = 1


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_b64(hex_digest: str) -> str:
    """The base64 form S3 uses for `ChecksumSHA256`, from the hex form the manifest uses."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def file_entries(files: Mapping[str, bytes]) -> list[dict[str, Any]]:
    """One entry per file, sorted by path: size, SHA-256 (hex) and content type."""
    entries = []
    for path in sorted(files):
        check_relpath(path)
        if path == MANIFEST:
            raise ValueError("manifest.json is written by the publisher, not passed in with the run's files")
        data = files[path]
        entries.append(
            {"path": path, "bytes": len(data), "sha256": sha256_hex(data), "content_type": content_type(path)}
        )
    return entries


def build_manifest(
    *,
    audit: str,
    period: str,
    run_id: str,
    files: Mapping[str, bytes],
    inputs: Iterable[Mapping[str, Any]] = (),
    code_version: str,
    created_at: str,
    storage: Mapping[str, Any] | None = None,
    confirmed: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The manifest of a run. `confirmed[path]` adds what the store said about that object (published runs);
    a local copy has none. `inputs` are the input files' records (name, kind, format, sha256, bytes, rows)."""
    entries = file_entries(files)
    for entry in entries:
        entry.update(dict((confirmed or {}).get(entry["path"], {})))
    return {
        "schema_version": SCHEMA_VERSION,
        "audit": audit,
        "period": period,
        "run_id": run_id,
        "created_at": created_at,
        "code_version": code_version,
        "files": entries,
        "total_bytes": sum(e["bytes"] for e in entries),
        "inputs": [dict(i) for i in inputs],
        "storage": dict(storage) if storage is not None else None,
    }


def verify(manifest: Mapping[str, Any], path: str, data: bytes) -> str | None:
    """None when `data` is the file the manifest lists under `path`; otherwise what is wrong, in words."""
    entry = next((e for e in manifest.get("files", []) if e.get("path") == path), None)
    if entry is None:
        return f"{path} is not listed in the manifest"
    if len(data) != entry["bytes"]:
        return f"{path}: {len(data)} bytes, the manifest says {entry['bytes']}"
    digest = sha256_hex(data)
    if digest != entry["sha256"]:
        return f"{path}: SHA-256 {digest}, the manifest says {entry['sha256']}"
    return None
