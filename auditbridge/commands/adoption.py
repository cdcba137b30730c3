"""`auditbridge adoption`: the adoption engine alone on canonical files (CONTRACTS sections 1 and 5).

The import path stays light on purpose (pandas, numpy, pyarrow; no Prefect, Great Expectations or boto3
unless `--previous-metrics` is an s3:// URI): on large logs the process start is part of what users wait for.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from auditbridge import console
from auditbridge.errors import DataError, Problem, UsageError

DEFAULT_TIMEZONE = "Europe/Paris"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--usage",
        action="append",
        required=True,
        metavar="FILE",
        help="canonical usage CSV or Parquet (repeat for several files, e.g. several quarters)",
    )
    parser.add_argument(
        "--licences", metavar="FILE", help="canonical licences: tool, seats, cost_per_seat_month, currency"
    )
    parser.add_argument(
        "--assignments",
        metavar="FILE",
        help="who holds a seat: tool, user, assigned_at, unassigned_at "
        "(without it every purchased seat counts as assigned)",
    )
    parser.add_argument("--directory", metavar="FILE", help="user, department, active, start_date, end_date")
    parser.add_argument(
        "--period", required=True, help="2026-Q3, 2026-07, 2026-H2, 2026 or 2026-07-01..2026-09-30"
    )
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="folder for adoption_tools.csv and adoption_summary.json"
    )
    parser.add_argument(
        "--timezone",
        default=None,
        help=f"the audit's timezone, for days (default {DEFAULT_TIMEZONE}); also how naive timestamps "
        "are read (without it they are refused)",
    )
    parser.add_argument(
        "--min-group-size",
        type=int,
        default=5,
        metavar="N",
        help="departments with fewer people are merged into 'other' (default 5)",
    )
    parser.add_argument(
        "--previous-metrics",
        metavar="FILE",
        help="the previous run's metrics.json (path or s3:// URI), for the change when the usage "
        "does not cover the previous period",
    )
    parser.add_argument(
        "--activity-rules",
        metavar="FILE",
        help="YAML: {tool: {include_actions: [...], exclude_actions: [...]}} (what counts as activity)",
    )
    parser.add_argument(
        "--zombie-days",
        type=int,
        default=90,
        metavar="N",
        help="a held seat unused this many days is a zombie seat (default 90)",
    )
    parser.add_argument(
        "--currency", default=None, help="currency of the totals (default: the licences' currency)"
    )


def run(args: argparse.Namespace) -> int:
    from auditbridge.period import parse_period

    period = parse_period(args.period)
    tz = _zone(args.timezone) if args.timezone else DEFAULT_TIMEZONE
    if args.min_group_size < 1:
        raise UsageError("--min-group-size must be at least 1")
    if args.zombie_days < 1:
        raise UsageError("--zombie-days must be at least 1")

    from auditbridge.datasets import read_canonical
    from tasks.adoption.engine import compute_adoption, write_outputs
    from tasks.adoption.reader import read_usage

    with console.step("reading usage"):
        usage = [read_usage(path, audit_timezone=tz, timezone=args.timezone) for path in args.usage]
    small = {}
    for kind, path in (
        ("licences", args.licences),
        ("assignments", args.assignments),
        ("directory", args.directory),
    ):
        if path:
            small[kind] = read_canonical(path, kind, timezone=args.timezone)
    rules = _rules(args.activity_rules) if args.activity_rules else None
    previous = _previous_metrics(args.previous_metrics) if args.previous_metrics else None
    with console.step("computing adoption"):
        result = compute_adoption(
            usage,
            **small,
            period=period,
            timezone=tz,
            min_group_size=args.min_group_size,
            activity_rules=rules,
            previous_metrics=previous,
            currency=args.currency,
            zombie_days=args.zombie_days,
            naive_timezone=args.timezone,
        )
    paths = write_outputs(result, args.out)
    for row in result.summary["tools"]:
        console.info(_headline(row))
    for path in paths.values():
        console.result(str(path))
    return 0


def _zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"--timezone {name!r} is not a known timezone (expected an IANA name such as Europe/Paris)"
        ) from None
    return name


def _rules(path: str) -> dict:
    from auditbridge.yamlfile import read_yaml_mapping

    return read_yaml_mapping(path, "a mapping of tool -> {include_actions, exclude_actions}")


def _previous_metrics(location: str) -> dict:
    try:
        if location.startswith("s3://"):
            from auditbridge.s3 import make_client, split_uri

            bucket, key = split_uri(location)
            text = make_client().get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        else:
            text = Path(location).read_text(encoding="utf-8")
        data = json.loads(text)
    except FileNotFoundError:
        raise DataError(Problem(location, "file not found")) from None
    except json.JSONDecodeError as exc:
        raise DataError(
            Problem(location, f"expected the JSON of a previous run's metrics.json ({exc})")
        ) from None
    if not isinstance(data, dict):
        raise DataError(Problem(location, "expected a JSON object (a previous run's metrics.json)"))
    return data


def _headline(row: dict) -> str:
    text = f"{row['tool']}: {row['active_users']} active users"
    if row.get("assigned") is not None:
        text += f" of {row['assigned']} assigned"
    if row.get("utilisation") is not None:
        text += f" ({row['utilisation']:.0%})"
    if row.get("idle_seats") is not None:
        text += f", {row['idle_seats']} idle seats"
        if row.get("idle_cost") is not None:
            text += f" = {row['idle_cost']:.2f} {row.get('currency') or ''}".rstrip()
    return text
