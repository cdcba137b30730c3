"""Benchmark of the usage formats on large synthetic exports (fixed seed), through `tasks.ingest.api.ingest`.

What is measured, per format: the whole `ingest()` (format detection, reading, pseudonymisation of `user`,
coercion) on one large file, in rows per second, and its ratio to the bare `json.loads` / pyarrow CSV read of
the same file (the part no implementation can avoid). A per-row Python format would show as a large ratio.

Target: every format at most 6x the bare parse time of its own file. The ratio is the stated target because
it holds under load (the 2 cores are shared: the same run measured 0.5 s or 3.3 s for one json.loads);
rows/s are printed for information (quiet machine: 50,000-165,000 rows/s; Okta events are ~500 bytes each).
Files go to bench/out/usage/ (git-ignored). Run: `.venv/bin/python bench/bench_ingest_usage.py`. Exit 1 when a
target is missed.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "usage"
SEED = 20260701
MAX_RATIO = 6.0
T0 = 1_782_864_000  # 2026-07-01T00:00:00Z


def slack(rng, n=150_000) -> bytes:
    who = rng.integers(0, 3_000, n)
    first = T0 + rng.integers(0, 90 * 86400, n)
    span = np.where(rng.random(n) < 0.4, rng.integers(1, 5 * 86400, n), 0)
    agents = np.array(["SlackWeb/0 Mozilla/5.0", "slack/21.01.20.0", "ApiApp/A01 PostmanRuntime/7.26.8"])
    logins = [
        {
            "user_id": f"W{w:06d}",
            "username": f"user{w:05d}",
            "date_first": int(f),
            "date_last": int(f + s),
            "count": int(1 + (s > 0) * 3),
            "ip": "10.0.0.1",
            "user_agent": str(a),
            "isp": "",
            "country": "",
            "region": "",
        }
        for w, f, s, a in zip(who, first, span, agents[rng.integers(0, 3, n)], strict=True)
    ]
    return json.dumps({"ok": True, "logins": logins}).encode()


def zoom(rng, n=150_000) -> bytes:
    t = pd.to_datetime(T0 + rng.integers(0, 90 * 86400, n), unit="s").strftime("%Y-%m-%dT%H:%M:%SZ")
    kinds = np.array(["Sign in", "Sign out"])[rng.integers(0, 2, n)]
    logs = [
        {
            "client_type": "Browser",
            "email": f"user{w:05d}@example.com",
            "ip_address": "10.0.0.1",
            "time": tt,
            "type": k,
            "version": "-",
        }
        for w, tt, k in zip(rng.integers(0, 3_000, n), t, kinds, strict=True)
    ]
    return json.dumps(
        {"activity_logs": logs, "from": "2026-07-01", "to": "2026-09-30", "page_size": n}
    ).encode()


def okta(rng, n=60_000) -> bytes:
    t = pd.to_datetime(T0 + rng.integers(0, 90 * 86400, n), unit="s").strftime("%Y-%m-%dT%H:%M:%S.000Z")
    apps = np.array(["Salesforce", "Slack", "Okta Admin Console", ""])[rng.integers(0, 4, n)]
    events = []
    for w, tt, app in zip(rng.integers(0, 3_000, n), t, apps, strict=True):
        target = (
            [
                {"id": "0oa1", "type": "AppInstance", "alternateId": app, "displayName": app},
                {"id": "0ua1", "type": "AppUser", "alternateId": "unknown", "displayName": "X"},
            ]
            if app
            else None
        )
        events.append(
            {
                "actor": {
                    "id": "00u1",
                    "type": "User",
                    "alternateId": f"user{w:05d}@example.com",
                    "displayName": "User",
                },
                "client": {"ipAddress": "10.0.0.1", "userAgent": {"rawUserAgent": "Mozilla/5.0"}},
                "eventType": "user.authentication.sso" if app else "user.session.start",
                "outcome": {"result": "SUCCESS", "reason": None},
                "published": tt,
                "severity": "INFO",
                "target": target,
            }
        )
    return json.dumps(events).encode()


def google(rng, n_users=2_000, days=30) -> bytes:
    reports = []
    for d in range(days):
        date = (pd.Timestamp("2026-07-01") + pd.Timedelta(days=d)).strftime("%Y-%m-%d")
        sent = rng.integers(0, 5, n_users)
        for u in range(n_users):
            reports.append(
                {
                    "kind": "admin#reports#usageReport",
                    "date": date,
                    "etag": '"x"',
                    "entity": {
                        "type": "USER",
                        "customerId": "C1",
                        "userEmail": f"user{u:05d}@example.com",
                        "profileId": str(10**20 + u),
                    },
                    "parameters": [
                        {"name": "accounts:drive_used_quota_in_mb", "intValue": "12"},
                        {"name": "gmail:num_emails_sent", "intValue": str(int(sent[u]))},
                        {"name": "gmail:num_emails_received", "intValue": "7"},
                        {"name": "accounts:last_login_time", "datetimeValue": f"{date}T08:00:00.000Z"},
                        {"name": "gmail:last_interaction_time", "datetimeValue": f"{date}T09:30:00.000Z"},
                        {"name": "gmail:last_access_time", "datetimeValue": f"{date}T10:00:00.000Z"},
                    ],
                }
            )
    return json.dumps({"kind": "admin#reports#usageReports", "usageReports": reports}).encode()


def m365(rng, n_users=5_000, days=60) -> bytes:
    """Daily Teams user-detail downloads of a 5,000-person company concatenated: 300,000 rows."""
    n = n_users * days
    day = np.repeat(np.arange(days), n_users)
    dates = pd.to_datetime(T0 + day * 86400, unit="s").strftime("%Y-%m-%d")
    active = rng.random(n) < 0.7
    upn = np.tile(np.array([f"user{i:05d}@example.com" for i in range(n_users)]), days)
    frame = pd.DataFrame(
        {
            "Report Refresh Date": "2026-10-01",
            "User Id": "",
            "User Principal Name": upn,
            "Display Name": "Someone",
            "Last Activity Date": np.where(active, dates, ""),
            "Is Deleted": "False",
            "Deleted Date": "",
            "Assigned Products": "MICROSOFT 365 E3",
            "Team Chat Message Count": 3,
            "Private Chat Message Count": 1,
            "Call Count": 0,
            "Meeting Count": 2,
            "Has Other Action": "No",
            "Report Period": 1,
        }
    )
    return "\ufeff".encode() + frame.to_csv(index=False, lineterminator="\r\n").encode()


CASES = {
    "slack": (slack, "json"),
    "zoom": (zoom, "json"),
    "okta": (okta, "json"),
    "google-workspace": (google, "json"),
    "m365": (m365, "csv"),
}


def bare_parse(data: bytes, kind: str) -> float:
    start = time.perf_counter()
    if kind == "json":
        json.loads(data)
    else:
        import pyarrow.csv as pacsv

        pacsv.read_csv(io.BytesIO(data))
    return time.perf_counter() - start


def main() -> int:
    from tasks.ingest.api import ingest

    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    failed = []
    print(f"{'format':<18}{'MB':>7}{'rows':>10}{'ingest s':>10}{'rows/s':>11}{'parse s':>9}{'ratio':>7}")
    for name, (make, kind) in CASES.items():
        data = make(rng)
        path = OUT / f"{name}.{kind}"
        path.write_bytes(data)
        parse_s = bare_parse(data, kind)
        start = time.perf_counter()
        result = ingest([str(path)], pseudonym_key=b"bench-key", timezone="Europe/Paris")
        took = time.perf_counter() - start
        assert result.format == name, (name, result.format)
        rows = sum(len(df) for df in result.datasets.values())
        rate, ratio = rows / took, took / parse_s
        print(
            f"{name:<18}{len(data) / 1e6:>7.1f}{rows:>10,}{took:>10.2f}{rate:>11,.0f}{parse_s:>9.2f}{ratio:>7.1f}"
        )
        if ratio > MAX_RATIO:
            failed.append(name)
    if failed:
        print(f"MISSED target (<= {MAX_RATIO}x the bare parse): {', '.join(failed)}")
        return 1
    print(f"all formats <= {MAX_RATIO}x the bare parse of their file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
