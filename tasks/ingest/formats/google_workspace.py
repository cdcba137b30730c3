"""Google Workspace usage: Admin SDK Reports API `userUsageReport.get` / `customerUsageReports.get` JSON.

A response is `{"kind": "admin#reports#usageReports", "usageReports": [...]}` (several pages may be saved
as a JSON array of responses). Each report item has a `date`, an `entity` and a `parameters` list of
`{name, intValue | stringValue | datetimeValue | boolValue}` that is pivoted per user and date.

USER entities -> `usage` (`tool` `google-workspace`, or `ctx.tool`; `action` the parameter name so an
activity rule can keep or drop it):
- every "last time" parameter (`accounts:last_login_time`, `gmail:last_interaction_time`,
  `gmail:timestamp_last_webmail`, `drive:last_active_usage_time`, ...) gives one row at that instant, except
  the epoch-zero "never" value and Gmail's `last_access` (Google says receiving mail triggers it, and
  receiving mail is not activity). The same instant repeated by the daily reports of a file is kept once.
- daily counters of things the user did (`*num*` parameters about sent, created, edited, viewed, uploaded,
  shared, calls, meetings...; not received/owned/quota figures) give one row per user and report `date`
  (midnight in the audit's zone; Google dates follow the account's zone) with `count` = the value, when > 0.
CUSTOMER entities -> `licences`: one row per `accounts:<edition>_total_licenses` (`seats`; the
`<edition>_used_licenses` figure is kept as the extra column `seats_assigned`). The API carries no price, which
`licences` requires: the source's mapping gives it (`{cost_per_seat_month: 6.0, currency: EUR}`); without it
the rows are refused (or quarantined) with a message saying so. The tool is
`google-workspace` (or `ctx.tool`) when the report has one edition, `google-workspace-<edition>` otherwise.
Profile ids, customer ids and etags are not returned.
"""

from __future__ import annotations

import pandas as pd

from auditbridge.errors import Problem
from tasks.ingest.base import ReadContext
from tasks.ingest.formats._usage_common import (
    UTC_NS,
    arrow_items,
    blank,
    day_start,
    empty_usage,
    field,
    head_text,
    iso_utc,
    load_json,
    mark,
    note,
    refuse,
    require_objects,
    text_series,
    usage_frame,
)
from tasks.ingest.readers import ROW

EXPECTED = 'a Google Workspace Admin Reports API usage response ({"kind": "admin#reports#usageReports", "usageReports": [...]})'
TOOL = "google-workspace"
LAST_TIME = r"(?:last_\w*time$|timestamp_last_)"
NOT_ACTIVITY_TIME = r"^gmail:(?:last_access_time|timestamp_last_access)$"
DID = r"(?:sent|created|edited|viewed|uploaded|shared|commented|calls|meetings|posts|replies|added|trashed|downloaded|joined)"
NOT_DID = r"(?:received|owned|exchanged|spam|quota|total|authorized|used_licenses)"
VALUE_KEYS = ("intValue", "stringValue", "datetimeValue", "boolValue")


class GoogleWorkspace:
    name = "google-workspace"
    kinds = ("usage", "licences")

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head)
        if text[:1] in "{[" and "admin#reports#usageReport" in text:
            return 0.95
        return 0.0

    def read(self, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        params = _parameters(ctx, *_report_items(ctx, load_json(ctx, EXPECTED)))
        out: dict[str, pd.DataFrame] = {}
        users = params[params["entity"] == "USER"]
        customers = params[params["entity"] == "CUSTOMER"]
        if len(users) or not len(customers):
            out["usage"] = _usage(ctx, users)
        if len(customers):
            out["licences"] = _licences(ctx, customers)
        return out


def _report_items(ctx: ReadContext, doc) -> tuple[list[dict], pd.Series]:
    """The report items of one response or of an array of pages, and each item's JSON path for messages."""
    pages = doc if isinstance(doc, list) else [doc]
    items: list[dict] = []
    paths: list[pd.Series] = []
    for p, page in enumerate(pages):
        where = f"[{p}]." if isinstance(doc, list) else ""
        if not isinstance(page, dict) or page.get("kind") != "admin#reports#usageReports":
            found = page.get("kind") if isinstance(page, dict) else type(page).__name__
            refuse(ctx, f"is not {EXPECTED}", column=f"{where}kind", value=found)
        if page.get("nextPageToken"):
            note(
                ctx,
                f"{where}nextPageToken is set: this response is one page of a longer report, save every page",
            )
        for warning in page.get("warnings") or []:
            if isinstance(warning, dict):
                note(ctx, f"Google says: {warning.get('message', warning.get('code'))}")
        reports = page.get("usageReports", [])  # a day without data has warnings and no usageReports
        if not isinstance(reports, list):
            refuse(
                ctx,
                "expected a list of usage reports",
                column=f"{where}usageReports",
                value=type(reports).__name__,
            )
        require_objects(ctx, reports, f"{where}usageReports")
        items.extend(reports)
        paths.append(f"{where}usageReports[" + pd.Series(range(len(reports)), dtype="string") + "]")
    return items, (pd.concat(paths, ignore_index=True) if paths else pd.Series([], dtype="string"))


def _parameters(ctx: ReadContext, items: list[dict], paths: pd.Series) -> pd.DataFrame:
    """One row per (report item, parameter): path, date, entity type, user, name and value (long format).

    The name/value lists are flattened column-wise by Arrow (list_flatten + parent indices), not item by item.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = ["path", "date", "entity", "user", "name", "value", "datetime"]
    if not items:
        return pd.DataFrame(columns=columns).astype("string")
    arr = arrow_items(ctx, items, "usageReports")
    params = field(arr, "parameters")
    if not (pa.types.is_list(params.type) and pa.types.is_struct(params.type.value_type)):
        refuse(
            ctx, "expected a 'parameters' list of {name, value} objects", column=f"{paths.iloc[0]}.parameters"
        )
    missing = pc.is_null(params)
    if pc.any(missing).as_py():
        first = pc.index(missing, True).as_py()
        refuse(
            ctx,
            "expected a 'parameters' list of {name, value} objects",
            column=f"{paths.iloc[first]}.parameters",
        )
    parent = pc.list_parent_indices(params).to_numpy()
    flat = pc.list_flatten(params)
    value = text_series(field(flat, "intValue"))
    for key in VALUE_KEYS[1:]:
        value = value.fillna(text_series(field(flat, key)))
    return pd.DataFrame(
        {
            "path": paths.to_numpy()[parent],
            "date": text_series(field(arr, "date")).to_numpy()[parent],
            "entity": text_series(field(arr, "entity", "type")).to_numpy()[parent],
            "user": text_series(field(arr, "entity", "userEmail")).str.strip().to_numpy()[parent],
            "name": text_series(field(flat, "name")),
            "value": value,
            "datetime": text_series(field(flat, "datetimeValue")),
        }
    ).astype("string")


def _report(
    ctx: ReadContext, mask: pd.Series, p: pd.DataFrame, what: str, expected: str, values: pd.Series
) -> None:
    """One problem per flagged parameter row, naming the report item, the field (and parameter) and the value."""
    flagged = p[mask.to_numpy()].head(50)
    shown = values[mask.to_numpy()].head(50)
    for path, name, value in zip(flagged["path"], flagged["name"], shown, strict=True):
        where = f"{path}.{what}" + (f"[name={name}]" if what == "parameters" else "")
        ctx.collector.add(
            Problem(
                ctx.name, f"expected {expected}", column=where, value=None if pd.isna(value) else str(value)
            )
        )
    ctx.collector.total += max(0, int(mask.sum()) - 50)


def _epoch_any(values: pd.Series) -> pd.Series:
    """Integer timestamps (seconds, milliseconds or microseconds since 1970) -> UTC."""
    num = pd.to_numeric(values, errors="coerce")
    seconds = num.where(num < 1e11, num / 1000).where(num < 1e14, num / 1_000_000)
    return pd.to_datetime(seconds, unit="s", utc=True).astype(UTC_NS)


def _usage(ctx: ReadContext, p: pd.DataFrame) -> pd.DataFrame:
    if p.empty:
        return empty_usage()
    no_user = blank(p["user"])
    if no_user.any():
        _report(
            ctx,
            no_user & ~p["path"].duplicated(),
            p,
            "entity.userEmail",
            "the user's e-mail address",
            p["user"],
        )
    tool = ctx.tool or TOOL
    name = p["name"].fillna("")
    is_time = name.str.contains(LAST_TIME, regex=True) & ~name.str.contains(NOT_ACTIVITY_TIME, regex=True)
    at = iso_utc(p["datetime"]).fillna(_epoch_any(p["value"].where(p["datetime"].isna())))
    bad_time = is_time & p["value"].notna() & at.isna()
    if bad_time.any():
        _report(
            ctx, bad_time, p, "parameters", "an RFC 3339 time such as 2021-01-23T06:49:01.000Z", p["value"]
        )
    ever = at > pd.Timestamp("1970-01-02", tz="UTC")  # epoch zero is the API's "never"
    keep = is_time & (ever | bad_time)
    times = p[keep]  # (not .assign(at=at): on an empty frame pandas would adopt at's whole index)
    by_time = usage_frame(tool, times["user"], at[keep], times["name"])
    by_time = mark(by_time, [(no_user, "no entity.userEmail"), (bad_time, "bad time value")], csv_rows=False)
    by_time = by_time[~by_time.drop(columns=[ROW]).duplicated()]

    is_count = (
        name.str.contains(r"num_", regex=True)
        & name.str.contains(DID, regex=True)
        & ~name.str.contains(NOT_DID, regex=True)
    )
    count = pd.to_numeric(p["value"], errors="coerce")
    counted = p[is_count & (count > 0)]
    day = day_start(counted["date"], ctx.timezone)
    bad_day = day.isna()
    if bad_day.any():
        _report(ctx, bad_day, counted, "date", "a report date YYYY-MM-DD", counted["date"])
    by_day = usage_frame(tool, counted["user"], day, counted["name"], count[counted.index])
    by_day = mark(by_day, [(no_user, "no entity.userEmail"), (bad_day, "bad report date")], csv_rows=False)
    return pd.concat([by_time, by_day], ignore_index=True)


def _price(ctx: ReadContext) -> tuple[float | None, str | None]:
    """The seat price the report cannot carry, from the source's mapping (`cost_per_seat_month`, `currency`)."""
    mapping = ctx.mapping or {}
    cost, currency = mapping.get("cost_per_seat_month"), mapping.get("currency")
    if cost is None and currency is None:
        return None, None
    value = pd.to_numeric(pd.Series([cost]), errors="coerce").iloc[0]
    if pd.isna(value) or value < 0 or not isinstance(currency, str) or not currency.strip():
        from auditbridge.errors import ConfigError

        raise ConfigError(
            str(mapping.get("_file", "mapping")),
            [
                f"cost_per_seat_month: expected a price per seat and month (found {cost!r}) with a currency code "
                f"such as EUR (found {currency!r})"
            ],
        )
    return float(value), currency.strip().upper()


def _licences(ctx: ReadContext, p: pd.DataFrame) -> pd.DataFrame:
    name = p["name"].fillna("")
    edition = name.str.extract(r"^accounts:(\w+?)_(total|used)_licenses$")
    lic = p.assign(edition=edition[0], which=edition[1], n=pd.to_numeric(p["value"], errors="coerce"))
    lic = lic[lic["edition"].notna()]
    bad = lic["n"].isna()
    if bad.any():
        _report(ctx, bad, lic, "parameters", "an integer licence count", lic["value"])
    # the newest report date of the file gives the licence figures
    good = lic[~bad].sort_values("date")
    wide = good.groupby(["edition", "which"])["n"].last().unstack("which").reindex(columns=["total", "used"])
    wide = wide[wide["total"].fillna(0) > 0]
    where = good[good["which"] == "total"].groupby("edition")["path"].last().reindex(wide.index)
    single = len(wide) == 1
    tools = [(ctx.tool or TOOL) if single else f"{TOOL}-{e.replace('_', '-')}" for e in wide.index]
    cost, currency = _price(ctx)
    out = pd.DataFrame(
        {
            "tool": pd.array(tools, dtype="string"),
            "seats": wide["total"].to_numpy(dtype="float64"),
            "cost_per_seat_month": cost,
            "currency": currency,
            "seats_assigned": wide["used"].to_numpy(dtype="float64"),
        }
    ).astype(
        {
            "seats": "Float64",
            "cost_per_seat_month": "Float64",
            "currency": "string",
            "seats_assigned": "Float64",
        }
    )
    if cost is None and len(out):
        for path, edition in zip(where, wide.index, strict=True):
            ctx.collector.add(
                Problem(
                    ctx.name,
                    f"the Google report gives the seats of {edition} but no price: give cost_per_seat_month "
                    "and currency in the source's mapping (e.g. {cost_per_seat_month: 6.0, currency: EUR}), or use a "
                    "licence inventory file",
                    column=f"{path}.parameters[name=accounts:{edition}_total_licenses]",
                )
            )
        out = mark(out, [(pd.Series(True, index=out.index), "no price per seat")], csv_rows=False)
    return out


FORMATS = [GoogleWorkspace()]
