"""Okta System Log: the `GET /api/v1/logs` API response (a JSON array of LogEvent objects).

Okta sits in front of the other SaaS tools, so its log says who used which application: an event whose
`target` holds an `AppInstance` is usage of that application (`tool` = the application's display name as a
key, e.g. `Okta Admin Console` -> `okta-admin-console`); other events (sign-in to Okta itself, profile
changes...) are usage of `okta` (or of `ctx.tool` when given).

`user` is `actor.alternateId` (the login, usually the e-mail address), `at` is `published` (UTC), `action`
the `eventType`. Only events whose actor is a person (`actor.type` `User`) and whose outcome is not a
failure count: a refused sign-in is not use of the tool (`outcome.result` FAILURE, DENY, ... are dropped;
SUCCESS, ALLOW, UNKNOWN and missing outcomes are kept). IP, geo, user agent and display names are not
returned.
"""

from __future__ import annotations

import pandas as pd

from tasks.ingest.base import ReadContext
from tasks.ingest.formats._usage_common import (
    arrow_items,
    blank,
    collect_bad,
    empty_usage,
    field,
    head_text,
    iso_utc,
    load_json,
    mark,
    note,
    refuse,
    require_objects,
    slug_series,
    text_series,
    usage_frame,
)

EXPECTED = "an Okta System Log API response (a JSON array of events with 'published', 'eventType', 'actor')"
REFUSED_OUTCOMES = ("FAILURE", "DENY", "CHALLENGE", "REJECT", "ABORT")


class Okta:
    name = "okta"
    kinds = ("usage",)

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head)
        if text.startswith("[") and '"eventType"' in text and '"published"' in text:
            return 0.95
        return 0.0

    def read(self, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        events = load_json(ctx, EXPECTED)
        if not isinstance(events, list):
            keys = (
                ", ".join(sorted(map(str, events))[:8]) if isinstance(events, dict) else type(events).__name__
            )
            refuse(ctx, f"is not {EXPECTED}: the top level is not an array (found {keys})")
        require_objects(ctx, events, "")
        if not events:
            return {"usage": empty_usage()}
        arr = arrow_items(ctx, events, "")
        if field(arr, "eventType").null_count == len(arr) or field(arr, "published").null_count == len(arr):
            refuse(ctx, f"is not {EXPECTED}: no item has 'eventType' and 'published'", column="[0]")
        return {"usage": to_usage(ctx, arr)}


def _apps(arr) -> pd.Series:
    """The display name of each event's first AppInstance target (NA when it has none), column-wise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    targets = field(arr, "target")
    if not (pa.types.is_list(targets.type) and pa.types.is_struct(targets.type.value_type)):
        return pd.Series(pd.NA, index=range(len(arr)), dtype="string")
    flat = pc.list_flatten(targets)
    found = pd.DataFrame(
        {
            "event": pc.list_parent_indices(targets).to_numpy(),
            "type": text_series(field(flat, "type")),
            "name": text_series(field(flat, "displayName")),
        }
    )
    first = found[found["type"] == "AppInstance"].groupby("event")["name"].first()
    return first.reindex(range(len(arr))).astype("string")


def to_usage(ctx: ReadContext, arr) -> pd.DataFrame:
    """Events (an Arrow struct array) -> usage rows; only people's events that did not fail count."""
    person = (text_series(field(arr, "actor", "type")).fillna("User") == "User").astype(bool)
    outcome = text_series(field(arr, "outcome", "result")).str.upper()
    failed = outcome.isin(REFUSED_OUTCOMES).fillna(False).astype(bool)
    counted = person & ~failed
    raw_user = text_series(field(arr, "actor", "alternateId"))
    user = raw_user.str.strip()
    no_user = counted & blank(user)
    if no_user.any():
        collect_bad(ctx, no_user, "", "actor.alternateId", "the actor's login (alternateId)", raw_user)
    published = text_series(field(arr, "published"))
    at = iso_utc(published)
    bad_at = counted & at.isna()
    if bad_at.any():
        collect_bad(
            ctx, bad_at, "", "published", "an ISO 8601 time such as 2021-01-26T19:09:43.425Z", published
        )
    app = slug_series(_apps(arr))
    tool = app.mask(app.isna() | (app == ""), ctx.tool or "okta")
    dropped_people, dropped_failed = int((~person).sum()), int((person & failed).sum())
    if dropped_people or dropped_failed:
        note(
            ctx,
            f"{dropped_failed} failed or denied event(s) and {dropped_people} event(s) by non-person actors "
            "were not counted as use",
        )
    frame = usage_frame(tool, user, at, text_series(field(arr, "eventType")))
    frame = mark(frame, [(no_user, "no actor.alternateId"), (bad_at, "bad published time")], csv_rows=False)
    return frame[counted.to_numpy()].reset_index(drop=True)


FORMATS = [Okta()]
