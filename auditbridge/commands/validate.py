"""`auditbridge validate --kind KIND FILE`: run a canonical dataset's expectation suite (CONTRACTS section 1).

Prints each failed expectation with its count and a few offending rows (row number as in a spreadsheet, the row's
id, the value), or the whole report as JSON with `--json`. Exit 0 when every expectation passes, 1 otherwise
(a warning is not "clean" either), 2 on a usage error. Thresholds come from `--config audit.yaml`
(`validation.thresholds`) and `--threshold NAME=VALUE`, which wins. Great Expectations is imported only once the
file has been read, inside `tasks.validate.api`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from auditbridge import console
from auditbridge.schemas import KINDS

_MARK = {"blocking": "FAIL", "warning": "WARN"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="canonical CSV or Parquet file")
    parser.add_argument("--kind", required=True, choices=KINDS, help="the dataset kind of FILE")
    parser.add_argument(
        "--timezone", default=None, help="zone of naive timestamps in the file (without it they are refused)"
    )
    parser.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a threshold, e.g. tickets.department_missing_max=0.05 (or 5%%); repeatable",
    )
    parser.add_argument("--config", metavar="FILE", help="audit.yaml whose validation.thresholds apply")
    parser.add_argument(
        "--licences", metavar="FILE", help="licence inventory: assignments' tools must be in it"
    )
    parser.add_argument(
        "--directory", metavar="FILE", help="directory: users of usage/assignments should be in it"
    )
    parser.add_argument("--tickets", metavar="FILE", help="tickets: ticket_events' tickets should be in it")
    parser.add_argument(
        "--evidence", metavar="FILE", help="write the failing rows (row, failed, columns) to this CSV"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the report as JSON (data-quality.json's format)"
    )


def run(args: argparse.Namespace) -> int:
    from auditbridge.datasets import read_canonical

    thresholds: dict[str, float] = {}
    if args.config:
        from auditbridge.config import load_config

        thresholds.update(load_config(args.config).validation.thresholds)
    from tasks.validate.api import parse_threshold  # light: GX is imported when validation runs
    from tasks.validate.suites import thresholds_with_defaults

    thresholds.update(parse_threshold(text) for text in args.threshold)
    thresholds_with_defaults(thresholds)  # refuse unknown names before reading anything

    df = read_canonical(args.file, args.kind, timezone=args.timezone)
    reference = {
        kind: read_canonical(path, kind, timezone=args.timezone)
        for kind, path in (
            ("licences", args.licences),
            ("directory", args.directory),
            ("tickets", args.tickets),
        )
        if path
    }
    from tasks.validate.api import data_quality, validate

    with console.step(f"validating {args.file} as {args.kind}"):
        report = validate(args.kind, df, thresholds=thresholds, reference=reference, source=args.file)

    if args.evidence:
        from tasks.validate.evidence import failing_rows, to_csv_bytes

        path = Path(args.evidence)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(to_csv_bytes(failing_rows(df, report)))
        console.info(f"failing rows written to {path}")

    if args.json:
        console.result(json.dumps(data_quality([report]), indent=2, ensure_ascii=False))
    else:
        for line in render(report):
            console.result(line)
        for skipped in report.skipped:
            console.info(f"  not checked: {skipped.id} ({skipped.reason})")
    return 0 if report.verdict == "pass" else 1


def render(report) -> list[str]:
    """Human-readable lines: a headline, then one block per failed expectation with examples."""
    failed = report.failed
    blocking = sum(1 for o in failed if o.severity == "blocking")
    headline = (
        f"{report.source}: {report.rows:,} {report.kind} rows, {len(report.outcomes)} expectations: "
        f"{report.verdict.upper()}"
    )
    if failed:
        headline += f" ({blocking} blocking and {len(failed) - blocking} warning expectation(s) failed)"
    lines = [headline]
    for o in failed:
        count = ""
        if o.unexpected_count is not None:
            count = f": {o.unexpected_count:,} row(s)"
            if o.unexpected_percent is not None:
                count += f" ({o.unexpected_percent:.3g} %)"
        lines.append(f"  {_MARK[o.severity]} {o.id}{count}; expected {o.description}")
        if o.examples:
            shown = "; ".join(
                ", ".join(f"{k} {v}" if k == "row" else f"{k}={v}" for k, v in ex.items())
                for ex in o.examples
            )
            lines.append(f"       e.g. {shown}")
    return lines
