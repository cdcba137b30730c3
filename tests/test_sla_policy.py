"""The SLA policy file: the CONTRACTS example loads, and each classic mistake is refused with its key path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auditbridge.errors import ConfigError
from tasks.sla.policy import load_policy, parse_duration

ROOT = Path(__file__).resolve().parent.parent

CONTRACTS_EXAMPLE = """
timezone: Europe/Paris
calendars:
  office:
    hours:
      mon: ["09:00-12:30", "13:30-18:00"]
      tue: ["09:00-12:30", "13:30-18:00"]
      wed: ["09:00-12:30", "13:30-18:00"]
      thu: ["09:00-12:30", "13:30-18:00"]
      fri: ["09:00-12:30", "13:30-17:00"]
    holidays:
      country: FR
      subdivision: null
      add: ["2026-12-24"]
      remove: ["2026-05-25"]
  weekdays:
    hours: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"]}
  always: 24x7
statuses:
  pause: [pending]
  stop: [resolved, closed]
  cancel: [cancelled]
goals:
  - name: critical
    match: {priority: P1}
    calendar: always
    first_response: 30m
    resolution: 4h
  - name: finance
    match: {department: [Finance]}
    calendar: weekdays
    resolution: 7d
  - name: default
    match: {}
    calendar: office
    first_response: 4h
    resolution: 3d
"""


def example() -> dict:
    return yaml.safe_load(CONTRACTS_EXAMPLE)


def test_contracts_example_loads_as_written(tmp_path):
    path = tmp_path / "sla.yaml"
    path.write_text(CONTRACTS_EXAMPLE, encoding="utf-8")
    policy = load_policy(path)
    assert policy.timezone == "Europe/Paris"
    assert [g.name for g in policy.goals] == ["critical", "finance", "default"]
    office = policy.calendars["office"]
    assert office.hours[0] == ((540, 750), (810, 1080))  # 09:00-12:30, 13:30-18:00 in minutes
    assert office.hours[4] == ((540, 750), (810, 1020))
    assert 5 not in office.hours and 6 not in office.hours  # a missing day is closed
    assert office.weekly_seconds == (4 * 8 + 7) * 3600
    assert policy.calendars["always"].always
    assert policy.goals[0].match == {"priority": ("P1",)}
    assert (policy.goals[0].first_response_s, policy.goals[0].resolution_s) == (1800, 4 * 3600)
    assert policy.goals[1].resolution_s == 7 * 24 * 3600  # a day is 24 calendar hours
    assert (policy.pause, policy.stop, policy.cancel) == (
        ("pending",),
        ("resolved", "closed"),
        ("cancelled",),
    )
    assert str(office.holidays.add[0]) == "2026-12-24"


def test_bundled_example_policy_loads():
    policy = load_policy(ROOT / "examples" / "sla.yaml")
    assert policy.goals and "office" in policy.calendars


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("4h", 14400), ("3d", 259200), ("1d4h", 100800), ("1d4h30m", 102600), (" 2H ", 7200)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "4", "4 hours", "h", "0m", "1.5h", "4h1d", 4, None])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def _problems(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_policy(data)
    return info.value.problems


def test_unknown_calendar_is_named_with_the_known_ones():
    data = example()
    data["goals"][2]["calendar"] = "ofice"
    (problem,) = _problems(data)
    assert problem.startswith("goals[2].calendar: unknown calendar 'ofice'")
    assert "office" in problem and "weekdays" in problem


def test_backwards_range():
    data = example()
    data["calendars"]["office"]["hours"]["mon"] = ["18:00-09:00"]
    (problem,) = _problems(data)
    assert problem.startswith("calendars.office.hours.mon[0]: range '18:00-09:00' ends before it starts")


def test_overlapping_ranges():
    data = example()
    data["calendars"]["office"]["hours"]["tue"] = ["09:00-12:30", "12:00-18:00"]
    (problem,) = _problems(data)
    assert problem.startswith("calendars.office.hours.tue: ranges 09:00-12:30 and 12:00-18:00 overlap")


def test_malformed_ranges_and_weekdays():
    data = example()
    data["calendars"]["office"]["hours"]["wed"] = ["9h-12h", "25:00-26:00"]
    data["calendars"]["office"]["hours"]["fryday"] = ["09:00-12:00"]
    problems = _problems(data)
    assert any(p.startswith("calendars.office.hours.wed[0]: expected an opening range") for p in problems)
    assert any(p.startswith("calendars.office.hours.wed[1]: times go from 00:00 to 24:00") for p in problems)
    assert any(p.startswith("calendars.office.hours.fryday: unknown weekday") for p in problems)


def test_unknown_status_and_status_in_two_roles():
    data = example()
    data["statuses"]["pause"] = ["pending", "waiting"]
    data["statuses"]["cancel"] = ["cancelled", "closed"]
    problems = _problems(data)
    assert (
        "statuses.pause[1]: unknown status 'waiting' (expected one of: new, open, pending, resolved, closed, cancelled)"
        in problems
    )
    assert any(
        p.startswith("statuses.cancel: status 'closed' is already listed under 'stop'") for p in problems
    )


def test_bad_duration_and_unknown_keys_are_all_reported_at_once():
    data = example()
    data["goals"][0]["resolution"] = "4 hours"
    data["goals"][1]["first_respons"] = "1h"
    data["calendar"] = {}
    problems = _problems(data)
    assert any(p.startswith("goals[0].resolution: expected a duration such as 30m") for p in problems)
    assert any(p.startswith("goals[1].first_respons: unknown key") for p in problems)
    assert any(p.startswith("calendar: unknown key") for p in problems)
    assert len(problems) == 3


def test_holidays_country_subdivision_and_dates():
    data = example()
    data["calendars"]["office"]["holidays"] = {"country": "XX", "add": ["2026-02-30"]}
    problems = _problems(data)
    assert any(p.startswith("calendars.office.holidays.country: unknown country 'XX'") for p in problems)
    assert any(p.startswith("calendars.office.holidays.add[0]: expected a date YYYY-MM-DD") for p in problems)
    data = example()
    data["calendars"]["office"]["holidays"]["subdivision"] = "99"
    (problem,) = _problems(data)
    assert problem.startswith("calendars.office.holidays.subdivision: unknown subdivision '99' of FR")
    assert "57" in problem  # the known ones are listed (Moselle)


def test_timezone_required_or_defaulted_and_checked():
    data = example()
    del data["timezone"]
    assert _problems(data)[0].startswith("timezone: required")
    assert load_policy(data, default_timezone="Europe/Berlin").timezone == "Europe/Berlin"
    data["timezone"] = "Europe/Pariss"
    assert _problems(data)[0].startswith("timezone: unknown timezone")


def test_duplicate_goal_names_and_empty_calendar():
    data = example()
    data["goals"][1]["name"] = "critical"
    data["calendars"]["night"] = {"hours": {"sat": []}}
    problems = _problems(data)
    assert "goals: goal name 'critical' is used twice: names label the report's rows" in problems
    assert any(p.startswith("calendars.night.hours: no opening hours at all") for p in problems)


def test_builtin_24x7_usable_without_declaring_it():
    data = example()
    data["goals"][0]["calendar"] = "24x7"
    policy = load_policy(data)
    assert policy.calendars["24x7"].always


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_policy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("goals: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_policy(bad)
