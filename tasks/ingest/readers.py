"""Robust reading of delimited text exports, as tools write them and as users then re-save them.

Every format reads its file through `read_delimited`, so encodings, delimiters, quoting, trailing delimiters and
missing-value markers are handled once. Parsing is done by pyarrow's multithreaded CSV reader (no Python loop
over rows); the result is a pandas frame whose columns are all `string` dtype with the ORIGINAL header names
(duplicates made unique pandas-style: `Severity`, `Severity.1`).

Row numbers. Messages name rows as a spreadsheet user counts them: the header is row 1 and the first data
record is row 2, whatever the number of physical lines a record spans (GLPI descriptions are multi-line quoted
cells, so physical line numbers would point at the wrong place). Frames keep a RangeIndex from 0, so
`row = index + 2`; `user_rows(df)` gives it, and the ROW column carries it once frames are filtered or merged.

Row problems. A format that finds a bad cell adds a `Problem` to `ctx.collector` (bounded, for the message) and
marks the row with `flag_rows` (unbounded, so that quarantine sets aside every bad row, not only the first 200).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from auditbridge.errors import DataError, Problem

NA_VALUES = ("", "?")  # ServiceNow writes `?` for empty; everyone else writes nothing
DELIMITERS = (",", ";", "\t", "|")
ROW = "_row"  # the row as the user counts it (header = row 1)
PROBLEM = "_problem"  # why the row is refused; NA when the row is fine
HEAD_BYTES = 64 * 1024


def decode(data: bytes, name: str) -> tuple[str, str]:
    """The file's text and the encoding it was read with: UTF-8 (with or without BOM), UTF-16 with BOM, or
    Windows-1252 when the bytes are not valid UTF-8 (GLPI on Windows servers, files re-saved by Excel)."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise DataError(
            Problem(name, "the file is empty: expected an export with a header row and data rows")
        )
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # cp1252 leaves 5 byte values undefined: they become U+FFFD rather than failing the whole file
        return data.decode("cp1252", errors="replace"), "cp1252"


def utf8_payload(data: bytes, name: str) -> memoryview | bytes:
    """The file as UTF-8 bytes for pyarrow, copying only when it must be transcoded (UTF-16, Windows-1252).

    UTF-8 is validated by decoding (the result is discarded) so that a Windows-1252 file is recognised as a whole,
    not cell by cell; a UTF-8 BOM is skipped without copying.
    """
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise DataError(
            Problem(name, "the file is empty: expected an export with a header row and data rows")
        )
    if data.startswith(codecs.BOM_UTF8):
        return memoryview(data)[len(codecs.BOM_UTF8) :]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16").encode("utf-8")
    try:
        codecs.utf_8_decode(data, "strict", True)
        return data
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace").encode("utf-8")


def head_text(data: bytes, limit: int = HEAD_BYTES) -> str:
    """The beginning of a file as text, for sniffing (tolerates a multi-byte character cut at the limit)."""
    chunk = data[:limit]
    if chunk.startswith(codecs.BOM_UTF8):
        chunk = chunk[3:]
    if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return chunk.decode("utf-16", errors="ignore")
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(chunk) - 3:
            return chunk[: exc.start].decode("utf-8")
        return chunk.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the candidate occurring most often outside quotes in the first record.

    Only the header is looked at because data cells may contain any of the candidates; an Excel `sep=;` first
    line is honoured.
    """
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if first.lower().startswith("sep=") and len(first.strip()) == 5:
        return first.strip()[4]
    outside = re.sub(r'"[^"]*"', "", _first_record(text))
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_record(text: str) -> str:
    """The header record, which may itself span lines when a quoted name holds a newline."""
    end, quoted = 0, False
    for end, ch in enumerate(text):  # noqa: B007 - the header only, never data rows
        if ch == '"':
            quoted = not quoted
        elif ch == "\n" and not quoted:
            break
    return text[: end + 1]


def header_fields(text: str, delimiter: str) -> list[str]:
    """The header's cells as written (BOM and surrounding spaces removed)."""
    record = _first_record(text)
    fields = next(csv.reader(io.StringIO(record), delimiter=delimiter), [])
    return [f.replace("\ufeff", "").strip() for f in fields]


def unique_names(names: Iterable[str]) -> list[str]:
    """Repeated names made unique as `Name`, `Name.1`, `Name.2` (Jira repeats Watchers, Comment...), so no value
    is lost by a dict-like reader; empty names become `Unnamed: N`."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for i, name in enumerate(names):
        name = name or f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            candidate = f"{name}.{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}.{seen[name]}"
            name = candidate
        seen.setdefault(name, 0)
        out.append(name)
    return out


def read_delimited(
    ctx, *, delimiter: str | None = None, na_values: tuple[str, ...] = NA_VALUES
) -> pd.DataFrame:
    """Read `ctx.data` (a delimited export) into a frame of `string` columns with the original header names.

    Handles UTF-8/BOM/UTF-16/cp1252, `,` `;` tab `|` (sniffed from the header unless given), quoted multi-line
    cells, a trailing delimiter on every line (the empty last column is dropped), `?` and empty as missing.
    Refuses, naming the file, a file without data rows or whose records do not match the header's width.
    """
    payload = utf8_payload(ctx.data, ctx.name)
    # header and sniffing only: the body goes to pyarrow as bytes, never as str
    text = head_text(bytes(payload[:HEAD_BYTES]))
    sep = delimiter or sniff_delimiter(text)
    skip = 1
    first_line = text.split("\n", 1)[0].strip()
    if first_line.lower().startswith("sep="):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        skip = 2
    header = header_fields(text, sep)
    if not any(header):
        raise DataError(Problem(ctx.name, "no header row: expected column names on the first line", row=1))
    names = unique_names(header)
    trailing_empty = len(header) > 1 and header[-1] == ""
    import pyarrow.csv as pacsv

    bad_width: list[int] = []

    def parse(columns: list[str]) -> pa.Table:
        def on_invalid(row) -> str:  # records whose field count differs from the header
            bad_width.append(row.actual_columns)
            return "error"

        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(payload)),
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=skip, block_size=16 << 20),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in columns},
                null_values=list(na_values),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    try:
        try:
            table = parse(names)
        except pa.ArrowInvalid:
            # a trailing delimiter on the data lines but not on the header (or the reverse): every record is one
            # field wider (narrower) than the header. Read again with the width the records have.
            if not bad_width or abs(bad_width[0] - len(names)) != 1:
                raise
            wider = bad_width[0] > len(names)
            retry = [*names, f"Unnamed: {len(names)}"] if wider else names[:-1]
            first_error = list(bad_width)
            bad_width.clear()
            try:
                table = parse(retry)
            except pa.ArrowInvalid:
                bad_width[:] = first_error  # the records are not uniformly shifted: report the first misfit
                raise
            names, trailing_empty = retry, wider  # only an added column is a candidate for dropping
    except pa.ArrowInvalid as exc:
        expected = len(names)
        found = bad_width[0] if bad_width else None
        detail = (
            f"a record has {found} fields where the header has {expected}" if found is not None else str(exc)
        )
        row = _row_of_width_error(bytes(payload).decode("utf-8", errors="replace"), sep, expected)
        raise DataError(
            Problem(ctx.name, f"not a well-formed {_sep_name(sep)}-separated export: {detail}", row=row)
        ) from None
    df = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    if trailing_empty and df[names[-1]].isna().all():
        df = df.drop(columns=names[-1])
    if df.empty:
        raise DataError(
            Problem(ctx.name, "the file has a header but no data rows: expected at least one record", row=2)
        )
    return df.reset_index(drop=True)


def _row_of_width_error(text: str, sep: str, expected: int) -> int | None:
    """The user row of the first record whose width differs (only computed when refusing, so a slow scan is
    acceptable here); records are counted, not physical lines."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    for i, rec in enumerate(reader):
        if i and rec and len(rec) != expected:
            return i + 1
    return None


def _sep_name(sep: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(sep, repr(sep))


def user_rows(df: pd.DataFrame) -> pd.Series:
    """The row each record had in its file (header = row 1): the ROW column when present, else index + 2."""
    if ROW in df.columns:
        return df[ROW].astype("Int64")
    return pd.Series(df.index.to_numpy() + 2, index=df.index, dtype="Int64")


def with_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Attach ROW (and an empty PROBLEM) before a frame is filtered, merged or reordered."""
    out = df
    if ROW not in out.columns:
        out = out.assign(**{ROW: user_rows(out)})
    if PROBLEM not in out.columns:
        out = out.assign(**{PROBLEM: pd.Series(pd.NA, index=out.index, dtype="string")})
    return out


def flag_rows(df: pd.DataFrame, mask: pd.Series, reason: str | pd.Series) -> pd.DataFrame:
    """Mark rows as refused (keeps the first reason of a row); returns a new frame (copy-on-write)."""
    out = with_rows(df)
    mask = mask.reindex(out.index, fill_value=False).astype(bool)
    if not mask.any():
        return out
    reason_s = reason if isinstance(reason, pd.Series) else pd.Series(reason, index=out.index, dtype="string")
    current = out[PROBLEM]
    new = current.where(~(mask & current.isna()), reason_s.reindex(out.index).astype("string"))
    return out.assign(**{PROBLEM: new})


def report_cells(
    ctx,
    df: pd.DataFrame,
    mask: pd.Series,
    column: str,
    message: str,
    values: pd.Series | None = None,
    limit: int = 50,
) -> None:
    """One Problem per bad cell (the first `limit`; the rest are counted), naming the user row and column."""
    idx = mask[mask].index
    if not len(idx):
        return
    rows = user_rows(df)
    if values is None and column not in df.columns:
        raise KeyError(f"report_cells: give `values` when the label {column!r} is not a column")
    vals = values if values is not None else df[column]
    for i in idx[:limit]:
        value = None if vals is None or pd.isna(vals[i]) else str(vals[i])
        ctx.collector.add(Problem(ctx.name, message, row=int(rows[i]), column=column, value=value))
    extra = len(idx) - min(len(idx), limit)
    ctx.collector.total += extra


LABELS = "labels"


def labelled(df: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Remember which header of the file each canonical column came from (`df.attrs`), so that problems found
    later (a required value missing) name the column as the user sees it."""
    df.attrs[LABELS] = dict(labels)
    return df


def label_of(df: pd.DataFrame, column: str) -> str:
    return df.attrs.get(LABELS, {}).get(column, column)
