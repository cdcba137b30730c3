"""`auditbridge sla`: the SLA engine alone on canonical files (CONTRACTS sections 1 and 4).

Only pandas, numpy and the engine are imported, and only when the command runs: no Prefect, no Great
Expectations, no boto3, so a million tickets go through in seconds including the process start.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tickets", required=True, metavar="FILE", help="canonical tickets (.csv or .parquet)"
    )
    parser.add_argument(
        "--events",
        metavar="FILE",
        help="canonical ticket_events (status history): needed for pauses and reopenings",
    )
    parser.add_argument("--policy", required=True, metavar="FILE", help="the SLA policy, sla.yaml")
    parser.add_argument(
        "--period",
        required=True,
        metavar="P",
        help="tickets in scope: 2026-Q3, 2026-07, 2026-H2, 2026 or 2026-07-01..2026-09-30",
    )
    parser.add_argument(
        "--as-of",
        metavar="TS",
        help="instant at which open tickets are judged (ISO 8601; without an offset it is read in the "
        "policy's timezone; default: the period's end)",
    )
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="folder for sla_tickets.csv and sla_summary.json"
    )
    parser.add_argument(
        "--timezone",
        metavar="ZONE",
        help="zone of naive timestamps in the inputs (e.g. Europe/Paris); offsets are needed otherwise. "
        "Also the policy's zone when it names none",
    )
    parser.add_argument(
        "--at-risk-share",
        type=float,
        default=0.8,
        metavar="F",
        help="open tickets past this share of their target count as at risk (default 0.8)",
    )


def run(args: argparse.Namespace) -> int:
    from auditbridge import console
    from auditbridge.errors import UsageError
    from auditbridge.period import parse_period

    period = parse_period(args.period)
    if not 0 < args.at_risk_share <= 1:
        raise UsageError(f"--at-risk-share {args.at_risk_share}: expected a share between 0 and 1, e.g. 0.8")
    if args.timezone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(args.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(
                f"--timezone {args.timezone!r}: expected an IANA zone such as Europe/Paris"
            ) from None

    from tasks.sla.policy import load_policy

    policy = load_policy(args.policy, default_timezone=args.timezone)

    from auditbridge.datasets import read_canonical
    from tasks.sla.engine import compute_sla, write_outputs

    with console.step(f"reading {args.tickets}"):
        tickets = read_canonical(args.tickets, "tickets", timezone=args.timezone)
    events = None
    if args.events:
        with console.step(f"reading {args.events}"):
            events = read_canonical(args.events, "ticket_events", timezone=args.timezone)
    with console.step("computing business-time clocks"):
        result = compute_sla(
            tickets,
            events,
            policy,
            period,
            args.as_of,
            at_risk_share=args.at_risk_share,
            source=str(args.tickets),
            events_source=str(args.events),
        )
    paths = write_outputs(result, args.out)
    s = result.summary
    res = s["overall"]["resolution"]
    fr = s["overall"]["first_response"]

    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.1f} %"

    console.info(
        f"{s['tickets_in_scope']} ticket(s) in scope for {period.label} as of {s['as_of']}: "
        f"resolution compliance {pct(res['compliance_pct'])}, first response {pct(fr['compliance_pct'])}, "
        f"{s['open_breached']} open and already breached, {s['backlog']['open']} open"
    )
    if not s["events_available"]:
        console.info(
            "no --events: pauses and reopenings cannot be known (each ticket says so in clock_notes)"
        )
    console.result(str(paths["tickets"]))
    console.result(str(paths["summary"]))
    return 0
