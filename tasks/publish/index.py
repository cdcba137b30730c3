"""The audit's `index.html`: every period with a complete run, newest first, links as relative keys.

Rendered with Jinja2 from `templates/index.html.j2` with autoescape on explicitly (the file name ends in
`.j2`, which `select_autoescape` would not cover): audit names, period labels and code versions come from
configuration and stored manifests, so they are escaped like any other untrusted text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from tasks.publish.layout import MANIFEST, REPORT, period_sort_key

_EDITION_RE = re.compile(r"^report(?:\.([a-z]{2}))?\.(html|pdf)$")


def _href(*segments: str) -> str:
    return "/".join(quote(s, safe="") for s in segments)


def _reports(period: str, run_id: str, paths: Iterable[str]) -> list[dict[str, str]]:
    """The report editions of a run: `report.html` first (the first language), then the others, HTML then PDF."""
    found = []
    for path in paths:
        m = _EDITION_RE.match(path)
        if m:
            lang, ext = m.group(1) or "", m.group(2)
            label = f"{lang.upper()} {ext.upper()}" if lang else ext.upper()
            found.append(
                ((lang != "", ext != "html", lang), {"label": label, "href": _href(period, run_id, path)})
            )
    return [item for _, item in sorted(found, key=lambda x: x[0])]


def index_context(
    audit: str,
    runs: Iterable[Mapping[str, Any]],
    latest: Mapping[str, str],
    *,
    generated_at: str,
    code_version: str,
) -> dict[str, Any]:
    """Template variables. `runs`: complete runs as {period, run_id, created_at, code_version, paths};
    `latest`: period -> run id that latest.json points at."""
    by_period: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        period, run_id = run["period"], run["run_id"]
        by_period.setdefault(period, []).append(
            {
                "run_id": run_id,
                "created_at": run.get("created_at") or "",
                "reports": _reports(period, run_id, run.get("paths") or [REPORT]),
                "manifest_href": _href(period, run_id, MANIFEST),
            }
        )
    periods = [
        {
            "label": label,
            "latest": latest.get(label),
            "runs": sorted(items, key=lambda r: r["run_id"], reverse=True),
        }
        for label, items in sorted(by_period.items(), key=lambda kv: period_sort_key(kv[0]), reverse=True)
    ]
    return {"audit": audit, "periods": periods, "generated_at": generated_at, "code_version": code_version}


def render_index(context: Mapping[str, Any]) -> bytes:
    import jinja2

    from auditbridge.home import resource_dir

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_dir("templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("index.html.j2").render(**context).encode("utf-8")
