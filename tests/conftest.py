"""Shared fixtures: a real SeaweedFS for the session, the real samples (skipped when absent), Prefect settings."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = (ROOT.parent / "shared" / "samples").resolve()

# Local state of the test session: never the user's .auditbridge/.
_STATE = Path(os.environ.get("AUDITBRIDGE_TEST_HOME", "/tmp/auditbridge-tests")) / str(os.getpid())
os.environ["AUDITBRIDGE_HOME"] = str(_STATE)
os.environ.setdefault("AUDITBRIDGE_PSEUDONYM_KEY", "test-pseudonym-key")

from auditbridge.home import configure_prefect  # noqa: E402

configure_prefect(_STATE)


def _free_port_block(start: int = 19000, end: int = 29000, step: int = 10) -> int:
    """An S3 base port whose whole weed block (base..base+4, +10000..+10003) is free on loopback."""
    from auditbridge.storage import _port_free, ports_for

    for base in range(start + (os.getpid() % 50) * step, end, step):
        if all(_port_free(p) for p in ports_for(base).values()):
            return base
    raise RuntimeError("no free port block for the test object store")


@pytest.fixture(scope="session")
def samples() -> Path:
    """The real exports of ../shared/samples; tests that use them skip cleanly when the folder is absent."""
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples is absent (a user's clone has no shared folder)")
    return SAMPLES


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """A real SeaweedFS (`weed mini`) on its own ports and folder for the whole session."""
    from auditbridge.storage import EmbeddedStore

    root = tmp_path_factory.mktemp("seaweed")
    embedded = EmbeddedStore(root, port=_free_port_block(), bucket="auditbridge-test")
    embedded.start(wait=120)
    yield embedded
    embedded.stop()


@pytest.fixture(scope="session")
def store_info(store):
    return store.info()


@pytest.fixture
def s3_prefix(request) -> str:
    """A prefix unique to the test, so tests share one bucket (one volume slot) without meeting."""
    return f"t/{request.node.name.replace('[', '_').replace(']', '_')}-{os.urandom(3).hex()}"


@pytest.fixture
def publisher_client(store_info):
    from auditbridge.s3 import make_client

    return make_client(store_info.endpoint, store_info.publisher.access_key, store_info.publisher.secret_key)


@pytest.fixture
def reader_client(store_info):
    from auditbridge.s3 import make_client

    return make_client(
        store_info.endpoint, store_info.reader.access_key, store_info.reader.secret_key, attempts=1
    )


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
