"""The partitioned path of the `audit` flow: `run_audit(dask_workers=2)` on a small audit.yaml, on a real local
Dask cluster (prefect-dask, 2 worker processes).

Integration test (about a minute on the shared 2-core machine, most of it the Prefect run itself: ingestion,
validation, the PDF report; the cluster's start is a few seconds of it). That the merged figures equal the single
run's is shown on the same inputs by test_partition_sla / test_partition_adoption, and on large inputs by
bench/bench_partition.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests import test_partition_adoption as adoption_case
from tests import test_partition_sla as sla_case

pytestmark = pytest.mark.integration


def _small_audit(folder: Path) -> Path:
    """Canonical CSVs of the hand-built cases and an audit.yaml that reads them (one edition, no publication)."""
    folder.mkdir(parents=True, exist_ok=True)

    def write(name: str, frame: pd.DataFrame) -> None:
        out = frame.copy()
        for col in out.columns:
            if isinstance(out[col].dtype, pd.DatetimeTZDtype):
                out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.to_csv(folder / name, index=False)

    write("tickets.csv", sla_case.tickets_frame())
    events = sla_case.events_frame()
    write("ticket_events.csv", events[events["ticket_id"] != "T99"])  # validation refuses unknown tickets
    write("usage.csv", adoption_case.usage_frame())
    for kind, make in adoption_case.INPUTS.items():
        write(f"{kind}.csv", make())
    config = {
        "name": "small",
        "company": "Small Co",
        "timezone": "Europe/Paris",
        "currency": "EUR",
        "languages": ["en"],
        "sources": {
            "tickets": [{"path": "tickets.csv", "format": "generic"}],
            "ticket_events": [{"path": "ticket_events.csv", "format": "generic"}],
            "usage": [{"path": "usage.csv", "format": "generic"}],
            **{kind: {"path": f"{kind}.csv", "format": "generic"} for kind in adoption_case.INPUTS},
        },
        "sla_policy": sla_case.POLICY,
        "adoption": {"min_group_size": 2, "activity": adoption_case.RULES},
    }
    path = folder / "audit.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _task_runs_of_last_audit() -> list[str]:
    """Names of the task runs of the newest `audit` flow run (tests run one flow at a time)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        newest = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["audit"])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=1,
        )[0]
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[newest.id])))
    return sorted(r.name for r in runs)


def test_run_audit_on_dask_splits_the_heavy_stages(tmp_path, monkeypatch):
    """One flow run on 2 Dask workers: SLA as one task per month of creation and adoption as one per tool, merged
    into the hand-built cases' figures (the unit tests show the merge equals the single run; bench_partition
    compares whole runs on large inputs)."""
    from flows.audit import run_audit

    monkeypatch.setattr("tasks.partition.SLA_MIN_TICKETS", 1)  # a part per month even for six tickets
    config = str(_small_audit(tmp_path / "audit"))
    outcome = run_audit(
        config=config, period="2026-07", publish=False, out=str(tmp_path / "dask"), dask_workers=2
    )
    names = _task_runs_of_last_audit()
    for expected in (
        "sla plan",
        "sla 2026-06",
        "sla 2026-08",
        "adoption plan",
        "adoption crm",
        "adoption teams",
        "adoption visio",
        "adoption 2026-07",
    ):
        assert expected in names, names
    assert names.count("sla 2026-07") == 2, names  # the July part and the merge (named after the period)
    folder = Path(outcome["local"]).parent
    metrics = json.loads((folder / "metrics.json").read_text())
    sla, adoption = metrics["sla"], metrics["adoption"]
    # hand-worked in test_partition_sla / test_partition_adoption (T99's change is left out of the file here)
    assert (sla["tickets_in_scope"], sla["cancelled"], sla["reopened"], sla["events_unmatched"]) == (
        4,
        1,
        1,
        0,
    )
    assert sla["overall"]["resolution"]["compliance_pct"] == 50.0
    assert adoption["totals"]["active_users"] == 7 and adoption["totals"]["idle_cost"] == 128.0
    assert [(t["tool"], t["active_users"]) for t in adoption["tools"]] == [
        ("CRM", 5),
        ("teams", 3),
        ("visio", 0),
    ]
    assert adoption["department_source"] == {"directory": 1, "usage": 6, "unknown": 1}
    tools = pd.read_csv(folder / "tables" / "adoption_tools.csv")
    assert tools["department"].isna().sum() == 3
