"""The expectation suites, in code: what an auditor checks on each canonical dataset before any figure is computed.

Each `Check` names one Great Expectations 1.x expectation (by class name, so this module does not import GX),
with a stable id (used in `data-quality.json`, the report and the CLI), a plain description, a severity and
whether it judges single rows:

- `blocking` failures stop the run before anything is published: the figures would be wrong.
- `warning` failures let the run go on; the report's data-quality section shows them.
- `row_level` checks point at the rows that fail them, so those rows can be set aside (quarantined) and written
  as evidence instead of refusing the whole file. Dataset-level checks (a column is missing, a share above a
  threshold, mixed currencies) cannot be fixed by dropping rows.

Thresholds come from `validation.thresholds` in audit.yaml (or `--threshold NAME=VALUE`); `DEFAULT_THRESHOLDS`
lists every name with its default and meaning. A share threshold `t` becomes GX's `mostly = 1 - t`.

Some checks need columns GX cannot compute on its own (the previous event of the same ticket, the creation time
of an event's ticket): `derive` adds them to the frame handed to GX under names starting with `__`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from auditbridge.datasets import PRIORITIES, SCHEMAS, STATUSES

Severity = Literal["blocking", "warning"]

TIME_FLOOR = pd.Timestamp("2000-01-01T00:00:00Z")  # no helpdesk or usage export legitimately predates this
STOP_STATUSES = ("resolved", "closed")
OPEN_STATUSES = ("new", "open", "pending")

# name -> (default, what it bounds). Shares are fractions (0.02 = 2 %).
DEFAULT_THRESHOLDS: dict[str, tuple[float, str]] = {
    "tickets.department_missing_max": (0.02, "share of tickets without a department"),
    "tickets.priority_missing_max": (
        0.50,
        "share of tickets without a priority (more suggests a mapping error)",
    ),
    "ticket_events.ticket_unknown_max": (0.0, "share of events whose ticket is not in the tickets file"),
    "usage.user_missing_max": (0.01, "share of usage rows without a user"),
    "usage.duplicate_max": (0.01, "share of usage rows repeated with the same tool, user, time and action"),
    "usage.user_unknown_max": (0.05, "share of usage rows whose user is not in the directory"),
    "assignments.user_unknown_max": (0.0, "share of assignments whose user is not in the directory"),
    "directory.department_missing_max": (0.05, "share of directory users without a department"),
    **{
        f"{kind}.quarantine_max": (
            0.05,
            f"share of {kind} rows that may be quarantined before the run is refused",
        )
        for kind in SCHEMAS
    },
}


@dataclass(frozen=True)
class SuiteContext:
    """What a suite depends on besides the frame: the run's instant, thresholds and reference datasets."""

    kind: str
    columns: frozenset[str]
    as_of: pd.Timestamp
    thresholds: Mapping[str, float]
    reference: Mapping[str, pd.DataFrame] = field(default_factory=dict)


Derive = Callable[[pd.DataFrame, SuiteContext], "dict[str, pd.Series] | None"]


@dataclass(frozen=True)
class Check:
    """One expectation of a suite (see the module docstring)."""

    id: str
    description: str  # may use {t} (the threshold, formatted as a percentage) and {as_of}
    severity: Severity
    row_level: bool
    expectation: str  # class name in great_expectations.expectations
    kwargs: Mapping[str, Any] | Callable[[SuiteContext], Mapping[str, Any]]
    columns: tuple[str, ...] = ()  # must be present in the data for the check to apply
    threshold: str | None = None  # name in DEFAULT_THRESHOLDS: mostly = 1 - value
    reference: str | None = None  # kind of reference dataset needed (licences, directory, tickets)
    derive: Derive | None = None  # extra `__` columns for GX


@dataclass(frozen=True)
class PlannedCheck:
    """A check made concrete for one frame: resolved arguments, description and derived columns."""

    check: Check
    description: str
    kwargs: dict[str, Any]
    derived: dict[str, pd.Series]
    threshold_value: float | None

    @property
    def id(self) -> str:
        return self.check.id


@dataclass(frozen=True)
class Skipped:
    id: str
    reason: str


# ---------------------------------------------------------------------------------------------- builders


def _rows(kind: str) -> Check:
    return Check(
        f"{kind}.rows",
        "the file holds at least one row",
        "blocking",
        False,
        "ExpectTableRowCountToBeBetween",
        {"min_value": 1},
    )


def _column(kind: str, col: str) -> Check:
    return Check(
        f"{kind}.column.{col}",
        f"required column '{col}' is present",
        "blocking",
        False,
        "ExpectColumnToExist",
        {"column": col},
    )


def _is_text(dtype: Any) -> bool:
    return pd.api.types.is_string_dtype(dtype)


def _is_number(dtype: Any) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


# expected type -> (test on the column's dtype, label). Checked on the dtype itself, not by GX: GX 1.24's
# ExpectColumnValuesToBeInTypeList does not recognise pandas 3's `str` nor tz-aware datetime dtypes.
TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "timestamp": (lambda d: isinstance(d, pd.DatetimeTZDtype), "timestamps with a timezone (UTC in memory)"),
    "number": (_is_number, "numbers"),
    "date": (pd.api.types.is_datetime64_any_dtype, "dates"),
    "boolean": (pd.api.types.is_bool_dtype, "true/false values"),
    "string": (_is_text, "text"),
}
DTYPE = "dtype"  # pseudo expectation name of the type checks


def _type(kind: str, col: str, type_key: str) -> Check:
    return Check(
        f"{kind}.type.{col}",
        f"'{col}' holds {TYPES[type_key][1]}",
        "blocking",
        False,
        DTYPE,
        {"column": col, "expected": type_key},
        (col,),
    )


def _types(kind: str) -> list[Check]:
    sch = SCHEMAS[kind]
    out = []
    for col in sch.columns:
        if col in sch.timestamps:
            out.append(_type(kind, col, "timestamp"))
        elif col in sch.numbers or col in sch.integers:
            out.append(_type(kind, col, "number"))
        elif col in sch.dates:
            out.append(_type(kind, col, "date"))
        elif col in sch.booleans:
            out.append(_type(kind, col, "boolean"))
        elif col in sch.required:
            out.append(_type(kind, col, "string"))
    return out


def _structure(kind: str) -> list[Check]:
    return [_rows(kind), *(_column(kind, c) for c in SCHEMAS[kind].required), *_types(kind)]


def _not_null(kind: str, col: str, severity: Severity = "blocking") -> Check:
    return Check(
        f"{kind}.{col}.not_null",
        f"every row has a '{col}'",
        severity,
        True,
        "ExpectColumnValuesToNotBeNull",
        {"column": col},
        (col,),
    )


def _unique(kind: str, cols: tuple[str, ...], severity: Severity = "blocking", what: str = "") -> Check:
    if len(cols) == 1:
        return Check(
            f"{kind}.{cols[0]}.unique",
            what or f"'{cols[0]}' is unique within the file",
            severity,
            True,
            "ExpectColumnValuesToBeUnique",
            {"column": cols[0]},
            cols,
        )
    return Check(
        f"{kind}.unique",
        what or f"no two rows share {', '.join(cols)}",
        severity,
        True,
        "ExpectCompoundColumnsToBeUnique",
        {"column_list": list(cols)},
        cols,
    )


def _in_set(kind: str, col: str, values: tuple[str, ...]) -> Check:
    return Check(
        f"{kind}.{col}.allowed",
        f"'{col}' is one of {', '.join(values)} (or empty)",
        "blocking",
        True,
        "ExpectColumnValuesToBeInSet",
        {"column": col, "value_set": list(values)},
        (col,),
    )


def _in_time_bounds(kind: str, col: str) -> Check:
    return Check(
        f"{kind}.{col}.in_bounds",
        f"'{col}' lies between 2000-01-01 and the run ({{as_of}})",
        "blocking",
        True,
        "ExpectColumnValuesToBeBetween",
        lambda ctx: {"column": col, "min_value": TIME_FLOOR, "max_value": ctx.as_of},
        (col,),
    )


def _not_before(
    check_id: str, later: str, earlier: str, description: str, severity: Severity = "blocking"
) -> Check:
    return Check(
        check_id,
        description,
        severity,
        True,
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": later,
            "column_B": earlier,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
        (later, earlier),
    )


def _non_negative(kind: str, col: str) -> Check:
    return Check(
        f"{kind}.{col}.non_negative",
        f"'{col}' is zero or more",
        "blocking",
        True,
        "ExpectColumnValuesToBeBetween",
        {"column": col, "min_value": 0},
        (col,),
    )


def _missing_at_most(kind: str, col: str, what: str) -> Check:
    name = f"{kind}.{col}_missing_max"
    return Check(
        f"{kind}.{col}.missing",
        f"at most {{t}} of {what} have no '{col}'",
        "warning",
        False,
        "ExpectColumnValuesToNotBeNull",
        {"column": col},
        (col,),
        threshold=name,
    )


def _ref_values(ctx: SuiteContext, kind: str, col: str) -> list[str]:
    ref = ctx.reference[kind]
    return sorted(str(v) for v in ref[col].dropna().unique())


# ---------------------------------------------------------------------------------------------- derivations


def _end_time(df: pd.DataFrame, ctx: SuiteContext) -> dict[str, pd.Series] | None:
    """When a ticket ended: its resolution time, else its closing time (either may be absent)."""
    cols = [c for c in ("resolved_at", "closed_at") if c in df.columns]
    if not cols:
        return None
    end = df[cols[0]]
    for col in cols[1:]:
        end = end.fillna(df[col])
    return {"__end_at": end}


def _previous_event_time(df: pd.DataFrame, ctx: SuiteContext) -> dict[str, pd.Series] | None:
    """The time of the previous event of the same ticket in `seq` order (NaT for a ticket's first event)."""
    order = df[["ticket_id", "seq", "at"]].sort_values(
        ["ticket_id", "seq"], kind="stable", na_position="last"
    )
    prev = order.groupby("ticket_id", sort=False, dropna=True)["at"].shift()
    prev = prev.where(order["seq"].notna())
    return {"__prev_at": prev.reindex(df.index)}


def _ticket_creation(df: pd.DataFrame, ctx: SuiteContext) -> dict[str, pd.Series] | None:
    """Each event's ticket creation time, from the tickets reference (NaT when the ticket is unknown)."""
    tickets = ctx.reference["tickets"]
    if "created_at" not in tickets.columns:
        return None
    created = tickets.drop_duplicates("ticket_id").set_index("ticket_id")["created_at"]
    return {"__ticket_created_at": df["ticket_id"].map(created)}


def _ticket_known(df: pd.DataFrame, ctx: SuiteContext) -> dict[str, pd.Series] | None:
    """1.0 when the event's ticket is in the tickets reference, 0.0 when not, empty without a ticket id."""
    known = df["ticket_id"].isin(ctx.reference["tickets"]["ticket_id"].dropna())
    return {"__ticket_known": known.astype("float64").where(df["ticket_id"].notna())}


def _holders_and_seats(df: pd.DataFrame, ctx: SuiteContext) -> dict[str, pd.Series] | None:
    """For each seat still held at the run: how many seats of its tool are held, and how many were bought."""
    held = df["tool"].notna()
    if "unassigned_at" in df.columns:
        held &= df["unassigned_at"].isna() | (df["unassigned_at"] > ctx.as_of)
    holders = df["tool"].where(held).map(df.loc[held, "tool"].value_counts())
    licences = ctx.reference["licences"].drop_duplicates("tool").set_index("tool")["seats"]
    seats = df["tool"].where(held).map(licences)
    return {
        "__seats_bought": pd.to_numeric(seats, errors="coerce").astype("float64"),
        "__seats_held": pd.to_numeric(holders, errors="coerce").astype("float64"),
    }


def _seats_fraction(df: pd.DataFrame, ctx: SuiteContext) -> dict[str, pd.Series] | None:
    seats = pd.to_numeric(df["seats"], errors="coerce").astype("float64")
    return {"__seats_fraction": seats % 1}


# ---------------------------------------------------------------------------------------------- suites

_STATUS_IN = ", ".join(f'"{s}"' for s in STOP_STATUSES)
_OPEN_IN = ", ".join(f'"{s}"' for s in OPEN_STATUSES)

SUITES: dict[str, list[Check]] = {
    "tickets": [
        *_structure("tickets"),
        _not_null("tickets", "ticket_id"),
        _unique("tickets", ("ticket_id",)),
        _not_null("tickets", "created_at"),
        _not_null("tickets", "status"),
        _in_set("tickets", "status", STATUSES),
        _in_set("tickets", "priority", PRIORITIES),
        *(_in_time_bounds("tickets", c) for c in SCHEMAS["tickets"].timestamps),
        _not_before(
            "tickets.first_response_after_creation",
            "first_response_at",
            "created_at",
            "first response is not before the ticket's creation",
        ),
        _not_before(
            "tickets.resolution_after_creation",
            "resolved_at",
            "created_at",
            "resolution is not before the ticket's creation",
        ),
        _not_before(
            "tickets.closing_after_creation",
            "closed_at",
            "created_at",
            "closing is not before the ticket's creation",
        ),
        _not_before(
            "tickets.closing_after_resolution",
            "closed_at",
            "resolved_at",
            "closing is not before resolution",
            severity="warning",
        ),
        Check(
            "tickets.resolved_has_time",
            "resolved and closed tickets carry a resolution or closing time",
            "warning",
            True,
            "ExpectColumnValuesToNotBeNull",
            {
                "column": "__end_at",
                "row_condition": f"status in [{_STATUS_IN}]",
                "condition_parser": "pandas",
            },
            ("status",),
            derive=_end_time,
        ),
        Check(
            "tickets.open_without_resolution",
            "tickets still new, open or pending carry no resolution time",
            "warning",
            True,
            "ExpectColumnValuesToBeNull",
            {
                "column": "resolved_at",
                "row_condition": f"status in [{_OPEN_IN}]",
                "condition_parser": "pandas",
            },
            ("status", "resolved_at"),
        ),
        _missing_at_most("tickets", "department", "tickets"),
        _missing_at_most("tickets", "priority", "tickets"),
    ],
    "ticket_events": [
        *_structure("ticket_events"),
        _not_null("ticket_events", "ticket_id"),
        _not_null("ticket_events", "at"),
        _not_null("ticket_events", "status"),
        _in_set("ticket_events", "status", STATUSES),
        _in_time_bounds("ticket_events", "at"),
        _non_negative("ticket_events", "seq"),
        _unique(
            "ticket_events",
            ("ticket_id", "at", "status"),
            "warning",
            "no event is repeated (same ticket, time and status)",
        ),
        Check(
            "ticket_events.ordered",
            "within a ticket, events in 'seq' order never go back in time",
            "warning",
            True,
            "ExpectColumnPairValuesAToBeGreaterThanB",
            {
                "column_A": "at",
                "column_B": "__prev_at",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            ("ticket_id", "at", "seq"),
            derive=_previous_event_time,
        ),
        Check(
            "ticket_events.ticket_known",
            "at most {t} of events belong to a ticket missing from the tickets file",
            "warning",
            True,
            "ExpectColumnValuesToBeInSet",
            {"column": "__ticket_known", "value_set": [1.0]},
            ("ticket_id",),
            threshold="ticket_events.ticket_unknown_max",
            reference="tickets",
            derive=_ticket_known,
        ),
        Check(
            "ticket_events.after_ticket_creation",
            "no event happens before its ticket was created",
            "warning",
            True,
            "ExpectColumnPairValuesAToBeGreaterThanB",
            {
                "column_A": "at",
                "column_B": "__ticket_created_at",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            ("ticket_id", "at"),
            reference="tickets",
            derive=_ticket_creation,
        ),
    ],
    "usage": [
        *_structure("usage"),
        _not_null("usage", "tool"),
        _not_null("usage", "at"),
        _in_time_bounds("usage", "at"),
        _non_negative("usage", "count"),
        _missing_at_most("usage", "user", "usage rows"),
        Check(
            "usage.duplicates",
            "at most {t} of rows repeat another's tool, user, time and action",
            "warning",
            False,
            "ExpectCompoundColumnsToBeUnique",
            lambda ctx: {"column_list": [c for c in ("tool", "user", "at", "action") if c in ctx.columns]},
            ("tool", "user", "at"),
            threshold="usage.duplicate_max",
        ),
        Check(
            "usage.user_in_directory",
            "at most {t} of usage rows have a user missing from the directory",
            "warning",
            True,
            "ExpectColumnValuesToBeInSet",
            lambda ctx: {"column": "user", "value_set": _ref_values(ctx, "directory", "user")},
            ("user",),
            threshold="usage.user_unknown_max",
            reference="directory",
        ),
    ],
    "licences": [
        *_structure("licences"),
        _not_null("licences", "tool"),
        _unique("licences", ("tool",), what="one row per tool"),
        _not_null("licences", "seats"),
        _non_negative("licences", "seats"),
        Check(
            "licences.seats.whole",
            "'seats' is a whole number",
            "blocking",
            True,
            "ExpectColumnValuesToBeInSet",
            {"column": "__seats_fraction", "value_set": [0.0]},
            ("seats",),
            derive=_seats_fraction,
        ),
        _not_null("licences", "cost_per_seat_month"),
        _non_negative("licences", "cost_per_seat_month"),
        _not_null("licences", "currency"),
        Check(
            "licences.currency.code",
            "'currency' is an ISO 4217 code such as EUR",
            "blocking",
            True,
            "ExpectColumnValuesToMatchRegex",
            {"column": "currency", "regex": r"^[A-Z]{3}$"},
            ("currency",),
        ),
        Check(
            "licences.currency.single",
            "every licence is priced in the same currency (idle costs are summed)",
            "blocking",
            False,
            "ExpectColumnUniqueValueCountToBeBetween",
            {"column": "currency", "max_value": 1},
            ("currency",),
        ),
    ],
    "assignments": [
        *_structure("assignments"),
        _not_null("assignments", "tool"),
        _not_null("assignments", "user"),
        Check(
            "assignments.tool_in_inventory",
            "every assignment's tool is in the licence inventory",
            "blocking",
            True,
            "ExpectColumnValuesToBeInSet",
            lambda ctx: {"column": "tool", "value_set": _ref_values(ctx, "licences", "tool")},
            ("tool",),
            reference="licences",
        ),
        Check(
            "assignments.user_in_directory",
            "at most {t} of assignments name a user missing from the directory",
            "warning",
            True,
            "ExpectColumnValuesToBeInSet",
            lambda ctx: {"column": "user", "value_set": _ref_values(ctx, "directory", "user")},
            ("user",),
            threshold="assignments.user_unknown_max",
            reference="directory",
        ),
        Check(
            "assignments.within_seats",
            "no tool has more seats held at the run than the licences bought",
            "warning",
            False,
            "ExpectColumnPairValuesAToBeGreaterThanB",
            {
                "column_A": "__seats_bought",
                "column_B": "__seats_held",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            ("tool",),
            reference="licences",
            derive=_holders_and_seats,
        ),
        _in_time_bounds("assignments", "assigned_at"),
        _in_time_bounds("assignments", "unassigned_at"),
        _not_before(
            "assignments.unassigned_after_assigned",
            "unassigned_at",
            "assigned_at",
            "a seat is not taken back before it was assigned",
        ),
        _unique(
            "assignments",
            ("tool", "user", "assigned_at"),
            "warning",
            "no seat assignment is listed twice (same tool, user and date)",
        ),
    ],
    "directory": [
        *_structure("directory"),
        _not_null("directory", "user"),
        _unique("directory", ("user",), what="one row per user"),
        _missing_at_most("directory", "department", "users"),
        _not_before(
            "directory.end_after_start", "end_date", "start_date", "'end_date' is not before 'start_date'"
        ),
    ],
}


def thresholds_with_defaults(overrides: Mapping[str, float] | None) -> dict[str, float]:
    """Defaults overlaid with the configured values; unknown names and values outside 0..1 are refused."""
    from auditbridge.errors import UsageError

    merged = {name: default for name, (default, _) in DEFAULT_THRESHOLDS.items()}
    for name, value in (overrides or {}).items():
        if name not in DEFAULT_THRESHOLDS:
            raise UsageError(
                f"unknown validation threshold {name!r}: expected one of {', '.join(sorted(DEFAULT_THRESHOLDS))}"
            )
        value = float(value)
        if not 0.0 <= value <= 1.0:
            raise UsageError(
                f"validation threshold {name} = {value}: expected a share between 0 and 1 (0.02 = 2 %)"
            )
        merged[name] = value
    return merged


def _percent(value: float) -> str:
    return f"{value * 100:.4g} %"


def plan(kind: str, df: pd.DataFrame, ctx: SuiteContext) -> tuple[list[PlannedCheck], list[Skipped]]:
    """The checks of `kind`'s suite that apply to `df`, and those skipped with the reason why."""
    planned: list[PlannedCheck] = []
    skipped: list[Skipped] = []
    mistyped = {
        check.kwargs["column"]
        for check in SUITES[kind]
        if check.expectation == DTYPE
        and check.kwargs["column"] in df.columns
        and not TYPES[check.kwargs["expected"]][0](df[check.kwargs["column"]].dtype)
    }
    for check in SUITES[kind]:
        absent = [c for c in check.columns if c not in df.columns]
        if absent:
            skipped.append(Skipped(check.id, f"no column {', '.join(absent)}"))
            continue
        wrong = sorted(set(check.columns) & mistyped) if check.expectation != DTYPE else []
        if wrong:
            skipped.append(Skipped(check.id, f"{', '.join(wrong)} is not of the expected type"))
            continue
        if check.reference and check.reference not in ctx.reference:
            skipped.append(Skipped(check.id, f"no {check.reference} file given"))
            continue
        derived: dict[str, pd.Series] = {}
        if check.derive is not None:
            got = check.derive(df, ctx)
            if got is None:
                skipped.append(Skipped(check.id, "the columns it needs are absent"))
                continue
            derived = got
        kwargs = dict(check.kwargs(ctx) if callable(check.kwargs) else check.kwargs)
        value = None
        if check.threshold:
            value = ctx.thresholds[check.threshold]
            kwargs["mostly"] = max(0.0, 1.0 - value - 1e-12)
        description = check.description.format(
            t=_percent(value) if value is not None else "", as_of=ctx.as_of.strftime("%Y-%m-%d %H:%M UTC")
        )
        planned.append(PlannedCheck(check, description, kwargs, derived, value))
    return planned, skipped
