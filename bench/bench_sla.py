"""Benchmark of the SLA engine: 1,000,000 tickets through `auditbridge sla`, against `businesstimedelta`.

Targets (issue 5): the whole command (process start, CSV in, CSV and JSON out) under 10 s on the 2-core
machines, and at least 100 times faster than the per-ticket library `businesstimedelta` on the same calendar
(office hours with a lunch break, French public holidays, Europe/Paris). businesstimedelta walks each ticket
day by day, so it is timed on a sample and extrapolated per ticket; both figures are printed. Its answers on
the sample are also compared with ours, second for second (an independent implementation).

Run: `.venv/bin/python bench/bench_sla.py` (or `make bench`). Data goes to bench/out/ (git-ignored).
Exit 1 when a target is missed.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "sla"
N = 1_000_000
SAMPLE = 2_000
SEED = 20260701
TARGET_SECONDS = 10.0
TARGET_RATIO = 100.0

POLICY = """\
timezone: Europe/Paris
calendars:
  office:
    hours:
      mon: ["09:00-12:30", "13:30-18:00"]
      tue: ["09:00-12:30", "13:30-18:00"]
      wed: ["09:00-12:30", "13:30-18:00"]
      thu: ["09:00-12:30", "13:30-18:00"]
      fri: ["09:00-12:30", "13:30-18:00"]
    holidays: {country: FR}
  always: 24x7
goals:
  - {name: critical, match: {priority: P1}, calendar: always, first_response: 30m, resolution: 4h}
  - {name: high, match: {priority: P2}, calendar: office, first_response: 1h, resolution: 1d}
  - {name: default, match: {}, calendar: office, first_response: 4h, resolution: 3d}
"""


def _iso(seconds: np.ndarray, valid: np.ndarray) -> np.ndarray:
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").astype(object) + "Z"
    return np.where(valid, text, "")


def generate(path: Path) -> pd.DataFrame:
    """1M canonical tickets over 2026-Q3 (fixed seed), written as CSV; returns the raw seconds for the sample."""
    rng = np.random.default_rng(SEED)
    start = int(datetime(2026, 6, 1).timestamp())
    span = 122 * 86400
    created = start + rng.integers(0, span, N)
    fr = created + rng.exponential(4 * 3600, N).astype(np.int64)
    res = created + rng.exponential(5 * 86400, N).astype(np.int64)
    status = rng.choice(
        np.array(["resolved", "closed", "open", "pending", "cancelled"]), N, p=[0.6, 0.25, 0.1, 0.03, 0.02]
    )
    done = np.isin(status, ["resolved", "closed"])
    prio = rng.choice(np.array(["P1", "P2", "P3", "P4", "", ""]), N, p=[0.03, 0.12, 0.45, 0.3, 0.05, 0.05])
    dept = rng.choice(np.array(["Finance", "Sales", "HR", "Operations", "IT", "Marketing"]), N)
    cat = rng.choice(np.array(["hardware", "software", "access", "network"]), N)
    table = pa.table(
        {
            "ticket_id": np.char.add("T", np.arange(N).astype(str)),
            "created_at": _iso(created, np.ones(N, bool)),
            "status": status,
            "priority": prio,
            "first_response_at": _iso(fr, rng.random(N) < 0.9),
            "resolved_at": _iso(res, done),
            "department": dept,
            "category": cat,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path)
    return pd.DataFrame({"created": created, "resolved": res})


def time_businesstimedelta(sample: pd.DataFrame) -> tuple[float, np.ndarray]:
    """Seconds per ticket for businesstimedelta on the same calendar, and its answers (business seconds)."""
    import businesstimedelta as btd
    import holidays
    import pytz

    tz = pytz.timezone("Europe/Paris")
    workday = btd.WorkDayRule(start_time=dtime(9), end_time=dtime(18), working_days=[0, 1, 2, 3, 4], tz=tz)
    lunch = btd.LunchTimeRule(
        start_time=dtime(12, 30), end_time=dtime(13, 30), working_days=[0, 1, 2, 3, 4], tz=tz
    )
    fr = holidays.country_holidays("FR", years=[2026])
    hol = btd.HolidayRule(fr, tz=tz)
    rules = btd.Rules([workday, lunch, hol])
    starts = [datetime.fromtimestamp(int(s), tz=pytz.utc) for s in sample["created"]]
    ends = [datetime.fromtimestamp(int(s), tz=pytz.utc) for s in sample["resolved"]]
    out = np.zeros(len(starts), dtype=np.int64)
    t0 = time.perf_counter()
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        delta = rules.difference(a, b)
        out[i] = int(delta.timedelta.total_seconds())
    return (time.perf_counter() - t0) / len(starts), out


def ours_in_process(sample: pd.DataFrame) -> tuple[float, np.ndarray, float]:
    """Our business seconds on the sample, and the pure computation time on N pairs (timeline included)."""
    sys.path.insert(0, str(ROOT))
    import yaml

    from tasks.sla.calendar import build_timeline
    from tasks.sla.policy import load_policy

    policy = load_policy(yaml.safe_load(POLICY))
    tl = build_timeline(policy.calendars["office"], policy.timezone, date(2026, 5, 25), date(2027, 6, 30))
    answers = tl.between(sample["created"].to_numpy(), sample["resolved"].to_numpy())
    rng = np.random.default_rng(SEED + 1)
    a = int(datetime(2026, 6, 1).timestamp()) + rng.integers(0, 122 * 86400, N)
    b = a + rng.exponential(5 * 86400, N).astype(np.int64)
    t0 = time.perf_counter()
    tl2 = build_timeline(policy.calendars["office"], policy.timezone, date(2026, 5, 25), date(2027, 6, 30))
    tl2.between(a, b)
    compute = time.perf_counter() - t0
    return compute / N, answers, compute


def with_history(n: int = 200_000) -> None:
    """Figure only (no target): the engine in-process on tickets with a status history (pauses, reopenings)."""
    sys.path.insert(0, str(ROOT))
    import yaml

    from tasks.sla.engine import compute_sla
    from tasks.sla.policy import load_policy

    rng = np.random.default_rng(SEED + 3)
    created = int(datetime(2026, 7, 1).timestamp()) + rng.integers(0, 80 * 86400, n)
    gaps = rng.exponential(86400, (n, 5)).astype(np.int64)
    times = created[:, None] + np.cumsum(gaps, axis=1)
    statuses = np.array(
        ["open", "pending", "open", "resolved", "open"]
    )  # the last one reopens a fifth of them
    keep = np.ones((n, 5), bool)
    keep[:, 4] = rng.random(n) < 0.2
    ids = np.char.add("T", np.arange(n).astype(str))
    events = pd.DataFrame(
        {
            "ticket_id": np.repeat(ids[:, None], 5, axis=1)[keep],
            "at": pd.to_datetime(times[keep], unit="s", utc=True),
            "status": np.broadcast_to(statuses, (n, 5))[keep],
        }
    )
    tickets = pd.DataFrame(
        {
            "ticket_id": ids,
            "created_at": pd.to_datetime(created, unit="s", utc=True),
            "status": np.where(keep[:, 4], "open", "resolved"),
            "priority": rng.choice(np.array(["P1", "P2", "P3", "P4"]), n),
        }
    )
    policy = load_policy(yaml.safe_load(POLICY))
    t0 = time.perf_counter()
    result = compute_sla(tickets, events, policy, "2026-Q3")
    took = time.perf_counter() - t0
    print(
        f"with history (in-process, figure only): {n:,} tickets and {len(events):,} status changes in "
        f"{took:.2f} s; reopen rate {result.summary['reopen_rate']:.1%}"
    )


def main() -> int:
    tickets = OUT / "tickets.csv"
    policy = OUT / "sla.yaml"
    t0 = time.perf_counter()
    raw = generate(tickets)
    policy.write_text(POLICY, encoding="utf-8")
    print(
        f"generated {N:,} tickets in {time.perf_counter() - t0:.1f} s ({tickets.stat().st_size / 1e6:.0f} MB)"
    )

    exe = ROOT / ".venv" / "bin" / "auditbridge"
    cmd = [
        str(exe),
        "sla",
        "--quiet",
        "--tickets",
        str(tickets),
        "--policy",
        str(policy),
        "--period",
        "2026-Q3",
        "--out",
        str(OUT / "result"),
    ]
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr)
        print("FAIL: auditbridge sla exited", proc.returncode)
        return 1
    with open(OUT / "result" / "sla_tickets.csv", encoding="utf-8") as fh:
        rows = sum(1 for _ in fh) - 1
    print(
        f"auditbridge sla, {N:,} tickets (process start, CSV in, CSV+JSON out): {wall:.2f} s "
        f"({rows:,} tickets in scope written; target < {TARGET_SECONDS:.0f} s)"
    )
    print(
        f"  CPU time of that process: {cpu:.2f} s (user + sys); load average when it started: {load:.1f} "
        f"on {os.cpu_count()} cores (other work on the machine stretches the wall time, not the CPU time)"
    )

    rng = np.random.default_rng(SEED + 2)
    sample = raw.iloc[rng.choice(N, SAMPLE, replace=False)].reset_index(drop=True)
    btd_per, btd_answers = time_businesstimedelta(sample)
    our_per, our_answers, our_compute = ours_in_process(sample)
    mismatches = int((btd_answers != our_answers).sum())
    btd_total = btd_per * N
    print(
        f"businesstimedelta: {btd_per * 1e6:.0f} us/ticket on {SAMPLE:,} tickets -> {btd_total:.0f} s "
        f"extrapolated to {N:,}"
    )
    print(
        f"ours, business time only: {our_compute:.3f} s for {N:,} pairs ({our_per * 1e9:.0f} ns/ticket), "
        f"ratio x{btd_per / our_per:,.0f}"
    )
    ratio = btd_total / wall
    print(
        f"ratio businesstimedelta (extrapolated, computation only) / whole auditbridge sla run: x{ratio:,.0f} "
        f"(target >= x{TARGET_RATIO:.0f})"
    )
    print(f"agreement on the sample: {SAMPLE - mismatches:,}/{SAMPLE:,} tickets identical to the second")
    with_history()
    ok = True
    if wall >= TARGET_SECONDS:
        print(f"FAIL: {wall:.2f} s >= {TARGET_SECONDS} s")
        ok = False
    if ratio < TARGET_RATIO:
        print(f"FAIL: ratio x{ratio:.0f} < x{TARGET_RATIO:.0f}")
        ok = False
    if mismatches:
        bad = np.flatnonzero(btd_answers != our_answers)[:5]
        print("FAIL: answers differ from businesstimedelta, e.g.:")
        for i in bad:
            print(
                "  ",
                pd.Timestamp(int(sample["created"][i]), unit="s", tz="UTC"),
                pd.Timestamp(int(sample["resolved"][i]), unit="s", tz="UTC"),
                btd_answers[i],
                our_answers[i],
            )
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
