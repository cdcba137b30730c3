"""`auditbridge reports list|get|url` and the choice of client, against the real SeaweedFS."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from auditbridge.cli import main
from auditbridge.config import PublishSettings
from auditbridge.errors import UsageError
from auditbridge.storage import EmbeddedStore
from tasks.publish import publisher
from tasks.publish.clients import chain_configured, resolve_client

pytestmark = pytest.mark.integration

Q3_OLD, Q3_NEW, Q2 = "20261001T060000Z-aaaaaa", "20261002T060000Z-bbbbbb", "20260701T060000Z-cccccc"


def _files(tag: str) -> dict[str, bytes]:
    return {
        "report.html": f"<html>{tag}</html>".encode(),
        "metrics.json": json.dumps({"tag": tag}).encode(),
        "tables/t.csv": f"a\n{tag}\n".encode(),
    }


@pytest.fixture
def published(publisher_client, store_info, s3_prefix):
    for period, run_id, tag in [
        ("2026-Q3", Q3_OLD, "q3-old"),
        ("2026-Q3", Q3_NEW, "q3-new"),
        ("2026-Q2", Q2, "q2"),
    ]:
        publisher.publish_run(
            publisher_client,
            bucket=store_info.bucket,
            prefix=s3_prefix,
            audit="acme",
            period=period,
            run_id=run_id,
            files=_files(tag),
            code_version="0.1.0",
        )
    return s3_prefix


@pytest.fixture
def reader_env(monkeypatch, store_info, tmp_path):
    """What `auditbridge storage env` prints for the reader key, plus a HOME without AWS files."""
    for key, value in store_info.env("reader").items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["reports", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_complete_runs_newest_first(published, reader_env, capsys):
    code, out, _ = _run(capsys, "list", "--prefix", published)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert Q3_NEW in lines[0] and "latest" in lines[0]
    assert Q3_OLD in lines[1] and "complete" in lines[1]
    assert Q2 in lines[2] and "latest" in lines[2]

    code, out, _ = _run(
        capsys, "list", "--prefix", published, "--json", "--period", "2026-q2", "--audit", "acme"
    )
    assert code == 0
    rows = json.loads(out)
    assert [(r["period"], r["run_id"], r["latest"]) for r in rows] == [("2026-Q2", Q2, True)]
    assert rows[0]["uri"].endswith(f"/{published}/acme/2026-Q2/{Q2}/")


def test_get_downloads_the_latest_verified(published, reader_env, capsys, tmp_path):
    code, out, _ = _run(capsys, "get", "--prefix", published, "--out", str(tmp_path / "q3"))
    assert code == 0
    folder = Path(out.strip())
    assert (folder / "report.html").read_bytes() == b"<html>q3-new</html>"
    assert json.loads((folder / "manifest.json").read_text())["run_id"] == Q3_NEW

    code, out, _ = _run(
        capsys,
        "get",
        "--prefix",
        published,
        "--period",
        "2026-Q3",
        "--run",
        Q3_OLD,
        "--out",
        str(tmp_path / "old"),
    )
    assert code == 0 and (tmp_path / "old" / "report.html").read_bytes() == b"<html>q3-old</html>"
    # a run id alone is enough, whatever its period
    code, out, _ = _run(capsys, "get", "--prefix", published, "--run", Q2, "--out", str(tmp_path / "q2"))
    assert code == 0 and (tmp_path / "q2" / "report.html").read_bytes() == b"<html>q2</html>"


def test_get_refuses_a_tampered_run(published, reader_env, publisher_client, store_info, capsys, tmp_path):
    key = f"{published}/acme/2026-Q3/{Q3_NEW}/metrics.json"
    publisher_client.put_object(Bucket=store_info.bucket, Key=key, Body=b'{"tag": "q3-NEW"}')  # same length
    code, out, err = _run(capsys, "get", "--prefix", published, "--out", str(tmp_path / "x"))
    assert code == 1
    assert "verification" in err and "metrics.json: SHA-256" in err
    assert out == ""


def test_url_prints_a_working_presigned_link(published, reader_env, capsys):
    code, out, _ = _run(capsys, "url", "--prefix", published, "--expires", "1h")
    assert code == 0
    url = out.strip()
    assert "X-Amz-Expires=3600" in url and f"{Q3_NEW}/report.html" in url
    assert store_key_id_in(url)
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"<html>q3-new</html>"
    code, out, _ = _run(capsys, "url", "--prefix", published, "--period", "2026-Q2", "--file", "tables/t.csv")
    assert code == 0 and "X-Amz-Expires=604800" in out  # the default 7d = 7*86400 s


def store_key_id_in(url: str) -> bool:
    """The link is signed with the key of the environment: the reader key here."""
    import os

    return os.environ["AWS_ACCESS_KEY_ID"] in url


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["url", "--expires", "8d"], "7 days"),
        (["url", "--file", "secret.txt"], "not in run"),
        (["get"], "--out"),
        (["list", "--period", "2026-Q9"], "not understood"),
    ],
)
def test_usage_errors_exit_2(published, reader_env, capsys, argv, message):
    code, _, err = _run(capsys, *argv, "--prefix", published)
    assert code == 2
    assert message in err


def test_several_audits_need_audit(published, reader_env, publisher_client, store_info, capsys, tmp_path):
    publisher.publish_run(
        publisher_client,
        bucket=store_info.bucket,
        prefix=published,
        audit="other",
        period="2026-Q3",
        run_id=Q3_OLD,
        files=_files("other"),
        code_version="0.1.0",
    )
    code, _, err = _run(capsys, "get", "--prefix", published, "--out", str(tmp_path / "never-written"))
    assert code == 2 and "acme, other" in err
    assert not (tmp_path / "never-written").exists()


def test_config_file_names_the_store(published, store_info, monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AUDITBRIDGE_BUCKET", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", store_info.reader.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", store_info.reader.secret_key)
    config = tmp_path / "audit.yaml"
    config.write_text(
        f"name: acme\nsources: {{}}\npublish:\n  bucket: {store_info.bucket}\n  prefix: {published}\n  endpoint_url: {store_info.endpoint}\n"
    )
    code, out, _ = _run(capsys, "list", "--config", str(config), "--json")
    assert code == 0
    assert {r["run_id"] for r in json.loads(out)} == {Q3_NEW, Q3_OLD, Q2}


# --- the choice of client (tasks.publish.clients) --------------------------------------------------------


def test_embedded_store_is_used_when_nothing_is_configured(store, store_info, tmp_path, s3_prefix):
    env = {"HOME": str(tmp_path)}
    reader, target = resolve_client(PublishSettings(prefix=s3_prefix), role="reader", env=env, store=store)
    assert target.source == "embedded-store" and target.bucket == store_info.bucket
    assert target.endpoint_url == store_info.endpoint
    with pytest.raises(ClientError) as exc:  # the reader role really got the read-only key
        reader.put_object(Bucket=target.bucket, Key=f"{s3_prefix}/x", Body=b"x")
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    writer, _ = resolve_client(PublishSettings(prefix=s3_prefix), role="publisher", env=env, store=store)
    writer.put_object(Bucket=target.bucket, Key=f"{s3_prefix}/x", Body=b"x")


def test_configured_store_wins_over_the_embedded_one(store, tmp_path):
    env = {"HOME": str(tmp_path), "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AUDITBRIDGE_BUCKET": "elsewhere"}
    _, target = resolve_client(None, env=env, store=store)
    assert (target.source, target.endpoint_url, target.bucket) == (
        "endpoint",
        "http://127.0.0.1:1",
        "elsewhere",
    )
    env = {"HOME": str(tmp_path), "AWS_PROFILE": "prod", "AUDITBRIDGE_BUCKET": "corp-audits"}
    _, target = resolve_client(PublishSettings(region="eu-west-3"), env=env, store=store)
    assert (target.source, target.endpoint_url, target.bucket) == ("aws", None, "corp-audits")
    # credentials but no bucket: the embedded store, rather than AWS with no bucket
    _, target = resolve_client(None, env={"HOME": str(tmp_path), "AWS_PROFILE": "prod"}, store=store)
    assert target.source == "embedded-store"
    with pytest.raises(UsageError, match="no object store configured"):
        resolve_client(
            None, env={"HOME": str(tmp_path), "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, store=store
        )


def test_nothing_configured_and_no_store_is_a_usage_error(tmp_path):
    stopped = EmbeddedStore(tmp_path / "never-started", port=1)
    with pytest.raises(UsageError, match="auditbridge storage start"):
        resolve_client(None, env={"HOME": str(tmp_path)}, store=stopped)


def test_chain_detection_reads_env_and_files_only(tmp_path):
    assert not chain_configured({"HOME": str(tmp_path)})
    assert chain_configured({"HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "AK"})
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text("[default]\naws_access_key_id = AK\n")
    assert chain_configured({"HOME": str(tmp_path)})


def test_prefect_aws_credentials_block_is_used(store_info, s3_prefix, monkeypatch):
    """The block path with a real AwsCredentials object holding the publisher key and the store's endpoint.
    `load` is replaced by a lookup in a dict, so this needs no Prefect server (the saving and loading of blocks
    is Prefect's own, tested there)."""
    from prefect_aws import AwsClientParameters, AwsCredentials

    blocks = {
        "acme-s3": AwsCredentials(
            aws_access_key_id=store_info.publisher.access_key,
            aws_secret_access_key=store_info.publisher.secret_key,
            region_name="eu-west-3",
            aws_client_parameters=AwsClientParameters(endpoint_url=store_info.endpoint),
        )
    }

    def load(name: str):
        return blocks[name]

    monkeypatch.setattr(AwsCredentials, "load", load)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    settings = PublishSettings(aws_credentials_block="acme-s3", bucket=store_info.bucket, prefix=s3_prefix)
    client, target = resolve_client(settings)
    assert target.source == "aws-credentials-block:acme-s3" and target.endpoint_url == store_info.endpoint
    assert target.region == "eu-west-3"
    published = publisher.publish_run(
        client,
        bucket=target.bucket,
        prefix=target.prefix,
        audit="acme",
        period="2026-Q3",
        run_id=Q3_NEW,
        files=_files("block"),
        code_version="0.1.0",
    )
    assert (
        client.get_object(Bucket=target.bucket, Key=published.report_key)["Body"].read()
        == b"<html>block</html>"
    )
    with pytest.raises(UsageError, match="cannot load the Prefect AwsCredentials block 'missing'"):
        resolve_client(settings.model_copy(update={"aws_credentials_block": "missing"}))


def test_unknown_period_names_the_published_ones(published, reader_env, capsys, tmp_path):
    code, _, err = _run(
        capsys, "get", "--prefix", published, "--period", "2025-Q1", "--out", str(tmp_path / "none")
    )
    assert code == 1
    assert "no complete published run for period 2025-Q1" in err
    assert "published periods: 2026-Q3, 2026-Q2" in err
