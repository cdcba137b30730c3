"""Pure parts of publication: keys, run ids, expiries, manifests and the index page (no store needed)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest

from auditbridge.errors import UsageError
from tasks.publish.index import index_context, render_index
from tasks.publish.layout import (
    RunKey,
    check_relpath,
    check_segment,
    content_type,
    new_run_id,
    parse_expiry,
    parse_key,
    period_sort_key,
)
from tasks.publish.manifest import build_manifest, sha256_b64, verify


def test_run_ids_sort_by_time_and_carry_it():
    early = new_run_id(datetime(2026, 11, 27, 9, 5, 3, tzinfo=UTC))
    late = new_run_id(datetime(2026, 11, 27, 15, 30, 0, tzinfo=UTC))
    assert re.fullmatch(r"20261127T090503Z-[0-9a-f]{6}", early)
    assert late.startswith("20261127T153000Z-")
    assert sorted([late, early]) == [early, late]
    # two runs in the same second still get different folders (24 random bits)
    same = {new_run_id(datetime(2026, 1, 1, tzinfo=UTC)) for _ in range(20)}
    assert len(same) == 20


def test_keys_follow_the_contract_layout():
    rk = RunKey("audits", "acme", "2026-Q3", "20261127T153000Z-abc123")
    assert rk.file("tables/sla.csv") == "audits/acme/2026-Q3/20261127T153000Z-abc123/tables/sla.csv"
    assert rk.manifest == "audits/acme/2026-Q3/20261127T153000Z-abc123/manifest.json"
    assert rk.latest == "audits/acme/2026-Q3/latest.json"
    assert rk.index == "audits/acme/index.html"
    # an empty prefix is the bucket root, and stray slashes do not double
    assert RunKey("", "acme", "2026", "20261127T153000Z-abc123").index == "acme/index.html"
    assert RunKey("/a/b/", "acme", "2026", "20261127T153000Z-abc123").latest == "a/b/acme/2026/latest.json"


def test_parse_key_recognises_only_run_files():
    assert parse_key("audits/acme/2026-Q3/20261127T153000Z-abc123/tables/x.csv", "audits") == (
        "acme",
        "2026-Q3",
        "20261127T153000Z-abc123",
        "tables/x.csv",
    )
    assert parse_key("audits/acme/2026-Q3/latest.json", "audits") is None
    assert parse_key("audits/acme/index.html", "audits") is None
    assert parse_key("other/acme/2026-Q3/20261127T153000Z-abc123/report.html", "audits") is None
    assert parse_key("audits/acme/2026-Q3/not-a-run-id/report.html", "audits") is None


@pytest.mark.parametrize("bad", ["", "..", ".", "a/b", "-x", "a b", "é"])
def test_unsafe_segments_are_refused(bad):
    with pytest.raises(UsageError):
        check_segment(bad, "audit name")


def test_range_period_is_a_valid_segment():
    assert check_segment("2026-07-01..2026-09-30", "period") == "2026-07-01..2026-09-30"


@pytest.mark.parametrize("bad", ["", "/etc/passwd", "../x", "tables/../../x", "a//b", "a\\b", "tables/"])
def test_unsafe_relative_paths_are_refused(bad):
    with pytest.raises(UsageError):
        check_relpath(bad)


def test_content_types_let_a_browser_open_each_file():
    assert content_type("report.html") == "text/html; charset=utf-8"
    assert content_type("report.en.pdf") == "application/pdf"
    assert content_type("tables/sla.csv") == "text/csv; charset=utf-8"
    assert content_type("metrics.json") == "application/json"


def test_expiry_forms():
    # by hand: 7d = 7*86400 = 604800; 1d12h = 86400+43200 = 129600; 30m = 1800
    assert parse_expiry("7d") == 604800
    assert parse_expiry("1d12h") == 129600
    assert parse_expiry("30m") == 1800
    assert parse_expiry("3600") == 3600
    for bad in ["8d", "0", "soon", "7x", "7d garbage"]:
        with pytest.raises(UsageError):
            parse_expiry(bad)


def test_periods_sort_by_dates_not_by_text():
    labels = ["2026-Q1", "2025-Q4", "2026-01", "2025", "2026-H1"]
    ordered = sorted(labels, key=period_sort_key, reverse=True)
    # starts: 2026-Q1 / 2026-01 / 2026-H1 all 2026-01-01, ends 03-31 / 01-31 / 06-30 -> H1, Q1, 01 (end desc);
    # then 2025-Q4 (2025-10-01), then 2025 (2025-01-01)
    assert ordered == ["2026-H1", "2026-Q1", "2026-01", "2025-Q4", "2025"]


def test_manifest_lists_sizes_and_sha256_and_verifies():
    files = {"report.html": b"<p>ok</p>", "tables/a.csv": b"x,y\n1,2\n"}
    manifest = build_manifest(
        audit="acme",
        period="2026-Q3",
        run_id="20261127T153000Z-abc123",
        files=files,
        inputs=[{"name": "glpi.csv", "sha256": "ab" * 32, "bytes": 10}],
        code_version="1.2.3",
        created_at="2026-11-27T15:30:00+00:00",
    )
    by_path = {e["path"]: e for e in manifest["files"]}
    assert by_path["report.html"]["bytes"] == 9  # len("<p>ok</p>")
    assert by_path["tables/a.csv"]["sha256"] == hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    assert manifest["total_bytes"] == 9 + 8
    assert manifest["inputs"][0]["name"] == "glpi.csv"
    assert manifest["code_version"] == "1.2.3"
    assert verify(manifest, "report.html", b"<p>ok</p>") is None
    assert "SHA-256" in verify(manifest, "report.html", b"<p>KO</p>")
    assert "bytes" in verify(manifest, "report.html", b"<p>ok</p>!")
    assert "not listed" in verify(manifest, "report.pdf", b"")
    with pytest.raises(ValueError):
        build_manifest(
            audit="a", period="p", run_id="r", files={"manifest.json": b"{}"}, code_version="x", created_at=""
        )


def test_sha256_b64_is_the_s3_checksum_form():
    # S3's ChecksumSHA256 of b"hello world\n", as SeaweedFS echoed it in a manual check
    assert (
        sha256_b64(hashlib.sha256(b"hello world\n").hexdigest())
        == "qUiQTy8PR5uPgZdpSzAYSw0u0cHNKh7A+4XSmaGSpEc="
    )


def test_index_lists_periods_newest_first_escaped_and_self_contained():
    runs = [
        {
            "period": "2026-Q2",
            "run_id": "20260701T060000Z-aaaaaa",
            "created_at": "t1",
            "paths": ["report.html", "report.en.html", "report.pdf"],
        },
        {
            "period": "2026-Q3",
            "run_id": "20261001T060000Z-bbbbbb",
            "created_at": "t2",
            "paths": ["report.html"],
        },
        {
            "period": "2026-Q3",
            "run_id": "20261002T060000Z-cccccc",
            "created_at": "t3",
            "paths": ["report.html"],
        },
    ]
    latest = {"2026-Q2": "20260701T060000Z-aaaaaa", "2026-Q3": "20261002T060000Z-cccccc"}
    html = render_index(
        index_context("<script>alert(1)</script>", runs, latest, generated_at="t3", code_version="1.0")
    ).decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.index("<h2>2026-Q3</h2>") < html.index("<h2>2026-Q2</h2>")
    assert html.index("20261002T060000Z-cccccc") < html.index("20261001T060000Z-bbbbbb")
    assert 'href="2026-Q2/20260701T060000Z-aaaaaa/report.html"' in html
    assert 'href="2026-Q2/20260701T060000Z-aaaaaa/report.en.html"' in html
    assert 'href="2026-Q3/20261002T060000Z-cccccc/manifest.json"' in html
    # nothing fetched from elsewhere: no script, no external URL, no stylesheet link
    assert "<script" not in html and "http://" not in html and "https://" not in html and "<link" not in html
    # same inputs, same bytes
    assert render_index(
        index_context("a", runs, latest, generated_at="t3", code_version="1.0")
    ) == render_index(index_context("a", runs, latest, generated_at="t3", code_version="1.0"))


def test_local_copy_has_the_bucket_layout_and_readable_files(tmp_path):
    import json
    import os
    import stat

    from tasks.publish.publisher import write_local_copy

    files = {"report.html": b"<p>r</p>", "tables/sla.csv": b"a\n1\n"}
    manifest = {"run_id": "20261127T153000Z-abc123", "files": []}
    folder = write_local_copy(files, tmp_path / "copy", manifest=manifest)
    assert (folder / "report.html").read_bytes() == b"<p>r</p>"
    assert (folder / "tables" / "sla.csv").read_bytes() == b"a\n1\n"
    assert json.loads((folder / "manifest.json").read_text()) == manifest
    assert sorted(p.name for p in folder.rglob("*")) == [
        "manifest.json",
        "report.html",
        "sla.csv",
        "tables",
    ]  # no temp left
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((folder / "report.html").stat().st_mode) == 0o666 & ~umask
    with pytest.raises(UsageError):
        write_local_copy({"../outside.html": b"x"}, tmp_path / "copy")
    assert not (tmp_path / "outside.html").exists()
