"""End to end through a real Prefect server and worker, as the UI drives them (CONTRACTS section 8).

`LocalServer` (what `auditbridge server start` runs) starts a server on its own port, the process work pool,
a worker and the deployments of prefect.yaml. The test checks the quarterly schedule (cron, timezone, the
next dates across a daylight-saving change, computed by Prefect's own scheduler code), that a malformed period
is refused before any flow run exists, and runs `audit/on-demand` for another period through the API the UI
uses, then finds that period's report in the bucket. Everything is stopped afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, date, datetime

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, store_info):
    from auditbridge.demo_data import generate
    from auditbridge.server import LocalServer

    state = tmp_path_factory.mktemp("server-state")
    demo = tmp_path_factory.mktemp("server-demo")
    generate(demo, anchor=date(2026, 11, 27))
    saved = dict(os.environ)
    os.environ.update(store_info.env("publisher"))  # the worker's flow runs publish to the test store
    local = LocalServer(port=_free_port(), state=state)
    try:
        local.start(with_store=False, wait=240)
        yield local, demo
    finally:
        local.stop(with_store=False)
        os.environ.clear()
        os.environ.update(saved)


async def _api(local, fn):
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api=local.api) as client:
        return await fn(client)


def test_quarterly_schedule_crosses_daylight_saving(server):
    from prefect.server.schemas.schedules import CronSchedule as ServerCron

    local, _ = server

    async def read(client):
        return await client.read_deployment_by_name("audit/quarterly")

    deployment = asyncio.run(_api(local, read))
    (schedule,) = deployment.schedules
    assert schedule.active
    assert schedule.schedule.cron == "0 6 1 1,4,7,10 *"
    assert schedule.schedule.timezone == "Europe/Paris"
    # Prefect's scheduler code on the deployed schedule: 06:00 Paris is 05:00Z in winter, 04:00Z in summer
    cron = ServerCron(cron=schedule.schedule.cron, timezone=schedule.schedule.timezone)
    dates = asyncio.run(cron.get_dates(n=4, start=datetime(2026, 11, 27, tzinfo=UTC)))
    assert [d.astimezone(UTC).isoformat() for d in dates] == [
        "2027-01-01T05:00:00+00:00",
        "2027-04-01T04:00:00+00:00",  # after the change to summer time (28 March 2027)
        "2027-07-01T04:00:00+00:00",
        "2027-10-01T04:00:00+00:00",
    ]


def test_malformed_period_is_refused_before_any_run(server):
    from prefect.exceptions import PrefectHTTPStatusError

    local, _ = server

    async def attempt(client):
        deployment = await client.read_deployment_by_name("audit/on-demand")
        before = await client.read_flow_runs()
        with pytest.raises(PrefectHTTPStatusError) as exc:
            await client.create_flow_run_from_deployment(deployment.id, parameters={"period": "2026-Q5"})
        after = await client.read_flow_runs()
        return exc.value, len(before), len(after)

    error, before, after = asyncio.run(_api(local, attempt))
    assert error.response.status_code in (409, 422)
    assert "period" in error.response.text
    assert before == after


def test_on_demand_run_publishes_that_period(server, publisher_client, s3_prefix, store_info):
    from prefect.client.schemas.objects import StateType

    local, demo = server
    cfg = yaml.safe_load((demo / "audit.yaml").read_text())
    cfg["publish"]["prefix"] = s3_prefix
    cfg["languages"] = ["fr"]
    (demo / "audit-e2e.yaml").write_text(yaml.safe_dump(cfg))

    async def run(client):
        deployment = await client.read_deployment_by_name("audit/on-demand")
        flow_run = await client.create_flow_run_from_deployment(
            deployment.id, parameters={"period": "2026-Q2", "config": str(demo / "audit-e2e.yaml")}
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            flow_run = await client.read_flow_run(flow_run.id)
            if flow_run.state and flow_run.state.is_final():
                return flow_run
            await asyncio.sleep(2)
        return flow_run

    flow_run = asyncio.run(_api(local, run))
    log = (local.dir / "worker.log").read_text(errors="replace")[-3000:]
    assert flow_run.state.type == StateType.COMPLETED, log
    assert flow_run.name == "audit 2026-Q2"
    pointer = publisher_client.get_object(
        Bucket=store_info.bucket, Key=f"{s3_prefix}/demo-company/2026-Q2/latest.json"
    )
    latest = json.loads(pointer["Body"].read())
    run_id = latest["run_id"]
    metrics_key = f"{s3_prefix}/demo-company/2026-Q2/{run_id}/metrics.json"
    metrics = json.loads(
        publisher_client.get_object(Bucket=store_info.bucket, Key=metrics_key)["Body"].read()
    )
    assert metrics["audit"]["period"]["label"] == "2026-Q2"

    async def artifacts(client):
        from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

        return await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id]))
        )

    found = {a.key for a in asyncio.run(_api(local, artifacts))}
    assert {"audit-report", "audit-headline", "data-quality"} <= found
