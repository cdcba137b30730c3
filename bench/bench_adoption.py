"""Benchmark: `auditbridge adoption` on 10,000,000 usage events of a quarter (5,000 users, 8 tools, 40 departments).

Target (issue 6): the whole command, process start included, in at most 3x the time pyarrow alone takes to parse
the same CSV (also a fresh process, measured in this same run), with peak memory under 3 GB; Parquet input
faster than CSV. Data is generated once with a fixed seed under bench/out/ (git-ignored) and reused.
Exit status 1 when a target is missed. Run: `.venv/bin/python bench/bench_adoption.py` (or `make bench`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "adoption"
N_EVENTS, N_USERS, N_TOOLS, N_DEPTS = 10_000_000, 5_000, 8, 40
SEED = 20260701
PERIOD = "2026-Q3"
MAX_RATIO, MAX_PEAK_GB = 3.0, 3.0
BIN = Path(sys.executable).parent


def generate(folder: Path) -> dict[str, Path]:
    """Usage (CSV and Parquet), licences and directory; skipped when already there for this seed and size."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        k: folder / f"{k}.{ext}"
        for k, ext in (
            ("usage", "csv"),
            ("usage_parquet", "parquet"),
            ("licences", "csv"),
            ("directory", "csv"),
        )
    }
    stamp = folder / f"generated-{SEED}-{N_EVENTS}"
    if stamp.exists() and all(p.exists() for p in paths.values()):
        return paths
    rng = np.random.default_rng(SEED)
    tools = np.array(["crm", "teams", "outlook", "onedrive", "erp", "slack", "zoom", "jira"], dtype=object)[
        :N_TOOLS
    ]
    users = np.array([f"u{i:05d}" for i in range(N_USERS)], dtype=object)
    depts = np.array([f"dept{i:02d}" for i in range(N_DEPTS)], dtype=object)
    actions = np.array(["view", "edit", "send", "read", "email_received", "call"], dtype=object)
    dept_of_user = rng.integers(0, N_DEPTS, N_USERS)
    # skewed use: some users and tools far more active than others, weekdays busier than weekends
    user = rng.zipf(1.3, N_EVENTS) % N_USERS
    tool = rng.choice(N_TOOLS, N_EVENTS, p=np.linspace(2, 1, N_TOOLS) / np.linspace(2, 1, N_TOOLS).sum())
    start = np.datetime64("2026-07-01T00:00:00", "s").astype(np.int64) - 2 * 3600  # Paris midnight in UTC
    seconds = start + rng.integers(0, 92 * 86400, N_EVENTS)
    at = pc.strftime(pa.array(seconds, pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ")
    table = pa.table(
        {
            "tool": pa.array(tools[tool]),
            "user": pa.array(users[user]),
            "at": at,
            "action": pa.array(actions[rng.integers(0, actions.size, N_EVENTS)]),
            "count": pa.array(rng.integers(1, 6, N_EVENTS)),
            "department": pa.array(depts[dept_of_user[user]]),
        }
    )
    pcsv.write_csv(table, paths["usage"])
    pq.write_table(
        table.set_column(
            2, "at", pc.cast(pa.array(seconds, pa.timestamp("s", tz="UTC")), pa.timestamp("s", tz="UTC"))
        ),
        paths["usage_parquet"],
    )
    lic = "tool,seats,cost_per_seat_month,currency\n" + "".join(
        f"{t},{4000 - 300 * i},{10 + 5 * i},EUR\n" for i, t in enumerate(tools)
    )
    paths["licences"].write_text(lic, encoding="utf-8")
    dirs = "user,department\n" + "".join(
        f"{u},{depts[d]}\n" for u, d in zip(users, dept_of_user, strict=True)
    )
    paths["directory"].write_text(dirs, encoding="utf-8")
    stamp.touch()
    return paths


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (GB) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "CI": "1"}
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024 / 1024  # ru_maxrss is in KiB on Linux


def main() -> int:
    t0 = time.perf_counter()
    paths = generate(OUT / "data")
    print(
        f"data: {N_EVENTS:,} events, {N_USERS:,} users, {N_TOOLS} tools, {N_DEPTS} departments "
        f"({paths['usage'].stat().st_size / 1e6:.0f} MB CSV, {paths['usage_parquet'].stat().st_size / 1e6:.0f} MB Parquet; "
        f"ready in {time.perf_counter() - t0:.1f} s)"
    )
    baseline = [sys.executable, "-c", f"import pyarrow.csv as c; c.read_csv({str(paths['usage'])!r})"]
    common = [
        "--licences",
        str(paths["licences"]),
        "--directory",
        str(paths["directory"]),
        "--period",
        PERIOD,
        "--timezone",
        "Europe/Paris",
        "--quiet",
    ]
    csv_cmd = [
        str(BIN / "auditbridge"),
        "adoption",
        "--usage",
        str(paths["usage"]),
        "--out",
        str(OUT / "csv"),
        *common,
    ]
    pq_cmd = [
        str(BIN / "auditbridge"),
        "adoption",
        "--usage",
        str(paths["usage_parquet"]),
        "--out",
        str(OUT / "parquet"),
        *common,
    ]
    base_s, base_gb = measure(baseline)
    csv_s, csv_gb = measure(csv_cmd)
    pq_s, pq_gb = measure(pq_cmd)
    ratio = csv_s / base_s
    print(f"pyarrow.csv.read_csv alone (fresh process): {base_s:6.2f} s, peak {base_gb:.2f} GB")
    print(
        f"auditbridge adoption, CSV:                  {csv_s:6.2f} s, peak {csv_gb:.2f} GB, ratio {ratio:.2f} (target <= {MAX_RATIO})"
    )
    print(
        f"auditbridge adoption, Parquet:              {pq_s:6.2f} s, peak {pq_gb:.2f} GB, "
        f"{csv_s / pq_s:.1f}x faster than CSV"
    )
    print(f"throughput (CSV): {N_EVENTS / csv_s / 1e6:.2f} M events/s")
    missed = []
    if ratio > MAX_RATIO:
        missed.append(f"CSV time ratio {ratio:.2f} > {MAX_RATIO}")
    if max(csv_gb, pq_gb) > MAX_PEAK_GB:
        missed.append(f"peak memory {max(csv_gb, pq_gb):.2f} GB > {MAX_PEAK_GB} GB")
    if pq_s >= csv_s:
        missed.append("Parquet input is not faster than CSV")
    for m in missed:
        print(f"TARGET MISSED: {m}")
    if not missed:
        print("targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
