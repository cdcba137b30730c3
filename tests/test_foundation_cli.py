"""The command line as users meet it: help everywhere, exit codes, one readable message and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from auditbridge.cli import COMMANDS, main


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "auditbridge.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert command in capsys.readouterr().out


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run"])  # --config is required
    assert exc.value.code == 2
    assert "--config" in capsys.readouterr().err
    assert main(["run", "--config", "x.yaml", "--period", "2026-Q9"]) == 2
    assert "2026-Q9" in capsys.readouterr().err


def test_missing_config_is_one_message_not_a_traceback(tmp_path):
    done = _cli(
        "run",
        "--config",
        str(tmp_path / "nope.yaml"),
        "--no-publish",
        env={"AUDITBRIDGE_HOME": str(tmp_path)},
    )
    assert done.returncode == 2, done.stderr
    assert "nope.yaml: file not found" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.integration
def test_store_ports_held_by_another_folder_give_a_clear_message(store, tmp_path):
    """`make demo` in a second checkout while the first one's store runs: a clear message, exit 1."""
    done = _cli(
        "storage",
        "start",
        env={
            "AUDITBRIDGE_HOME": str(tmp_path / "other-checkout"),
            "AUDITBRIDGE_STORAGE_PORT": str(store.port),
        },
    )
    assert done.returncode == 1
    assert "already in use" in done.stderr and "AUDITBRIDGE_STORAGE_PORT" in done.stderr
    assert "Traceback" not in done.stderr
    done = _cli(
        "demo",
        env={
            "AUDITBRIDGE_HOME": str(tmp_path / "other-checkout"),
            "AUDITBRIDGE_STORAGE_PORT": str(store.port),
        },
    )
    assert done.returncode == 1 and "already in use" in done.stderr and "Traceback" not in done.stderr


def test_storage_env_prints_the_read_only_key(tmp_path):
    done = _cli("storage", "env", env={"AUDITBRIDGE_HOME": str(tmp_path)})
    assert done.returncode == 0
    lines = dict(line.removeprefix("export ").split("=", 1) for line in done.stdout.splitlines())
    assert set(lines) >= {
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AUDITBRIDGE_BUCKET",
    }
    assert lines["AWS_ACCESS_KEY_ID"].startswith("AR")  # the reader identity, not the publisher's


def test_the_command_line_starts_without_the_data_stack():
    """`auditbridge --help`, `storage`, `reports` ... build every parser: none of them may pay for pandas,
    Prefect, Great Expectations or boto3 before a command needs them."""
    code = (
        "import sys; from auditbridge.cli import build_parser; build_parser(); "
        "print(*(m in sys.modules for m in ('pandas', 'prefect', 'great_expectations', 'boto3')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "False", "False"]
