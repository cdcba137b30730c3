"""Every finding rule has its headline, explanation and recommendation in both languages.

A rule whose texts were forgotten would show its raw id (`licence_without_usage:esign`) to a sales
director: render each rule's macros in French and English and check that real sentences come out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markupsafe import Markup

from tasks.report.build import prepare_metrics
from tasks.report.findings import derive_findings
from tasks.report.i18n import make_environment
from tasks.report.view import build_context

FIXTURE = Path(__file__).parent / "fixtures" / "metrics_sample.json"


def every_rule() -> list[dict]:
    """The sample's findings plus the rules it does not trigger (licence without usage, idle cost on crm)."""
    metrics = json.loads(FIXTURE.read_text(encoding="utf-8"))
    metrics["adoption"]["licences_without_usage"] = ["esign"]
    found = derive_findings(metrics, {"utilisation_min": 0.2})  # crm at 25 %: idle cost instead of low use
    found += derive_findings(metrics, {})
    by_rule = {}
    for f in found:
        by_rule.setdefault(f["id"].split(":")[0], f)
    return list(by_rule.values())


RULES = (
    "low_utilisation",
    "idle_cost",
    "department_gap",
    "licence_without_usage",
    "sla_compliance",
    "no_priority",
    "backlog_growth",
    "open_breached",
    "data_quality",
)


def test_the_fixture_covers_every_rule():
    assert sorted(f["id"].split(":")[0] for f in every_rule()) == sorted(RULES)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_rule_speaks_both_languages(lang):
    metrics = prepare_metrics(
        json.loads(FIXTURE.read_text(encoding="utf-8")),
        languages=[lang],
        generated_at="2026-10-01T06:00:00+00:00",
        thresholds=None,
    )
    ctx = build_context(metrics, findings=[], sla_tickets=None, thresholds=metrics["thresholds"], lang=lang)
    texts = make_environment(lang).get_template("partials/finding_texts.html.j2").make_module(ctx)
    seen_recos = set()
    for f in every_rule():
        title = Markup(str(texts.title(f))).striptags()
        detail = Markup(str(texts.detail(f))).striptags()
        reco = Markup(str(texts.reco(f))).striptags()
        label = Markup(str(texts.label(f))).striptags()
        assert title and f["id"] not in title, (f["id"], title)
        assert label and f["id"] not in label, (f["id"], label)
        assert len(detail) > 30 and len(reco) > 40, (f["id"], detail, reco)
        seen_recos.add(reco)
    assert len(seen_recos) >= len(RULES) - 1  # each rule its own advice (SLA variants may share one)
    if lang == "fr":
        esign = next(f for f in every_rule() if f["id"].startswith("licence_without_usage"))
        assert (
            Markup(str(texts.title(esign))).striptags() == "esign : licences payées, aucun usage enregistré"
        )  # striptags folds the no-break space
