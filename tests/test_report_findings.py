"""The findings rule set on hand-built metrics: which rules fire, in which order, with what at stake.

The expected values are worked out by hand from tests/fixtures/metrics_sample.json (whose figures were
picked so that they add up: per-department counts sum to the tool's, per-priority to the overall).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from tasks.report.findings import derive_findings, follow_up

FIXTURE = Path(__file__).parent / "fixtures" / "metrics_sample.json"


@pytest.fixture
def metrics() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_sample_findings_order_and_stakes(metrics):
    found = derive_findings(metrics, {})
    # Default thresholds: utilisation 40 %, department gap 30 pts, idle cost 1000, SLA 90 %, no priority 20 %,
    # backlog growth 10 %. By hand:
    #  crm 9/36 = 25 % < 40 %, idle 27 x 45 EUR x 3 months = 3645 > 1000 -> high, money 3645
    #  erp 19/30 = 63.3 % (not low) but idle 11 x 80 x 3 = 2640 > 1000 -> idle_cost, medium
    #  erp Sales 1/6 = 16.7 %, 63.3 - 16.7 = 46.7 pts >= 30 -> department gap, idle 5 x 80 x 3 = 1200
    #  P1 resolution 15/17 = 88.2 % < 90 % -> high (urgent priority); none 30/90 = 33.3 % -> high (< 70 %)
    #  P3 resolution 140/156 = 89.7 % -> medium; none first response 80/105 = 76.2 % -> medium
    #  no priority 111/412 = 26.9 % > 20 % (not > 40 %) -> medium; backlog 35 -> 43 = +22.9 % -> medium
    #  11 open tickets past target -> low; data quality "warning" -> low
    assert [f["id"] for f in found] == [
        "low_utilisation:crm",
        "sla_compliance:P1:resolution",
        "sla_compliance:none:resolution",
        "idle_cost:erp",
        "department_gap:erp:Sales",
        "backlog_growth",
        "no_priority",
        "sla_compliance:P3:resolution",
        "sla_compliance:none:first_response",
        "data_quality",
        "open_breached",
    ]
    by_id = {f["id"]: f for f in found}
    assert by_id["low_utilisation:crm"]["severity"] == "high"
    assert by_id["low_utilisation:crm"]["at_stake"] == {"money": 3645.0}
    assert by_id["low_utilisation:crm"]["figure"] == pytest.approx(0.25)
    assert by_id["idle_cost:erp"]["at_stake"] == {"money": 2640.0}
    assert by_id["department_gap:erp:Sales"]["at_stake"] == {"money": 1200.0}
    assert by_id["department_gap:erp:Sales"]["params"]["gap"] == pytest.approx(19 / 30 - 1 / 6, abs=1e-5)
    assert by_id["sla_compliance:none:resolution"]["figure"] == pytest.approx(30 / 90, abs=1e-6)
    assert by_id["sla_compliance:P3:resolution"]["severity"] == "medium"
    assert by_id["backlog_growth"]["params"]["growth"] == pytest.approx(8 / 35)
    assert by_id["no_priority"]["figure"] == pytest.approx(0.2694)
    assert by_id["open_breached"]["figure"] == 11
    assert {f["severity"] for f in found[:3]} == {"high"}


def test_thresholds_from_the_configuration_change_what_fires(metrics):
    # Utilisation threshold 20 %: crm (25 %) is no longer "little used", but its idle cost (3645) still
    # exceeds 1000, so it becomes an idle-cost finding. Compliance goal 85 %: P1 (88.2 %) and P3 (89.7 %)
    # now pass; "none" (33.3 % and 76.2 %) still fails.
    found = derive_findings(
        metrics, {"utilisation_min": 0.20, "sla_compliance_min": 0.85, "idle_cost_max": 3000}
    )
    ids = [f["id"] for f in found]
    assert "low_utilisation:crm" not in ids
    assert "idle_cost:crm" in ids  # 3645 > 3000
    assert "idle_cost:erp" not in ids  # 2640 <= 3000
    assert "sla_compliance:P1:resolution" not in ids and "sla_compliance:P3:resolution" not in ids
    assert {"sla_compliance:none:resolution", "sla_compliance:none:first_response"} <= set(ids)


def test_unknown_threshold_is_refused(metrics):
    with pytest.raises(ValidationError):
        derive_findings(metrics, {"utilisation_minimum": 0.3})


def test_department_gap_boundary():
    # Tool at 80 %; a department at 50 % is exactly 30 pts below (fires), one at 51 % is 29 pts below (not).
    adoption = {
        "currency": "EUR",
        "tools": [{"tool": "crm", "utilisation": 0.8, "idle_cost": 0}],
        "departments": [
            {"tool": "crm", "department": "Sales", "utilisation": 0.5, "idle_cost": 0},
            {"tool": "crm", "department": "Finance", "utilisation": 0.51, "idle_cost": 0},
        ],
    }
    ids = [f["id"] for f in derive_findings({"adoption": adoption})]
    assert ids == ["department_gap:crm:Sales"]


def test_missing_sections_give_no_finding_and_no_crash():
    assert derive_findings({}) == []
    assert derive_findings({"sla": None, "adoption": None, "data_quality": None, "previous": None}) == []
    # No tickets at all, no licences (utilisation undefined): nothing to flag.
    sla = {
        "tickets_in_scope": 0,
        "no_priority_share": None,
        "by_priority": [],
        "backlog": {"open": 0},
        "open_breached": 0,
    }
    adoption = {"tools": [{"tool": "teams", "utilisation": None, "idle_cost": None}], "departments": []}
    assert derive_findings({"sla": sla, "adoption": adoption}) == []


def test_backlog_growth_needs_a_previous_period(metrics):
    without = copy.deepcopy(metrics)
    without["previous"] = None
    assert "backlog_growth" not in [f["id"] for f in derive_findings(without)]
    # From zero open tickets to some: growth is unbounded, the finding fires without a percentage.
    zero = copy.deepcopy(metrics)
    zero["previous"]["sla"]["backlog"]["open"] = 0
    growth = next(f for f in derive_findings(zero) if f["id"] == "backlog_growth")
    assert growth["params"]["growth"] is None and growth["params"]["previous_open"] == 0


def test_order_is_stable_whatever_the_input_order(metrics):
    shuffled = copy.deepcopy(metrics)
    shuffled["adoption"]["tools"].reverse()
    shuffled["adoption"]["departments"].reverse()
    shuffled["sla"]["by_priority"].reverse()
    assert derive_findings(shuffled) == derive_findings(metrics)


def test_follow_up_of_previous_findings(metrics):
    found = derive_findings(metrics)
    out = follow_up(found, metrics["previous"]["findings"])
    status = {f["id"]: (f["status"], f["previous_figure"], f["figure"]) for f in out}
    # crm was 30.6 % and is now 25 %: still open. P2 resolution was 85 % and is now 56/60 = 93.3 %: cleared.
    assert status["low_utilisation:crm"] == ("open", 0.305556, pytest.approx(0.25))
    assert status["no_priority"][0] == "open"
    assert status["sla_compliance:P2:resolution"] == ("cleared", 0.85, None)
    assert follow_up(found, None) == []


def test_time_at_stake_from_the_ticket_table(metrics):
    """Business hours beyond target, summed over late tickets of tests/fixtures/sla_tickets_sample.csv.

    By hand (elapsed - target, in hours): no priority, resolution: T-1003 (720000 - 259200) / 3600 = 128
    + T-1006 (260000 - 259200) / 3600 = 0.22 -> 128.2; no priority, first response: T-1003
    (30000 - 14400) / 3600 = 4.3; P2 resolution: T-1004 41800 s = 11.6; P3: T-1005 20800 s = 5.8.
    Still open past target: 128 + 0.22 + 11.61 + 5.78 = 145.6.
    """
    import pandas as pd

    tickets = pd.read_csv(FIXTURE.parent / "sla_tickets_sample.csv")
    found = {f["id"]: f for f in derive_findings(metrics, {}, sla_tickets=tickets)}
    assert found["sla_compliance:none:resolution"]["at_stake"] == {"hours": 128.2}
    assert found["sla_compliance:none:first_response"]["at_stake"] == {"hours": 4.3}
    assert found["sla_compliance:P3:resolution"]["at_stake"] == {"hours": 5.8}
    assert found["sla_compliance:P1:resolution"]["at_stake"] is None  # no late P1 in the table
    assert found["open_breached"]["at_stake"] == {"hours": 145.6}
    # time at stake orders findings of equal severity and no money: more hours first
    ids = list(found)
    assert ids.index("sla_compliance:none:resolution") < ids.index("sla_compliance:P1:resolution")
    assert ids.index("sla_compliance:P3:resolution") < ids.index("sla_compliance:none:first_response")
    assert ids.index("open_breached") < ids.index("data_quality")
