"""`ingest(...)`: exports -> canonical frames, the one entry point of the CLI and of the flow.

What is done HERE, once for every format, so that no format can forget it:
- choosing the format (`auto`: the highest sniff score of `base.registry()`; the choice is reported);
- pseudonymisation (CONTRACTS section 6) of the person columns `requester`, `assignee`, `user`: formats return
  clear names (several people in one cell joined by PERSON_SEP) and never see the key;
- dropping every column that could carry free text about people (descriptions, bodies, e-mail addresses,
  names): only the canonical columns of the kind and harmless extras survive;
- row problems: refused (DataError listing all of them, bounded) or quarantined (rows set aside with the
  reason, returned in `quarantined`), as `on_row_error` says;
- merging several files of one kind, and `auditbridge.datasets.coerce` to the canonical dtypes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from auditbridge.datasets import KINDS, coerce, schema
from auditbridge.errors import ConfigError, DataError, Problem, ProblemCollector, UsageError
from auditbridge.pseudo import pseudonymise
from tasks.ingest.base import Format, ReadContext, registry
from tasks.ingest.readers import HEAD_BYTES, PROBLEM, ROW, with_rows
from tasks.ingest.sources import InputFile, fetch

PERSON_COLUMNS = ("requester", "assignee", "user")
PERSON_SEP = "; "  # formats join several people of one cell with this (GLPI's `<br>`)
PSEUDONYM_PATTERN = "p_[0-9a-f]{16}"  # auditbridge.pseudo's output
SOURCE_FILE = "_file"
MIN_SNIFF = 0.5
# Extra (non-canonical) columns whose name says they may hold people or free text are never kept.
_RISKY_NAME = re.compile(
    r"descr|body|comment|mail|name|phone|mobile|contact|caller|reporter|creator|watcher|author|note|message|"
    r"text|requester|assignee|user|agent|person|people|owner|submitter|subject|summary|address|login|account",
    re.IGNORECASE,
)
# RE2-compatible (no \w), so pandas runs it in pyarrow rather than row by row in Python
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
EMAIL_MASK = "[e-mail]"


@dataclass
class IngestResult:
    datasets: dict[str, pd.DataFrame]
    format: str
    files: list[dict[str, Any]]
    quarantined: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # decisions the user should know (detected format, date order)
    notes: list[str] = field(default_factory=list)
    total_problems: int = 0


def load_mapping(mapping: str | Path | dict | None) -> dict[str, Any] | None:
    """A generic mapping given as a YAML path or inline dict; ConfigError naming the file when malformed."""
    if mapping is None or isinstance(mapping, dict):
        return mapping
    from auditbridge.yamlfile import read_yaml_mapping

    data = read_yaml_mapping(
        mapping, "a mapping with `columns:` (and optionally values, date_format, timezone, kind)"
    )
    data.setdefault("_file", str(mapping))
    return data


def detect(head: bytes, name: str, formats: dict[str, Format]) -> tuple[Format, float]:
    """The format whose sniffer is most confident about `head`; refuses a file no format recognises."""
    scores: dict[str, float] = {}
    for fname, fmt in sorted(formats.items()):
        try:
            scores[fname] = float(fmt.sniff(head, name))
        except Exception:  # a sniffer must never break detection of the others
            scores[fname] = 0.0
    # on equal confidence a named format wins over generic: it knows the tool's values and quirks
    best = max(scores, key=lambda n: (scores[n], n != "generic")) if scores else None
    if best is None or scores[best] < MIN_SNIFF:
        known = ", ".join(sorted(n for n in formats))
        raise DataError(
            Problem(
                name,
                f"not a recognised export: expected a file exported by one of {known} "
                "(or canonical columns, or --format generic with --mapping)",
                row=1,
            )
        )
    return formats[best], scores[best]


def ingest(
    inputs: Iterable[str | Path] | str,
    fmt: str = "auto",
    *,
    kind: str | None = None,
    timezone: str | None = None,
    pseudonym_key: bytes,
    on_row_error: str = "refuse",
    mapping: str | Path | dict | None = None,
    tool: str | None = None,
    s3_client=None,
) -> IngestResult:
    """Read every file named by `inputs` (paths, globs, folders, `s3://bucket/prefix`) into canonical frames."""
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    files = fetch(list(inputs), s3_client=s3_client)
    return ingest_files(
        files,
        fmt,
        kind=kind,
        timezone=timezone,
        pseudonym_key=pseudonym_key,
        on_row_error=on_row_error,
        mapping=mapping,
        tool=tool,
    )


def ingest_files(
    files: list[InputFile],
    fmt: str = "auto",
    *,
    kind: str | None = None,
    timezone: str | None = None,
    pseudonym_key: bytes,
    on_row_error: str = "refuse",
    mapping: str | Path | dict | None = None,
    tool: str | None = None,
) -> IngestResult:
    """`ingest` on files already fetched (the Prefect task fetches with retries, then calls this)."""
    if on_row_error not in ("refuse", "quarantine"):
        raise UsageError(f"--on-row-error must be refuse or quarantine, not {on_row_error!r}")
    if kind is not None:
        schema(kind)
    if not pseudonym_key:
        raise UsageError(
            "a pseudonymisation key is required: people are replaced by keyed pseudonyms at ingestion"
        )
    mapping = load_mapping(mapping)
    if timezone is None and mapping is not None:
        timezone = mapping.get("timezone")
    if timezone is not None:
        _check_zone(timezone)
    if kind:  # --kind (or the config section) forces the kind, over a mapping's own `kind:`
        mapping = {**(mapping or {}), "kind": kind}
    formats = registry()
    if fmt != "auto" and fmt not in formats:
        raise UsageError(f"unknown format {fmt!r}: expected auto or one of {', '.join(sorted(formats))}")
    frames: dict[str, list[pd.DataFrame]] = {}
    infos: list[dict[str, Any]] = []
    notes: list[str] = []
    collectors: list[ProblemCollector] = []
    chosen_names: list[str] = []
    for f in files:
        if not f.data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
            raise DataError(
                Problem(f.name, "the file is empty: expected an export with a header row and data rows")
            )
        if fmt == "auto":
            chosen, score = detect(f.data[:HEAD_BYTES], f.name, formats)
            notes.append(f"{f.name}: recognised as {chosen.name} (confidence {score:.2f})")
        else:
            chosen = formats[fmt]
        if chosen.name != "generic" and mapping is not None and mapping.get("columns"):
            raise ConfigError(
                str(mapping.get("_file", "mapping")),
                [
                    f"columns: only the generic format takes a column mapping ({f.name} is read as {chosen.name}, "
                    "which knows its columns); named formats accept `values:` to map statuses and priorities"
                ],
            )
        ctx = ReadContext(
            name=f.name, data=f.data, pseudonym_key=b"", timezone=timezone, tool=tool, mapping=mapping
        )
        produced = chosen.read(ctx)
        notes.extend(ctx.notes)
        collectors.append(ctx.collector)
        if kind is not None:
            if kind not in produced:
                raise UsageError(
                    f"{f.name}: format {chosen.name} produces {', '.join(produced) or 'nothing'}, not {kind}"
                )
            produced = {kind: produced[kind]}
        rows = {}
        for k, df in produced.items():
            df = _finish(df, k, ctx, pseudonym_key)
            frames.setdefault(k, []).append(df)
            rows[k] = len(df)
        infos.append(
            {
                "path": f.name,
                "sha256": hashlib.sha256(f.data).hexdigest(),
                "bytes": len(f.data),
                "rows": next(iter(rows.values()), 0),
                "rows_by_kind": rows,
                "format": chosen.name,
            }
        )
        if chosen.name not in chosen_names:
            chosen_names.append(chosen.name)
    problems = [p for c in collectors for p in c.problems]
    total = sum(c.total for c in collectors)
    merged = {k: _merge(k, dfs, notes) for k, dfs in frames.items()}
    flagged = {k: df[PROBLEM].notna() for k, df in merged.items()}
    if total and (on_row_error == "refuse" or not any(m.any() for m in flagged.values())):
        raise DataError(problems, total=total)
    datasets, quarantined = {}, {}
    for k, df in merged.items():
        bad = flagged[k]
        if bad.any():
            quarantined[k] = df[bad].reset_index(drop=True)
        clean = df[~bad].drop(columns=[ROW, PROBLEM, SOURCE_FILE]).reset_index(drop=True)
        datasets[k] = coerce(clean, k, file=", ".join(i["path"] for i in infos))
    return IngestResult(
        datasets=datasets,
        format=",".join(chosen_names),
        files=infos,
        quarantined=quarantined,
        problems=problems,
        notes=notes,
        total_problems=total,
    )


def _finish(df: pd.DataFrame, kind: str, ctx: ReadContext, key: bytes) -> pd.DataFrame:
    """Checks, pseudonyms and column policy for one file's frame of one kind."""
    sch = schema(kind)
    labels = dict(df.attrs.get("labels", {}))
    missing = [c for c in sch.required if c not in df.columns]
    if missing:
        raise DataError(
            [
                Problem(
                    ctx.name,
                    f"no column gives the {kind} field '{c}' (required)"
                    + (": name the tool with --tool (or `tool:` in the source)" if c == "tool" else ""),
                    row=1,
                    column=c,
                )
                for c in missing
            ]
        )
    df = with_rows(df)
    df = df.assign(**{SOURCE_FILE: pd.Series(ctx.name, index=df.index, dtype="string")})
    df.attrs["labels"] = labels
    df = _flag_missing(df, sch.required, ctx)
    df = _flag_numbers(df, sch, ctx)
    for col in PERSON_COLUMNS:
        if col in df.columns:
            df = df.assign(**{col: pseudonymise_people(df[col], key)})
    keep = [c for c in df.columns if c in sch.columns or c in (ROW, PROBLEM, SOURCE_FILE) or _harmless(df, c)]
    df = df[keep]
    df = _mask_emails(df, exclude=(*PERSON_COLUMNS, ROW, PROBLEM, SOURCE_FILE))
    if kind == "tickets":
        df = _flag_duplicates(df, ctx)
    return df


def _mask_emails(df: pd.DataFrame, exclude: tuple[str, ...]) -> pd.DataFrame:
    """Titles and other kept text may quote an address ("access for jane@acme.com"): addresses never travel."""
    masked = {}
    for col in df.columns:
        if col in exclude or not pd.api.types.is_string_dtype(df[col]):
            continue
        has = df[col].str.contains("@", regex=False, na=False)
        if has.any():
            masked[col] = df[col].where(~has, df[col].str.replace(_EMAIL, EMAIL_MASK, regex=True))
    return df.assign(**masked) if masked else df


def _flag_missing(df: pd.DataFrame, required: tuple[str, ...], ctx: ReadContext) -> pd.DataFrame:
    """A row without a required value (no id, no status, no opening date) cannot be used: a row problem.
    Rows already flagged (e.g. an unreadable date, now empty) are not reported twice."""
    from tasks.ingest.readers import flag_rows, label_of, report_cells

    for col in required:
        empty = df[col].isna() & df[PROBLEM].isna()
        if pd.api.types.is_string_dtype(df[col]):
            empty |= (df[col].astype("string").str.strip() == "").fillna(False) & df[PROBLEM].isna()
        if empty.any():
            label = label_of(df, col)
            report_cells(
                ctx, df, empty, label, f"empty, but this column is required (it gives {col})", df[col]
            )
            df = flag_rows(df, empty, f"missing {col}")
    return df


def _flag_numbers(df: pd.DataFrame, sch, ctx: ReadContext) -> pd.DataFrame:
    """Numeric canonical columns (seats, count, seq...) checked here, row by row as the user counts them, so that
    `coerce` at the end never meets a bad cell (it would only know positions in the merged frame)."""
    from tasks.ingest.readers import flag_rows, label_of, report_cells

    for col in (*sch.integers, *sch.numbers):
        if col not in df.columns or pd.api.types.is_numeric_dtype(df[col]):
            continue
        text = df[col].astype("string").str.strip()
        num = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & (text != "") & num.isna()
        if col in sch.integers:
            bad |= num.notna() & (num % 1 != 0)
        bad &= df[PROBLEM].isna()
        if bad.any():
            expected = "a whole number" if col in sch.integers else "a number"
            report_cells(ctx, df, bad, label_of(df, col), f"expected {expected}", df[col])
            df = flag_rows(df, bad, f"not a number in {col}")
    return df


def _check_zone(timezone: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown timezone {timezone!r}: expected an IANA name such as Europe/Paris"
        ) from None


def _harmless(df: pd.DataFrame, column: str) -> bool:
    """An extra column survives only if its name does not suggest people or free text and it holds no e-mail."""
    if column in KINDS or _RISKY_NAME.search(column):
        return False
    values = df[column]
    if pd.api.types.is_string_dtype(values) or values.dtype == object:
        sample = values.dropna().astype("string").head(5000)
        if sample.str.contains(_EMAIL, regex=True).any():
            return False
    return True


def pseudonymise_people(values: pd.Series, key: bytes) -> pd.Series:
    """Each person of a cell -> pseudonym; several people stay several (`p_a; p_b`), in the order written.

    Multi-person cells are handled per distinct cell (GLPI repeats the same technician pairs), so the Python work
    grows with the number of distinct combinations, not with rows. Values that already are pseudonyms (a canonical
    file written by `auditbridge ingest`, read again) are kept: hashing them again would break every join.
    """
    text = values.astype("string")
    sep = PERSON_SEP.strip()
    already = text.str.fullmatch(PSEUDONYM_PATTERN, na=False) | text.str.fullmatch(
        f"{PSEUDONYM_PATTERN}(?:{sep} ?{PSEUDONYM_PATTERN})+", na=False
    )
    multi = text.str.contains(sep, regex=False, na=False) & ~already
    out = pseudonymise(text.where(~multi & ~already), key)
    out = out.where(~already, text)
    if multi.any():
        codes, uniques = pd.factorize(text[multi])
        split = [[p.strip() for p in str(u).split(sep) if p.strip()] for u in uniques]
        flat = pseudonymise(pd.Series([p for parts in split for p in parts], dtype="string"), key).tolist()
        joined, i = [], 0
        for parts in split:
            joined.append(PERSON_SEP.join(flat[i : i + len(parts)]))
            i += len(parts)
        mapped = pd.Series(pd.array(joined, dtype="string")[codes], index=text[multi].index)
        out = out.where(~multi, mapped.reindex(out.index))
    return out


def _flag_duplicates(df: pd.DataFrame, ctx: ReadContext) -> pd.DataFrame:
    """A ticket id twice in one file: the later rows are problems (which of them is right cannot be known)."""
    from tasks.ingest.readers import flag_rows, report_cells

    dup = df["ticket_id"].notna() & df["ticket_id"].duplicated(keep="first")
    if dup.any():
        report_cells(
            ctx,
            df,
            dup,
            "ticket_id",
            "ticket id already seen earlier in this file: expected one row per ticket",
        )
        df = flag_rows(df, dup, "duplicate ticket id")
    return df


def _merge(kind: str, dfs: list[pd.DataFrame], notes: list[str]) -> pd.DataFrame:
    """Several files of one kind -> one frame. Tickets seen in several files keep their LAST file's row
    (exports of overlapping periods: the later export is the more recent state)."""
    df = pd.concat(dfs, ignore_index=True) if len(dfs) > 1 else dfs[0].reset_index(drop=True)
    if kind == "tickets" and len(dfs) > 1:
        ok = df[PROBLEM].isna()
        dup = pd.Series(False, index=df.index)
        dup[ok] = df.loc[ok, "ticket_id"].duplicated(keep="last")
        if dup.any():
            notes.append(f"{int(dup.sum())} ticket(s) appear in several files: the last file's row is kept")
            df = df[~dup].reset_index(drop=True)
    return df
