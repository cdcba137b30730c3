"""Where things go in the bucket (CONTRACTS section 7), as pure functions on strings.

`PREFIX/AUDIT/PERIOD/RUN_ID/<files>`, `PREFIX/AUDIT/PERIOD/latest.json`, `PREFIX/AUDIT/index.html`. Run ids
sort in time order as plain strings (`20261127T153000Z-1a2b3c`), so "newest" never needs a clock or a
LastModified date that a copy or a restore may have changed.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from auditbridge.errors import UsageError

MANIFEST = "manifest.json"
LATEST = "latest.json"
INDEX = "index.html"
REPORT = "report.html"
METRICS = "metrics.json"

RUN_ID_RE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

# Files of a run never change (a run is never overwritten); the pointers change at every publication.
IMMUTABLE_CACHE = "private, max-age=31536000, immutable"
POINTER_CACHE = "no-cache"

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
}


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by creation time (UTC, to the second) with 24 random bits against collisions."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def check_segment(value: str, what: str) -> str:
    """An audit name, period label or run id used as one key segment: no slash, no `..` alone, printable."""
    if not value or value in {".", ".."} or "/" in value or not _SEGMENT_RE.match(value):
        raise UsageError(
            f"{what} {value!r} cannot be used in an object key (expected letters, digits, '.', '_' or '-')"
        )
    return value


def check_relpath(path: str) -> str:
    """A file path inside a run folder (`report.html`, `tables/sla.csv`): relative, no `..`, no empty part."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or any(p in {"", ".", ".."} for p in parts):
        raise UsageError(f"file path {path!r} is not a plain relative path inside a run folder")
    return path


def content_type(path: str) -> str:
    """The Content-Type a browser needs to open the file (text types say UTF-8 explicitly)."""
    lower = path.lower()
    for ext, ctype in _TYPES.items():
        if lower.endswith(ext):
            return ctype
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def join(*parts: str) -> str:
    """Key parts joined by `/`, ignoring empty parts and stray slashes (an empty prefix is the bucket root)."""
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


@dataclass(frozen=True)
class RunKey:
    """Where one run lives; every key of the layout derives from it."""

    prefix: str
    audit: str
    period: str
    run_id: str

    @property
    def audit_prefix(self) -> str:
        return join(self.prefix, self.audit) + "/"

    @property
    def period_prefix(self) -> str:
        return join(self.prefix, self.audit, self.period) + "/"

    @property
    def run_prefix(self) -> str:
        return join(self.prefix, self.audit, self.period, self.run_id) + "/"

    def file(self, relpath: str) -> str:
        return self.run_prefix + relpath

    @property
    def manifest(self) -> str:
        return self.file(MANIFEST)

    @property
    def latest(self) -> str:
        return self.period_prefix + LATEST

    @property
    def index(self) -> str:
        return self.audit_prefix + INDEX


def parse_key(key: str, prefix: str) -> tuple[str, str, str, str] | None:
    """`PREFIX/AUDIT/PERIOD/RUN_ID/rel/path` -> (audit, period, run_id, relpath); None for any other key."""
    base = join(prefix)
    if base:
        if not key.startswith(base + "/"):
            return None
        key = key[len(base) + 1 :]
    parts = key.split("/", 3)
    if len(parts) < 4 or not RUN_ID_RE.match(parts[2]) or not parts[3]:
        return None
    return parts[0], parts[1], parts[2], parts[3]


def period_sort_key(label: str) -> tuple:
    """Periods in time order: by start then end date when the label parses, else by the label itself."""
    from auditbridge.period import parse_period

    try:
        period = parse_period(label)
    except UsageError:
        return (1, label, label)
    return (0, period.start.isoformat(), period.end.isoformat())


def parse_expiry(text: str | int) -> int:
    """`7d`, `12h`, `30m`, `90s`, `1d12h` or plain seconds -> seconds, within SigV4's limit of 7 days."""
    if isinstance(text, int):
        seconds = text
    else:
        raw = str(text).strip().lower()
        if raw.isdigit():
            seconds = int(raw)
        else:
            parts = re.findall(r"(\d+)([dhms])", raw)
            if not parts or "".join(n + u for n, u in parts) != raw:
                raise UsageError(
                    f"expiry {text!r} not understood: expected e.g. 7d, 12h, 30m or a number of seconds"
                )
            unit = {"d": 86400, "h": 3600, "m": 60, "s": 1}
            seconds = sum(int(n) * unit[u] for n, u in parts)
    if not 1 <= seconds <= 7 * 86400:
        raise UsageError(f"expiry {text!r}: a presigned URL lasts between 1 second and 7 days (SigV4 limit)")
    return seconds
