"""Microsoft 365 usage report downloads (Graph `reports/get*UserDetail` CSV, or the admin centre's export).

One row per user; `Last Activity Date` is the last day the user did something with the product in the
report's period. CONTRACTS: daily reports count as activity on that date, so each user with a date gives one
usage row on that day (midnight in the audit's zone, `count` 1, `action` `last_activity`); users without a
date were not active and give no row. Downloading the report per day (`(date=YYYY-MM-DD)`) gives every
active day; a D7/D30/D90 download gives only each user's last active day.

Which report a file is comes from its columns (the file name is not trusted): Teams (activity or device
usage) -> `teams`, Email (activity or app usage) ->
`exchange` (Microsoft counts only sent/read mail as email activity, not received mail), OneDrive ->
`onedrive`, SharePoint -> `sharepoint`, Yammer -> `yammer`, Microsoft 365 Apps -> `microsoft-365-apps`;
`Office 365 active users` gives one usage row per product and date, and `assignments` for the products
whose licence is held. `ctx.tool` renames the tool of a single-product report.

`Office365ActivationsUserDetail` lists who holds an Office apps licence (per product type) and when they
last installed it: it yields `assignments` (tool = the product type as a key), not usage, because
installing Office is not using it. The `...UserCounts` / `...ActivityCounts` reports are daily totals
without users: they cannot give active users, DAU or MAU, so they are refused with a message saying which
report to download instead.

Concealed names (the tenant setting that replaces user names by hashes) pass through as the user key.
Display names and the other person data of these files are not returned.
"""

from __future__ import annotations

import re

import pandas as pd

from auditbridge.errors import DataError, Problem
from tasks.ingest.base import ReadContext
from tasks.ingest.dates import parse_datetime_columns
from tasks.ingest.formats._usage_common import (
    UTC_NS,
    blank,
    collect_bad_rows,
    empty_usage,
    head_text,
    mark,
    note,
    read_table,
    slug_series,
    usage_frame,
)
from tasks.ingest.readers import PROBLEM, ROW, header_fields, sniff_delimiter, with_rows

# report signature (normalised column that only this report has) -> tool; checked in this order
SINGLE_PRODUCT = (
    ("teamchatmessagecount", "teams"),
    ("privatechatmessagecount", "teams"),
    ("postedcount", "yammer"),
    ("sendcount", "exchange"),
    ("visitedpagecount", "sharepoint"),
    ("viewedoreditedfilecount", "onedrive"),
    ("outlookwindows", "microsoft-365-apps"),
    ("usedweb", "teams"),  # Teams device usage
    ("outlookformac", "exchange"),  # Email app usage
    ("mailformac", "exchange"),
)
# Office 365 active users: product prefix of "<P> Last Activity Date" / "Has <P> License" -> tool
ACTIVE_USER_PRODUCTS = {
    "exchange": "exchange",
    "onedrive": "onedrive",
    "sharepoint": "sharepoint",
    "skypeforbusiness": "skype-for-business",
    "yammer": "yammer",
    "teams": "teams",
}


def norm(header: str) -> str:
    """`Last Activity Date (UTC)` and `lastActivityDate` -> `lastactivitydate`: one key per column meaning."""
    text = re.sub(r"\(utc\)", "", str(header).casefold())
    return re.sub(r"[^0-9a-z]", "", text)


class M365:
    name = "m365"
    kinds = ("usage", "assignments")

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head)
        if not text or text[0] in "{[":
            return 0.0
        cols = {norm(c) for c in header_fields(text, sniff_delimiter(text))}
        if "reportrefreshdate" in cols and ("userprincipalname" in cols or "reportdate" in cols):
            return 0.95
        if "userprincipalname" in cols and ("lastactivitydate" in cols or "lastactivateddate" in cols):
            return 0.8
        return 0.0

    def read(self, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        raw = read_table(ctx)
        keys = {norm(c): c for c in raw.columns}
        if "userprincipalname" not in keys:
            if "reportdate" in keys:
                raise DataError(
                    Problem(
                        ctx.name,
                        "is a Microsoft 365 counts report (daily totals without users): it cannot give active users, "
                        "DAU or MAU; download the matching 'user detail' report (e.g. TeamsUserActivityUserDetail) "
                        "instead, or leave this file out",
                        row=1,
                        column="Report Date",
                    )
                )
            raise DataError(
                Problem(
                    ctx.name,
                    "expected a Microsoft 365 user detail report with a 'User Principal Name' column",
                    row=1,
                    column="User Principal Name",
                )
            )
        user = raw[keys["userprincipalname"]].astype("string").str.strip()
        if "lastactivateddate" in keys and "producttype" in keys:
            return {"assignments": _activations(ctx, raw, keys, user)}
        if any(f"{p}lastactivitydate" in keys for p in ACTIVE_USER_PRODUCTS):
            return _active_users(ctx, raw, keys, user)
        if "lastactivitydate" not in keys:
            raise DataError(
                Problem(
                    ctx.name,
                    "expected a 'Last Activity Date' column in a Microsoft 365 user detail report",
                    row=1,
                    column="Last Activity Date",
                )
            )
        tool = ctx.tool or next((t for sig, t in SINGLE_PRODUCT if sig in keys), None)
        if tool is None:
            raise DataError(
                Problem(
                    ctx.name,
                    "is a Microsoft 365 user detail report of a product this format does not know: "
                    "name the tool (`tool:` of the source in the config)",
                    row=1,
                    column="Last Activity Date",
                )
            )
        parsed = _parse_dates(ctx, raw, [keys["lastactivitydate"]])
        usage = _last_activity(ctx, parsed, raw, user, keys["lastactivitydate"], tool)
        _period_note(ctx, raw, keys)
        return {"usage": usage.reset_index(drop=True)}


def _parse_dates(ctx: ReadContext, raw: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Date columns through the project's date reader: `2021-01-21` as Microsoft writes it, and `21/01/2021` once
    Excel has re-saved the file. A day means midnight in the audit's zone (UTC when none is given). Unreadable
    cells are reported (row, column, expected shape) and their rows flagged for refusal or quarantine."""
    present = [c for c in columns if c in raw.columns]
    if not present:
        return with_rows(raw)
    parsed, _ = parse_datetime_columns(ctx, raw, present, timezone=ctx.timezone or "UTC")
    return with_rows(parsed)


def _last_activity(
    ctx: ReadContext, parsed: pd.DataFrame, raw: pd.DataFrame, user: pd.Series, column: str, tool: str
) -> pd.DataFrame:
    """One usage row per user with a date; rows with a bad date or no user are kept, marked as problems."""
    present = ~blank(raw[column])
    no_user = present & blank(user)
    if no_user.any():
        collect_bad_rows(
            ctx,
            no_user,
            user.name or "User Principal Name",
            "a user principal name (or concealed name)",
            user,
        )
    if not present.any():
        return empty_usage()
    frame = usage_frame(tool, user[present], parsed[column][present], "last_activity")
    frame = frame.assign(**{ROW: parsed[ROW][present], PROBLEM: parsed[PROBLEM][present]})
    return mark(frame, [(no_user, "no user principal name")], csv_rows=True)


def _active_users(ctx: ReadContext, raw: pd.DataFrame, keys: dict[str, str], user: pd.Series) -> dict:
    """Office 365 active users detail: one usage row per product with a date, assignments per licence held."""
    dated = [keys[k] for k in keys if k.endswith("lastactivitydate") or k.endswith("licenseassigndate")]
    parsed = _parse_dates(ctx, raw, dated)
    usage, held = [], []
    for prefix, tool in ACTIVE_USER_PRODUCTS.items():
        date_key = f"{prefix}lastactivitydate"
        if date_key in keys:
            usage.append(_last_activity(ctx, parsed, raw, user, keys[date_key], tool))
        flag_key = f"has{prefix}license"
        if flag_key in keys:
            flag = raw[keys[flag_key]].astype("string").str.strip().str.casefold().isin(["true", "yes"])
            flag = flag.fillna(False).astype(bool) & ~blank(user)
            assign_key = keys.get(f"{prefix}licenseassigndate")
            assigned = parsed[assign_key] if assign_key else pd.Series(pd.NaT, index=raw.index, dtype=UTC_NS)
            held.append(
                pd.DataFrame(
                    {
                        "tool": tool,
                        "user": user[flag],
                        "assigned_at": assigned[flag],
                        ROW: parsed[ROW][flag],
                        PROBLEM: parsed[PROBLEM][flag],
                    }
                )
            )
    out = {"usage": pd.concat(usage, ignore_index=True) if usage else empty_usage()}
    if held:
        out["assignments"] = pd.concat(held, ignore_index=True).astype(
            {"tool": "string", "user": "string", "assigned_at": UTC_NS}
        )
    _period_note(ctx, raw, keys)
    return out


def _activations(ctx: ReadContext, raw: pd.DataFrame, keys: dict[str, str], user: pd.Series) -> pd.DataFrame:
    """Office 365 activations: who holds which Office apps product (assignments; activation is not use)."""
    product = raw[keys["producttype"]].astype("string").str.strip()
    bad = ~blank(user) & blank(product)
    if bad.any():
        collect_bad_rows(
            ctx, bad, keys["producttype"], "a product type such as MICROSOFT 365 APPS FOR ENTERPRISE", product
        )
    keep = ~blank(user)
    _parse_dates(ctx, raw, [keys["lastactivateddate"]])  # checked (and reported) though not returned
    tool = pd.Series(ctx.tool, index=raw.index) if ctx.tool else slug_series(product)
    frame = pd.DataFrame({"tool": tool[keep], "user": user[keep]}).astype("string")
    note(
        ctx,
        "an Office activations report: read as who holds each Office apps product (assignments); "
        "installing Office is not counted as using it",
    )
    return mark(frame, [(bad, "no product type")], csv_rows=True).reset_index(drop=True)


def _period_note(ctx: ReadContext, raw: pd.DataFrame, keys: dict[str, str]) -> None:
    """Say when a file is a D7/D30/D90... download: it shows each user's last active day only."""
    if "reportperiod" not in keys:
        return
    # one or two distinct values in a file of any length: parse those, not every row
    days = pd.to_numeric(pd.Series(raw[keys["reportperiod"]].dropna().unique()), errors="coerce").dropna()
    if len(days) and days.max() > 1:
        note(
            ctx,
            f"a {int(days.max())}-day Microsoft 365 report gives each user's LAST active day only; download "
            "the report per day (date=YYYY-MM-DD) for daily, weekly and monthly active users",
        )


FORMATS = [M365()]
