"""A local Prefect control room: server (SQLite, loopback, analytics off), process work pool, worker, deployments.

Used by `auditbridge server start|stop` and by the end-to-end test. Processes are started in their own
process groups with their pids and logs under `<state>/server/`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from auditbridge.errors import AuditError, StorageError
from auditbridge.home import prefect_defaults, repo_root, state_dir
from auditbridge.procs import pid_alive, stop_group

POOL = "auditbridge"
DEFAULT_PORT = 4200
PORT_ENV = "AUDITBRIDGE_PREFECT_PORT"


class ServerError(AuditError):
    exit_code = 1


class LocalServer:
    def __init__(self, port: int | None = None, state: Path | None = None, project: Path | None = None):
        self.state = state or state_dir()
        self.dir = self.state / "server"
        self.dir.mkdir(parents=True, exist_ok=True)
        saved = self._saved()
        self.port = port or int(os.environ.get(PORT_ENV) or saved.get("port") or DEFAULT_PORT)
        self.project = project or repo_root() or Path.cwd()

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _saved(self) -> dict:
        try:
            return json.loads((self.dir / "server.json").read_text())
        except (OSError, ValueError):
            return {}

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(prefect_defaults(self.state))
        env.update(
            {
                "PREFECT_API_URL": self.api,
                "PREFECT_SERVER_API_HOST": "127.0.0.1",
                "PREFECT_SERVER_API_PORT": str(self.port),
                "PREFECT_UI_API_URL": self.api,
                "AUDITBRIDGE_HOME": str(self.state),
                "AUDITBRIDGE_PROJECT_DIR": str(self.project),
                "PREFECT_LOGGING_LEVEL": "INFO",
            }
        )
        return env

    def _pidfile(self, name: str) -> Path:
        return self.dir / f"{name}.pid"

    def _pid(self, name: str) -> int | None:
        try:
            pid = int(self._pidfile(name).read_text())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def _spawn(self, name: str, args: list[str]) -> int:
        log = open(self.dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(
            args,
            env=self.env(),
            cwd=self.project,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self._pidfile(name).write_text(str(proc.pid))
        return proc.pid

    def _prefect(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        prefect = str(Path(sys.executable).parent / "prefect")
        done = subprocess.run(
            [prefect, *args],
            env=self.env(),
            cwd=self.project,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check and done.returncode != 0:
            raise ServerError(f"'prefect {' '.join(args)}' failed:\n{(done.stdout + done.stderr)[-2000:]}")
        return done

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api}/health", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def start(self, with_store: bool = True, wait: float = 180) -> dict:
        if with_store:
            from auditbridge.storage import default_store

            try:
                default_store().start()
            except StorageError as exc:
                raise ServerError(f"the object store could not start: {exc}") from None
        (self.dir / "server.json").write_text(json.dumps({"port": self.port}))
        if not self._pid("server"):
            if self.healthy():
                raise ServerError(
                    f"port {self.port} already serves a Prefect API that this folder did not start; "
                    f"stop it or choose another port with --port or {PORT_ENV}"
                )
            self._spawn(
                "server",
                [
                    str(Path(sys.executable).parent / "prefect"),
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
            )
        deadline = time.monotonic() + wait
        while not self.healthy():
            if not self._pid("server"):
                tail = (self.dir / "server.log").read_text(errors="replace")[-2000:]
                raise ServerError(f"the Prefect server exited at start; its log ends with:\n{tail}")
            if time.monotonic() > deadline:
                raise ServerError(f"the Prefect server did not answer on {self.api} within {wait:.0f} s")
            time.sleep(1)
        self._prefect("work-pool", "create", POOL, "--type", "process", "--overwrite")
        self._prefect("deploy", "--all", "--prefect-file", str(self.project / "prefect.yaml"))
        if not self._pid("worker"):
            self._spawn(
                "worker",
                [
                    str(Path(sys.executable).parent / "prefect"),
                    "worker",
                    "start",
                    "--pool",
                    POOL,
                    "--type",
                    "process",
                    "--name",
                    f"auditbridge-{os.uname().nodename}",
                ],
            )
        return {
            "ui": self.ui,
            "api": self.api,
            "pool": POOL,
            "deployments": ["audit/quarterly", "audit/on-demand"],
        }

    def _kill(self, name: str, timeout: float = 20) -> bool:
        pid = self._pid(name)
        stopped = bool(pid) and stop_group(pid, timeout)
        self._pidfile(name).unlink(missing_ok=True)
        return stopped

    def stop(self, with_store: bool = True) -> list[str]:
        stopped = [name for name in ("worker", "server") if self._kill(name)]
        if with_store:
            from auditbridge.storage import default_store

            if default_store().stop():
                stopped.append("object store")
        return stopped

    def status(self) -> dict[str, str]:
        return {
            "server": f"running at {self.ui}" if self._pid("server") and self.healthy() else "stopped",
            "worker": "running" if self._pid("worker") else "stopped",
        }
