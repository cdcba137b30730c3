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
    blank,
    collect_bad,
    empty_usage,
    head_text,
    iso_utc,
    load_json,
    mark,
    note,
    refuse,
    require_objects,
    slug_series,
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
            keys = ", ".join(sorted(map(str, events))[:8]) if isinstance(events, dict) else type(events).__name__
            refuse(ctx, f"is not {EXPECTED}: the top level is not an array (found {keys})")
        require_objects(ctx, events, "")
        if not events:
            return {"usage": empty_usage()}
        missing = [i for i, e in enumerate(events[:50]) if "eventType" not in e or "published" not in e]
        if len(missing) == min(len(events), 50):
            refuse(ctx, f"is not {EXPECTED}: item [0] has no 'eventType'/'published'", column="[0]")
        flat = pd.json_normalize(events, max_level=1)
        return {"usage": to_usage(ctx, flat, pd.Series([e.get("target") for e in events]))}


def _apps(targets: pd.Series) -> pd.Series:
    """The display name of each event's first AppInstance target (NA when it has none), vectorised."""
    exploded = targets.explode().dropna()
    exploded = exploded[exploded.map(lambda t: isinstance(t, dict))]
    if exploded.empty:
        return pd.Series(pd.NA, index=targets.index, dtype="string")
    found = pd.json_normalize(exploded.tolist()).reindex(columns=["type", "displayName"]).set_index(exploded.index)
    found = found[found["type"] == "AppInstance"]
    first = found.groupby(level=0)["displayName"].first()
    return first.reindex(targets.index).astype("string")


def to_usage(ctx: ReadContext, flat: pd.DataFrame, targets: pd.Series) -> pd.DataFrame:
    col = lambda name: flat[name] if name in flat else pd.Series(pd.NA, index=flat.index)  # noqa: E731
    person = (col("actor.type").astype("string").fillna("User") == "User").astype(bool)
    outcome = col("outcome.result").astype("string").str.upper()
    failed = outcome.isin(REFUSED_OUTCOMES).fillna(False).astype(bool)
    counted = person & ~failed
    user = col("actor.alternateId").astype("string").str.strip()
    no_user = counted & blank(user)
    if no_user.any():
        collect_bad(ctx, no_user, "", "actor.alternateId", "the actor's login (alternateId)", col("actor.alternateId"))
    at = iso_utc(col("published"))
    bad_at = counted & at.isna()
    if bad_at.any():
        collect_bad(ctx, bad_at, "", "published", "an ISO 8601 time such as 2021-01-26T19:09:43.425Z", col("published"))
    app = slug_series(_apps(targets))
    tool = app.mask(app.isna() | (app == ""), ctx.tool or "okta")
    dropped_people, dropped_failed = int((~person).sum()), int((person & failed).sum())
    if dropped_people or dropped_failed:
        note(ctx, f"{dropped_failed} failed or denied event(s) and {dropped_people} event(s) by non-person actors "
             "were not counted as use")
    frame = usage_frame(tool, user, at, col("eventType").astype("string"))
    frame = mark(frame, [(no_user, "no actor.alternateId"), (bad_at, "bad published time")], csv_rows=False)
    return frame[counted.to_numpy()].reset_index(drop=True)


FORMATS = [Okta()]
