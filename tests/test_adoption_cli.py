"""`auditbridge adoption` end to end on files: the contract's outputs, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from auditbridge.cli import main

CONTRACT_COLUMNS = [
    "tool",
    "department",
    "seats",
    "assigned",
    "active_users",
    "utilisation",
    "idle_seats",
    "idle_cost",
    "currency",
    "dau_mean",
    "wau_mean",
    "mau_mean",
    "stickiness",
    "new_users",
    "returning_users",
    "dormant_users",
    "actions_per_active_user",
]
SUMMARY_KEYS = {
    "period",
    "previous_period",
    "timezone",
    "currency",
    "min_group_size",
    "totals",
    "tools",
    "departments",
    "monthly",
    "tools_without_licence",
    "licences_without_usage",
}


@pytest.fixture
def files(tmp_path):
    # 2026-07 (31 days). crm: 4 seats at 12.5 EUR, held by a b c d; a active Jul 1 and Jul 2 (Wed, Thu),
    # b on Jul 4 (Saturday), e (no seat) on Jul 31. c and d never: 2 idle seats = 2 x 12.5 x 1 month = 25.
    (tmp_path / "usage.csv").write_text(
        "tool,user,at,action\n"
        "crm,a,2026-07-01T09:00:00+02:00,view\ncrm,a,2026-07-02T09:00:00+02:00,view\n"
        "crm,a,2026-07-02T17:00:00+02:00,edit\ncrm,b,2026-07-04T10:00:00+02:00,view\n"
        "crm,e,2026-07-31T21:59:00Z,view\n",  # 23:59 in Paris, still July
        encoding="utf-8",
    )
    (tmp_path / "licences.csv").write_text(
        "tool,seats,cost_per_seat_month,currency\ncrm,4,12.5,EUR\n", encoding="utf-8"
    )
    (tmp_path / "assignments.csv").write_text("tool,user\ncrm,a\ncrm,b\ncrm,c\ncrm,d\n", encoding="utf-8")
    (tmp_path / "directory.csv").write_text(
        "user,department\na,Sales\nb,Sales\nc,Sales\nd,Sales\ne,Sales\n", encoding="utf-8"
    )
    return tmp_path


def test_outputs_follow_the_contract(files, capsys):
    out = files / "out"
    code = main(
        [
            "adoption",
            "--usage",
            str(files / "usage.csv"),
            "--licences",
            str(files / "licences.csv"),
            "--assignments",
            str(files / "assignments.csv"),
            "--directory",
            str(files / "directory.csv"),
            "--period",
            "2026-07",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        str(out / "adoption_tools.csv"),
        str(out / "adoption_summary.json"),
    ]
    table = pd.read_csv(out / "adoption_tools.csv")
    assert list(table.columns[:3]) == ["tool", "department", "seats"]
    assert set(CONTRACT_COLUMNS) <= set(table.columns)
    assert table["tool"].tolist() == ["crm", "crm"]
    assert pd.isna(table["department"].iloc[0]) and table["department"].iloc[1] == "Sales"  # tool row: empty
    crm = table.iloc[0]
    assert (crm["seats"], crm["assigned"], crm["active_users"], crm["idle_seats"]) == (4, 4, 3, 2)
    assert crm["utilisation"] == pytest.approx(0.5)  # a and b of 4 holders
    assert crm["idle_cost"] == pytest.approx(25.0)
    assert crm["dau_mean"] == pytest.approx(4 / 31)  # a twice, b once, e once
    assert crm["actions_per_active_user"] == pytest.approx(5 / 3)
    assert pd.isna(crm["new_users"])  # no June data: cannot compare
    summary = json.loads((out / "adoption_summary.json").read_text(encoding="utf-8"))
    assert set(summary) >= SUMMARY_KEYS
    assert summary["period"] == {
        "label": "2026-07",
        "start": "2026-07-01",
        "end": "2026-07-31",
        "kind": "month",
    }
    assert summary["totals"]["idle_cost"] == 25.0 and summary["currency"] == "EUR"
    assert summary["tools"][0]["power_users"] == 0  # a: 2 of 23 working days
    assert summary["departments"][0]["department"] == "Sales"


def test_refused_data_exits_1_with_the_row(files, capsys):
    (files / "bad.csv").write_text("tool,user,at\ncrm,a,2026-07-01T09:00:00\n", encoding="utf-8")
    code = main(
        ["adoption", "--usage", str(files / "bad.csv"), "--period", "2026-07", "--out", str(files / "o")]
    )
    assert code == 1
    assert f"error: {files / 'bad.csv'}, row 2, column 'at'" in capsys.readouterr().err
    assert not (files / "o").exists()


def test_usage_errors_exit_2(files, capsys):
    usage = str(files / "usage.csv")
    assert main(["adoption", "--usage", usage, "--period", "2026-Q5", "--out", str(files / "o")]) == 2
    assert "period '2026-Q5' not understood" in capsys.readouterr().err
    assert (
        main(
            [
                "adoption",
                "--usage",
                usage,
                "--period",
                "2026-07",
                "--out",
                str(files / "o"),
                "--timezone",
                "Mars/Olympus",
            ]
        )
        == 2
    )
    assert "not a known timezone" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["adoption", "--period", "2026-07", "--out", str(files / "o")])
    assert exit_.value.code == 2


def test_previous_metrics_file_gives_the_change(files):
    metrics = {
        "adoption": {
            "period": {"label": "2026-06"},
            "tools": [{"tool": "crm", "department": None, "active_users": 1, "idle_seats": 3}],
        }
    }
    (files / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    out = files / "out2"
    assert (
        main(
            [
                "adoption",
                "--usage",
                str(files / "usage.csv"),
                "--licences",
                str(files / "licences.csv"),
                "--assignments",
                str(files / "assignments.csv"),
                "--period",
                "2026-07",
                "--out",
                str(out),
                "--previous-metrics",
                str(files / "metrics.json"),
                "--quiet",
            ]
        )
        == 0
    )
    summary = json.loads((out / "adoption_summary.json").read_text(encoding="utf-8"))
    assert summary["tools"][0]["change"] == {"active_users": 2.0, "idle_seats": -1.0}  # 3 - 1, 2 - 3


def test_command_does_not_import_prefect_gx_or_boto3(files):
    code = (
        "import sys\nfrom auditbridge.cli import main\n"
        f"rc = main(['adoption', '--usage', {str(files / 'usage.csv')!r}, '--period', '2026-07', '--out', "
        f"{str(files / 'o3')!r}, '--quiet'])\n"
        "heavy = [m for m in ('prefect', 'great_expectations', 'boto3') if m in sys.modules]\n"
        "print(rc, heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stderr


def test_activity_rules_file(files, capsys):
    # only "edit" counts for the crm: a (Jul 2, 17:00) is the one active user, 1 action
    (files / "rules.yaml").write_text("crm:\n  include_actions: [edit]\n", encoding="utf-8")
    out = files / "out4"
    assert (
        main(
            [
                "adoption",
                "--usage",
                str(files / "usage.csv"),
                "--period",
                "2026-07",
                "--out",
                str(out),
                "--activity-rules",
                str(files / "rules.yaml"),
                "--quiet",
            ]
        )
        == 0
    )
    crm = json.loads((out / "adoption_summary.json").read_text(encoding="utf-8"))["tools"][0]
    assert (crm["active_users"], crm["actions"], crm["dau_mean"]) == (1, 1.0, round(1 / 31, 6))
    (files / "bad.yaml").write_text("crm: [edit\n", encoding="utf-8")
    assert (
        main(
            [
                "adoption",
                "--usage",
                str(files / "usage.csv"),
                "--period",
                "2026-07",
                "--out",
                str(out),
                "--activity-rules",
                str(files / "bad.yaml"),
            ]
        )
        == 2
    )
    assert "not valid YAML" in capsys.readouterr().err
