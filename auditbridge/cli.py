"""The `auditbridge` command line (CONTRACTS section 1).

Each sub-command lives in `auditbridge/commands/<name>.py` with `add_arguments(parser)` and `run(args) -> int`,
imported only when that command runs, so `auditbridge --help` and light commands start fast (no Prefect, no
Great Expectations at import). Errors users can act on print as one message per problem, never a traceback:
exit 1 when data was refused, 2 on a usage or configuration error.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from auditbridge import __version__
from auditbridge.errors import AuditError

COMMANDS: dict[str, str] = {
    "demo": "Run the whole audit on generated demo data, publish it to the embedded store, print where it is",
    "run": "Run one audit (the Prefect flow) from an audit.yaml",
    "ingest": "Read tool exports into a canonical dataset (CSV or Parquet)",
    "validate": "Check a canonical dataset against its expectation suite",
    "sla": "Compute SLA compliance in business time from canonical tickets",
    "adoption": "Compute tool adoption and idle licence cost from canonical usage data",
    "reports": "List, download (verified) or link published reports",
    "storage": "Start, stop or inspect the embedded S3-compatible object store",
    "server": "Start or stop a local Prefect server, worker and deployments (the UI)",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with one readable line, as argparse does, plus a hint
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n(see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="auditbridge",
        description="Recurring IT audits: tool adoption and helpdesk SLA, published to S3.",
    )
    parser.add_argument("--version", action="version", version=f"auditbridge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, help_text in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("--quiet", "-q", action="store_true", help="print only results and errors")
        module = importlib.import_module(f"auditbridge.commands.{name}")
        module.add_arguments(cmd)
        cmd.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from auditbridge import console

    console.configure(quiet=args.quiet)
    try:
        return int(args._module.run(args) or 0)
    except AuditError as exc:
        console.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        console.error("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
