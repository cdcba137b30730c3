"""The `audit` flow: orchestration of the stages in `tasks/`, and nothing else.

ingest (each source) -> validate (each dataset; blocking failures stop the run here, with evidence) ->
SLA and adoption (concurrently; on Dask with `run_audit(dask_workers=N)`) -> report (findings, HTML/PDF per
language, tables, metrics.json) -> publish (files, manifest, latest.json, index) -> local copy and artifacts.

On a Dask task runner the two heavy stages are partitioned (`tasks.partition`): a plan task splits the inputs
(SLA per month of creation, adoption per tool), one task per part runs on the cluster, and a merge task gives
the figures of the single run; with the default runner each stage is one task, as before.

Parameters are typed (CONTRACTS section 8): the Prefect UI renders a form and the API refuses a malformed
period before a run is created (`enforce_parameter_schema` in prefect.yaml). Retries with backoff sit on the
I/O tasks only (fetching s3:// inputs, reading the previous run, publishing); pure stages never retry.
Personal data: people are pseudonymised at ingestion; the only task result Prefect keeps is the ingest stage's
cache (already pseudonymised, in the local result storage of the state folder), nothing in its database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from pydantic import Field

from auditbridge import __version__
from auditbridge.config import AuditConfig
from auditbridge.errors import DataError, Problem
from auditbridge.period import Period, last_complete_quarter, parse_period
from flows import partitioned
from tasks.adoption.task import adoption_task
from tasks.ingest.task import ingest_source
from tasks.publish.layout import new_run_id
from tasks.publish.task import publish as publish_task
from tasks.publish.task import read_previous_metrics, report_link, write_local_copy
from tasks.report.task import report_task
from tasks.sla.task import load_sla_policy, sla_task
from tasks.validate import api as validate_api
from tasks.validate.task import record_data_quality, validate_dataset

PERIOD_PATTERN = r"^$|^\d{4}$|^\d{4}-?[Qq][1-4]$|^\d{4}-?[Hh][12]$|^\d{4}-(0[1-9]|1[0-2])$|^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$"
PeriodText = Annotated[str, Field(pattern=PERIOD_PATTERN, max_length=22)]
Language = Literal["fr", "en"]
# validation order: reference datasets first, so cross-checks can use them
KIND_ORDER = ("licences", "directory", "assignments", "tickets", "ticket_events", "usage")
STAGE = {"persist_result": False, "cache_policy": NO_CACHE}


def _run_name() -> str:
    period = flow_run.parameters.get("period") or "last quarter"
    return f"audit {period}"


# --- small stage tasks that belong to no single stage module ---------------------------------------------------
@task(name="load-config", **STAGE)  # no retries: a wrong config stays wrong; boto3 retries an s3:// read
def load_audit_config(config: str) -> AuditConfig:
    """The audit.yaml (path or s3:// URI); empty means $AUDITBRIDGE_CONFIG, else the demo configuration."""
    from auditbridge.config import load_run_config

    return load_run_config(config)


@task(name="pseudonym-key", **STAGE)
def pseudonym_key(cfg: AuditConfig) -> bytes:
    """The pseudonymisation secret: a Prefect Secret block, the environment, or the public demo key."""
    settings = cfg.pseudonymisation
    if settings.secret_block:
        from prefect.blocks.system import Secret

        return str(Secret.load(settings.secret_block).get()).encode()
    from auditbridge.pseudo import load_key

    return load_key(settings.key_env, demo=settings.demo_key)


# --- the flow ------------------------------------------------------------------------------------------------
@flow(
    name="audit",
    flow_run_name=_run_name,
    timeout_seconds=3600,
    persist_result=False,
    validate_parameters=True,
)
def audit(
    period: PeriodText = "",
    config: str = "",
    publish: bool = True,
    languages: list[Language] | None = None,
    as_of: str = "",
    output_dir: str = "",
) -> dict:
    """One IT audit: adoption and SLA figures for a period, validated, reported and published.

    Args:
        period: 2026-Q3, 2026-07, 2026-H2, 2026 or 2026-07-01..2026-09-30; empty = the last complete quarter.
        config: the audit.yaml, a path on the worker or an s3:// URI; empty = $AUDITBRIDGE_CONFIG or the demo.
        publish: publish to the configured bucket (otherwise only the local copy is written).
        languages: report editions (fr, en); empty = the configuration's languages.
        as_of: the instant at which open tickets are judged (ISO 8601); empty = the end of the period.
        output_dir: folder of the local copy on the worker; empty = the config's, else <state>/reports.
    """
    logger = get_run_logger()
    started = datetime.now(UTC).replace(microsecond=0)
    cfg = load_audit_config(config)
    per = parse_period(period) if period else last_complete_quarter(datetime.now(UTC).date())
    langs = list(languages or cfg.languages)
    run_id = new_run_id(started)
    logger.info("audit %s, period %s (%s..%s), run %s", cfg.name, per.label, per.start, per.end, run_id)
    key = pseudonym_key(cfg)

    datasets, inputs, quarantined = ingest_all(cfg, key)
    checked, dq_files, reports = validate_all(cfg, datasets, started)
    data_quality = record_data_quality(reports, {k: len(v) for k, v in quarantined.items()})
    refusal = validate_api.refusal(reports)
    if refusal is not None:
        folder = write_local_copy(dq_files, _local_folder(cfg, per, run_id, output_dir, "refused"))
        raise DataError(
            refusal.problems + [Problem(str(folder), "the failing rows are kept here as evidence")]
        )

    on_dask = partitioned.on_dask()
    sla_future = adoption_future = policy = None
    if "tickets" in checked:
        policy = load_sla_policy(_policy_source(cfg), cfg.timezone)
        sla_args = (
            checked["tickets"],
            checked.get("ticket_events"),
            policy,
            per,
            as_of or None,
            cfg.findings.at_risk_share,
        )
        sla_future = partitioned.sla(*sla_args) if on_dask else sla_task.submit(*sla_args)
    previous = _previous_metrics(cfg, per, publish)
    if "usage" in checked:
        rules = {tool: rule.model_dump() for tool, rule in cfg.adoption.activity.items()}
        adoption_args = dict(
            period=per,
            timezone=cfg.timezone,
            licences=checked.get("licences"),
            assignments=checked.get("assignments"),
            directory=checked.get("directory"),
            min_group_size=cfg.adoption.min_group_size,
            activity_rules=rules,
            previous_metrics=previous,
            currency=cfg.currency,
            zombie_days=cfg.adoption.zombie_days,
        )
        adoption_future = (
            partitioned.adoption(checked["usage"], **adoption_args)
            if on_dask
            else adoption_task.submit(checked["usage"], **adoption_args)
        )
    sla_result = sla_future.result() if sla_future else None
    adoption_result = adoption_future.result() if adoption_future else None

    metrics = {
        "audit": {
            "name": cfg.name,
            "company": cfg.company,
            "period": per.to_dict(),
            "previous_period": per.previous().to_dict(),
            "as_of": (sla_result.summary["as_of"] if sla_result else None),
            "run_id": run_id,
            "code_version": __version__,
            "timezone": cfg.timezone,
            "currency": cfg.currency,
        },
        "sla": sla_result.summary if sla_result else None,
        "adoption": adoption_result.summary if adoption_result else None,
        "data_quality": data_quality,
        "findings": None,
        "previous": _previous_block(previous),
        "inputs": inputs,
        "policy": policy.to_dict() if policy else None,
    }
    files = report_task(
        metrics,
        sla_tickets=sla_result.tickets if sla_result else None,
        adoption_tools=adoption_result.tools if adoption_result else None,
        languages=langs,
        generated_at=started,
        thresholds=cfg.findings,
    )
    files.update(dq_files)

    outcome: dict[str, Any] = {
        "audit": cfg.name,
        "period": per.label,
        "run_id": run_id,
        "data_quality": data_quality["verdict"],
        "uri": None,
        "url": None,
    }
    manifest = None
    if publish:
        published = publish_task(
            cfg.publish,
            audit=cfg.name,
            period=per.label,
            run_id=run_id,
            files=files,
            inputs=inputs,
            code_version=__version__,
        )
        manifest = published.manifest
        outcome["uri"] = published.report_uri
        outcome["url"] = report_link(cfg.publish, key=published.report_key)
        for warning in published.warnings:
            logger.warning(warning)
    folder = write_local_copy(files, _local_folder(cfg, per, run_id, output_dir), manifest=manifest)
    outcome["local"] = str(Path(folder) / "report.html")
    outcome["headline"] = _headline(metrics, files)
    _artifacts(outcome, data_quality)
    logger.info("report: %s", outcome["uri"] or outcome["local"])
    return outcome


# --- orchestration helpers (no business logic) -------------------------------------------------------------------
SECTIONS = (
    "tickets",
    "ticket_events",
    "usage",
    "licences",
    "assignments",
    "directory",
)  # config section = kind


def _sources(cfg: AuditConfig):
    for kind in SECTIONS:
        value = getattr(cfg.sources, kind)
        for src in value if isinstance(value, list) else ([value] if value else []):
            yield kind, src


def ingest_all(
    cfg: AuditConfig, key: bytes
) -> tuple[dict[str, pd.DataFrame], list[dict], dict[str, pd.DataFrame]]:
    """Every configured source through the ingest stage; frames of one kind from several sources are stacked."""
    frames: dict[str, list[pd.DataFrame]] = {}
    quarantined: dict[str, list[pd.DataFrame]] = {}
    inputs: list[dict] = []
    for kind, src in _sources(cfg):
        # a format that knows its kind produces it (and possibly more: e.g. tickets and their events);
        # canonical/generic files are read as the kind of the section they are listed in
        forced = src.kind or (
            kind
            if src.format in ("generic", "auto") or kind in ("licences", "assignments", "directory")
            else None
        )
        mapping = src.mapping if not isinstance(src.mapping, str) else cfg.resolve(src.mapping)
        result = ingest_source(
            [cfg.resolve(src.path)],
            src.format,
            kind=forced,
            timezone=src.timezone or cfg.timezone,
            pseudonym_key=key,
            on_row_error=cfg.validation.on_row_error,
            mapping=mapping,
            tool=src.tool,
        )
        for produced, df in result.datasets.items():
            frames.setdefault(produced, []).append(df)
        for produced, df in result.quarantined.items():
            quarantined.setdefault(produced, []).append(df)
        inputs += [
            {
                "name": f["path"],
                "kind": kind,
                "format": f["format"],
                "sha256": f["sha256"],
                "bytes": f["bytes"],
                "rows": f["rows"],
            }
            for f in result.files
        ]
    stacked = {k: pd.concat(v, ignore_index=True) if len(v) > 1 else v[0] for k, v in frames.items()}
    return stacked, inputs, {k: pd.concat(v, ignore_index=True) for k, v in quarantined.items()}


def validate_all(cfg: AuditConfig, datasets: dict[str, pd.DataFrame], now: datetime):
    """Each dataset through its suite, reference datasets first; returns the rows to use and the evidence files."""
    checked: dict[str, pd.DataFrame] = {}
    files: dict[str, bytes] = {}
    reports = []
    for kind in KIND_ORDER:
        if kind not in datasets:
            continue
        result = validate_dataset(
            kind,
            datasets[kind],
            thresholds=cfg.validation.thresholds,
            as_of=now,
            reference=dict(checked),
            source=kind,
            on_row_error=cfg.validation.on_row_error,
        )
        checked[kind] = result.data
        files.update(result.files)
        reports.append(result.report)
    return checked, files, reports


def _policy_source(cfg: AuditConfig) -> Any:
    if isinstance(cfg.sla_policy, str):
        return cfg.resolve(cfg.sla_policy)
    if cfg.sla_policy is None:
        from auditbridge.errors import ConfigError

        raise ConfigError(
            "audit.yaml", ["sla_policy: required when tickets are audited (a path to sla.yaml, or inline)"]
        )
    return cfg.sla_policy


def _previous_metrics(cfg: AuditConfig, per: Period, publish: bool) -> dict | None:
    """The previous period's published metrics.json, for comparisons; None when there is none (or no store)."""
    logger = get_run_logger()
    reader = read_previous_metrics if publish else read_previous_metrics.with_options(retries=0)
    try:
        return reader(cfg.publish, audit=cfg.name, period=per.previous().label)
    except Exception as exc:  # no previous run is normal; an unreachable store fails the publication later
        if publish:
            raise
        logger.warning(
            "previous period's metrics not read (%s): the report will say there is no comparison", exc
        )
        return None


def _previous_block(previous: dict | None) -> dict | None:
    if not previous:
        return None
    audit = previous.get("audit") or {}
    return {
        "run_id": audit.get("run_id"),
        "period": audit.get("period"),
        "sla": previous.get("sla"),
        "adoption": previous.get("adoption"),
        "findings": previous.get("findings"),
    }


def _local_folder(
    cfg: AuditConfig, per: Period, run_id: str, output_dir: str = "", kind: str = "reports"
) -> Path:
    from auditbridge.home import state_dir

    if output_dir:
        base = Path(output_dir) / kind if kind != "reports" else Path(output_dir)
    elif cfg.publish.local_copy:
        base = Path(cfg.publish.local_copy)
    else:
        base = state_dir() / kind
    if not base.is_absolute():
        base = cfg.base_dir / base
    return base / cfg.name / per.label / run_id


def _headline(metrics: dict, files: dict[str, bytes]) -> list[str]:
    import json

    final = json.loads(files["metrics.json"])
    lines = []
    adoption = final.get("adoption") or {}
    totals = adoption.get("totals") or {}
    if totals:
        lines.append(
            f"idle licence cost over the period: {totals.get('idle_cost', 0):,.0f} {totals.get('currency', '')}"
        )
    sla = final.get("sla") or {}
    clock = (sla.get("overall") or {}).get("resolution") or {}
    if clock:
        lines.append(
            f"resolution SLA compliance: {clock.get('compliance_pct')} % of {sla.get('tickets_in_scope')} tickets"
        )
    if sla:
        lines.append(f"tickets without priority: {100 * (sla.get('no_priority_share') or 0):.0f} %")
    lines.append(f"findings: {len(final.get('findings') or [])}")
    return lines


def _artifacts(outcome: dict, data_quality: dict) -> None:
    if outcome.get("url"):
        create_link_artifact(
            key="audit-report",
            link=outcome["url"],
            link_text=f"Report {outcome['audit']} {outcome['period']}",
            description=f"{outcome['uri']} (presigned link; it expires)",
        )
    create_table_artifact(
        key="audit-headline",
        table=[{"figure": line} for line in outcome["headline"]],
        description=f"Headline figures of {outcome['audit']} {outcome['period']}",
    )
    create_markdown_artifact(
        key="audit-outcome",
        markdown=f"**{outcome['audit']} {outcome['period']}**, run `{outcome['run_id']}`\n\n"
        f"- report: `{outcome['uri'] or outcome['local']}`\n- data quality: **{data_quality['verdict']}**\n",
    )


def run_audit(
    *,
    config: str,
    period: str = "",
    publish: bool = True,
    languages: list[str] | None = None,
    as_of: str = "",
    out: str | None = None,
    dask_workers: int = 0,
) -> dict:
    """The flow as `auditbridge run` and `demo` call it (in-process, Prefect's local API)."""
    flow_fn = audit
    if dask_workers:
        from prefect_dask import DaskTaskRunner

        flow_fn = audit.with_options(
            task_runner=DaskTaskRunner(
                cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1, "processes": True}
            )
        )
    return flow_fn(
        period=period,
        config=config,
        publish=publish,
        languages=languages or None,
        as_of=as_of,
        output_dir=str(Path(out).resolve()) if out else "",
    )
