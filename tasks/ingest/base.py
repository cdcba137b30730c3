"""What every import format provides, and the registry that finds them.

A format module in `tasks/ingest/formats/` exposes `FORMATS = [SomeFormat(), ...]`. `registry()` imports every
module of that package, so adding a format touches one file.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from auditbridge.errors import ProblemCollector


@dataclass
class ReadContext:
    """One input file handed to a format."""

    name: str  # as the user named it (a path or an s3:// URI): used in every message
    data: bytes  # the whole file
    pseudonym_key: bytes
    timezone: str | None = None
    tool: str | None = None
    mapping: dict[str, Any] | None = None
    collector: ProblemCollector = field(default_factory=ProblemCollector)
    notes: list[str] = field(
        default_factory=list
    )  # decisions the user should know (e.g. the date order chosen)


class Format(Protocol):
    name: str  # as typed after --format
    kinds: tuple[str, ...]  # the canonical datasets it can produce

    def sniff(self, head: bytes, name: str) -> float:
        """Confidence 0..1 that `head` (the first 64 KiB) is this format."""

    def read(self, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        """Canonical frames by kind; row problems go to ctx.collector, file-level ones raise DataError."""


def registry() -> dict[str, Format]:
    from tasks.ingest import formats

    found: dict[str, Format] = {}
    for mod in pkgutil.iter_modules(formats.__path__):
        module = importlib.import_module(f"{formats.__name__}.{mod.name}")
        for fmt in getattr(module, "FORMATS", []):
            found[fmt.name] = fmt
    return found
