"""`auditbridge demo [--period P]`: the main job on embedded defaults.

Starts the embedded object store if needed (and leaves it running), generates the bundled demo data (four
complete quarters before today), runs the `audit` flow for the last complete quarter or P, publishes, and
prints the report's s3:// URI, a presigned http:// URL and the local copy's path.
"""

from __future__ import annotations

import argparse
from datetime import date


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--period", default="", help="the period to audit (default: the last complete quarter)"
    )
    parser.add_argument(
        "--lang", action="append", choices=["fr", "en"], default=None, help="report language(s)"
    )
    parser.add_argument("--today", default=None, help=argparse.SUPPRESS)  # tests: pin the demo's 'today'


def run(args: argparse.Namespace) -> int:
    from auditbridge import console
    from auditbridge.commands.run import print_outcome
    from auditbridge.period import parse_period

    if args.period:
        parse_period(args.period)
    from auditbridge.demo_data import ensure_demo
    from auditbridge.home import configure_prefect, state_dir
    from auditbridge.storage import default_store

    with console.step("starting the embedded object store"):
        info = default_store().start()
    console.info(f"object store: {info.endpoint} (bucket {info.bucket})")
    today = date.fromisoformat(args.today) if args.today else date.today()
    with console.step("generating the demo data"):
        config = ensure_demo(state_dir(), anchor=today)
    console.info(f"demo configuration: {config}")
    configure_prefect()
    from auditbridge.logs import quiet_expected_failures

    quiet_expected_failures()
    from auditbridge.config import load_config
    from auditbridge.period import last_complete_quarter
    from flows.audit import run_audit

    latest = last_complete_quarter(today)
    period = parse_period(args.period) if args.period else latest
    previous = period.previous()
    first_demo_quarter = latest.previous().previous().previous()
    if previous.start >= first_demo_quarter.start and not _published(load_config(config), previous.label):
        # the demo's story is a comparison ("adoption tripled since the last audit"): publish the previous
        # quarter first, once, so the report has a previous run to compare with and to follow up
        console.info(
            f"publishing the previous quarter {previous.label} first, so the report can compare with it"
        )
        run_audit(config=str(config), period=previous.label, publish=True, languages=args.lang or [])
    outcome = run_audit(config=str(config), period=period.label, publish=True, languages=args.lang or [])
    print_outcome(outcome)
    console.info("the store keeps running: 'make stop' (or 'auditbridge storage stop') stops it")
    return 0


def _published(cfg, period: str) -> bool:
    """Whether the demo audit already has a complete run of `period` in the store."""
    from tasks.publish.clients import resolve_client
    from tasks.publish.publisher import list_runs

    client, target = resolve_client(cfg.publish, role="reader")
    return bool(list_runs(client, bucket=target.bucket, prefix=target.prefix, audit=cfg.name, period=period))
