"""Terminal output: results on stdout, problems on stderr, progress only on an interactive terminal."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager

_quiet = False


def configure(quiet: bool = False) -> None:
    global _quiet
    _quiet = quiet or bool(os.environ.get("CI"))


def interactive() -> bool:
    return not _quiet and sys.stderr.isatty()


def info(message: str) -> None:
    """A progress or context line (stderr), hidden under --quiet and in CI."""
    if not _quiet:
        print(message, file=sys.stderr, flush=True)


def result(message: str) -> None:
    """What the command produced (stdout): always printed."""
    print(message, flush=True)


def error(message: str) -> None:
    for line in str(message).splitlines() or [""]:
        print(f"error: {line}", file=sys.stderr, flush=True)


@contextmanager
def step(label: str):
    """`label ... done (1.2 s)` around a long step."""
    start = time.monotonic()
    info(f"{label} ...")
    yield
    info(f"{label}: done ({time.monotonic() - start:.1f} s)")
