"""`auditbridge storage start|stop|status|env`: the embedded S3-compatible store."""

from __future__ import annotations

import argparse
import json
import shlex

from auditbridge import console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["start", "stop", "status", "env"])
    parser.add_argument(
        "--key",
        choices=["publisher", "reader"],
        default="reader",
        help="for env: which key to print (default: the read-only reader key)",
    )
    parser.add_argument("--json", action="store_true", help="for status: print JSON")


def run(args: argparse.Namespace) -> int:
    from auditbridge.storage import default_store

    store = default_store()
    if args.action == "start":
        info = store.start()
        console.result(
            f"object store running at {info.endpoint} (bucket {info.bucket}, pid {info.pid}, data in {store.root})"
        )
    elif args.action == "stop":
        console.result("object store stopped" if store.stop() else "object store was not running")
    elif args.action == "status":
        status = store.status()
        if args.json:
            console.result(json.dumps(status))
        else:
            state = "running" if status["running"] else "stopped"
            console.result(
                f"object store {state} at {status['endpoint']} (bucket {status['bucket']}, data in {status['root']})"
            )
        return 0
    elif args.action == "env":
        info = store.info()
        for key, value in info.env(args.key).items():
            console.result(f"export {key}={shlex.quote(value)}")
    return 0
