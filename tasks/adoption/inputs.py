"""The small inputs next to usage: activity rules, licences, seat assignments and the directory.

These are at most a few thousand rows, so plain pandas is fine here; what matters is the meaning:
- a tool is matched by name without regard to case or surrounding spaces (`CRM` in the licence file is the
  `crm` of the logs);
- a seat is *assigned* for a period when its assignment is in force at the period's end (assigned before the
  end, not unassigned by then). A seat still held by someone who left (directory `end_date` before the
  period's end, or `active` false with no end date) is still assigned and paid for: it is idle (nobody can
  use it) and counted apart as a *leaver seat*, the licence to take back first;
- a user's department comes from the directory; when the directory has none, from the usage rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from auditbridge.errors import ConfigError, DataError, Problem


def tool_key(name: object) -> str:
    return str(name).strip().casefold()


@dataclass(frozen=True)
class Rule:
    include: frozenset[str] | None
    exclude: frozenset[str]


def normalise_rules(rules: Mapping | None) -> dict[str, Rule]:
    """`{tool: ActivityRule | {"include_actions": [...], "exclude_actions": [...]}}` -> rules by tool key."""
    if not rules:
        return {}
    from pydantic import ValidationError

    from auditbridge.config import ActivityRule

    out: dict[str, Rule] = {}
    for tool, rule in (rules or {}).items():
        if not isinstance(rule, ActivityRule):
            try:
                rule = ActivityRule.model_validate(rule)
            except ValidationError as exc:
                problems = [
                    f"adoption.activity.{tool}.{'.'.join(map(str, e['loc']))}: {e['msg']}"
                    for e in exc.errors()
                ]
                raise ConfigError("activity rules", problems) from None
        include = (
            frozenset(a.strip().casefold() for a in rule.include_actions)
            if rule.include_actions is not None
            else None
        )
        out[tool_key(tool)] = Rule(include, frozenset(a.strip().casefold() for a in rule.exclude_actions))
    return out


def activity_lookup(
    tools: np.ndarray, actions: np.ndarray | None, rules: dict[str, Rule]
) -> np.ndarray | None:
    """(tool code, action code + 1) -> counts as activity; column 0 is "no action". None when no rule applies."""
    keys = [tool_key(t) for t in tools]
    if not any(k in rules for k in keys):
        return None
    names = np.array(
        [str(a).strip().casefold() for a in (actions if actions is not None else [])], dtype=object
    )
    table = np.ones((len(keys), names.size + 1), dtype=bool)
    for i, key in enumerate(keys):  # one pass per configured tool, over its action names (not rows)
        rule = rules.get(key)
        if rule is None:
            continue
        if rule.include is not None:
            table[i, 0] = False
            table[i, 1:] = np.isin(names, list(rule.include))
        if rule.exclude:
            table[i, 1:] &= ~np.isin(names, list(rule.exclude))
    return table


@dataclass
class Licences:
    seats: dict[str, float]  # by tool key; NaN when the file leaves it empty
    cost: dict[str, float]
    currency: dict[str, str]
    display: dict[str, str]


def read_licences(df: pd.DataFrame | None, file: str = "licences") -> Licences:
    """One row per tool; a tool listed twice is refused (the seats would be ambiguous)."""
    lic = Licences({}, {}, {}, {})
    if df is None or df.empty:
        return lic
    keys = df["tool"].astype("string").map(tool_key, na_action="ignore")
    dup = keys.duplicated(keep="first") & keys.notna()
    if dup.any():
        raise DataError(
            [
                Problem(
                    file,
                    "this tool is already listed above: one row per tool",
                    row=int(i) + 2,
                    column="tool",
                    value=str(df["tool"].iloc[i]),
                )
                for i in np.flatnonzero(dup.to_numpy())
            ]
        )
    seats = pd.to_numeric(df["seats"], errors="coerce").astype("float64")
    cost = pd.to_numeric(df["cost_per_seat_month"], errors="coerce").astype("float64")
    for i, key in enumerate(keys):
        if key is None or pd.isna(key) or key == "":
            continue
        lic.seats[key] = float(seats.iloc[i]) if pd.notna(seats.iloc[i]) else float("nan")
        lic.cost[key] = float(cost.iloc[i]) if pd.notna(cost.iloc[i]) else float("nan")
        cur = df["currency"].iloc[i]
        lic.currency[key] = "" if pd.isna(cur) else str(cur).strip()
        lic.display[key] = str(df["tool"].iloc[i]).strip()
    return lic


def leavers(directory: pd.DataFrame | None, before: date) -> pd.Index:
    """Users who left before `before`: an `end_date` earlier than it, or `active` false without an end date."""
    if directory is None or directory.empty:
        return pd.Index([], dtype="string")
    left = pd.Series(False, index=directory.index)
    if "end_date" in directory.columns:
        end = pd.to_datetime(directory["end_date"], errors="coerce")
        left |= (end < pd.Timestamp(before)).fillna(False)
    if "active" in directory.columns:
        flags = directory["active"]
        if not pd.api.types.is_bool_dtype(flags):
            flags = (
                flags.astype("string")
                .str.strip()
                .str.lower()
                .map({"false": False, "0": False, "no": False, "n": False})
            )
        inactive = flags.eq(False).fillna(False).astype(bool)
        no_end = directory["end_date"].isna() if "end_date" in directory.columns else True
        left |= inactive & no_end
    return pd.Index(directory.loc[left.to_numpy(), "user"].astype("string").str.strip().dropna().unique())


def holders(
    assignments: pd.DataFrame | None, *, at: datetime, period_end: date, directory: pd.DataFrame | None
) -> pd.DataFrame:
    """(tool key, user, leaver) of the seats held at instant `at` (the period's end, exclusive bound).

    `leaver` is True when the holder left before `period_end`.
    """
    if assignments is None or assignments.empty:
        return pd.DataFrame(
            {
                "tool": pd.Series(dtype="string"),
                "user": pd.Series(dtype="string"),
                "leaver": pd.Series(dtype=bool),
            }
        )
    frame = pd.DataFrame(
        {
            "tool": assignments["tool"].astype("string").map(tool_key, na_action="ignore"),
            "user": assignments["user"].astype("string").str.strip(),
        }
    )
    stamp = pd.Timestamp(at).tz_convert("UTC")
    in_force = pd.Series(True, index=assignments.index)
    for col, ends in (("assigned_at", False), ("unassigned_at", True)):
        if col in assignments.columns:
            when = _instants(assignments[col], col)
            in_force &= ~((when < stamp) if ends else (when >= stamp)).fillna(False)
    frame = frame[in_force.to_numpy() & frame["tool"].notna().to_numpy() & frame["user"].notna().to_numpy()]
    frame = frame.drop_duplicates().reset_index(drop=True)
    return frame.assign(leaver=frame["user"].isin(leavers(directory, period_end)).to_numpy())


def _instants(values: pd.Series, column: str) -> pd.Series:
    """Assignment dates as UTC instants; frames not yet coerced are parsed with the canonical rules."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values
    from auditbridge.datasets import parse_timestamps
    from auditbridge.errors import ProblemCollector

    collector = ProblemCollector()
    parsed = parse_timestamps(
        values.reset_index(drop=True), file="assignments", column=column, collector=collector
    )
    collector.raise_if_any()
    return pd.Series(parsed.to_numpy(), index=values.index)


def directory_departments(directory: pd.DataFrame | None) -> pd.Series:
    """user -> department from the directory (last row wins for a user listed twice; empty means none)."""
    if directory is None or directory.empty:
        return pd.Series(dtype="string")
    users = directory["user"].astype("string").str.strip()
    depts = directory["department"].astype("string").str.strip()
    series = pd.Series(depts.to_numpy(), index=users.to_numpy(), dtype="string")
    series = series[series.index.notna() & series.notna() & (series != "")]
    return series[~series.index.duplicated(keep="last")]
