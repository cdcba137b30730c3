"""Slack access logs: the `team.accessLogs` API response (`{"ok": true, "logins": [...]}`).

Each item aggregates `count` logins of one user from one IP and client between `date_first` and
`date_last` (Unix epoch seconds). Both instants are known activity, so an item gives one usage row at
`date_first` (count 1) and, when `date_last` differs, one at `date_last` carrying the other `count - 1`
logins (at least 1): the total of `count` is kept and both active days are seen.

`user` is the login (`username`), `tool` is `slack` (or `ctx.tool`), `action` says which client signed in,
derived from the user agent without keeping it: `login-web` (SlackWeb), `login-app` (desktop and mobile
apps), `login-api` (API apps such as Postman, which an activity rule may want to exclude), `login` otherwise.
IP, ISP, country, region and user agent are person data and are not returned.
"""

from __future__ import annotations

import pandas as pd

from tasks.ingest.base import ReadContext
from tasks.ingest.formats._usage_common import (
    blank,
    collect_bad,
    empty_usage,
    head_text,
    item_list,
    load_json,
    mark,
    note,
    refuse,
    require_objects,
    usage_frame,
)

EXPECTED = 'a Slack team.accessLogs API response ({"ok": true, "logins": [...]})'
CLIENTS = (
    ("SlackWeb", "login-web"),
    ("ApiApp", "login-api"),
    ("slack/", "login-app"),
    ("Slack/", "login-app"),
)


class Slack:
    name = "slack"
    kinds = ("usage",)

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head)
        if text.startswith("{") and '"logins"' in text and '"date_first"' in text:
            return 0.95
        return 0.0

    def read(self, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        doc = load_json(ctx, EXPECTED)
        if isinstance(doc, dict) and doc.get("ok") is False:
            refuse(
                ctx, f"is a Slack error response (error {doc.get('error')!r}), not access logs", column="ok"
            )
        logins = item_list(ctx, doc, "logins", EXPECTED)
        require_objects(ctx, logins, "logins")
        paging = doc.get("paging") if isinstance(doc.get("paging"), dict) else {}
        page, pages = pd.to_numeric(
            pd.Series([paging.get("page"), paging.get("pages")]), errors="coerce"
        ).fillna(1)
        if pages > page:
            note(
                ctx,
                f"page {paging.get('page')} of {paging.get('pages')} of the Slack access logs: the other pages "
                "are missing from this file",
            )
        if not logins:
            return {"usage": empty_usage()}
        items = pd.DataFrame.from_records(
            logins, columns=["username", "date_first", "date_last", "count", "user_agent"]
        )
        return {"usage": to_usage(ctx, items)}


def _epoch(ctx: ReadContext, items: pd.DataFrame, field: str) -> pd.Series:
    raw = items[field]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() | (num <= 0)
    if bad.any():
        collect_bad(ctx, bad, "logins", field, "Unix epoch seconds (an integer such as 1611733994)", raw)
    return pd.to_datetime(num.where(~bad), unit="s", utc=True)


def to_usage(ctx: ReadContext, items: pd.DataFrame) -> pd.DataFrame:
    """Login items -> usage rows (vectorised); bad items are reported by index and field, the rest kept."""
    user = items["username"].astype("string").str.strip()
    no_user = blank(user)
    if no_user.any():
        collect_bad(ctx, no_user, "logins", "username", "the user's login name", items["username"])
    first, last = _epoch(ctx, items, "date_first"), _epoch(ctx, items, "date_last")
    count = pd.to_numeric(items["count"], errors="coerce")
    bad_count = count.isna() | (count < 1)
    if bad_count.any():
        collect_bad(ctx, bad_count, "logins", "count", "a number of logins of at least 1", items["count"])
    order = last.notna() & first.notna() & (last < first)
    if order.any():
        collect_bad(ctx, order, "logins", "date_last", "a time at or after date_first", items["date_last"])
    ok = ~no_user & first.notna() & last.notna() & ~bad_count & ~order
    agent = items["user_agent"].astype("string").fillna("")
    action = pd.Series("login", index=items.index, dtype="string")
    for prefix, name in reversed(CLIENTS):
        action = action.mask(agent.str.startswith(prefix), name)
    tool = ctx.tool or "slack"
    second = ok & (last > first)
    firsts = mark(
        usage_frame(tool, user, first, action, count.where(~second, 1)),
        [
            (no_user, "no username"),
            (first.isna(), "bad date_first"),
            (last.isna(), "bad date_last"),
            (bad_count, "bad count"),
            (order, "date_last before date_first"),
        ],
        csv_rows=False,
    )
    lasts = mark(
        usage_frame(tool, user[second], last[second], action[second], (count[second] - 1).clip(lower=1)),
        [],
        csv_rows=False,
    )
    return pd.concat([firsts, lasts]).sort_index(kind="stable").reset_index(drop=True)


FORMATS = [Slack()]
