"""`auditbridge reports list|get|url`: find, download (verified) or link published reports.

Where to look: `--config audit.yaml` (its `publish` section) when given, else `$AUDITBRIDGE_BUCKET` /
`$AWS_ENDPOINT_URL` with the standard AWS credentials, else the embedded store, read with its read-only
reader key (see `tasks.publish.clients` for the exact rule). Only complete runs (with a manifest) are ever
shown, downloaded or linked; without `--period` / `--run` the newest period and its latest run are used.
"""

from __future__ import annotations

import argparse
import json

from auditbridge import console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["list", "get", "url"],
        help="list runs, download one (verified), or print a presigned link",
    )
    parser.add_argument(
        "--config", help="audit.yaml whose publish section names the bucket, prefix and endpoint"
    )
    parser.add_argument(
        "--bucket", help="bucket (default: the config's, else $AUDITBRIDGE_BUCKET, else the embedded store's)"
    )
    parser.add_argument(
        "--prefix", help="key prefix above the audit folders (default: the config's, else 'audits')"
    )
    parser.add_argument("--audit", help="audit name (default: the only audit published)")
    parser.add_argument("--period", help="period, e.g. 2026-Q3 (default: the newest published)")
    parser.add_argument("--run", dest="run_id", help="get/url: a run id (default: the period's latest run)")
    parser.add_argument("--json", action="store_true", help="list: print JSON")
    parser.add_argument(
        "--all", action="store_true", help="list: also show incomplete runs (interrupted publications)"
    )
    parser.add_argument("--out", help="get: the folder to download into")
    parser.add_argument(
        "--file", default="report.html", help="url: the run's file to link (default: report.html)"
    )
    parser.add_argument(
        "--expires", default=None, help="url: link lifetime, e.g. 7d, 12h, 30m (default: the config's, 7d)"
    )


def _settings(args: argparse.Namespace):
    from auditbridge.config import PublishSettings, load_config

    settings = load_config(args.config).publish if args.config else PublishSettings()
    changes = {k: v for k, v in {"bucket": args.bucket, "prefix": args.prefix}.items() if v is not None}
    return settings.model_copy(update=changes) if changes else settings


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def run(args: argparse.Namespace) -> int:
    from auditbridge.errors import UsageError
    from auditbridge.period import parse_period
    from tasks.publish import publisher
    from tasks.publish.clients import resolve_client
    from tasks.publish.layout import parse_expiry

    settings = _settings(args)
    period = parse_period(args.period).label if args.period else None
    if args.action == "get" and not args.out:
        raise UsageError("reports get needs --out DIR (the folder to download the run into)")
    expires = parse_expiry(args.expires or settings.presign_expiry) if args.action == "url" else None
    client, target = resolve_client(settings, role="reader")
    where = dict(bucket=target.bucket, prefix=target.prefix)

    if args.action == "list":
        runs = publisher.list_runs(
            client, **where, audit=args.audit, period=period, include_incomplete=args.all
        )
        if args.json:
            console.result(json.dumps([r.to_dict() | {"uri": target.uri(r.prefix)} for r in runs], indent=2))
            return 0
        if not runs:
            console.info(f"no published run under {target.uri(target.prefix)}")
            return 0
        for r in runs:
            state = (
                "latest"
                if r.latest
                else ("complete" if r.complete else "INCOMPLETE (no manifest: never shown to readers)")
            )
            console.result(
                f"{r.audit}  {r.period:<10} {r.run_id}  {r.published_at}  {len(r.files):>3} files {_size(r.total_bytes):>10}  {state}"
            )
        return 0

    if args.action == "get":
        fetched = publisher.fetch_run(
            client, **where, out=args.out, audit=args.audit, period=period, run_id=args.run_id
        )
        count = len(fetched.manifest.get("files", []))
        console.info(
            f"{fetched.run.audit} {fetched.run.period} run {fetched.run.run_id}: {count} files verified against manifest.json (SHA-256)"
        )
        console.result(str(fetched.folder.resolve()))
        return 0

    chosen = publisher.resolve_run(client, **where, audit=args.audit, period=period, run_id=args.run_id)
    manifest, _ = publisher.read_manifest(client, bucket=target.bucket, run=chosen)
    listed = [e["path"] for e in manifest.get("files", [])] + ["manifest.json"]
    if args.file not in listed:
        raise UsageError(
            f"--file {args.file!r} is not in run {chosen.run_id} (its files: {', '.join(listed)})"
        )
    url = publisher.presign(client, bucket=target.bucket, key=chosen.prefix + args.file, expires=expires or 0)
    console.info(
        f"{target.uri(chosen.prefix + args.file)} (link valid {args.expires or settings.presign_expiry})"
    )
    console.result(url)
    return 0
