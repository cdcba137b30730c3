"""`auditbridge server start|stop|status`: a local Prefect server with the UI, a process work pool, a worker
running in this project's environment, the deployments of prefect.yaml applied, and the object store.

Everything it starts is recorded under `<state>/server/` (pid files, logs), so `stop` stops exactly that.
Starting twice is harmless: what already runs is kept.
"""

from __future__ import annotations

import argparse

from auditbridge import console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="Prefect API/UI port (default 4200 or $AUDITBRIDGE_PREFECT_PORT)",
    )
    parser.add_argument("--no-store", action="store_true", help="do not start the embedded object store")


def run(args: argparse.Namespace) -> int:
    from auditbridge.server import LocalServer

    server = LocalServer(port=args.port)
    if args.action == "start":
        info = server.start(with_store=not args.no_store)
        console.result(f"Prefect UI: {info['ui']}")
        console.result(
            f"API: {info['api']}  (export PREFECT_API_URL={info['api']} to use the prefect CLI against it)"
        )
        console.result(f"work pool: {info['pool']}; deployments: {', '.join(info['deployments'])}")
    elif args.action == "stop":
        stopped = server.stop(with_store=not args.no_store)
        console.result("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    else:
        for name, state in server.status().items():
            console.result(f"{name}: {state}")
    return 0
