"""Microsoft 365 usage report downloads (Graph `reports/get*UserDetail` CSV, or the admin centre's export).

One row per user; `Last Activity Date` is the last day the user did something with the product in the
report's period. CONTRACTS: daily reports count as activity on that date, so each user with a date gives one
usage row on that day (midnight in the audit's zone, `count` 1, `action` `last_activity`); users without a
date were not active and give no row. Downloading the report per day (`(date=YYYY-MM-DD)`) gives every
active day; a D7/D30/D90 download gives only each user's last active day.

Which report a file is comes from its columns (the file name is not trusted): Teams -> `teams`, Email ->
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
from tasks.ingest.formats._usage_common import (
    UTC_NS,
    blank,
    collect_bad_rows,
    day_start,
    empty_usage,
    head_text,
    read_table,
    slug_series,
    usage_frame,
)

DATE_RE = r"^\d{4}-\d{2}-\d{2}$"

# report signature (normalised column that only this report has) -> tool; checked in this order
SINGLE_PRODUCT = (
    ("teamchatmessagecount", "teams"),
    ("privatechatmessagecount", "teams"),
    ("postedcount", "yammer"),
    ("sendcount", "exchange"),
    ("visitedpagecount", "sharepoint"),
    ("viewedoreditedfilecount", "onedrive"),
    ("outlookwindows", "microsoft-365-apps"),
)
# Office 365 active users: product prefix of "<P> Last Activity Date" / "Has <P> License" -> tool
ACTIVE_USER_PRODUCTS = {
    "exchange": "exchange", "onedrive": "onedrive", "sharepoint": "sharepoint",
    "skypeforbusiness": "skype-for-business", "yammer": "yammer", "teams": "teams",
}


def norm(header: str) -> str:
    """`Last Activity Date (UTC)` and `lastActivityDate` -> `lastactivitydate`: one key per column meaning."""
    text = re.sub(r"\(utc\)", "", str(header).casefold())
    return re.sub(r"[^0-9a-z]", "", text)


class M365:
    name = "m365"
    kinds = ("usage", "assignments")

    def sniff(self, head: bytes, name: str) -> float:
        first = head_text(head).split("\n", 1)[0]
        cols = {norm(c) for c in first.split(",")}
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
                raise DataError(Problem(
                    ctx.name,
                    "is a Microsoft 365 counts report (daily totals without users): it cannot give active users, "
                    "DAU or MAU; download the matching 'user detail' report (e.g. TeamsUserActivityUserDetail) "
                    "instead, or leave this file out",
                    row=1, column="Report Date"))
            raise DataError(Problem(ctx.name, "expected a Microsoft 365 user detail report with a "
                                    "'User Principal Name' column", row=1, column="User Principal Name"))
        user = raw[keys["userprincipalname"]].astype("string").str.strip()
        if "lastactivateddate" in keys and "producttype" in keys:
            return {"assignments": _activations(ctx, raw, keys, user)}
        if any(f"{p}lastactivitydate" in keys for p in ACTIVE_USER_PRODUCTS):
            return _active_users(ctx, raw, keys, user)
        if "lastactivitydate" not in keys:
            raise DataError(Problem(ctx.name, "expected a 'Last Activity Date' column in a Microsoft 365 "
                                    "user detail report", row=1, column="Last Activity Date"))
        tool = ctx.tool or next((t for sig, t in SINGLE_PRODUCT if sig in keys), None)
        if tool is None:
            raise DataError(Problem(
                ctx.name, "is a Microsoft 365 user detail report of a product this format does not know: "
                "name the tool (`tool:` of the source in the config)", row=1, column="Last Activity Date"))
        usage = _last_activity(ctx, user, raw[keys["lastactivitydate"]], keys["lastactivitydate"], tool)
        return {"usage": usage}


def _checked_dates(ctx: ReadContext, values: pd.Series, column: str) -> pd.Series:
    """The non-empty cells of a date column, each checked against YYYY-MM-DD (bad ones reported by row)."""
    text = values.astype("string").str.strip()
    present = ~blank(text)
    bad = present & ~text.str.match(DATE_RE).fillna(False).astype(bool)
    if bad.any():
        collect_bad_rows(ctx, bad, column, "a date YYYY-MM-DD (as Microsoft 365 writes it) or an empty cell", text)
    return present & ~bad


def _missing_user(ctx: ReadContext, user: pd.Series, used: pd.Series) -> pd.Series:
    """Rows that carry a date but no user are reported; the rest go on."""
    missing = used & blank(user)
    if missing.any():
        collect_bad_rows(ctx, missing, "User Principal Name", "a user principal name (or concealed name)", user)
    return used & ~missing


def _last_activity(ctx: ReadContext, user: pd.Series, dates: pd.Series, column: str, tool: str) -> pd.DataFrame:
    ok = _missing_user(ctx, user, _checked_dates(ctx, dates, column))
    if not ok.any():
        return empty_usage()
    return usage_frame(tool, user[ok], day_start(dates[ok].astype("string").str.strip(), ctx.timezone),
                       "last_activity").reset_index(drop=True)


def _active_users(ctx: ReadContext, raw: pd.DataFrame, keys: dict[str, str], user: pd.Series) -> dict:
    """Office 365 active users detail: one usage row per product with a date, assignments per licence held."""
    usage, held = [], []
    for prefix, tool in ACTIVE_USER_PRODUCTS.items():
        date_key = f"{prefix}lastactivitydate"
        if date_key in keys:
            usage.append(_last_activity(ctx, user, raw[keys[date_key]], keys[date_key], tool))
        flag_key = f"has{prefix}license"
        if flag_key in keys:
            flag = raw[keys[flag_key]].astype("string").str.strip().str.casefold().isin(["true", "yes"])
            flag = flag.fillna(False).astype(bool) & ~blank(user)
            assign_key = f"{prefix}licenseassigndate"
            assigned = pd.Series(pd.NaT, index=raw.index, dtype=UTC_NS)
            if assign_key in keys:
                ok = _checked_dates(ctx, raw[keys[assign_key]], keys[assign_key])
                assigned = assigned.mask(ok, day_start(raw[keys[assign_key]].astype("string").str.strip(), ctx.timezone))
            held.append(pd.DataFrame({"tool": tool, "user": user[flag], "assigned_at": assigned[flag]}))
    out = {"usage": pd.concat(usage, ignore_index=True) if usage else empty_usage()}
    if held:
        out["assignments"] = pd.concat(held, ignore_index=True).astype(
            {"tool": "string", "user": "string", "assigned_at": UTC_NS})
    return out


def _activations(ctx: ReadContext, raw: pd.DataFrame, keys: dict[str, str], user: pd.Series) -> pd.DataFrame:
    """Office 365 activations: who holds which Office apps product (assignments; activation is not use)."""
    product = raw[keys["producttype"]].astype("string").str.strip()
    bad = ~blank(user) & blank(product)
    if bad.any():
        collect_bad_rows(ctx, bad, keys["producttype"], "a product type such as MICROSOFT 365 APPS FOR ENTERPRISE", product)
    ok = ~blank(user) & ~blank(product)
    _checked_dates(ctx, raw[keys["lastactivateddate"]], keys["lastactivateddate"])
    tool = pd.Series(ctx.tool, index=raw.index) if ctx.tool else slug_series(product)
    return pd.DataFrame({"tool": tool[ok], "user": user[ok]}).astype("string").reset_index(drop=True)


FORMATS = [M365()]
