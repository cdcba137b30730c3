"""The embedded SeaweedFS: real signatures, two keys, loopback only, clear port conflicts, data kept on restart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from auditbridge.errors import StorageError
from auditbridge.s3 import make_client
from auditbridge.storage import EmbeddedStore

pytestmark = pytest.mark.integration


def _listening_addresses(pid: int) -> set[str]:
    """Local addresses of the TCP sockets `pid` listens on, read from /proc (state 0A = LISTEN)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state == "0A" and inode in inodes:
                found.add(local.split(":")[0])
    return found


def test_listens_on_loopback_only(store):
    addresses = _listening_addresses(store.pid())
    assert addresses, "the store should listen on some sockets"
    # 0100007F is 127.0.0.1 in /proc's little-endian hex; 00000000 would be 0.0.0.0
    assert addresses == {"0100007F"}


def test_wrong_or_missing_key_is_refused(store_info):
    wrong = make_client(store_info.endpoint, store_info.publisher.access_key, "not-the-secret", attempts=1)
    with pytest.raises(ClientError) as exc:
        wrong.list_objects_v2(Bucket=store_info.bucket)
    assert exc.value.response["Error"]["Code"] in {"SignatureDoesNotMatch", "AccessDenied"}
    unknown = make_client(store_info.endpoint, "AKUNKNOWN", "whatever", attempts=1)
    with pytest.raises(ClientError) as exc:
        unknown.put_object(Bucket=store_info.bucket, Key="t/intruder", Body=b"x")
    assert exc.value.response["Error"]["Code"] in {"InvalidAccessKeyId", "AccessDenied"}


def test_anonymous_request_is_refused(store_info):
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{store_info.endpoint}/{store_info.bucket}?list-type=2", timeout=5)
    assert exc.value.code == 403


def test_reader_key_reads_but_cannot_write_or_delete(publisher_client, reader_client, store_info, s3_prefix):
    key = f"{s3_prefix}/note.txt"
    publisher_client.put_object(Bucket=store_info.bucket, Key=key, Body=b"kept")
    assert reader_client.get_object(Bucket=store_info.bucket, Key=key)["Body"].read() == b"kept"
    with pytest.raises(ClientError):
        reader_client.put_object(Bucket=store_info.bucket, Key=f"{s3_prefix}/other.txt", Body=b"x")
    with pytest.raises(ClientError):
        reader_client.delete_object(Bucket=store_info.bucket, Key=key)
    assert publisher_client.get_object(Bucket=store_info.bucket, Key=key)["Body"].read() == b"kept"


def test_ports_taken_by_another_store_give_a_clear_message(store, tmp_path):
    intruder = EmbeddedStore(tmp_path / "other-folder", port=store.port)
    with pytest.raises(StorageError) as exc:
        intruder.start(wait=10)
    message = str(exc.value)
    assert f"s3.port={store.port}" in message and "already in use" in message
    assert "AUDITBRIDGE_STORAGE_PORT" in message
    assert intruder.pid() is None


def test_keys_are_private_files(store):
    mode = (Path(store.root) / "keys.json").stat().st_mode & 0o777
    assert mode == 0o600


def test_start_is_idempotent_and_data_survives_restart(tmp_path):
    from tests.conftest import _free_port_block

    own = EmbeddedStore(tmp_path / "store", port=_free_port_block(start=24000), bucket="restart")
    info = own.start(wait=120)
    try:
        client = make_client(info.endpoint, info.publisher.access_key, info.publisher.secret_key)
        client.put_object(Bucket="restart", Key="a.txt", Body=b"before restart")
        assert own.start().pid == info.pid  # already running: same process, nothing restarted
        assert own.stop() is True
        assert own.pid() is None and not own.is_ready(timeout=1)
        again = own.start(wait=120)
        client = make_client(again.endpoint, again.publisher.access_key, again.publisher.secret_key)
        assert client.get_object(Bucket="restart", Key="a.txt")["Body"].read() == b"before restart"
        assert again.publisher == info.publisher  # same keys after restart
    finally:
        own.stop()
    assert own.stop() is False
