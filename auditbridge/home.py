"""Where auditbridge keeps its local state, and the Prefect settings it runs with.

Everything local (the embedded store's data, logs and keys, Prefect's database, demo data, local report copies)
lives under one state folder: `$AUDITBRIDGE_HOME`, or `.auditbridge/` in the current directory. It is
git-ignored and never committed.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "AUDITBRIDGE_HOME"


def state_dir() -> Path:
    path = Path(os.environ.get(HOME_ENV) or Path.cwd() / ".auditbridge").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def prefect_defaults(state: Path | None = None) -> dict[str, str]:
    """Prefect settings for a local run with no server to install (ephemeral API on SQLite, no network)."""
    state = state or state_dir()
    return {
        "PREFECT_HOME": str(state / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        "PREFECT_UI_ENABLED": os.environ.get("PREFECT_UI_ENABLED", "true"),
    }


def configure_prefect(state: Path | None = None) -> None:
    """Apply `prefect_defaults` to the environment (without overriding what the user set); call before importing prefect."""
    for key, value in prefect_defaults(state).items():
        os.environ.setdefault(key, value)
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


def repo_root() -> Path | None:
    """The source checkout this package runs from, if any (editable install)."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "pyproject.toml").exists() else None


def resource_dir(name: str) -> Path:
    """`templates` or `examples`: from the checkout, or from the wheel where hatch copied them."""
    root = repo_root()
    if root and (root / name).is_dir():
        return root / name
    return Path(__file__).resolve().parent / f"_{name}"
