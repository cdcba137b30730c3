"""Prefect wrappers of the SLA stage: the flow's `sla` step runs exactly the code of `auditbridge sla`.

Pure computation: no retries (a retry would compute the same thing again) and no cached or persisted results
(the frames hold the audit's data). The logic lives in `policy`, `calendar`, `engine` and `summary`, tested
without Prefect; this is the only SLA module that imports prefect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.sla.engine import SlaResult, compute_sla, write_outputs
from tasks.sla.policy import Policy, load_policy

_PURE = {"persist_result": False, "cache_policy": NO_CACHE}


@task(name="sla-policy", **_PURE)
def load_sla_policy(source: str | Path | dict, default_timezone: str | None = None) -> Policy:
    """The checked policy (a path to sla.yaml or the inline mapping of audit.yaml)."""
    return load_policy(source, default_timezone=default_timezone)


@task(name="sla", task_run_name="sla {period}", **_PURE)
def sla_task(
    tickets: pd.DataFrame,
    events: pd.DataFrame | None,
    policy: Policy,
    period: Any,
    as_of: Any = None,
    at_risk_share: float = 0.8,
) -> SlaResult:
    """Business-time clocks and figures for the tickets in scope (see `engine.compute_sla`)."""
    return compute_sla(tickets, events, policy, period, as_of, at_risk_share=at_risk_share)


@task(name="sla-outputs", **_PURE)
def write_sla_outputs(result: SlaResult, out_dir: str | Path) -> dict[str, Path]:
    """`sla_tickets.csv` and `sla_summary.json` in `out_dir`."""
    return write_outputs(result, out_dir)


# --- the partitioned path (a Dask task runner): plan, one task per month of creation, merge; see tasks.partition
@task(name="sla-plan", task_run_name="sla plan", **_PURE)
def sla_plan_task(tickets: pd.DataFrame, events: pd.DataFrame | None, policy: Policy):
    """The whole input checked once, then split by month of creation (`tasks.partition.plan_sla`)."""
    from tasks.partition import plan_sla

    return plan_sla(tickets, events, policy)


@task(name="sla-part", task_run_name="sla {part.label}", **_PURE)
def sla_part_task(part, policy: Policy, period: Any, as_of: Any, at_risk_share: float) -> pd.DataFrame:
    """The per-ticket clocks of one part."""
    from tasks.partition import compute_sla_part

    return compute_sla_part(part, policy, period, as_of, at_risk_share=at_risk_share)


@task(name="sla-merge", task_run_name="sla {period}", **_PURE)
def sla_merge_task(
    frames: list[pd.DataFrame], meta, policy: Policy, period: Any, as_of: Any, at_risk_share: float
) -> SlaResult:
    """The parts back in file order and the summary built once: the same result as `sla_task`."""
    from tasks.partition import merge_sla

    return merge_sla(frames, meta, policy, period, as_of, at_risk_share=at_risk_share)
