"""Prefect wrappers of the adoption stage: the flow's `adoption` step runs exactly the command's code.

Pure computation: no retries (a retry would compute the same thing again); the logic lives in `engine`, so it is
tested without Prefect. This is the only adoption module that imports prefect.
"""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.adoption.engine import AdoptionResult, compute_adoption, write_outputs

# pure computation on the audit's data: nothing hashed into cache keys, nothing persisted
_PURE = {"persist_result": False, "cache_policy": NO_CACHE}


@task(name="adoption", task_run_name="adoption {period}", **_PURE)
def adoption_task(
    usage,
    *,
    period,
    timezone: str,
    licences=None,
    assignments=None,
    directory=None,
    min_group_size: int = 5,
    activity_rules=None,
    previous_metrics: dict | None = None,
    currency: str | None = None,
    zombie_days: int = 90,
) -> AdoptionResult:
    """Adoption figures from the ingested canonical frames (see `engine.compute_adoption`)."""
    return compute_adoption(
        usage,
        licences=licences,
        assignments=assignments,
        directory=directory,
        period=period,
        timezone=timezone,
        min_group_size=min_group_size,
        activity_rules=activity_rules,
        previous_metrics=previous_metrics,
        currency=currency,
        zombie_days=zombie_days,
    )


@task(name="adoption-outputs", **_PURE)
def write_adoption_outputs(result: AdoptionResult, out_dir: str | Path) -> dict[str, Path]:
    """`adoption_tools.csv` and `adoption_summary.json` in `out_dir`."""
    return write_outputs(result, out_dir)


# --- the partitioned path (a Dask task runner): plan, one task per tool, merge; see tasks.partition -------------
@task(name="adoption-plan", task_run_name="adoption plan", **_PURE)
def adoption_plan_task(
    usage, *, period, timezone: str, licences, assignments, directory, currency: str | None
):
    """Cross-tool facts computed once on the whole input, then the usage split per tool."""
    from tasks.partition import plan_adoption

    return plan_adoption(
        usage,
        period=period,
        timezone=timezone,
        licences=licences,
        assignments=assignments,
        directory=directory,
        currency=currency,
    )


@task(name="adoption-part", task_run_name="adoption {part.key}", **_PURE)
def adoption_part_task(part, **options):
    """One tool's figures (`tasks.partition.compute_adoption_part`; options as `adoption_task`'s)."""
    from tasks.partition import compute_adoption_part

    return compute_adoption_part(part, **options)


@task(name="adoption-merge", task_run_name="adoption {period}", **_PURE)
def adoption_merge_task(results: list, meta, period) -> AdoptionResult:
    """The tools' figures merged: the same result as `adoption_task`."""
    from tasks.partition import merge_adoption

    return merge_adoption(results, meta, period=period)
