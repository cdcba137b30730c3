"""Build every file of a run's report: both editions in HTML and PDF, metrics.json, data-quality.json, tables.

`build_report_files` is pure: it returns `{relative path: bytes}` and writes nothing, so the flow decides
where the files go (S3 or a local folder) and tests compare bytes. Same inputs, same bytes: the generation
time is an argument (never `now()`), JSON keys are sorted, and the PDF takes its dates from the HTML's
`dcterms` metadata (the run's generation time) and a file identifier derived from the run id, so
WeasyPrint adds nothing that changes between two builds.

No request leaves the machine while rendering either: WeasyPrint gets a URL fetcher that only accepts
`data:` URLs, and the HTML itself forbids every request with its Content-Security-Policy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from markupsafe import Markup

from auditbridge.config import FindingThresholds
from auditbridge.errors import UsageError
from tasks.report.findings import derive_findings, follow_up
from tasks.report.i18n import LANGUAGES, make_environment
from tasks.report.tables import build_tables
from tasks.report.view import backlog_buckets, build_context, comparison, seat_utilisation

SCHEMA_VERSION = 1
REPORT_TEMPLATE = "report.html.j2"


def _clean(value: Any) -> Any:
    """Plain JSON values: NaN and pandas NA become null, numpy scalars Python numbers, dates ISO strings."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (int, float)):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, int):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _iso(generated_at: datetime | str) -> str:
    if isinstance(generated_at, str):
        try:
            generated_at = datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"generated_at {generated_at!r} is not an ISO 8601 timestamp") from None
    if generated_at.tzinfo is None:
        raise UsageError("generated_at must carry a timezone (e.g. 2026-10-01T06:00:00+00:00)")
    return generated_at.astimezone(UTC).isoformat(timespec="seconds")


def _languages(languages: list[str] | tuple[str, ...]) -> list[str]:
    langs = list(dict.fromkeys(languages or []))
    unknown = [lang for lang in langs if lang not in LANGUAGES]
    if not langs or unknown:
        raise UsageError(
            f"report languages {list(languages or [])!r}: expected one or more of {', '.join(LANGUAGES)}"
        )
    return langs


def prepare_metrics(
    metrics: dict,
    *,
    languages: list[str],
    generated_at: str,
    thresholds: FindingThresholds | dict | None,
    sla_tickets: pd.DataFrame | None = None,
) -> dict:
    """metrics.json as published: cleaned, stamped with the generation time, with its findings and thresholds."""
    m = _clean(metrics)
    t = (
        thresholds
        if isinstance(thresholds, FindingThresholds)
        else FindingThresholds.model_validate(thresholds or m.get("thresholds") or {})
    )
    m["schema_version"] = SCHEMA_VERSION
    m["audit"] = {**(m.get("audit") or {}), "generated_at": generated_at, "languages": languages}
    m["thresholds"] = t.model_dump()
    if m.get("findings") is None:
        m["findings"] = derive_findings(m, t, sla_tickets=sla_tickets)
    for key in ("sla", "adoption", "data_quality", "previous", "policy"):
        m.setdefault(key, None)
    m.setdefault("inputs", [])
    m["derived"] = derived_figures(m)
    return m


def derived_figures(m: dict) -> dict:
    """The figures the report computes from the stages' summaries, so metrics.json holds every figure shown."""
    previous = m.get("previous") or {}
    return _clean(
        {
            "seat_utilisation": seat_utilisation((m.get("adoption") or {}).get("tools")),
            "backlog_buckets": backlog_buckets(m.get("sla")) if m.get("sla") else [],
            "comparison": comparison(m),
            "follow_up": follow_up(m["findings"], previous.get("findings")) if previous else [],
        }
    )


def render_html(metrics: dict, *, sla_tickets: pd.DataFrame | None, lang: str) -> str:
    """One edition's self-contained HTML."""
    env = make_environment(lang)
    ctx = build_context(
        metrics,
        findings=metrics["findings"],
        sla_tickets=sla_tickets,
        thresholds=metrics["thresholds"],
        lang=lang,
    )
    return env.get_template(REPORT_TEMPLATE).render(ctx)


def finding_titles(metrics: dict, lang: str) -> dict[str, str]:
    """Each finding's headline as plain text in `lang` (for findings.csv)."""
    env = make_environment(lang)
    ctx = build_context(
        metrics, findings=metrics["findings"], sla_tickets=None, thresholds=metrics["thresholds"], lang=lang
    )
    module = env.get_template("partials/finding_texts.html.j2").make_module(ctx)
    return {f["id"]: Markup(str(module.title(f))).striptags() for f in metrics["findings"]}


def render_pdf(html: str, *, identifier: str) -> bytes:
    """The PDF of an edition; deterministic for a given HTML and identifier, and offline."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # The same HTML serves browsers: WeasyPrint notes the screen-only rules it skips (the phone stylesheet,
    # clip-path); those notes are not problems of the report, so only its errors reach the run's log.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = URLFetcher(allowed_protocols=["data"])
    document = HTML(string=html, url_fetcher=fetcher).render()
    pdf_id = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:32].encode("ascii")
    return document.write_pdf(pdf_identifier=pdf_id)


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode(
        "utf-8"
    )


def build_report_files(
    metrics: dict,
    *,
    sla_tickets: pd.DataFrame | None,
    adoption_tools: pd.DataFrame | None,
    languages: list[str] | tuple[str, ...],
    generated_at: datetime | str,
    thresholds: FindingThresholds | dict | None = None,
    pdf: bool = True,
) -> dict[str, bytes]:
    """Every file of the run's report, by path relative to the run folder (CONTRACTS section 7).

    The first language gives `report.html`/`report.pdf`, each further one `report.<lang>.html/.pdf`.
    `metrics["findings"]`, when None or absent, is derived here with `thresholds` (the audit's
    `findings` settings). `pdf=False` skips the PDFs (for quick previews and tests of the HTML alone).
    """
    langs = _languages(languages)
    m = prepare_metrics(
        metrics,
        languages=langs,
        generated_at=_iso(generated_at),
        thresholds=thresholds,
        sla_tickets=sla_tickets,
    )
    files: dict[str, bytes] = {}
    for i, lang in enumerate(langs):
        stem = "report" if i == 0 else f"report.{lang}"
        html = render_html(m, sla_tickets=sla_tickets, lang=lang)
        files[f"{stem}.html"] = html.encode("utf-8")
        if pdf:
            run = (m.get("audit") or {}).get("run_id") or ""
            files[f"{stem}.pdf"] = render_pdf(html, identifier=f"{run}/{lang}")
    files["metrics.json"] = _json_bytes(m)
    files["data-quality.json"] = _json_bytes(m.get("data_quality") or {"verdict": None, "datasets": []})
    files.update(
        build_tables(
            m,
            sla_tickets=sla_tickets,
            adoption_tools=adoption_tools,
            findings=m["findings"],
            finding_titles=finding_titles(m, langs[0]),
        )
    )
    return dict(sorted(files.items()))
