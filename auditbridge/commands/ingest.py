"""`auditbridge ingest --format FMT INPUT... --out FILE`: tool exports -> a canonical dataset (CONTRACTS 1 and 2).

Prints the format chosen (for `auto`, per file), rows written per dataset and what was set aside. When one
export yields several datasets (the ServiceNow event log gives tickets and ticket_events), FILE receives the
first (or the `--kind` one) and the others go beside it as `STEM.KIND.EXT`. Quarantined rows (already
pseudonymised, with their row and reason) go to `STEM.quarantined.KIND.csv`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# Named here rather than read from the registry so that `--help` does not import every format (pandas);
# tests/test_ingest_core_cli.py keeps the two in step.
FORMAT_NAMES = (
    "auto",
    "glpi",
    "jira",
    "servicenow",
    "servicenow-events",
    "freshdesk",
    "zendesk",
    "m365",
    "google-workspace",
    "okta",
    "slack",
    "zoom",
    "inventory",
    "generic",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="a file, a glob ('exports/*.csv') or s3://bucket/prefix"
    )
    parser.add_argument(
        "--format",
        "-f",
        default="auto",
        metavar="FMT",
        help=f"one of {', '.join(FORMAT_NAMES)} (default: auto, recognised from the content)",
    )
    parser.add_argument(
        "--out", "-o", required=True, metavar="FILE", help="output file ending in .csv or .parquet"
    )
    parser.add_argument(
        "--kind",
        help="force the dataset kind (tickets, ticket_events, usage, licences, assignments, directory)",
    )
    parser.add_argument(
        "--timezone", "--tz", help="IANA zone of naive times in the export (e.g. Europe/Paris)"
    )
    parser.add_argument(
        "--mapping", metavar="YAML", help="column/value mapping (generic format; value maps for any format)"
    )
    parser.add_argument("--tool", help="the tool's name when the export does not say it (usage logs)")
    parser.add_argument(
        "--on-row-error",
        choices=("refuse", "quarantine"),
        default="refuse",
        help="refuse the whole input (default) or set bad rows aside and keep the rest",
    )
    parser.add_argument(
        "--demo-key",
        action="store_true",
        help="use the fixed, public demo pseudonym key (never for real data)",
    )


def run(args: argparse.Namespace) -> int:
    from auditbridge import console
    from auditbridge.datasets import write_canonical
    from auditbridge.errors import UsageError
    from auditbridge.pseudo import load_key
    from tasks.ingest.api import ingest

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"--out must end in .csv or .parquet, not {out.name!r}")
    key = load_key(demo=args.demo_key)
    if args.demo_key:
        console.info("using the public demo pseudonym key: pseudonyms are NOT secret")
    with console.step(f"reading {len(args.inputs)} input(s)"):
        result = ingest(
            args.inputs,
            args.format,
            kind=args.kind,
            timezone=args.timezone,
            pseudonym_key=key,
            on_row_error=args.on_row_error,
            mapping=args.mapping,
            tool=args.tool,
        )
    for note in result.notes:
        console.info(note)
    console.result(f"format: {result.format}")
    kinds = list(result.datasets)
    main_kind = args.kind or kinds[0]
    for kind in kinds:
        target = out if kind == main_kind else out.with_name(f"{out.stem}.{kind}{out.suffix}")
        write_canonical(result.datasets[kind], target)
        console.result(f"{kind}: {len(result.datasets[kind])} row(s) -> {target}")
    for kind, frame in result.quarantined.items():
        target = out.with_name(f"{out.stem}.quarantined.{kind}.csv")
        write_canonical(frame, target)
        console.result(f"{kind}: {len(frame)} row(s) quarantined -> {target}")
    if result.total_problems:
        for problem in result.problems[:20]:
            console.info(f"quarantined: {problem}")
        if result.total_problems > 20:
            console.info(f"... and {result.total_problems - 20} more problem(s)")
    return 0
