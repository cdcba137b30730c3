"""A store that dies, is down, is slow or lacks a feature: clear errors after bounded retries, nothing
half-published visible, and the next run succeeds."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from botocore.exceptions import ClientError

from auditbridge.s3 import make_client
from auditbridge.storage import EmbeddedStore
from tasks.publish import publisher
from tasks.publish.failures import PublishError
from tests.conftest import _free_port_block

AUDIT = "acme"
PREFIX = "audits"


def _files(tag: str) -> dict[str, bytes]:
    return {
        "report.html": f"<html>{tag}</html>".encode(),
        "report.pdf": b"%PDF-1.7\n" + tag.encode(),
        "metrics.json": json.dumps({"tag": tag}).encode(),
        "data-quality.json": b'{"verdict": "pass"}',
        "tables/a.csv": f"x\n{tag}\n".encode(),
        "tables/b.csv": f"y\n{tag}\n".encode(),
    }


def _publish(client, bucket, run_id, files, **kw):
    return publisher.publish_run(
        client,
        bucket=bucket,
        prefix=PREFIX,
        audit=AUDIT,
        period="2026-Q3",
        run_id=run_id,
        files=files,
        code_version="0.1.0",
        **kw,
    )


@pytest.fixture
def own_store(tmp_path):
    """A store of our own, on its own ports, that this test may kill."""
    store = EmbeddedStore(tmp_path / "store", port=_free_port_block(start=24000), bucket="crash")
    store.start(wait=120)
    yield store
    store.stop()


@pytest.mark.integration
def test_store_killed_mid_publication_leaves_nothing_visible_and_next_run_succeeds(own_store, tmp_path):
    info = own_store.info()

    def client():
        # few attempts and short timeouts: a dead store must fail the publication in seconds, not minutes
        return make_client(
            info.endpoint, info.publisher.access_key, info.publisher.secret_key, attempts=2, timeout=3
        )

    first = "20261001T060000Z-aaaaaa"
    _publish(client(), info.bucket, first, _files("first"))
    c = client()
    latest_key, index_key = f"{PREFIX}/{AUDIT}/2026-Q3/latest.json", f"{PREFIX}/{AUDIT}/index.html"
    latest_before = c.get_object(Bucket=info.bucket, Key=latest_key)["Body"].read()
    index_before = c.get_object(Bucket=info.bucket, Key=index_key)["Body"].read()

    uploaded: list[str] = []

    def kill_after_two(done: int, total: int, key: str) -> None:
        uploaded.append(key)
        if done == 2:
            own_store.kill()

    crashed = "20261002T060000Z-bbbbbb"
    started = time.monotonic()
    with pytest.raises(PublishError, match="unreachable|did not answer") as exc:
        _publish(client(), info.bucket, crashed, _files("crashed"), on_upload=kill_after_two)
    assert time.monotonic() - started < 60, "a dead store must fail the publication after bounded retries"
    assert exc.value.transient is True
    assert len(uploaded) == 2
    assert own_store.pid() is None

    own_store.start(wait=120)
    c = client()
    # what a reader sees after the crash: the first run only, pointers unchanged, the crashed run without manifest
    assert [r.run_id for r in publisher.list_runs(c, bucket=info.bucket, prefix=PREFIX)] == [first]
    assert c.get_object(Bucket=info.bucket, Key=latest_key)["Body"].read() == latest_before
    assert c.get_object(Bucket=info.bucket, Key=index_key)["Body"].read() == index_before
    with pytest.raises(ClientError):
        c.head_object(Bucket=info.bucket, Key=f"{PREFIX}/{AUDIT}/2026-Q3/{crashed}/manifest.json")
    leftovers = publisher.list_runs(c, bucket=info.bucket, prefix=PREFIX, include_incomplete=True)
    assert {(r.run_id, r.complete, len(r.files)) for r in leftovers} == {
        (first, True, 7),
        (crashed, False, 2),
    }
    assert publisher.fetch_run(c, bucket=info.bucket, prefix=PREFIX, out=tmp_path / "got").run.run_id == first

    # the next run publishes into a new folder and becomes the latest
    nxt = "20261003T060000Z-cccccc"
    _publish(c, info.bucket, nxt, _files("next"))
    runs = publisher.list_runs(c, bucket=info.bucket, prefix=PREFIX)
    assert [(r.run_id, r.latest) for r in runs] == [(nxt, True), (first, False)]
    assert json.loads(c.get_object(Bucket=info.bucket, Key=latest_key)["Body"].read())["run_id"] == nxt
    assert nxt in c.get_object(Bucket=info.bucket, Key=index_key)["Body"].read().decode()

    # and a retry of the crashed run with the same files completes it (what the Prefect task's retry does),
    # keeping the two objects already stored, without moving latest.json back to it
    _publish(c, info.bucket, crashed, _files("crashed"))
    runs = publisher.list_runs(c, bucket=info.bucket, prefix=PREFIX)
    assert [(r.run_id, r.latest) for r in runs] == [(nxt, True), (crashed, False), (first, False)]


def test_store_down_fails_fast_with_a_clear_message():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}", "AK", "SK", attempts=2, timeout=2)
    started = time.monotonic()
    with pytest.raises(PublishError, match=rf"127\.0\.0\.1:{port} is unreachable") as exc:
        _publish(client, "bucket", "20261001T060000Z-aaaaaa", _files("x"))
    assert time.monotonic() - started < 20
    assert exc.value.transient is True


def test_slow_store_times_out_after_bounded_retries():
    """A store that accepts connections but never answers: the read timeout and the retry count bound the wait
    (here 2 attempts x 1 s, plus backoff)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_stall() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_stall, daemon=True)
    thread.start()
    try:
        client = make_client(f"http://127.0.0.1:{port}", "AK", "SK", attempts=2, timeout=1)
        started = time.monotonic()
        with pytest.raises(PublishError, match="did not answer in time") as exc:
            _publish(client, "bucket", "20261001T060000Z-aaaaaa", _files("x"))
        elapsed = time.monotonic() - started
        assert 1 <= elapsed < 20
        assert exc.value.transient is True
        assert len(held) >= 2  # boto3 did retry
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


class _NoSseStore:
    """The real SeaweedFS client, answering like a store without server-side encryption (MinIO without a KMS
    answers NotImplemented): used to check the fallback is honest, since SeaweedFS itself supports SSE-S3."""

    def __init__(self, client):
        self._client = client
        self.meta = client.meta

    def put_object(self, **kwargs):
        if "ServerSideEncryption" in kwargs:
            raise ClientError(
                {"Error": {"Code": "NotImplemented", "Message": "SSE not supported"}}, "PutObject"
            )
        return self._client.put_object(**kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


@pytest.mark.integration
def test_store_without_encryption_is_recorded_not_hidden(publisher_client, store_info, s3_prefix):
    client = _NoSseStore(publisher_client)
    published = publisher.publish_run(
        client,
        bucket=store_info.bucket,
        prefix=s3_prefix,
        audit=AUDIT,
        period="2026-Q3",
        run_id="20261001T060000Z-dddddd",
        files=_files("nosse"),
        code_version="0.1.0",
    )
    assert any("refused server-side encryption" in w for w in published.warnings)
    storage = published.manifest["storage"]
    assert storage["server_side_encryption_requested"] == "AES256"
    assert storage["server_side_encryption_confirmed"] is None
    assert all(e["server_side_encryption"] is None for e in published.manifest["files"])
    head = publisher_client.head_object(Bucket=store_info.bucket, Key=published.report_key)
    assert "ServerSideEncryption" not in head


class _PointersDown:
    """The real client, except that writing latest.json fails as if the store went away right after the
    manifest was written (the one window the kill test above does not reach)."""

    def __init__(self, client):
        self._client = client
        self.meta = client.meta

    def put_object(self, **kwargs):
        if kwargs["Key"].endswith("/latest.json"):
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url=self.meta.endpoint_url)
        return self._client.put_object(**kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


@pytest.mark.integration
def test_interrupted_after_the_manifest_a_retry_completes_the_pointers(
    publisher_client, store_info, s3_prefix
):
    bucket = store_info.bucket
    first, second = "20261001T060000Z-aaaaaa", "20261002T060000Z-bbbbbb"
    kw = dict(bucket=bucket, prefix=s3_prefix, audit=AUDIT, period="2026-Q3", code_version="0.1.0")
    publisher.publish_run(publisher_client, run_id=first, files=_files("first"), **kw)
    with pytest.raises(PublishError, match="latest.json") as exc:
        publisher.publish_run(_PointersDown(publisher_client), run_id=second, files=_files("second"), **kw)
    assert exc.value.transient is True
    latest_key = f"{s3_prefix}/{AUDIT}/2026-Q3/latest.json"
    # the second run is complete (its manifest lists every file) but the pointer still names the first
    assert (
        json.loads(publisher_client.get_object(Bucket=bucket, Key=latest_key)["Body"].read())["run_id"]
        == first
    )
    # the task's retry (same run id, same files) finishes the job without rewriting any run file
    again = publisher.publish_run(publisher_client, run_id=second, files=_files("second"), **kw)
    assert (
        json.loads(publisher_client.get_object(Bucket=bucket, Key=latest_key)["Body"].read())["run_id"]
        == second
    )
    index = (
        publisher_client.get_object(Bucket=bucket, Key=f"{s3_prefix}/{AUDIT}/index.html")["Body"]
        .read()
        .decode()
    )
    assert second in index
    run_prefix = f"{s3_prefix}/{AUDIT}/2026-Q3/{second}/"
    versions = publisher_client.list_object_versions(Bucket=bucket, Prefix=run_prefix)["Versions"]
    keys = [v["Key"] for v in versions]
    assert sorted(keys) == sorted(
        run_prefix + p for p in [*_files("second"), "manifest.json"]
    )  # one version each
    assert again.manifest["run_id"] == second
