"""`auditbridge server` (being built: see the issue that owns it)."""

from __future__ import annotations

import argparse

from auditbridge.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise UsageError("'auditbridge server' is not built yet")
