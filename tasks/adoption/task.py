"""Prefect wrappers of the adoption stage: the flow's `adoption` step runs exactly the command's code.

Pure computation: no retries (a retry would compute the same thing again); the logic lives in `engine`, so it is
tested without Prefect. This is the only adoption module that imports prefect.
"""

from __future__ import annotations

from pathlib import Path

from prefect import task

from tasks.adoption.engine import AdoptionResult, compute_adoption, write_outputs


@task(name="adoption", task_run_name="adoption {period}")
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


@task(name="adoption-outputs")
def write_adoption_outputs(result: AdoptionResult, out_dir: str | Path) -> dict[str, Path]:
    """`adoption_tools.csv` and `adoption_summary.json` in `out_dir`."""
    return write_outputs(result, out_dir)
