"""The `audit` flow end to end on the demo company, with a real Prefect (local API) and the real SeaweedFS.

One run publishes and is checked in the bucket; one run with a planted blocking defect must stop before
publishing (nothing under its prefix, the failing rows kept as evidence); one run with a warning threshold
publishes and says so in data-quality.json.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from auditbridge.errors import DataError

pytestmark = pytest.mark.integration

ANCHOR = date(2026, 11, 27)  # the demo covers 2025-Q4 .. 2026-Q3


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    from auditbridge.demo_data import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, anchor=ANCHOR)
    return out


@pytest.fixture
def point_at_store(monkeypatch, store_info):
    """The flow publishes through the standard AWS environment, as a real deployment would."""
    env = store_info.env("publisher")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _variant(demo_dir: Path, tmp_path: Path, prefix: str, **changes) -> Path:
    """A copy of the demo's audit.yaml (same data files) with its own bucket prefix and `changes`."""
    cfg = yaml.safe_load((demo_dir / "audit.yaml").read_text())
    cfg["publish"]["prefix"] = prefix
    cfg["languages"] = ["en"]
    for key, value in changes.items():
        cfg[key] = value
    for name in demo_dir.iterdir():
        target = tmp_path / name.name
        if name.name != "audit.yaml" and not target.exists():
            target.symlink_to(name)
    path = tmp_path / "audit.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _keys(client, bucket: str, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def test_demo_audit_is_published_and_verifiable(
    demo_dir, tmp_path, point_at_store, publisher_client, s3_prefix
):
    from flows.audit import run_audit

    config = _variant(demo_dir, tmp_path, s3_prefix)
    outcome = run_audit(config=str(config), period="2026-Q3", out=str(tmp_path / "local"))
    bucket = point_at_store["AUDITBRIDGE_BUCKET"]
    base = f"{s3_prefix}/demo-company/2026-Q3/{outcome['run_id']}/"
    keys = _keys(publisher_client, bucket, s3_prefix)
    for name in (
        "report.html",
        "report.pdf",
        "metrics.json",
        "data-quality.json",
        "manifest.json",
        "tables/sla_tickets.csv",
        "tables/adoption_tools.csv",
    ):
        assert base + name in keys
    assert f"{s3_prefix}/demo-company/2026-Q3/latest.json" in keys
    assert f"{s3_prefix}/demo-company/index.html" in keys
    assert outcome["uri"] == f"s3://{bucket}/{base}report.html"

    metrics = json.loads(publisher_client.get_object(Bucket=bucket, Key=base + "metrics.json")["Body"].read())
    assert metrics["audit"]["period"]["label"] == "2026-Q3"
    # the demo's story: about a third of the tickets carry no priority, and the CRM is under-used
    assert 0.25 <= metrics["sla"]["no_priority_share"] <= 0.45
    crm = next(t for t in metrics["adoption"]["tools"] if t["tool"] == "crm")
    assert crm["utilisation"] < 0.9 and crm["idle_cost"] > 0
    # the presigned link fetches the very report the manifest describes
    import hashlib
    import urllib.request

    manifest = json.loads(
        publisher_client.get_object(Bucket=bucket, Key=base + "manifest.json")["Body"].read()
    )
    with urllib.request.urlopen(outcome["url"], timeout=10) as resp:
        body = resp.read()
    listed = {f["path"]: f for f in manifest["files"]}
    assert hashlib.sha256(body).hexdigest() == listed["report.html"]["sha256"]
    # no name or e-mail address of the demo's people reaches the published files
    people = pd.read_csv(demo_dir / "directory.csv")["user"].astype(str)
    html = body.decode()
    table = (
        publisher_client.get_object(Bucket=bucket, Key=base + "tables/sla_tickets.csv")["Body"]
        .read()
        .decode()
    )
    assert not any(p in html or p in table for p in people.head(50))
    # the local copy has the same files
    local = Path(outcome["local"]).parent
    assert (local / "report.html").read_bytes() == body


def test_blocking_failure_stops_before_publishing(
    demo_dir, tmp_path, point_at_store, publisher_client, s3_prefix
):
    from flows.audit import run_audit

    # plant a defect: a licence inventory with a negative seat count (blocking: seats must be >= 0)
    lic = pd.read_csv(demo_dir / "licences.csv")
    lic.loc[0, "seats"] = -5
    work = tmp_path / "work"
    work.mkdir()
    lic.to_csv(work / "licences.csv", index=False)
    config = _variant(demo_dir, work, s3_prefix)
    with pytest.raises(DataError) as exc:
        run_audit(config=str(config), period="2026-Q3", out=str(tmp_path / "local"))
    message = str(exc.value)
    assert "seats" in message
    assert _keys(publisher_client, point_at_store["AUDITBRIDGE_BUCKET"], s3_prefix) == []
    evidence = list((tmp_path / "local").rglob("*.csv"))
    assert evidence, "the failing rows are written as evidence"
    assert any("-5" in p.read_text() for p in evidence)


def test_warning_publishes_with_a_visible_verdict(
    demo_dir, tmp_path, point_at_store, publisher_client, s3_prefix
):
    from flows.audit import run_audit

    # every demo ticket lacks some optional field? No: require that no ticket lacks a priority, which a third do
    config = _variant(
        demo_dir,
        tmp_path,
        s3_prefix,
        validation={"on_row_error": "refuse", "thresholds": {"tickets.priority_missing_max": 0.05}},
    )
    outcome = run_audit(config=str(config), period="2026-Q3", out=str(tmp_path / "local"))
    assert outcome["data_quality"] == "warning"
    bucket = point_at_store["AUDITBRIDGE_BUCKET"]
    base = f"{s3_prefix}/demo-company/2026-Q3/{outcome['run_id']}/"
    dq = json.loads(publisher_client.get_object(Bucket=bucket, Key=base + "data-quality.json")["Body"].read())
    assert dq["verdict"] == "warning"
    failed = [e for d in dq["datasets"] for e in d["expectations"] if not e["success"]]
    assert any(e["severity"] == "warning" for e in failed)
    html = publisher_client.get_object(Bucket=bucket, Key=base + "report.html")["Body"].read().decode()
    assert "warning" in html.lower()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("failure", ["wrong key", "store down"])
def test_unusable_store_fails_the_run_clearly_and_publishes_nothing(
    failure, demo_dir, tmp_path, monkeypatch, store_info, publisher_client, s3_prefix
):
    """A refused key fails at once; a store that is down fails after the I/O tasks' bounded retries."""
    from auditbridge.errors import StorageError
    from flows.audit import run_audit

    for key, value in store_info.env("publisher").items():
        monkeypatch.setenv(key, value)
    if failure == "wrong key":
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    else:
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_free_port()}")  # nothing listens there
    config = _variant(demo_dir, tmp_path, s3_prefix)
    with pytest.raises(StorageError) as exc:
        run_audit(config=str(config), period="2026-Q3", out=str(tmp_path / "local"))
    message = str(exc.value)
    assert (
        ("refused" in message or "signature" in message.lower())
        if failure == "wrong key"
        else "127.0.0.1" in message
    )
    assert _keys(publisher_client, store_info.bucket, s3_prefix) == []
    assert not (tmp_path / "local").exists() or not list((tmp_path / "local").rglob("report.html"))


def test_a_second_audit_of_the_same_exports_reuses_their_ingestion(
    demo_dir, tmp_path, point_at_store, s3_prefix
):
    """Same files, options and key: the second run's ingest tasks are Cached; a changed file is read again."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.audit import audit

    config = _variant(demo_dir, tmp_path, s3_prefix)

    def ingest_states() -> dict[str, str]:
        state = audit(
            period="2026-Q3",
            config=str(config),
            publish=False,
            languages=["en"],
            output_dir=str(tmp_path / "local"),
            return_state=True,
        )
        assert state.is_completed()
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
            )
        return {r.name: r.state.name for r in runs if r.name.startswith("ingest-")}

    first = ingest_states()  # read now, or already by an earlier test of these same demo files
    assert first and set(first.values()) <= {"Completed", "Cached"}
    (tmp_path / "licences.csv").unlink()  # a symlink to the demo's file: replace it by a changed copy
    lic = pd.read_csv(demo_dir / "licences.csv")
    lic.loc[0, "cost_per_seat_month"] += 1
    lic.to_csv(tmp_path / "licences.csv", index=False)
    second = sorted(ingest_states().values())
    assert second.count("Cached") == len(first) - 1 and second.count("Completed") == 1
