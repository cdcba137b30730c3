"""Zoom sign-in/sign-out activity report: the `GET /report/activities` API response.

`{"activity_logs": [{email, time, type, client_type, ...}], "from", "to", "page_size", ...}`. One usage row
per item: `user` is the e-mail address, `at` the item's `time` (UTC), `action` the type as a key
(`sign-in`, `sign-out`), `tool` `zoom` (or `ctx.tool`). IP addresses are not returned.
"""

from __future__ import annotations

import pandas as pd

from tasks.ingest.base import ReadContext
from tasks.ingest.formats._usage_common import (
    blank,
    collect_bad,
    empty_usage,
    head_text,
    iso_utc,
    item_list,
    load_json,
    mark,
    note,
    require_objects,
    slug_series,
    usage_frame,
)

EXPECTED = 'a Zoom report/activities API response ({"activity_logs": [...]})'


class Zoom:
    name = "zoom"
    kinds = ("usage",)

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head)
        return 0.95 if text.startswith("{") and '"activity_logs"' in text else 0.0

    def read(self, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        doc = load_json(ctx, EXPECTED)
        logs = item_list(ctx, doc, "activity_logs", EXPECTED)
        require_objects(ctx, logs, "activity_logs")
        if doc.get("next_page_token"):
            note(
                ctx,
                f"one page of a longer Zoom report ({len(logs)} of {doc.get('total_records', 'more')} records): "
                "save every page (next_page_token) to count all sign-ins",
            )
        if not logs:
            return {"usage": empty_usage()}
        items = pd.DataFrame.from_records(logs, columns=["email", "time", "type"])
        return {"usage": to_usage(ctx, items)}


def to_usage(ctx: ReadContext, items: pd.DataFrame) -> pd.DataFrame:
    user = items["email"].astype("string").str.strip()
    no_user = blank(user)
    if no_user.any():
        collect_bad(ctx, no_user, "activity_logs", "email", "the user's e-mail address", items["email"])
    at = iso_utc(items["time"])
    bad_at = at.isna()
    if bad_at.any():
        collect_bad(
            ctx,
            bad_at,
            "activity_logs",
            "time",
            "an ISO 8601 time such as 2021-01-25T14:39:42Z",
            items["time"],
        )
    action = slug_series(items["type"])
    action = action.mask(action.isna() | (action == ""), "activity")
    frame = usage_frame(ctx.tool or "zoom", user, at, action)
    return mark(frame, [(no_user, "no email"), (bad_at, "bad time")], csv_rows=False).reset_index(drop=True)


FORMATS = [Zoom()]
