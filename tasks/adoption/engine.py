"""The adoption figures of CONTRACTS section 5, per tool and per tool and department.

Definitions (CONTRACTS section 5, DOMAIN.md), and the choices made where they leave room:
- active on a day: at least one row that counts as activity (activity rules per tool; a `count` of 0 or less
  is not activity; an empty `count` is 1) on that local day of the audit timezone.
- `utilisation` = active assigned users / `assigned`. Without an assignments file for a tool, every purchased
  seat counts as assigned and at most `seats` active users fill them.
- `idle_seats` = assigned seats whose holder was never active in the period (without assignments:
  `seats - min(active_users, seats)`); `idle_cost` = idle seats x cost per seat-month x the period's months.
- DAU / WAU / MAU: distinct users active on the day / in the 7 / 28 days ending on it, averaged over every day
  of the period (weekends included); the trailing windows see the days before the period when the data has them.
- power users: active on at least half of the period's working days (Monday to Friday; public holidays are
  not removed, as the adoption inputs carry no calendar).
- new / returning / dormant: active now and not / also in the previous period, or active then and not now;
  `resurrecting_users` (a subset of new) were active before the previous period. All four are empty when the
  usage data has nothing in the previous period (the comparison cannot be made).
- zombie seats: assigned seats whose holder has no activity in the last `zombie_days` days of the period;
  leaver seats: assigned seats still held by someone who left (see `inputs`), idle by nature.
- small groups: a department with fewer people (users active in this or the previous period, or holding a
  seat) than `min_group_size` for a tool is merged into `other` for that tool. Users without a department are
  in `unknown`.

Everything per user or per row is numpy: codes, bincounts and the trailing-window trick of `windows`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from auditbridge.period import Period
from tasks.adoption import summary as summary_mod
from tasks.adoption.inputs import (
    activity_lookup,
    directory_departments,
    holders,
    normalise_rules,
    read_licences,
    tool_key,
)
from tasks.adoption.reader import UsageArrays, concat_usage, usage_from_frame
from tasks.adoption.windows import any_per, count_per, trailing_counts, unique_keys

_EPOCH = date(1970, 1, 1)
WAU_DAYS, MAU_DAYS = 7, 28
OTHER, UNKNOWN = "other", "unknown"

COLUMNS = [
    "tool",
    "department",
    "seats",
    "assigned",
    "unassigned",
    "active_users",
    "active_assigned_users",
    "utilisation",
    "idle_seats",
    "idle_cost",
    "currency",
    "cost_per_seat_month",
    "dau_mean",
    "wau_mean",
    "mau_mean",
    "stickiness",
    "new_users",
    "returning_users",
    "dormant_users",
    "resurrecting_users",
    "actions",
    "actions_per_active_user",
    "power_users",
    "zombie_seats",
    "leaver_seats",
    "people",
]
INT_COLUMNS = [
    "seats",
    "assigned",
    "unassigned",
    "active_users",
    "active_assigned_users",
    "idle_seats",
    "new_users",
    "returning_users",
    "dormant_users",
    "resurrecting_users",
    "power_users",
    "zombie_seats",
    "leaver_seats",
    "people",
]
CHANGE_COLUMNS = [
    "seats",
    "assigned",
    "unassigned",
    "active_users",
    "utilisation",
    "idle_seats",
    "idle_cost",
    "dau_mean",
    "wau_mean",
    "mau_mean",
    "stickiness",
    "new_users",
    "returning_users",
    "dormant_users",
    "actions_per_active_user",
    "power_users",
]


@dataclass
class AdoptionResult:
    tools: pd.DataFrame  # adoption_tools.csv: one row per tool (department NA), then per tool and department
    summary: dict


def day_number(d: date) -> int:
    return (d - _EPOCH).days


def compute_adoption(
    usage,
    *,
    licences: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
    directory: pd.DataFrame | None = None,
    period: Period,
    timezone: str,
    min_group_size: int = 5,
    activity_rules: Mapping | None = None,
    previous_usage=None,
    previous_metrics: dict | None = None,
    currency: str | None = None,
    zombie_days: int = 90,
    naive_timezone: str | None = None,
) -> AdoptionResult:
    """Adoption figures for `period` (see the module docstring for every definition).

    `usage` and `previous_usage` are canonical usage frames, `UsageArrays` from `reader.read_usage`, or lists of
    them (several files, several quarters: only what the computation needs is used). `previous_metrics` is the
    previous run's `metrics.json` (or its `adoption` part), used for the change when the usage has no data for
    the previous period.
    """
    parts = _as_arrays(usage, timezone, naive_timezone) + _as_arrays(previous_usage, timezone, naive_timezone)
    data = concat_usage(parts) if parts else _empty_usage()
    lic = read_licences(licences)
    ctx = _Context.build(data, lic, assignments, directory, period, timezone, activity_rules, zombie_days)
    ctx.group_departments(min_group_size)

    current = ctx.figures(
        period,
        lifecycle=ctx.has_data(period.previous()),
        earlier=ctx.has_data_before(period.previous()),
        zombie=True,
    )
    previous = None
    change_source = None
    prev = period.previous()
    if ctx.has_data(prev):
        previous = ctx.figures(
            prev,
            lifecycle=ctx.has_data(prev.previous()),
            earlier=ctx.has_data_before(prev.previous()),
            zombie=False,
            keep_empty=True,
        )
        change_source = "usage"
    elif previous_metrics:
        previous = summary_mod.rows_from_metrics(previous_metrics, prev)
        change_source = "previous_metrics" if previous is not None else None
    tools = summary_mod.with_change(current, previous, CHANGE_COLUMNS)
    monthly = ctx.monthly(period)
    summ = summary_mod.build_summary(
        tools,
        period=period,
        previous=prev if previous is not None or ctx.has_data(prev) else None,
        timezone=timezone,
        currency=currency or lic_currency(lic),
        min_group_size=min_group_size,
        monthly=monthly,
        tools_without_licence=ctx.tools_without_licence(),
        active_total=ctx.distinct_active_users(period),
        change_source=change_source,
        extra={
            "zombie_days": zombie_days,
            "working_days": ctx.working_days(period),
            "period_months": period.months,
            "usage_rows": data.rows,
            "usage_first_day": ctx.first_day_iso(),
            "usage_last_day": ctx.last_day_iso(),
            "lifecycle_available": ctx.has_data(prev),
            "department_source": ctx.department_source,
        },
    )
    return AdoptionResult(tools=tools, summary=summ)


def lic_currency(lic) -> str:
    found = sorted({c for c in lic.currency.values() if c})
    return found[0] if len(found) == 1 else ("EUR" if not found else "mixed")


def write_outputs(result: AdoptionResult, out_dir: str | Path) -> dict[str, Path]:
    """`adoption_tools.csv` and `adoption_summary.json` in `out_dir` (created)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out / "adoption_tools.csv", out / "adoption_summary.json"
    result.tools.to_csv(csv_path, index=False, encoding="utf-8", float_format="%.10g")
    json_path.write_text(
        json.dumps(result.summary, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    return {"adoption_tools.csv": csv_path, "adoption_summary.json": json_path}


def _as_arrays(value, timezone: str, naive_timezone: str | None) -> list[UsageArrays]:
    if value is None:
        return []
    if isinstance(value, UsageArrays):
        return [value]
    if isinstance(value, pd.DataFrame):
        return [usage_from_frame(value, audit_timezone=timezone, timezone=naive_timezone)]
    return [a for item in value for a in _as_arrays(item, timezone, naive_timezone)]


def _empty_usage() -> UsageArrays:
    empty = np.zeros(0, dtype=np.int32)
    return UsageArrays(
        tools=np.array([], dtype=object), tool=empty, users=np.array([], dtype=object), user=empty, day=empty
    )


@dataclass
class _Context:
    """Usage reduced to sorted distinct (tool, user, day) triples over the days the figures need."""

    tools: list[str]  # display names, index = tool code
    keys: list[str]
    users: np.ndarray
    n_users: int
    w0: int  # day number of relative day 0
    n_days: int
    pair: np.ndarray  # tool * n_users + user of each triple
    tday: np.ndarray  # relative day of each triple
    before: np.ndarray  # per pair: active before w0
    row_tu: np.ndarray  # per counted row in [w0, end]: pair
    row_day: np.ndarray
    row_weight: np.ndarray | None
    raw_days: np.ndarray  # sorted day numbers with at least one usage row (any row, before activity rules)
    lic: object
    assignments: pd.DataFrame | None
    directory: pd.DataFrame | None
    timezone: str
    zombie_days: int
    user_dept: np.ndarray | None = None  # per user: department code
    departments: list[str] | None = None
    group_tu: np.ndarray | None = None  # per pair: department group code (len(departments) = other)
    department_source: dict | None = None
    period: Period | None = None  # the audited period (departments are grouped on its population)

    @classmethod
    def build(
        cls, data: UsageArrays, lic, assignments, directory, period: Period, timezone, rules, zombie_days
    ):
        keys_usage = [tool_key(t) for t in data.tools]
        assigned_tools = (
            []
            if assignments is None or assignments.empty
            else [tool_key(t) for t in assignments["tool"].dropna().unique()]
        )
        keys = sorted(set(keys_usage) | set(lic.seats) | set(assigned_tools))
        display = {k: lic.display[k] for k in lic.display}
        for k, name in zip(keys_usage, data.tools, strict=True):
            display.setdefault(k, str(name).strip())
        for t in assigned_tools:
            display.setdefault(t, t)
        index = {k: i for i, k in enumerate(keys)}
        tool_map = np.array([index[k] for k in keys_usage], dtype=np.int64)

        extra_users = []
        if assignments is not None and not assignments.empty:
            held_by = pd.Index(assignments["user"].dropna().astype("string").str.strip().unique())
            extra_users = held_by.difference(pd.Index(data.users, dtype="string")).to_numpy(dtype=object)
        users = np.concatenate([data.users.astype(object), np.array(extra_users, dtype=object)])
        n_users = max(len(users), 1)

        prev = period.previous()
        end = day_number(period.end)
        w0 = min(
            day_number(prev.previous().start), day_number(prev.start) - MAU_DAYS + 1, end - zombie_days + 1
        )
        n_days = end - w0 + 1

        tool = tool_map[data.tool] if data.rows else np.zeros(0, dtype=np.int64)
        counted = np.ones(data.rows, dtype=bool)
        table = activity_lookup(data.tools, data.actions, normalise_rules(rules))
        if table is not None:
            counted = table[data.tool, data.action + 1 if data.action is not None else 0]
        if data.count is not None:
            counted &= ~(data.count <= 0)
        counted &= data.day <= end
        tu = tool * n_users + data.user
        keep = counted & (data.day >= w0)
        k_tu, k_day = tu[keep], data.day[keep].astype(np.int64) - w0
        triples = unique_keys(k_tu * n_days + k_day, len(keys) * n_users * n_days)
        n_pairs = len(keys) * n_users
        weight = None
        if data.count is not None:
            w = data.count[keep]
            weight = np.where(np.isnan(w), 1.0, w)
        used_days = (
            any_per(data.day.astype(np.int64) - data.day.min(), int(data.day.max() - data.day.min()) + 1)
            if data.rows
            else np.zeros(0, dtype=bool)
        )
        raw_days = np.flatnonzero(used_days) + (int(data.day.min()) if data.rows else 0)
        ctx = cls(
            tools=[display[k] for k in keys],
            keys=keys,
            users=users,
            n_users=n_users,
            w0=w0,
            n_days=n_days,
            pair=triples // n_days,
            tday=(triples % n_days).astype(np.int64),
            before=any_per(tu[counted & (data.day < w0)], n_pairs),
            row_tu=k_tu,
            row_day=k_day,
            row_weight=weight,
            raw_days=raw_days,
            lic=lic,
            assignments=assignments,
            directory=directory,
            timezone=timezone,
            zombie_days=zombie_days,
        )
        ctx.period = period
        ctx._departments(data)
        return ctx

    # ---- days and availability -------------------------------------------------------------------------
    def rel(self, d: date) -> int:
        return day_number(d) - self.w0

    def has_data(self, p: Period) -> bool:
        """Whether the usage has any row in `p`: only then can users be compared with that period."""
        lo, hi = day_number(p.start), day_number(p.end)
        i = np.searchsorted(self.raw_days, lo)
        return bool(i < self.raw_days.size and self.raw_days[i] <= hi)

    def has_data_before(self, p: Period) -> bool:
        return bool(self.raw_days.size and self.raw_days[0] < day_number(p.start))

    def first_day_iso(self) -> str | None:
        return (_EPOCH + timedelta(days=int(self.raw_days[0]))).isoformat() if self.raw_days.size else None

    def last_day_iso(self) -> str | None:
        return (_EPOCH + timedelta(days=int(self.raw_days[-1]))).isoformat() if self.raw_days.size else None

    def working_days(self, p: Period) -> int:
        days = np.arange(day_number(p.start), day_number(p.end) + 1)
        return int(
            ((days + 3) % 7 < 5).sum()
        )  # day 0 (1970-01-01) was a Thursday: (d + 3) % 7 == 0 is Monday

    def active_pairs(self, lo: int, hi: int) -> np.ndarray:
        sel = (self.tday >= lo) & (self.tday <= hi)
        return any_per(self.pair[sel], len(self.keys) * self.n_users)

    def distinct_active_users(self, p: Period) -> int:
        flags = self.active_pairs(self.rel(p.start), self.rel(p.end)).reshape(len(self.keys), self.n_users)
        return int(flags.any(axis=0).sum())

    # ---- departments -----------------------------------------------------------------------------------
    def _departments(self, data: UsageArrays) -> None:
        names = np.full(self.n_users, UNKNOWN, dtype=object)
        from_usage = np.zeros(self.n_users, dtype=bool)
        if data.department is not None and data.departments.size:
            has = data.department >= 0
            n_dep = data.departments.size
            # the department the log shows most often for the user (ties: alphabetical first)
            if data.users.size * n_dep <= 50_000_000:
                hist = count_per(
                    data.user[has].astype(np.int64) * n_dep + data.department[has], data.users.size * n_dep
                )
                hist = hist.reshape(data.users.size, n_dep)
                seen = hist.max(axis=1) > 0
                best = hist.argmax(axis=1)
            else:
                pairs, counts = np.unique(
                    data.user[has].astype(np.int64) * n_dep + data.department[has], return_counts=True
                )
                frame = pd.DataFrame({"u": pairs // n_dep, "d": pairs % n_dep, "n": counts})
                frame = frame.sort_values(["u", "n", "d"], ascending=[True, False, True]).drop_duplicates("u")
                seen = np.zeros(data.users.size, dtype=bool)
                seen[frame["u"].to_numpy()] = True
                best = np.zeros(data.users.size, dtype=np.int64)
                best[frame["u"].to_numpy()] = frame["d"].to_numpy()
            names[: data.users.size][seen] = data.departments[best[seen]]
            from_usage[: data.users.size] = seen
        from_dir = np.zeros(self.n_users, dtype=bool)
        known = directory_departments(self.directory)
        if len(known):
            idx = pd.Index(known.index).get_indexer(pd.Index(self.users[: len(self.users)]))
            hit = idx >= 0
            names[: len(self.users)][hit] = known.to_numpy(dtype=object)[idx[hit]]
            from_dir[: len(self.users)] = hit
        cats = sorted(set(names.tolist()))
        self.departments = cats
        self.user_dept = np.searchsorted(np.array(cats, dtype=object), names).astype(np.int64)
        self.department_source = {
            "directory": int(from_dir.sum()),
            "usage": int((from_usage & ~from_dir).sum()),
            "unknown": int((~from_usage & ~from_dir).sum()) - (self.n_users - len(self.users)),
        }

    def group_departments(self, min_group_size: int) -> None:
        """Per tool, departments with fewer people than `min_group_size` become `other`."""
        n_dep = len(self.departments)
        n_pairs = len(self.keys) * self.n_users
        period_pairs = self._population()
        tool_of = np.arange(n_pairs) // self.n_users
        dept_of = self.user_dept[np.arange(n_pairs) % self.n_users]
        size = count_per((tool_of * n_dep + dept_of)[period_pairs], len(self.keys) * n_dep)
        small = size[tool_of * n_dep + dept_of] < min_group_size
        self.group_tu = np.where(small, n_dep, dept_of)

    def _population(self) -> np.ndarray:
        p = self.period
        prev = p.previous()
        flags = self.active_pairs(self.rel(prev.start), self.rel(p.end))
        held, _ = self._holders(p)
        return flags | held

    # ---- seats -----------------------------------------------------------------------------------------
    def _holders(self, p: Period) -> tuple[np.ndarray, np.ndarray]:
        """Per pair: holds a seat at the end of `p`; and holds it although the holder has left."""
        n_pairs = len(self.keys) * self.n_users
        end_instant = p.bounds(self.timezone)[1]
        held = holders(self.assignments, at=end_instant, period_end=p.end, directory=self.directory)
        flags, gone = np.zeros(n_pairs, dtype=bool), np.zeros(n_pairs, dtype=bool)
        if len(held):
            t = pd.Index(self.keys).get_indexer(held["tool"].to_numpy(dtype=object))
            u = pd.Index(self.users).get_indexer(held["user"].to_numpy(dtype=object))
            ok = (t >= 0) & (u >= 0)
            flags[t[ok] * self.n_users + u[ok]] = True
            gone[(t * self.n_users + u)[ok & held["leaver"].to_numpy()]] = True
        return flags, gone

    def has_assignments(self) -> np.ndarray:
        out = np.zeros(len(self.keys), dtype=bool)
        if self.assignments is not None and not self.assignments.empty:
            listed = {tool_key(t) for t in self.assignments["tool"].dropna().unique()}
            out[[i for i, k in enumerate(self.keys) if k in listed]] = True
        return out

    def tools_without_licence(self) -> list[str]:
        return [self.tools[i] for i, k in enumerate(self.keys) if k not in self.lic.seats]

    # ---- figures ---------------------------------------------------------------------------------------
    def figures(
        self, p: Period, *, lifecycle: bool, earlier: bool, zombie: bool, keep_empty: bool = False
    ) -> pd.DataFrame:
        """Tool rows and tool x department rows for period `p` (columns `COLUMNS`).

        Department groups with nobody in them are left out, unless `keep_empty` (the previous period's figures,
        where an empty group is a real zero to compare with).
        """
        n_tools, n_users, n_dep = len(self.keys), self.n_users, len(self.departments)
        n_pairs = n_tools * n_users
        a, b = self.rel(p.start), self.rel(p.end)
        prev = p.previous()
        active = self.active_pairs(a, b)
        before_prev = self.active_pairs(-1, self.rel(prev.start) - 1) | self.before
        was_active = self.active_pairs(self.rel(prev.start), self.rel(prev.end))
        held, gone = self._holders(p)
        recent = self.active_pairs(b - self.zombie_days + 1, b)
        workday = ((np.arange(self.n_days) + self.w0 + 3) % 7) < 5
        in_p = (self.tday >= a) & (self.tday <= b)
        wd_days = count_per(self.pair[in_p & workday[self.tday]], n_pairs)
        n_wd = int(workday[max(a, 0) : b + 1].sum())
        power = active & (wd_days * 2 >= n_wd) if n_wd else np.zeros(n_pairs, dtype=bool)
        rows_in = (self.row_day >= a) & (self.row_day <= b)
        actions = count_per(
            self.row_tu[rows_in], n_pairs, None if self.row_weight is None else self.row_weight[rows_in]
        ).astype(np.float64)

        frames = []
        tool_of_pair = np.arange(n_pairs) // n_users
        for level in ("tool", "department"):
            if level == "tool":
                gid, n_groups = tool_of_pair, n_tools
            else:
                gid, n_groups = tool_of_pair * (n_dep + 1) + self.group_tu, n_tools * (n_dep + 1)

            def total(flags, gid=gid, n_groups=n_groups):
                return count_per(gid[flags], n_groups)

            g_triple = gid[self.pair]
            means = {}
            for name, width in (("dau_mean", 1), ("wau_mean", WAU_DAYS), ("mau_mean", MAU_DAYS)):
                counts = trailing_counts(self.pair, self.tday, g_triple, n_groups, self.n_days, width)
                means[name] = counts[:, a : b + 1].mean(axis=1)
            frame = pd.DataFrame(
                {
                    "gid": np.arange(n_groups),
                    "active_users": total(active),
                    "held": total(held),
                    "held_active": total(held & active),
                    "held_idle": total(held & ~active),
                    "held_zombie": total(held & ~recent),
                    "held_leaver": total(gone),
                    "power_users": total(power),
                    "new_users": total(active & ~was_active),
                    "returning_users": total(active & was_active),
                    "dormant_users": total(was_active & ~active),
                    "resurrecting_users": total(active & ~was_active & before_prev),
                    "actions": count_per(gid, n_groups, actions),
                    "people": total(active | was_active | held),
                    **means,
                }
            )
            frame["tool_code"] = frame["gid"] if level == "tool" else frame["gid"] // (n_dep + 1)
            if level == "tool":
                frame["department"] = pd.NA
            else:
                names = np.array(self.departments + [OTHER], dtype=object)
                frame["department"] = names[frame["gid"].to_numpy() % (n_dep + 1)]
                if not keep_empty:
                    frame = frame[frame["people"] > 0]
            frames.append(frame)
        raw = pd.concat(frames, ignore_index=True)
        return self._finish(raw, p, lifecycle=lifecycle, earlier=earlier, zombie=zombie)

    def _finish(
        self, raw: pd.DataFrame, p: Period, *, lifecycle: bool, earlier: bool, zombie: bool
    ) -> pd.DataFrame:
        """Seats, assignment-based figures, costs and ratios; columns in contract order and nullable dtypes."""
        keys = np.array(self.keys, dtype=object)[raw["tool_code"].to_numpy()]
        is_tool = raw["department"].isna().to_numpy()
        listed = self.has_assignments()[raw["tool_code"].to_numpy()]
        seats = np.array([self.lic.seats.get(k, np.nan) for k in keys], dtype=np.float64)
        cost = np.array([self.lic.cost.get(k, np.nan) for k in keys], dtype=np.float64)
        currency = pd.array([self.lic.currency.get(k) or pd.NA for k in keys], dtype="string")
        active = raw["active_users"].to_numpy(dtype=np.float64)
        held = raw["held"].to_numpy(dtype=np.float64)

        # with an assignments file: the holders; without: every purchased seat (tool rows only)
        assigned = np.where(listed, held, np.where(is_tool, seats, np.nan))
        active_assigned = np.where(
            listed, raw["held_active"], np.where(is_tool, np.minimum(active, seats), np.nan)
        )
        idle = np.where(
            listed, raw["held_idle"], np.where(is_tool, seats - np.minimum(active, seats), np.nan)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            utilisation = np.where(assigned > 0, active_assigned / assigned, np.nan)
            stickiness = np.where(raw["mau_mean"] > 0, raw["dau_mean"] / raw["mau_mean"], np.nan)
            per_user = np.where(active > 0, raw["actions"] / active, np.nan)
        with np.errstate(invalid="ignore"):
            unassigned = np.where(listed, np.maximum(seats - held, 0), 0.0)
        unassigned = np.where(is_tool & ~np.isnan(seats), unassigned, np.nan)

        out = pd.DataFrame(
            {
                "tool": pd.array(
                    np.array(self.tools, dtype=object)[raw["tool_code"].to_numpy()], dtype="string"
                ),
                "department": pd.array(raw["department"].to_numpy(dtype=object), dtype="string"),
                "seats": np.where(is_tool, seats, np.nan),
                "assigned": assigned,
                "unassigned": unassigned,
                "active_users": active,
                "active_assigned_users": active_assigned,
                "utilisation": utilisation,
                "idle_seats": idle,
                "idle_cost": idle * cost * p.months,
                "currency": currency,
                "cost_per_seat_month": cost,
                "dau_mean": raw["dau_mean"].to_numpy(),
                "wau_mean": raw["wau_mean"].to_numpy(),
                "mau_mean": raw["mau_mean"].to_numpy(),
                "stickiness": stickiness,
                "new_users": raw["new_users"].to_numpy(dtype=np.float64) if lifecycle else np.nan,
                "returning_users": raw["returning_users"].to_numpy(dtype=np.float64) if lifecycle else np.nan,
                "dormant_users": raw["dormant_users"].to_numpy(dtype=np.float64) if lifecycle else np.nan,
                "resurrecting_users": raw["resurrecting_users"].to_numpy(dtype=np.float64)
                if lifecycle and earlier
                else np.nan,
                "actions": raw["actions"].to_numpy(dtype=np.float64),
                "actions_per_active_user": per_user,
                "power_users": raw["power_users"].to_numpy(dtype=np.float64),
                "zombie_seats": np.where(listed, raw["held_zombie"], np.nan)
                if zombie and self._zombie_covered(p)
                else np.nan,
                "leaver_seats": np.where(listed, raw["held_leaver"], np.nan),
                "people": raw["people"].to_numpy(dtype=np.float64),
            }
        )
        for col in INT_COLUMNS:
            out[col] = pd.array(np.round(out[col].to_numpy(dtype=np.float64)), dtype="Float64").astype(
                "Int64"
            )
        for col in set(COLUMNS) - set(INT_COLUMNS) - {"tool", "department", "currency"}:
            out[col] = pd.array(out[col].to_numpy(dtype=np.float64), dtype="Float64")
        out = out.sort_values(["tool", "department"], na_position="first", kind="stable", key=_dept_order)
        return out.reset_index(drop=True)[COLUMNS]

    def _zombie_covered(self, p: Period) -> bool:
        return self.raw_days.size > 0 and self.raw_days[0] <= day_number(p.end) - self.zombie_days + 1

    def monthly(self, p: Period) -> list[dict]:
        """Distinct active users per tool and calendar month (the part of the month inside the period)."""
        out = []
        cursor = p.start
        n_tools = len(self.keys)
        while cursor <= p.end:
            nxt = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
            last = min(p.end, nxt - timedelta(days=1))
            flags = (
                self.active_pairs(self.rel(cursor), self.rel(last)).reshape(n_tools, self.n_users).sum(axis=1)
            )
            for i in range(n_tools):
                out.append(
                    {
                        "tool": self.tools[i],
                        "month": f"{cursor.year}-{cursor.month:02d}",
                        "active_users": int(flags[i]),
                    }
                )
            cursor = last + timedelta(days=1)
        return out


def _dept_order(col: pd.Series) -> pd.Series:
    """Sort key: departments alphabetically, then `unknown`, then `other` (the tool row, NA, stays first)."""
    if col.name != "department":
        return col
    last = {UNKNOWN: "\ufffe", OTHER: "\uffff"}
    return col.map(lambda v: v if pd.isna(v) else last.get(v, v))
