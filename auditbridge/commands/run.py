"""`auditbridge run --config FILE --period P`: one audit run, the Prefect flow `audit`, from a config file."""

from __future__ import annotations

import argparse

from auditbridge import console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="the audit.yaml (a path or an s3:// URI)")
    parser.add_argument(
        "--period",
        default="",
        help="2026-Q3, 2026-07, 2026-H2, 2026 or 2026-07-01..2026-09-30 (default: the last complete quarter)",
    )
    parser.add_argument(
        "--no-publish", action="store_true", help="write the report to a local folder instead of the bucket"
    )
    parser.add_argument(
        "--out", default=None, help="with --no-publish: the folder (default: <state>/reports)"
    )
    parser.add_argument(
        "--lang",
        action="append",
        choices=["fr", "en"],
        default=None,
        help="report language; repeat for several (default: the config's languages)",
    )
    parser.add_argument(
        "--as-of", default="", help="instant at which open tickets are judged (default: the period's end)"
    )
    parser.add_argument(
        "--dask",
        type=int,
        default=0,
        metavar="N",
        help="run the heavy stages on a local Dask cluster of N workers (prefect-dask)",
    )


def run(args: argparse.Namespace) -> int:
    from auditbridge.period import parse_period

    if args.period:
        parse_period(args.period)  # refuse a malformed period before Prefect starts
    from auditbridge.home import configure_prefect

    configure_prefect()
    from auditbridge.logs import quiet_expected_failures

    quiet_expected_failures()
    from flows.audit import run_audit

    outcome = run_audit(
        config=args.config,
        period=args.period,
        publish=not args.no_publish,
        languages=args.lang or [],
        as_of=args.as_of,
        out=args.out,
        dask_workers=args.dask,
    )
    print_outcome(outcome)
    return 0


def print_outcome(outcome: dict) -> None:
    console.info(f"audit {outcome['audit']} {outcome['period']}: data quality {outcome['data_quality']}")
    for line in outcome.get("headline", []):
        console.info(f"  {line}")
    if outcome.get("uri"):
        console.result(f"report: {outcome['uri']}")
    if outcome.get("url"):
        console.result(f"link:   {outcome['url']}")
    console.result(f"local:  {outcome['local']}")
