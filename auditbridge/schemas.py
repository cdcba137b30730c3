"""The canonical datasets' columns and types (CONTRACTS section 2), without pandas.

Kept apart from `datasets` (reading and writing them) so that the command line can name the kinds without
importing pandas at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditbridge.errors import UsageError

STATUSES = ("new", "open", "pending", "resolved", "closed", "cancelled")
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


@dataclass(frozen=True)
class Schema:
    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    timestamps: tuple[str, ...] = ()
    integers: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    booleans: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


SCHEMAS: dict[str, Schema] = {
    "tickets": Schema(
        "tickets",
        required=("ticket_id", "created_at", "status"),
        optional=(
            "status_raw",
            "priority",
            "priority_raw",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "department",
            "category",
            "assignee_group",
            "assignee",
            "requester",
            "title",
            "source",
        ),
        timestamps=("created_at", "first_response_at", "resolved_at", "closed_at"),
    ),
    "ticket_events": Schema(
        "ticket_events",
        required=("ticket_id", "at", "status"),
        optional=("status_raw", "seq"),
        timestamps=("at",),
        integers=("seq",),
    ),
    "usage": Schema(
        "usage",
        required=("tool", "user", "at"),
        optional=("action", "count", "department"),
        timestamps=("at",),
        numbers=("count",),
    ),
    "licences": Schema(
        "licences",
        required=("tool", "seats", "cost_per_seat_month", "currency"),
        optional=(),
        numbers=("seats", "cost_per_seat_month"),
    ),
    "assignments": Schema(
        "assignments",
        required=("tool", "user"),
        optional=("assigned_at", "unassigned_at"),
        timestamps=("assigned_at", "unassigned_at"),
    ),
    "directory": Schema(
        "directory",
        required=("user", "department"),
        optional=("active", "start_date", "end_date"),
        dates=("start_date", "end_date"),
        booleans=("active",),
    ),
}

KINDS = tuple(SCHEMAS)


def schema(kind: str) -> Schema:
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise UsageError(f"unknown dataset kind {kind!r}: expected one of {', '.join(KINDS)}") from None
