"""Run a dataset's expectation suite on an ephemeral Great Expectations context and judge the result.

`validate(kind, df, ...)` returns a `ValidationReport` (verdict `pass` | `warning` | `fail`, the blocking
expectations that failed, the rows failing row-level ones); `quarantine(df, report)` sets those rows aside when
the audit is configured with `validation.on_row_error: quarantine`; `data_quality(reports, ...)` is the
`data-quality.json` of a run (docs/architecture.md).

Speed (bench/bench_validate.py: about 3 CPU seconds for a million tickets): GX is given, per group of
expectations sharing columns, a frame of only those columns (it hashes the whole frame it receives and filters
it whole for many metrics), nullable numbers as plain float64 (its range check falls back to a per-row Python
loop on extension dtypes), and runs with the `SUMMARY` result format, which counts failures and keeps the first
20 failing rows. Only a row-level expectation failing on more rows than that runs again, alone, with `COMPLETE`
to learn every failing row: a clean file costs one pass. Types are checked on the dtypes here, not by GX (see
`suites.TYPES`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from auditbridge.datasets import schema
from auditbridge.errors import DataError, Problem, UsageError
from tasks.validate.suites import (
    DEFAULT_THRESHOLDS,
    DTYPE,
    TYPES,
    PlannedCheck,
    Skipped,
    SuiteContext,
    plan,
    thresholds_with_defaults,
)

EXAMPLES = 5  # offending values shown per failed expectation
_PARTIAL = 20  # failing rows GX reports in the first pass; more triggers the COMPLETE pass
KEY_COLUMN = {
    "tickets": "ticket_id",
    "ticket_events": "ticket_id",
    "usage": "user",
    "licences": "tool",
    "assignments": "user",
    "directory": "user",
}
HEADER_ROWS = 1  # evidence rows are numbered as a spreadsheet user counts them: header is row 1


@dataclass(frozen=True)
class Outcome:
    """The result of one expectation on one dataset."""

    id: str
    description: str
    severity: str
    row_level: bool
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: list[dict[str, Any]] = field(default_factory=list)
    threshold: float | None = None
    quarantined: bool = False  # its failing rows were set aside, so it no longer blocks
    positions: np.ndarray | None = field(default=None, repr=False)  # positions of failing rows (row-level)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "description": self.description,
            "severity": self.severity,
            "row_level": self.row_level,
            "success": self.success,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": None
            if self.unexpected_percent is None
            else round(self.unexpected_percent, 4),
            "examples": self.examples,
        }
        if self.threshold is not None:
            out["threshold"] = self.threshold
        if self.quarantined:
            out["quarantined"] = True
        return out


@dataclass(frozen=True)
class ValidationReport:
    kind: str
    source: str
    rows: int
    outcomes: list[Outcome]
    skipped: list[Skipped]
    thresholds: Mapping[str, float]
    # the validated frame's index, to map failing positions back to labels
    index: pd.Index = field(repr=False)
    quarantined: int = 0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def blocking_failed(self) -> list[str]:
        """Ids of the blocking expectations that failed and still block (quarantined ones no longer do)."""
        return [o.id for o in self.failed if o.severity == "blocking" and not o.quarantined]

    @property
    def verdict(self) -> str:
        if self.blocking_failed:
            return "fail"
        return "warning" if self.failed or self.quarantined else "pass"

    @property
    def rows_failed(self) -> pd.Index:
        """Index labels of the rows failing blocking row-level expectations: what quarantine sets aside."""
        return self._labels([o for o in self.failed if o.row_level and o.severity == "blocking"])

    @property
    def rows_flagged(self) -> pd.Index:
        """Index labels of the rows failing any row-level expectation, warnings included (for evidence)."""
        return self._labels([o for o in self.failed if o.row_level])

    def positions_failed(self, *, blocking_only: bool = True) -> np.ndarray:
        """Sorted positions of the rows failing (blocking, or any) row-level expectations."""
        outcomes = [o for o in self.failed if o.row_level and (o.severity == "blocking" or not blocking_only)]
        parts = [o.positions for o in outcomes if o.positions is not None and len(o.positions)]
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype="int64")

    def _labels(self, outcomes: list[Outcome]) -> pd.Index:
        blocking_only = all(o.severity == "blocking" for o in outcomes)
        return self.index[self.positions_failed(blocking_only=blocking_only)]

    def failures_by_position(self, outcomes: list[Outcome] | None = None) -> pd.Series:
        """Position -> the ids (joined by ';') of the row-level expectations that row fails.

        One vectorised update per expectation, so a million failing rows cost a few array operations.
        """
        outcomes = [o for o in self.failed if o.row_level] if outcomes is None else outcomes
        outcomes = [o for o in outcomes if o.positions is not None and len(o.positions)]
        if not outcomes:
            return pd.Series([], dtype="string")
        ids = pd.Series("", index=np.unique(np.concatenate([o.positions for o in outcomes])), dtype="string")
        for o in outcomes:
            ids.loc[o.positions] = ids.loc[o.positions] + ";" + o.id
        return ids.str.slice(1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "rows": self.rows,
            "quarantined": self.quarantined,
            "verdict": self.verdict,
            "expectations": [o.to_dict() for o in self.outcomes],
            "skipped": [{"id": s.id, "reason": s.reason} for s in self.skipped],
        }


@dataclass(frozen=True)
class QuarantineResult:
    clean: pd.DataFrame
    quarantined: pd.DataFrame
    report: ValidationReport


# ---------------------------------------------------------------------------------------------- running GX


def _as_utc(as_of: datetime | str | pd.Timestamp | None) -> pd.Timestamp:
    if as_of is None:
        return pd.Timestamp.now(tz="UTC")
    ts = pd.Timestamp(as_of)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _gx_frame(df: pd.DataFrame, planned: list[PlannedCheck]) -> pd.DataFrame:
    """The smallest frame GX needs: read columns (nullable numbers as float64) and derived ones, RangeIndex."""
    wanted = [c for c in dict.fromkeys(c for p in planned for c in _columns_read(p)) if c in df.columns]
    data: dict[str, Any] = {}
    for col in wanted:
        values = df[col]
        if (
            pd.api.types.is_numeric_dtype(values)
            and not pd.api.types.is_bool_dtype(values)
            and isinstance(values.dtype, pd.api.extensions.ExtensionDtype)
        ):
            values = values.astype("float64")
        data[col] = values.array
    for p in planned:
        for name, series in p.derived.items():
            data[name] = series.array
    return pd.DataFrame(data, index=pd.RangeIndex(len(df)))


def _columns_read(p: PlannedCheck) -> tuple[str, ...]:
    """Every column an expectation reads: its own, its pair or list, the row condition's, derived ones."""
    names = [
        *p.check.columns,
        p.kwargs.get("column"),
        p.kwargs.get("column_A"),
        p.kwargs.get("column_B"),
        *p.kwargs.get("column_list", []),
    ]
    return tuple(dict.fromkeys(n for n in names if n))


def _connected(planned: list[PlannedCheck]) -> dict[str, list[PlannedCheck]]:
    """Checks grouped so that checks reading a common column are in the same group (union-find on columns)."""
    parent: dict[str, str] = {}

    def root(c: str) -> str:
        while parent.setdefault(c, c) != c:
            c = parent[c]
        return c

    for p in planned:
        cols = _columns_read(p) or ("",)  # table-level checks read no column: group "" of their own
        for other in cols[1:]:
            parent[root(other)] = root(cols[0])
    groups: dict[str, list[PlannedCheck]] = {}
    for p in planned:
        groups.setdefault(root((_columns_read(p) or ("",))[0]), []).append(p)
    return groups


def _run_gx(df: pd.DataFrame, planned: list[PlannedCheck], result_format: str) -> dict[str, Any]:
    """Run `planned` on an ephemeral context; results by check id.

    Expectations that share columns form a group, and each group gets a frame of only its columns: GX filters
    its whole batch frame (`dropna`, row conditions) for many metrics, so a narrow frame is much faster on a
    million rows, while keeping each column in one group means GX hashes it (batch fingerprint) only once.
    """
    # GX logs its own housekeeping (stores, fingerprints) as warnings; our report is the only output users need
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    source = context.data_sources.add_pandas("auditbridge")
    groups = _connected(planned)
    results: dict[str, Any] = {}
    for n, members in enumerate(groups.values()):
        batch = source.add_dataframe_asset(f"frame{n}").add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add(gx.ExpectationSuite(name=f"suite{n}"))
        for p in members:
            suite.add_expectation(
                getattr(gxe, p.check.expectation)(**p.kwargs, meta={"auditbridge_id": p.id})
            )
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"run{n}", data=batch, suite=suite)
        )
        result = definition.run(
            batch_parameters={"dataframe": _gx_frame(df, members)},
            result_format={
                "result_format": result_format,
                "partial_unexpected_count": _PARTIAL,
                "include_unexpected_rows": False,
                "return_unexpected_index_query": False,
            },
        )
        results.update({r.expectation_config.meta["auditbridge_id"]: r for r in result.results})
    return results


# ---------------------------------------------------------------------------------------------- examples


def _show(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "(empty)"
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _examples(kind: str, df: pd.DataFrame, p: PlannedCheck, positions: list[int]) -> list[dict[str, Any]]:
    """A few offending rows as the user can find them: row number, the row's key, the offending value(s)."""
    key = KEY_COLUMN[kind]
    shown_cols = list(
        dict.fromkeys(
            c
            for c in (
                p.kwargs.get("column"),
                p.kwargs.get("column_A"),
                p.kwargs.get("column_B"),
                *p.kwargs.get("column_list", []),
                *p.check.columns,
            )
            if c
        )
    )
    out = []
    for pos in positions[:EXAMPLES]:
        row = df.iloc[int(pos)]
        item: dict[str, Any] = {"row": int(pos) + HEADER_ROWS + 1}
        if key in df.columns and key not in shown_cols:
            item[key] = _show(row[key])
        for col in shown_cols:
            if col in df.columns:
                item[col] = _show(row[col])
            elif col in p.derived:
                item[col.lstrip("_")] = _show(p.derived[col].iloc[int(pos)])
        out.append(item)
    return out


def _dtype_outcome(df: pd.DataFrame, p: PlannedCheck) -> Outcome:
    col = p.kwargs["column"]
    ok = TYPES[p.kwargs["expected"]][0](df[col].dtype)
    return Outcome(
        id=p.id,
        description=p.description,
        severity=p.check.severity,
        row_level=False,
        success=ok,
        examples=[] if ok else [{"observed": str(df[col].dtype)}],
    )


def _outcome(kind: str, df: pd.DataFrame, p: PlannedCheck, result: Any) -> Outcome:
    res = result.result or {}
    info = result.exception_info or {}
    base = dict(
        id=p.id,
        description=p.description,
        severity=p.check.severity,
        row_level=p.check.row_level,
        threshold=p.threshold_value,
    )
    if info.get("raised_exception"):
        message = str(info.get("exception_message") or "the expectation could not be evaluated")
        return Outcome(**base, success=False, examples=[{"error": message.splitlines()[0][:300]}])
    success = bool(result.success)
    if "unexpected_count" not in res:  # dataset-level: an observed value, no rows
        observed = res.get("observed_value")
        examples = [] if success or observed is None else [{"observed": _show(observed)}]
        return Outcome(**base, success=success, examples=examples)
    count = int(res.get("unexpected_count") or 0)
    partial = [int(i) for i in res.get("partial_unexpected_index_list") or []]
    positions = np.asarray(partial, dtype="int64") if count and len(partial) >= count else None
    return Outcome(
        **base,
        success=success,
        unexpected_count=count,
        unexpected_percent=float(res.get("unexpected_percent") or 0.0),
        examples=[] if success else _examples(kind, df, p, partial),
        positions=positions if p.check.row_level else None,
    )


# ---------------------------------------------------------------------------------------------- public API


def validate(
    kind: str,
    df: pd.DataFrame,
    *,
    thresholds: Mapping[str, float] | None = None,
    as_of: datetime | str | pd.Timestamp | None = None,
    reference: Mapping[str, pd.DataFrame] | None = None,
    source: str = "",
) -> ValidationReport:
    """Run `kind`'s suite on a canonical frame (as `auditbridge.datasets.read_canonical` returns it).

    `as_of` is the instant of the run (default: now): no timestamp may lie after it. It is not the end of the
    audited period: tickets created after the period are normal in an export taken later.
    `reference` holds other canonical datasets of the run for cross-checks, by kind: `licences` (assignments'
    tools must be in the inventory), `directory` (users known), `tickets` (events' tickets known and created
    before their events). `thresholds` overrides `DEFAULT_THRESHOLDS` by name. `source` names the input file(s)
    in the report.
    """
    schema(kind)  # UsageError on an unknown kind
    index = df.index
    df = df.reset_index(drop=True)  # derivations and examples work by position
    merged = thresholds_with_defaults(thresholds)
    ctx = SuiteContext(
        kind=kind,
        columns=frozenset(df.columns),
        as_of=_as_utc(as_of),
        thresholds=merged,
        reference=dict(reference or {}),
    )
    checks, skipped = plan(kind, df, ctx)
    outcomes = {p.id: _dtype_outcome(df, p) for p in checks if p.check.expectation == DTYPE}
    planned = [p for p in checks if p.check.expectation != DTYPE]
    results = _run_gx(df, planned, "SUMMARY")
    outcomes.update({p.id: _outcome(kind, df, p, results[p.id]) for p in planned})

    incomplete = [
        p
        for p in planned
        if p.check.row_level
        and not outcomes[p.id].success
        and outcomes[p.id].unexpected_count
        and outcomes[p.id].positions is None
    ]
    if incomplete:
        complete = _run_gx(df, incomplete, "COMPLETE")
        for p in incomplete:
            index_list = complete[p.id].result.get("unexpected_index_list") or []
            outcomes[p.id] = replace(outcomes[p.id], positions=np.asarray(index_list, dtype="int64"))

    return ValidationReport(
        kind=kind,
        source=source,
        rows=len(df),
        outcomes=[outcomes[p.id] for p in checks],
        skipped=skipped,
        thresholds=merged,
        index=index,
    )


def quarantine(df: pd.DataFrame, report: ValidationReport) -> QuarantineResult:
    """Set aside the rows failing blocking row-level expectations, so the rest of the file can be used.

    The rows stay in `quarantined` (for the run's output, so a person can fix the export). The expectations they
    failed no longer block, unless more than `<kind>.quarantine_max` of the rows would go (the figures would no
    longer describe the data) or nothing would be left: then the report says so with a blocking
    `<kind>.quarantine` expectation.
    """
    labels = report.rows_failed
    if len(labels) == 0:
        return QuarantineResult(df, df.iloc[:0], report)
    name = f"{report.kind}.quarantine_max"
    limit = report.thresholds.get(name, DEFAULT_THRESHOLDS[name][0])
    share = len(labels) / max(report.rows, 1)
    outcomes = list(report.outcomes)
    if share > limit or len(labels) == report.rows:
        outcomes.append(
            Outcome(
                id=f"{report.kind}.quarantine",
                severity="blocking",
                row_level=False,
                success=False,
                description=f"at most {limit * 100:.4g} % of rows may be set aside ({name})",
                unexpected_count=len(labels),
                unexpected_percent=share * 100,
                threshold=limit,
            )
        )
        return QuarantineResult(df, df.iloc[:0], replace(report, outcomes=outcomes))
    outcomes = [
        replace(o, quarantined=True) if (not o.success and o.row_level and o.severity == "blocking") else o
        for o in outcomes
    ]
    keep = np.ones(len(df), dtype=bool)
    keep[report.positions_failed()] = False  # by position: the index may repeat labels
    return QuarantineResult(df[keep], df[~keep], replace(report, outcomes=outcomes, quarantined=len(labels)))


def data_quality(
    reports: list[ValidationReport], quarantined_counts: Mapping[str, int] | None = None
) -> dict:
    """`data-quality.json`: the run's verdict (the worst dataset's) and every dataset's expectations.

    `quarantined_counts` (by kind) are rows set aside before validation (by ingestion's row checks): they are
    added to the rows validation quarantined, and a dataset that lost rows is at best a `warning`.
    """
    counts = dict(quarantined_counts or {})
    datasets = []
    for report in reports:
        entry = report.to_dict()
        entry["quarantined"] = report.quarantined + int(counts.get(report.kind, 0))
        if entry["verdict"] == "pass" and entry["quarantined"]:
            entry["verdict"] = "warning"
        datasets.append(entry)
    order = {"pass": 0, "warning": 1, "fail": 2}
    verdict = max((d["verdict"] for d in datasets), key=order.__getitem__, default="pass")
    return {"verdict": verdict, "datasets": datasets}


def refusal(reports: list[ValidationReport]) -> DataError | None:
    """The error that stops a run before publishing: one problem per blocking failure, or None."""
    problems = []
    for report in reports:
        for o in report.failed:
            if o.id not in report.blocking_failed:
                continue
            example = o.examples[0] if o.examples else {}
            count = f"{o.unexpected_count} row(s) fail" if o.unexpected_count is not None else "failed"
            problems.append(
                Problem(
                    report.source or report.kind,
                    f"[{o.id}] {count}: expected {o.description}",
                    row=example.get("row"),
                    value=", ".join(f"{k}={v}" for k, v in example.items() if k != "row") or None,
                )
            )
    return DataError(problems) if problems else None


def parse_threshold(text: str) -> tuple[str, float]:
    """`NAME=VALUE` from the command line; VALUE is a share (0.02) or a percentage (2%)."""
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name or not raw:
        raise UsageError(
            f"--threshold {text!r}: expected NAME=VALUE, e.g. tickets.department_missing_max=0.02"
        )
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise UsageError(
            f"--threshold {text!r}: {raw!r} is not a number (expected e.g. 0.02 or 2%)"
        ) from None
    return name, value
