"""Prefect wrapper of the report stage: the flow's `report` step runs exactly `build.build_report_files`.

Pure computation from the run's figures: no retries (the same inputs give the same bytes, a retry would
only repeat the work). The logic lives in `build`, tested without Prefect; this is the only report module
that imports prefect.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from auditbridge.config import FindingThresholds
from tasks.report.build import build_report_files


@task(name="report", task_run_name="report {languages}", persist_result=False, cache_policy=NO_CACHE)
def report_task(
    metrics: dict,
    *,
    sla_tickets: pd.DataFrame | None,
    adoption_tools: pd.DataFrame | None,
    languages: list[str],
    generated_at: datetime | str,
    thresholds: FindingThresholds | dict | None = None,
    pdf: bool = True,
) -> dict[str, bytes]:
    """Every report file of the run by relative path (report.html/.pdf, editions, metrics.json, tables)."""
    return build_report_files(
        metrics,
        sla_tickets=sla_tickets,
        adoption_tools=adoption_tools,
        languages=languages,
        generated_at=generated_at,
        thresholds=thresholds,
        pdf=pdf,
    )
