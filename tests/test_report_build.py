"""The report files of a run: both editions, injection made inert, same bytes twice, missing sections.

Built from the hand-written fixtures (tests/fixtures): metrics_sample.json (shapes of docs/architecture.md)
and sla_tickets_sample.csv, whose titles and departments carry HTML and spreadsheet formulas on purpose.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from auditbridge.errors import UsageError
from tasks.report.build import build_report_files
from tasks.report.i18n import catalogue_path, extract_messages, translations

FIXTURES = Path(__file__).parent / "fixtures"
GENERATED_AT = "2026-10-01T06:00:00+00:00"
EVIL_DEPT = '<img src=x onerror="alert(1)">'
EVIL_TOOL = "<b>crm</b>"


@pytest.fixture
def metrics() -> dict:
    return json.loads((FIXTURES / "metrics_sample.json").read_text(encoding="utf-8"))


@pytest.fixture
def sla_tickets() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "sla_tickets_sample.csv")


def adoption_table(metrics: dict) -> pd.DataFrame:
    ad = metrics["adoption"] or {}
    rows = [
        {k: v for k, v in r.items() if k != "change"}
        for r in (ad.get("tools") or []) + (ad.get("departments") or [])
    ]
    return pd.DataFrame(rows)


def build(metrics, sla_tickets, *, languages=("fr", "en"), pdf=False, generated_at=GENERATED_AT, **kw):
    return build_report_files(
        metrics,
        sla_tickets=sla_tickets,
        adoption_tools=adoption_table(metrics),
        languages=list(languages),
        generated_at=generated_at,
        pdf=pdf,
        **kw,
    )


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode()), "CSV for spreadsheets starts with a UTF-8 BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_both_editions_and_every_file(metrics, sla_tickets):
    files = build(metrics, sla_tickets)
    assert set(files) == {
        "report.html",
        "report.en.html",
        "metrics.json",
        "data-quality.json",
        "tables/findings.csv",
        "tables/sla_groups.csv",
        "tables/backlog.csv",
        "tables/sla_tickets.csv",
        "tables/adoption_tools.csv",
        "tables/adoption_monthly.csv",
    }
    fr, en = files["report.html"].decode(), files["report.en.html"].decode()
    assert '<html lang="fr">' in fr and '<html lang="en">' in en
    assert "Synthèse pour la direction" in fr and "Executive summary" in en
    # Money and percentages per language: crm idle cost 27 seats x 45 EUR x 3 months = 3645
    assert "3\u202f645\u00a0€ en jeu sur la période" in fr
    assert "€3,645 at stake over the period" in en
    assert "Tickets sans priorité\u00a0: 33,3\u00a0% résolus dans les délais" in fr  # 30 / 90
    assert "Tickets without priority: 33.3% resolved within target" in en
    # time at stake from the ticket table: 128.2 business hours beyond target for tickets without priority
    assert "60 tickets late, 128 hrs of business time beyond target" in en
    assert "60 tickets en retard, 128\u202fh ouvrées au-delà des délais" in fr
    assert "Du 1 juillet 2026 au 30 septembre 2026" in fr and "From 1 July 2026 to 30 September 2026" in en


def test_sections_and_charts_are_present_with_text_alternatives(metrics, sla_tickets):
    html = build(metrics, sla_tickets, languages=["en"])["report.html"].decode()
    for anchor in ("summary", "findings", "adoption", "sla", "comparison", "quality", "method", "inputs"):
        assert f'<section id="{anchor}">' in html
    # four charts: utilisation, trend, compliance per priority, backlog age; each with title, desc and a table
    assert html.count('role="img"') == 4
    assert html.count("<desc id=") == 4
    assert html.count("Figures behind this chart") == 4
    # the executive summary lists five key findings, the most serious first
    summary = html.split('<section id="summary">')[1].split("</section>")[0]
    assert summary.count("<li class=") == 5
    assert summary.index("crm: only 25% of seat holders use it") < summary.index(
        "erp: 11 of 30 assigned seats"
    )
    # inputs with their fingerprints, the code version
    assert metrics["inputs"][0]["sha256"] in html and "0.1.0+g1a2b3c4" in html


def test_no_reference_to_anything_outside_the_file(metrics, sla_tickets):
    for name, data in build(metrics, sla_tickets).items():
        if not name.endswith(".html"):
            continue
        html = data.decode()
        assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:|//)""", html, re.I), name
        assert "@import" not in html and "url(" not in html and "<script" not in html.lower()
        assert "<link" not in html and "<img" not in html and "<iframe" not in html
        assert "default-src 'none'" in html  # CSP: the browser refuses any request


def test_html_and_formula_injection_is_inert(metrics, sla_tickets):
    evil = copy.deepcopy(metrics)
    evil["adoption"]["departments"][9]["department"] = EVIL_DEPT  # erp / Sales: the one with a gap finding
    evil["sla"]["by_department"][0]["key"] = "=1+2"
    for row in evil["adoption"]["tools"] + evil["adoption"]["departments"] + evil["adoption"]["monthly"]:
        if row["tool"] == "crm":
            row["tool"] = EVIL_TOOL
    files = build(evil, sla_tickets)
    for name in ("report.html", "report.en.html"):
        html = files[name].decode()
        assert EVIL_DEPT not in html and "<b>crm</b>" not in html and "<script>alert" not in html
        assert "&lt;img src=x onerror=" in html  # the department name is shown, as text
        assert "&lt;b&gt;crm&lt;/b&gt;" in html
        assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; install request" in html  # ticket title
    # CSV: every text cell a spreadsheet would run is prefixed with a quote; numbers stay numbers.
    tickets = read_csv(files["tables/sla_tickets.csv"])
    header, rows = tickets[0], tickets[1:]
    titles = [r[header.index("title")] for r in rows]
    assert '\'=HYPERLINK("http://evil.example/x","click")' in titles
    assert "'+cmd|' /C calc'!A0" in titles and "'@SUM(1+1) duplicate" in titles
    assert "VPN down for the Lyon office" in titles  # harmless text untouched
    assert "requester" not in header and "assignee" not in header  # no pseudonym in published tables
    assert [r[header.index("paused_s")] for r in rows][:4] == ["0", "3600", "0", "86400"]
    groups = read_csv(files["tables/sla_groups.csv"])
    assert groups[1 + 2 + 5][:2] == ["department", "'=1+2"]  # after 2 goals and 5 priorities
    findings = read_csv(files["tables/findings.csv"])
    gap = next(r for r in findings if r[0].startswith("department_gap:erp:"))
    assert gap[findings[0].index("department")] == EVIL_DEPT  # starts with "<": not a formula, kept as is
    for table in files:
        if table.endswith(".csv"):
            for row in read_csv(files[table])[1:]:
                assert not any(cell[:1] in ("=", "+", "@", "\t", "\r") for cell in row), (table, row)
                assert not any(re.match(r"-[^\d]", cell) for cell in row), (table, row)


def test_missing_previous_period_is_said_not_broken(metrics, sla_tickets):
    metrics["previous"] = None
    metrics["audit"]["previous_period"] = None
    metrics["adoption"]["previous_period"] = None
    files = build(metrics, sla_tickets)
    en = files["report.en.html"].decode()
    section = en.split('<section id="comparison">')[1].split("</section>")[0]
    assert "There is no previous run of this audit to compare with." in section
    assert "<table" not in section
    assert "Il n’existe pas d’audit précédent avec lequel comparer." in files["report.html"].decode()
    found = json.loads(files["metrics.json"])["findings"]
    assert "backlog_growth" not in [f["id"] for f in found]
    with_previous = build(
        json.loads((FIXTURES / "metrics_sample.json").read_text()), sla_tickets, languages=["en"]
    )
    section = (
        with_previous["report.html"].decode().split('<section id="comparison">')[1].split("</section>")[0]
    )
    assert "Still open" in section and "Cleared" in section  # follow-up of the previous findings
    # crm utilisation then 11/36 = 30.6 %, now 9/36 = 25 %: 5.6 points down
    assert (
        '<th scope="row">crm</th><td class="n">31%</td><td class="n">25%</td><td class="n">−6\u00a0pts</td>'
        in section
    )


def test_empty_run_says_so(sla_tickets):
    bare = {
        "audit": {
            "name": "acme",
            "period": {"label": "2026-Q3", "start": "2026-07-01", "end": "2026-09-30", "kind": "quarter"},
            "run_id": "r1",
            "code_version": "0.1.0",
            "timezone": "Europe/Paris",
            "currency": "EUR",
        },
        "sla": None,
        "adoption": None,
        "data_quality": None,
        "previous": None,
        "inputs": [],
        "policy": None,
    }
    files = build_report_files(
        bare,
        sla_tickets=None,
        adoption_tools=None,
        languages=["en", "fr"],
        generated_at=GENERATED_AT,
        pdf=False,
    )
    html = files["report.html"].decode()
    assert "This run holds neither ticket nor usage data" in html
    assert "No ticket data was provided for this period" in html
    assert "No usage or licence data was provided for this period" in html
    assert "No input file was recorded for this run." in html
    assert json.loads(files["metrics.json"])["findings"] == []
    # tickets but none in scope, licences file absent (no utilisation)
    bare["sla"] = {
        "tickets_in_scope": 0,
        "overall": {"tickets": 0},
        "by_priority": [],
        "backlog": {"open": 0},
    }
    bare["adoption"] = {"tools": [], "departments": [], "totals": {}}
    html = build_report_files(
        bare,
        sla_tickets=sla_tickets.iloc[0:0],
        adoption_tools=None,
        languages=["en"],
        generated_at=GENERATED_AT,
        pdf=False,
    )["report.html"].decode()
    assert "No ticket falls in this period" in html


def test_metrics_json_is_complete_and_sorted(metrics, sla_tickets):
    files = build(metrics, sla_tickets, languages=["en"])
    text = files["metrics.json"].decode()
    data = json.loads(text)
    assert data["schema_version"] == 1
    assert data["audit"]["generated_at"] == GENERATED_AT and data["audit"]["languages"] == ["en"]
    assert data["thresholds"]["utilisation_min"] == 0.4
    assert data["findings"][0]["id"] == "low_utilisation:crm"
    assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    # figures the report computes itself are there too: seat utilisation (9 + 112 + 19 + 38) / 229 assigned
    derived = data["derived"]
    assert derived["seat_utilisation"] == pytest.approx(178 / 229)
    rows = {r["key"]: r for r in derived["comparison"]["rows"]}
    assert rows["resolution"]["now"] == pytest.approx(285 / 369) and rows["resolution"][
        "before"
    ] == pytest.approx(262 / 342)
    assert rows["backlog"]["delta"] == 8
    assert [f["status"] for f in derived["follow_up"]] == ["open", "open", "cleared"]
    assert json.loads(files["data-quality.json"])["verdict"] == "warning"


def test_refuses_bad_languages_and_naive_time(metrics, sla_tickets):
    with pytest.raises(UsageError, match="languages"):
        build_report_files(
            metrics, sla_tickets=None, adoption_tools=None, languages=["de"], generated_at=GENERATED_AT
        )
    with pytest.raises(UsageError, match="timezone"):
        build_report_files(
            metrics,
            sla_tickets=None,
            adoption_tools=None,
            languages=["fr"],
            generated_at="2026-10-01T06:00:00",
        )


def test_every_template_text_is_translated():
    ids = extract_messages()
    assert len(ids) > 200
    fr = translations("fr")
    untranslated = [
        i
        for i in ids
        if fr.gettext(i) == i
        and i not in ("Adoption", "Format", "Source", "Verdict", "Tickets", "Ticket", "Audit", "Utilisation")
    ]
    assert untranslated == []
    assert catalogue_path("en").is_file() and not list(catalogue_path("fr").parent.glob("*.mo"))


_SUBPROCESS_BUILD = """
import hashlib, json, sys
import pandas as pd
from tasks.report.build import build_report_files
m = json.load(open(sys.argv[1], encoding="utf-8"))
files = build_report_files(m, sla_tickets=pd.read_csv(sys.argv[2]), adoption_tools=None, languages=["fr"],
                           generated_at=sys.argv[3])
print(json.dumps({k: hashlib.sha256(v).hexdigest() for k, v in files.items()}))
"""


def test_same_inputs_same_bytes_html_and_pdf(metrics, sla_tickets):
    """Built here and again in another process (fresh caches, another hash seed): the same bytes, PDF included."""
    first = build_report_files(
        metrics, sla_tickets=sla_tickets, adoption_tools=None, languages=["fr"], generated_at=GENERATED_AT
    )
    assert first["report.pdf"].startswith(b"%PDF-")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _SUBPROCESS_BUILD,
            str(FIXTURES / "metrics_sample.json"),
            str(FIXTURES / "sla_tickets_sample.csv"),
            GENERATED_AT,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    second = json.loads(out.stdout.strip().splitlines()[-1])
    assert {k: hashlib.sha256(v).hexdigest() for k, v in first.items()} == second
    # The generation time is an input: another time changes the HTML (and so the PDF), nothing else does.
    later = build(metrics, sla_tickets, languages=["fr"], generated_at="2026-10-02T06:00:00+00:00")
    assert later["report.html"] != first["report.html"]
    assert later["tables/findings.csv"] == first["tables/findings.csv"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_pdf_holds_the_same_content(metrics, sla_tickets, tmp_path):
    files = build(metrics, sla_tickets, languages=["fr"], pdf=True)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(files["report.pdf"])
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Synthèse pour la direction" in text and "Constats et recommandations" in text
    assert "Méthode et définitions" in text and metrics["inputs"][0]["sha256"][:20] in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+([5-9]|1\d)\b", info), info  # a real multi-page document
    # PDF dates come from the run's generation time, not from the clock
    assert re.search(r"CreationDate:\s+Thu Oct  1 06:00:00 2026 UTC", info), info


def test_pdf_rendering_never_fetches_anything(monkeypatch):
    """Even HTML that references remote resources renders to PDF without any connection attempt."""
    import socket

    from tasks.report.build import render_pdf

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    html = (
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="http://example.invalid/x.css"></head>'
        '<body><p>offline</p><img src="https://example.invalid/y.png"></body></html>'
    )
    pdf = render_pdf(html, identifier="t")
    assert pdf.startswith(b"%PDF-")
    assert attempts == []


def test_ticket_table_as_the_sla_stage_gives_it(metrics, sla_tickets):
    """Timestamps as datetime64[ns, UTC], missing titles: the evidence table still reads well."""
    frame = sla_tickets.assign(created_at=pd.to_datetime(sla_tickets["created_at"], utc=True))
    frame.loc[frame["ticket_id"] == "T-1004", "title"] = None
    html = build(metrics, frame, languages=["en"])["report.html"].decode()
    evidence = html.split("Open tickets furthest past their target")[1].split("</table>")[0]
    # T-1003 is 460800 s past its target (720000 - 259200): 128 business hours = 5.3 SLA days, listed first
    assert evidence.index("T-1003") < evidence.index("T-1004") < evidence.index("T-1005")
    assert "5.3 days" in evidence and "11 Aug 2026" in evidence
    assert "None" not in evidence and "nan" not in evidence
