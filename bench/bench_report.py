"""Report stage benchmark: both editions, tables and one PDF for a large period (fixed seed).

The report's cost should not grow with the number of tickets beyond the tables: the ticket table is
neutralised for spreadsheets and the open-ticket evidence is selected with vectorised pandas, so 200,000
tickets must stay within seconds. Targets (on a shared 2-core machine): HTML editions + tables under 20 s,
one PDF edition under 30 s. Exits 1 when a target is missed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tasks.report.build import build_report_files

ROOT = Path(__file__).resolve().parent.parent

N_TICKETS = 200_000
TARGET_HTML_TABLES_S = 20.0
TARGET_PDF_S = 30.0


def tickets(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    states = np.array(["met", "breached", "open_within", "open_breached"])
    titles = np.array(
        [
            "VPN down",
            "=SUM(A1:A9)",
            "+33 6 12 34 56 78",
            "@mention",
            "-rf",
            "<b>bold</b>",
            "Imprimante bloquée",
        ]
    )
    created = pd.Timestamp("2026-07-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 92 * 86400, n), unit="s")
    target = rng.choice([14400.0, 259200.0], n)
    return pd.DataFrame(
        {
            "ticket_id": np.char.add("T-", np.arange(n).astype(str)),
            "created_at": created,
            "status": rng.choice(["open", "resolved", "closed"], n),
            "priority": rng.choice(["P1", "P2", "P3", "P4", ""], n),
            "department": rng.choice(["Sales", "Finance", "IT", "other"], n),
            "requester": np.char.add("u_", rng.integers(0, 5000, n).astype(str)),
            "title": rng.choice(titles, n),
            "goal": "default",
            "resolution_target_s": target,
            "resolution_elapsed_s": target * rng.uniform(0.1, 3.0, n),
            "resolution_state": rng.choice(states, n, p=[0.7, 0.15, 0.1, 0.05]),
        }
    )


def main() -> int:
    metrics = json.loads((ROOT / "tests" / "fixtures" / "metrics_sample.json").read_text(encoding="utf-8"))
    frame = tickets(N_TICKETS)
    t0 = time.perf_counter()
    files = build_report_files(
        metrics,
        sla_tickets=frame,
        adoption_tools=None,
        languages=["fr", "en"],
        generated_at="2026-10-01T06:00:00+00:00",
        pdf=False,
    )
    html_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pdf = build_report_files(
        metrics,
        sla_tickets=frame.head(1000),
        adoption_tools=None,
        languages=["fr"],
        generated_at="2026-10-01T06:00:00+00:00",
    )["report.pdf"]
    pdf_s = time.perf_counter() - t0
    csv_mb = len(files["tables/sla_tickets.csv"]) / 1e6
    print(f"tickets: {N_TICKETS:,}  sla_tickets.csv: {csv_mb:.1f} MB")
    print(
        f"two HTML editions + tables: {html_s:.2f} s (target {TARGET_HTML_TABLES_S:.0f} s, "
        f"ratio {html_s / TARGET_HTML_TABLES_S:.2f})"
    )
    print(
        f"one PDF edition: {pdf_s:.2f} s, {len(pdf) / 1e3:.0f} kB (target {TARGET_PDF_S:.0f} s, "
        f"ratio {pdf_s / TARGET_PDF_S:.2f})"
    )
    ok = html_s <= TARGET_HTML_TABLES_S and pdf_s <= TARGET_PDF_S
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
