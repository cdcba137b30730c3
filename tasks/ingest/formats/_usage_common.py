"""Helpers shared by the usage formats (m365, google-workspace, okta, slack, zoom, inventory).

Not a format itself (no FORMATS). Everything here is small and vectorised: frames in, frames out. The
usage formats return CLEAR user identifiers; `tasks.ingest.api` pseudonymises `user` centrally.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from auditbridge.errors import DataError, Problem
from tasks.ingest.base import ReadContext
from tasks.ingest.readers import PROBLEM, ROW, read_delimited

UTC_NS = "datetime64[ns, UTC]"
USAGE_COLUMNS = ("tool", "user", "at", "action", "count")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def slug(text: str) -> str:
    """A tool key as CONTRACTS writes them (`teams`, `crm`): lower case, runs of other characters -> '-'."""
    return _NON_ALNUM.sub("-", str(text).casefold()).strip("-")


def slug_series(values: pd.Series) -> pd.Series:
    """`slug` for a whole column, vectorised."""
    return values.astype("string").str.casefold().str.replace(r"[^0-9a-z]+", "-", regex=True).str.strip("-")


def head_text(head: bytes) -> str:
    """The sniffed head as text, BOM and leading blanks removed (undecodable bytes do not stop a sniff)."""
    return head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()


def load_json(ctx: ReadContext, expected: str) -> Any:
    """The whole file as one JSON document, or a DataError that says what the file should have been."""
    try:
        text = ctx.data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            Problem(ctx.name, f"is not UTF-8 text (byte {exc.start}); expected {expected}")
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            Problem(
                ctx.name,
                f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); expected {expected}",
            )
        ) from None


def refuse(
    ctx: ReadContext, message: str, *, column: str | None = None, value: Any = None, row: int | None = None
):
    """Raise a file-level refusal naming the file (and the JSON path in `column`)."""
    raise DataError(
        Problem(ctx.name, message, row=row, column=column, value=None if value is None else str(value))
    )


def item_list(ctx: ReadContext, doc: Any, key: str, expected: str) -> list:
    """`doc[key]` when `doc` is the expected API object and `key` holds a list; otherwise a clear refusal."""
    if not isinstance(doc, dict):
        refuse(
            ctx,
            f"is not {expected}: the top level is a JSON {type(doc).__name__}, expected an object with {key!r}",
        )
    if key not in doc:
        keys = ", ".join(sorted(map(str, doc))[:8]) or "none"
        refuse(ctx, f"is not {expected}: no {key!r} list at the top level (keys found: {keys})", column=key)
    items = doc[key]
    if not isinstance(items, list):
        refuse(ctx, f"is not {expected}: {key!r} should be a list", column=key, value=type(items).__name__)
    return items


def require_objects(ctx: ReadContext, items: list, path: str) -> None:
    """Every item of an API list must be a JSON object; name the first that is not."""
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            refuse(ctx, "expected a JSON object", column=f"{path}[{i}]", value=json.dumps(item)[:60])


def shown(value: Any) -> str | None:
    """A cell as a message quotes it; missing cells are not quoted as '<NA>'."""
    return None if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)) else str(value)


def collect_bad(
    ctx: ReadContext, bad: pd.Series, path: str, field: str, expected: str, values: pd.Series
) -> None:
    """Report each flagged JSON item (`path[i].field`) to the collector: file, item, field and what was expected."""
    for pos in bad.to_numpy().nonzero()[0][:50]:
        ctx.collector.add(
            Problem(
                ctx.name,
                f"expected {expected}",
                column=f"{path}[{pos}].{field}",
                value=shown(values.iloc[pos]),
            )
        )
    ctx.collector.total += max(0, int(bad.sum()) - 50)


def collect_bad_rows(ctx: ReadContext, bad: pd.Series, column: str, expected: str, values: pd.Series) -> None:
    """Report each flagged CSV row (header = row 1, so position p is row p + 2)."""
    for pos in bad.to_numpy().nonzero()[0][:50]:
        ctx.collector.add(
            Problem(
                ctx.name,
                f"expected {expected}",
                row=int(pos) + 2,
                column=column,
                value=shown(values.iloc[pos]),
            )
        )
    ctx.collector.total += max(0, int(bad.sum()) - 50)


def blank(values: pd.Series) -> pd.Series:
    """True where a cell is missing or only spaces."""
    text = values.astype("string").str.strip()
    return (text.isna() | (text == "")).fillna(True).astype(bool)


def day_start(dates: pd.Series, timezone: str | None) -> pd.Series:
    """YYYY-MM-DD strings -> midnight of that day in `timezone` (UTC when none), as UTC timestamps.

    Daily reports (Microsoft 365, Google Workspace) mean "active on that day": midnight in the audit's zone
    keeps the row on the same day when the adoption engine counts days in that zone.
    """
    parsed = pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce")
    local = parsed.dt.tz_localize(timezone or "UTC", ambiguous="NaT", nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").astype(UTC_NS)


def iso_utc(values: pd.Series) -> pd.Series:
    """ISO 8601 timestamps with an offset or `Z` -> UTC; anything else -> NaT (the caller reports it)."""
    text = values.astype("string").str.strip()
    with_offset = text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True, na=False)
    parsed = pd.to_datetime(text.where(with_offset), utc=True, errors="coerce", format="ISO8601")
    return parsed.astype(UTC_NS)


def mark(frame: pd.DataFrame, checks: list[tuple[pd.Series, str]], *, csv_rows: bool) -> pd.DataFrame:
    """Attach the readers' ROW and PROBLEM columns so that api.ingest can refuse or quarantine bad rows.

    `checks` are (mask aligned on the frame's index, reason); the first failing check names a row's reason
    (a reason already in PROBLEM, e.g. from the date reader, comes first).
    CSV frames still carry their file's RangeIndex, so ROW = index + 2 (header = row 1); JSON items have no
    row (their problems name the item instead), so ROW stays empty.
    """
    problem = (
        frame[PROBLEM].astype("string")
        if PROBLEM in frame
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    for mask, reason in checks:
        hit = mask.reindex(frame.index, fill_value=False).astype(bool) & problem.isna()
        problem = problem.mask(hit, reason)
    if ROW in frame:
        rows = frame[ROW].astype("Int64")
    elif csv_rows:
        rows = pd.Series(frame.index.to_numpy() + 2, index=frame.index, dtype="Int64")
    else:
        rows = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    return frame.assign(**{ROW: rows, PROBLEM: problem})


def note(ctx: ReadContext, text: str) -> None:
    """A decision the user should know about; api.ingest collects `ctx.notes` into the result."""
    ctx.notes.append(f"{ctx.name}: {text}")


def usage_frame(tool, user, at, action, count=1) -> pd.DataFrame:
    """The canonical usage columns with their in-memory dtypes (strings, UTC timestamps, Float64 counts)."""
    frame = pd.DataFrame({"tool": tool, "user": user, "at": at, "action": action, "count": count})
    return frame.astype(
        {"tool": "string", "user": "string", "at": UTC_NS, "action": "string", "count": "Float64"}
    )


def empty_usage() -> pd.DataFrame:
    return usage_frame(
        pd.Series([], dtype="string"),
        pd.Series([], dtype="string"),
        pd.Series([], dtype=UTC_NS),
        pd.Series([], dtype="string"),
        pd.Series([], dtype="Float64"),
    )


def read_table(ctx: ReadContext) -> pd.DataFrame:
    """A delimited export through the project's reader (encodings, BOM, delimiter sniffing, row numbers)."""
    return read_delimited(ctx)


def arrow_items(ctx: ReadContext, items: list, path: str):
    """A list of JSON objects as one Arrow struct array: nested fields are then read column-wise, in C.

    Arrow needs one type per field; API responses sometimes write a number as a string in one item and as a
    number in another, so a second attempt reads every number as text (the formats parse numbers themselves).
    """
    import pyarrow as pa

    errors = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)
    try:
        return pa.array(items)
    except errors:
        pass
    as_text = json.loads(json.dumps(items), parse_int=str, parse_float=str, parse_constant=str)
    try:
        return pa.array(as_text)
    except errors as exc:
        refuse(
            ctx,
            f"the items of {path or 'the array'} mix JSON types in one field ({exc}); expected the API's "
            "own output",
            column=path or None,
        )


def field(arr, *keys):
    """`arr.keys[0].keys[1]...` of an Arrow struct array; all-null when an item or the schema lacks it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for key in keys:
        if not pa.types.is_struct(arr.type) or arr.type.get_field_index(key) < 0:
            return pa.nulls(len(arr), pa.string())
        arr = pc.struct_field(arr, key)
    return arr


def text_series(arr, index=None) -> pd.Series:
    """An Arrow column as a pandas `string` Series (numbers and booleans as their text; lists/objects as NA)."""
    import pyarrow as pa

    if pa.types.is_nested(arr.type):
        arr = pa.nulls(len(arr), pa.string())
    elif not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    return pd.Series(arr.to_pandas(), index=index).astype("string")
