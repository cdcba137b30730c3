"""Orchestration of the heavy stages on a Dask task runner: plan, one task per part, merge.

SLA is split per month of creation and adoption per tool; the logic (what each part needs, how parts merge
into exactly the single-process figures) is in `tasks/partition.py`. Each function returns the merge task's
future, which stands for the single stage task's future (same result type).
"""

from __future__ import annotations

import sys
from typing import Any

import pandas as pd
from prefect import get_run_logger
from prefect.context import FlowRunContext

from auditbridge.period import Period
from tasks.adoption.task import adoption_merge_task, adoption_part_task, adoption_plan_task
from tasks.sla.task import sla_merge_task, sla_part_task, sla_plan_task


def on_dask() -> bool:
    """Whether this flow run's task runner is Dask (`run_audit(dask_workers=N)`): then the heavy stages are split.

    prefect_dask is looked up, not imported: a run that never loaded it cannot be running on it.
    """
    module = sys.modules.get("prefect_dask.task_runners")
    context = FlowRunContext.get()
    return bool(module and context and isinstance(context.task_runner, module.DaskTaskRunner))


def sla(
    tickets: pd.DataFrame,
    events: pd.DataFrame | None,
    policy,
    period: Period,
    as_of: Any,
    at_risk_share: float,
):
    plan = sla_plan_task(tickets, events, policy)
    get_run_logger().info(
        "sla: %d part(s) by month of creation (%s)", len(plan.parts), ", ".join(p.label for p in plan.parts)
    )
    parts = [sla_part_task.submit(part, policy, period, as_of, at_risk_share) for part in plan.parts]
    return sla_merge_task.submit(parts, plan.meta, policy, period, as_of, at_risk_share)


def adoption(
    usage: pd.DataFrame,
    *,
    period: Period,
    timezone: str,
    licences,
    assignments,
    directory,
    currency: str | None,
    **options,
):
    plan = adoption_plan_task(
        usage,
        period=period,
        timezone=timezone,
        licences=licences,
        assignments=assignments,
        directory=directory,
        currency=currency,
    )
    get_run_logger().info("adoption: %d part(s) by tool (%s)", len(plan.parts), ", ".join(plan.meta.keys))
    parts = [
        adoption_part_task.submit(
            part,
            period=period,
            timezone=timezone,
            currency=plan.meta.currency,
            directory=plan.directory,
            **options,
        )
        for part in plan.parts
    ]
    return adoption_merge_task.submit(parts, plan.meta, period)
