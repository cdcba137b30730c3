"""Publication on the real SeaweedFS: layout, manifests matching the objects, encryption and content types,
conditional writes, two runs of one period side by side, verified downloads, the reader and a wrong key."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from auditbridge.errors import UsageError
from auditbridge.s3 import make_client
from tasks.publish import publisher
from tasks.publish.failures import PublishError

pytestmark = pytest.mark.integration

AUDIT = "acme"


def _files(tag: str) -> dict[str, bytes]:
    """A small run: the report in two languages, metrics, a table (tag makes each run's bytes different)."""
    return {
        "report.html": f"<html><body>rapport {tag}</body></html>".encode(),
        "report.en.html": f"<html><body>report {tag}</body></html>".encode(),
        "report.pdf": b"%PDF-1.7\n" + tag.encode() + b"\n%%EOF\n",
        "metrics.json": json.dumps({"schema_version": 1, "tag": tag}).encode(),
        "data-quality.json": b'{"verdict": "pass", "datasets": []}',
        "tables/sla_tickets.csv": f"ticket_id,goal\n{tag},default\n".encode(),
    }


def _publish(client, bucket, prefix, period, run_id, files, **kw):
    return publisher.publish_run(
        client,
        bucket=bucket,
        prefix=prefix,
        audit=AUDIT,
        period=period,
        run_id=run_id,
        files=files,
        inputs=[
            {
                "name": "glpi.csv",
                "kind": "tickets",
                "format": "glpi",
                "sha256": "cd" * 32,
                "bytes": 1234,
                "rows": 10,
            }
        ],
        code_version="0.1.0+test",
        **kw,
    )


def _keys(client, bucket, prefix) -> set[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
    return {o["Key"] for p in pages for o in p.get("Contents", [])}


def _body(client, bucket, key) -> bytes:
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_layout_manifest_encryption_and_content_types(publisher_client, store_info, s3_prefix):
    bucket, run_id = store_info.bucket, "20261001T060000Z-a1b2c3"
    files = _files("one")
    published = _publish(publisher_client, bucket, s3_prefix, "2026-Q3", run_id, files)

    run = f"{s3_prefix}/{AUDIT}/2026-Q3/{run_id}/"
    expected = {run + p for p in files} | {
        run + "manifest.json",
        f"{s3_prefix}/{AUDIT}/2026-Q3/latest.json",
        f"{s3_prefix}/{AUDIT}/index.html",
    }
    assert _keys(publisher_client, bucket, s3_prefix) == expected
    assert published.uri == f"s3://{bucket}/{run}"
    assert published.report_key == run + "report.html"
    assert published.warnings == ()

    manifest = json.loads(_body(publisher_client, bucket, run + "manifest.json"))
    assert manifest == published.manifest
    assert manifest["code_version"] == "0.1.0+test" and manifest["run_id"] == run_id
    assert manifest["inputs"][0]["sha256"] == "cd" * 32
    assert {e["path"] for e in manifest["files"]} == set(files)
    for entry in manifest["files"]:
        stored = _body(publisher_client, bucket, run + entry["path"])
        # the manifest's figures are recomputed here from what the store returns, not from the code's
        assert entry["bytes"] == len(stored) == len(files[entry["path"]])
        assert entry["sha256"] == hashlib.sha256(stored).hexdigest()
        head = publisher_client.head_object(Bucket=bucket, Key=run + entry["path"], ChecksumMode="ENABLED")
        assert head["ServerSideEncryption"] == "AES256"
        assert entry["server_side_encryption"] == "AES256" and entry["checksum_sha256_confirmed"] is True
        assert head["Metadata"]["audit"] == AUDIT and head["Metadata"]["run-id"] == run_id
        assert head["Metadata"]["period"] == "2026-Q3" and head["Metadata"]["code-version"] == "0.1.0+test"
        assert "immutable" in head["CacheControl"]
    heads = {p: publisher_client.head_object(Bucket=bucket, Key=run + p)["ContentType"] for p in files}
    assert heads["report.html"] == "text/html; charset=utf-8"
    assert heads["report.pdf"] == "application/pdf"
    assert heads["tables/sla_tickets.csv"] == "text/csv; charset=utf-8"
    assert heads["metrics.json"] == "application/json"
    assert manifest["storage"]["server_side_encryption_confirmed"] == "AES256"
    assert manifest["storage"]["checksum_sha256_confirmed"] is True

    latest = json.loads(_body(publisher_client, bucket, f"{s3_prefix}/{AUDIT}/2026-Q3/latest.json"))
    assert latest["run_id"] == run_id and latest["report"] == f"{run_id}/report.html"
    assert (
        latest["manifest_sha256"]
        == hashlib.sha256(_body(publisher_client, bucket, run + "manifest.json")).hexdigest()
    )
    index = publisher_client.get_object(Bucket=bucket, Key=f"{s3_prefix}/{AUDIT}/index.html")
    assert index["ContentType"] == "text/html; charset=utf-8"
    assert index["ServerSideEncryption"] == "AES256" and index["CacheControl"] == "no-cache"
    pointer = publisher_client.head_object(Bucket=bucket, Key=f"{s3_prefix}/{AUDIT}/2026-Q3/latest.json")
    assert pointer["ServerSideEncryption"] == "AES256" and pointer["ContentType"] == "application/json"
    assert f'href="2026-Q3/{run_id}/report.html"' in index["Body"].read().decode()


def test_encrypted_objects_are_not_readable_on_disk(publisher_client, store, store_info, s3_prefix):
    """SeaweedFS really encrypts SSE-S3 objects at rest: the plain marker is absent from its volume files, while
    the same marker published without encryption (the control) is there."""
    bucket = store_info.bucket
    secret = f"MARKER-{os.urandom(8).hex()}".encode()
    control = f"CONTROL-{os.urandom(8).hex()}".encode()
    _publish(
        publisher_client,
        bucket,
        s3_prefix,
        "2026-Q1",
        "20260401T060000Z-000001",
        {"report.html": b"<p>" + secret + b"</p>"},
    )
    _publish(
        publisher_client,
        bucket,
        s3_prefix + "-plain",
        "2026-Q1",
        "20260401T060000Z-000002",
        {"report.html": b"<p>" + control + b"</p>"},
        sse=None,
    )
    on_disk = b"".join(
        p.read_bytes() for p in Path(store.root, "data").rglob("*") if p.is_file() and p.suffix == ".dat"
    )
    assert control in on_disk
    assert secret not in on_disk


def test_two_runs_of_one_period_side_by_side(publisher_client, store_info, s3_prefix):
    bucket = store_info.bucket
    first, second = "20261001T060000Z-aaaaaa", "20261002T060000Z-bbbbbb"
    _publish(publisher_client, bucket, s3_prefix, "2026-Q3", first, _files("first"))
    _publish(publisher_client, bucket, s3_prefix, "2026-Q3", second, _files("second"))
    _publish(publisher_client, bucket, s3_prefix, "2026-Q2", "20260701T060000Z-cccccc", _files("q2"))

    runs = publisher.list_runs(publisher_client, bucket=bucket, prefix=s3_prefix)
    assert [(r.period, r.run_id, r.latest) for r in runs] == [
        ("2026-Q3", second, True),
        ("2026-Q3", first, False),
        ("2026-Q2", "20260701T060000Z-cccccc", True),
    ]
    # the first run is intact next to the second
    assert (
        _body(publisher_client, bucket, f"{s3_prefix}/{AUDIT}/2026-Q3/{first}/report.html")
        == _files("first")["report.html"]
    )
    latest = json.loads(_body(publisher_client, bucket, f"{s3_prefix}/{AUDIT}/2026-Q3/latest.json"))
    assert latest["run_id"] == second
    html = _body(publisher_client, bucket, f"{s3_prefix}/{AUDIT}/index.html").decode()
    assert html.index("<h2>2026-Q3</h2>") < html.index("<h2>2026-Q2</h2>")
    assert f"2026-Q3/{first}/report.html" in html and f"2026-Q3/{second}/report.html" in html

    # a run published late with an older id never moves latest.json backwards
    _publish(publisher_client, bucket, s3_prefix, "2026-Q3", "20260930T060000Z-dddddd", _files("older"))
    assert (
        json.loads(_body(publisher_client, bucket, f"{s3_prefix}/{AUDIT}/2026-Q3/latest.json"))["run_id"]
        == second
    )


def test_a_run_is_never_overwritten(publisher_client, store_info, s3_prefix):
    bucket, run_id = store_info.bucket, "20261001T060000Z-eeeeee"
    files = _files("original")
    first = _publish(publisher_client, bucket, s3_prefix, "2026-Q3", run_id, files)
    changed = {**files, "report.html": b"<html>forged</html>"}
    with pytest.raises(PublishError, match="never replaced"):
        _publish(publisher_client, bucket, s3_prefix, "2026-Q3", run_id, changed)
    assert _body(publisher_client, bucket, first.report_key) == files["report.html"]
    # the same files again (a retried task) is accepted and changes nothing
    again = _publish(publisher_client, bucket, s3_prefix, "2026-Q3", run_id, files)
    assert again.manifest == first.manifest
    # a direct write under the run folder is refused by the conditional write too
    with pytest.raises(ClientError) as exc:
        publisher_client.put_object(Bucket=bucket, Key=first.report_key, Body=b"x", IfNoneMatch="*")
    assert exc.value.response["Error"]["Code"] == "PreconditionFailed"


def test_fetch_verifies_against_the_manifest(
    publisher_client, reader_client, store_info, s3_prefix, tmp_path
):
    bucket, run_id = store_info.bucket, "20261001T060000Z-ffffff"
    files = _files("fetch")
    _publish(publisher_client, bucket, s3_prefix, "2026-Q3", run_id, files)

    fetched = publisher.fetch_run(reader_client, bucket=bucket, prefix=s3_prefix, out=tmp_path / "ok")
    assert fetched.run.run_id == run_id
    for path, data in files.items():
        assert (tmp_path / "ok" / path).read_bytes() == data
    assert json.loads((tmp_path / "ok" / "manifest.json").read_text())["run_id"] == run_id

    # someone with write access replaces an object behind the manifest's back (no conditional write), with
    # bytes of the same length so only the SHA-256 can tell
    tampered = files["tables/sla_tickets.csv"].replace(b"default", b"DEFAULT")
    assert len(tampered) == len(files["tables/sla_tickets.csv"])
    publisher_client.put_object(
        Bucket=bucket, Key=f"{s3_prefix}/{AUDIT}/2026-Q3/{run_id}/tables/sla_tickets.csv", Body=tampered
    )
    with pytest.raises(PublishError, match="verification") as exc:
        publisher.fetch_run(reader_client, bucket=bucket, prefix=s3_prefix, out=tmp_path / "bad")
    assert "tables/sla_tickets.csv: SHA-256" in str(exc.value)
    assert not [p for p in (tmp_path / "bad").rglob("*") if p.is_file()]


def test_read_latest_metrics_of_the_previous_period(publisher_client, reader_client, store_info, s3_prefix):
    bucket = store_info.bucket
    assert (
        publisher.read_latest_metrics(
            reader_client, bucket=bucket, prefix=s3_prefix, audit=AUDIT, period="2026-Q2"
        )
        is None
    )
    _publish(publisher_client, bucket, s3_prefix, "2026-Q2", "20260701T060000Z-111111", _files("q2-a"))
    _publish(publisher_client, bucket, s3_prefix, "2026-Q2", "20260702T060000Z-222222", _files("q2-b"))
    metrics = publisher.read_latest_metrics(
        reader_client, bucket=bucket, prefix=s3_prefix, audit=AUDIT, period="2026-Q2"
    )
    assert metrics == {"schema_version": 1, "tag": "q2-b"}


def test_presigned_link_serves_the_report(publisher_client, reader_client, store_info, s3_prefix):
    bucket = store_info.bucket
    published = _publish(
        publisher_client, bucket, s3_prefix, "2026-Q3", "20261001T060000Z-121212", _files("link")
    )
    url = publisher.presign(reader_client, bucket=bucket, key=published.report_key, expires=3600)
    assert "X-Amz-Expires=3600" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == _files("link")["report.html"]
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_reader_key_cannot_write_or_delete(publisher_client, reader_client, store_info, s3_prefix):
    bucket = store_info.bucket
    published = _publish(
        publisher_client, bucket, s3_prefix, "2026-Q3", "20261001T060000Z-343434", _files("ro")
    )
    with pytest.raises(PublishError, match="access denied") as exc:
        _publish(reader_client, bucket, s3_prefix, "2026-Q3", "20261002T060000Z-565656", _files("intruder"))
    assert exc.value.transient is False
    for call in (
        lambda: reader_client.put_object(Bucket=bucket, Key=published.report_key, Body=b"x"),
        lambda: reader_client.delete_object(Bucket=bucket, Key=published.report_key),
        lambda: reader_client.delete_object(Bucket=bucket, Key=published.latest_key),
    ):
        with pytest.raises(ClientError) as denied:
            call()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert _body(reader_client, bucket, published.report_key) == _files("ro")["report.html"]
    assert [r.run_id for r in publisher.list_runs(reader_client, bucket=bucket, prefix=s3_prefix)] == [
        "20261001T060000Z-343434"
    ]


def test_wrong_key_is_refused_clearly(store_info, s3_prefix):
    wrong = make_client(store_info.endpoint, store_info.publisher.access_key, "not-the-secret", attempts=1)
    with pytest.raises(PublishError, match="refused the access key") as exc:
        _publish(wrong, store_info.bucket, s3_prefix, "2026-Q3", "20261001T060000Z-787878", _files("x"))
    assert exc.value.transient is False
    assert store_info.endpoint in str(exc.value)


def test_incomplete_runs_are_invisible_to_readers(
    publisher_client, reader_client, store_info, s3_prefix, tmp_path
):
    """Files without a manifest (what an interrupted publication leaves) are never listed, fetched or pointed at."""
    bucket = store_info.bucket
    _publish(publisher_client, bucket, s3_prefix, "2026-Q3", "20261001T060000Z-909090", _files("done"))
    orphan = f"{s3_prefix}/{AUDIT}/2026-Q3/20261005T060000Z-0a0a0a/report.html"
    publisher_client.put_object(Bucket=bucket, Key=orphan, Body=b"<html>half</html>")
    runs = publisher.list_runs(reader_client, bucket=bucket, prefix=s3_prefix)
    assert [r.run_id for r in runs] == ["20261001T060000Z-909090"]
    every = publisher.list_runs(reader_client, bucket=bucket, prefix=s3_prefix, include_incomplete=True)
    assert {(r.run_id, r.complete) for r in every} == {
        ("20261001T060000Z-909090", True),
        ("20261005T060000Z-0a0a0a", False),
    }
    assert (
        publisher.fetch_run(reader_client, bucket=bucket, prefix=s3_prefix, out=tmp_path).run.run_id
        == "20261001T060000Z-909090"
    )
    with pytest.raises(PublishError, match="no complete run"):
        publisher.fetch_run(
            reader_client,
            bucket=bucket,
            prefix=s3_prefix,
            out=tmp_path,
            run_id="20261005T060000Z-0a0a0a",
            period="2026-Q3",
            audit=AUDIT,
        )


def test_bad_requests_are_refused_before_any_upload(publisher_client, store_info, s3_prefix):
    bucket = store_info.bucket
    with pytest.raises(UsageError, match="report.html"):
        _publish(
            publisher_client, bucket, s3_prefix, "2026-Q3", "20261001T060000Z-aaaaaa", {"metrics.json": b"{}"}
        )
    with pytest.raises(UsageError, match="run id"):
        _publish(publisher_client, bucket, s3_prefix, "2026-Q3", "latest", _files("x"))
    with pytest.raises(UsageError):
        _publish(
            publisher_client,
            bucket,
            s3_prefix,
            "2026-Q3",
            "20261001T060000Z-aaaaaa",
            {**_files("x"), "../escape": b"x"},
        )
    assert _keys(publisher_client, bucket, s3_prefix) == set()


def test_leftover_of_an_interrupted_attempt_is_never_overwritten(publisher_client, store_info, s3_prefix):
    """A run folder without manifest holding other bytes (an earlier attempt with other files): the conditional
    write refuses to replace them, and the run stays invisible."""
    bucket, run_id = store_info.bucket, "20261001T060000Z-5a5a5a"
    leftover_key = f"{s3_prefix}/{AUDIT}/2026-Q3/{run_id}/report.html"
    publisher_client.put_object(Bucket=bucket, Key=leftover_key, Body=b"<html>earlier attempt</html>")
    with pytest.raises(PublishError, match="never overwritten") as exc:
        _publish(publisher_client, bucket, s3_prefix, "2026-Q3", run_id, _files("new"))
    assert exc.value.transient is False
    assert _body(publisher_client, bucket, leftover_key) == b"<html>earlier attempt</html>"
    assert publisher.list_runs(publisher_client, bucket=bucket, prefix=s3_prefix) == []
