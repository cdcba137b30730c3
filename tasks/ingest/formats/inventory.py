"""`inventory`: licence inventories, seat assignments and staff directories as people really keep them.

The `generic` format already reads these three kinds when the file uses the canonical column names; this
format reads the common variants instead: English and French headers (`Application`, `Nb licences`,
`Prix unitaire`, `Devise`; `Email`, `User Principal Name`, `Service`, `Date d'entrée`), Microsoft Entra and
Google Workspace user exports (`userPrincipalName`, `department`, `accountEnabled`; `Email Address
[Required]`, `Status [READ ONLY]`), prices written `12,50 €` or `€12.50`, yearly prices (divided by 12),
booleans as `Oui`/`Active`/`Enabled`. Its sniffer steps aside (score 0) when the header is already canonical.

The kind comes from the columns (or `--kind`): a tool and a seat count -> `licences`; a tool and a user ->
`assignments`; a user and a department -> `directory`. Tool names become keys as the usage formats write
them (`Microsoft Teams` -> `microsoft-teams`, `Slack` -> `slack`). Only the canonical columns are returned:
names, job titles and other person data in a directory export do not travel.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from auditbridge.datasets import SCHEMAS
from auditbridge.errors import DataError, Problem
from tasks.ingest.base import ReadContext
from tasks.ingest.dates import parse_datetime_columns
from tasks.ingest.formats._usage_common import blank, collect_bad_rows, note, slug_series
from tasks.ingest.readers import (
    ROW,
    flag_rows,
    head_text,
    header_fields,
    label_of,
    labelled,
    read_delimited,
    sniff_delimiter,
)

# canonical column -> header keys (lower case, accents and non-alphanumerics removed) that mean it
VARIANTS: dict[str, tuple[str, ...]] = {
    "tool": (
        "tool",
        "tools",
        "application",
        "app",
        "applicationname",
        "appname",
        "software",
        "logiciel",
        "outil",
        "product",
        "productname",
        "produit",
        "service_name",
        "saas",
        "licence",
        "license",
        "licencename",
        "licensename",
        "sku",
        "skuname",
        "subscription",
        "abonnement",
        "nomdelapplication",
    ),
    "seats": (
        "seats",
        "seat",
        "licences",
        "licenses",
        "nblicences",
        "nblicenses",
        "nombredelicences",
        "numberoflicences",
        "numberoflicenses",
        "quantity",
        "quantite",
        "qty",
        "purchased",
        "purchasedseats",
        "seatspurchased",
        "totallicences",
        "totallicenses",
        "totalseats",
        "sieges",
        "licencesachetees",
        "licencespurchased",
        "licensespurchased",
    ),
    "cost_per_seat_month": (
        "costperseatmonth",
        "costperseatpermonth",
        "monthlycostperseat",
        "costpermonth",
        "monthlyprice",
        "pricepermonth",
        "priceperseat",
        "pricepermonthperseat",
        "unitprice",
        "costperlicence",
        "costperlicense",
        "priceperuser",
        "priceperlicence",
        "pricepermonthuser",
        "prixunitaire",
        "prixmensuel",
        "coutmensuel",
        "prixparlicence",
        "coutparlicence",
        "prixparutilisateur",
        "coutparsiege",
        "prixparsiege",
        "coutmensuelparlicence",
    ),
    "cost_per_seat_year": (
        "costperseatyear",
        "costperseatperyear",
        "annualcostperseat",
        "annualprice",
        "yearlyprice",
        "priceperyear",
        "costperyear",
        "prixannuel",
        "coutannuel",
        "prixannuelparlicence",
        "coutannuelparlicence",
    ),
    "currency": ("currency", "devise", "monnaie", "cur", "ccy"),
    "user": (
        "user",
        "users",
        "email",
        "mail",
        "emailaddress",
        "emailaddressrequired",
        "userprincipalname",
        "upn",
        "login",
        "username",
        "userid",
        "utilisateur",
        "courriel",
        "adressemail",
        "adresseemail",
        "adressemel",
        "member",
        "primaryemail",
        "identifiant",
    ),
    "department": (
        "department",
        "dept",
        "departement",
        "service",
        "team",
        "equipe",
        "division",
        "businessunit",
        "direction",
        "pole",
        "employeedepartment",
        "departmentname",
    ),
    "active": ("active", "enabled", "accountenabled", "actif", "status", "statut", "statusreadonly", "etat"),
    "start_date": (
        "startdate",
        "hiredate",
        "employeehiredate",
        "datedentree",
        "dateentree",
        "datedembauche",
        "dateembauche",
        "arrivaldate",
        "joined",
        "joindate",
        "datedarrivee",
    ),
    "end_date": (
        "enddate",
        "leavedate",
        "terminationdate",
        "employeeleavedatetime",
        "datedesortie",
        "datesortie",
        "departuredate",
        "datededepart",
        "leftdate",
    ),
    "assigned_at": (
        "assignedat",
        "assigned",
        "assigneddate",
        "assignmentdate",
        "dateassigned",
        "assignedon",
        "licenseassigndate",
        "licenceassigndate",
        "dateattribution",
        "datedattribution",
        "attribuele",
        "startdate",
        "since",
    ),
    "unassigned_at": (
        "unassignedat",
        "unassigned",
        "unassigneddate",
        "removeddate",
        "removedon",
        "revokedat",
        "revokeddate",
        "dateretrait",
        "datederetrait",
        "retirele",
        "enddate",
        "until",
    ),
}
KIND_COLUMNS = {
    "licences": ("tool", "seats", "cost_per_seat_month", "cost_per_seat_year", "currency"),
    "assignments": ("tool", "user", "assigned_at", "unassigned_at"),
    "directory": ("user", "department", "active", "start_date", "end_date"),
}
TRUE_WORDS = (
    "true",
    "yes",
    "y",
    "1",
    "oui",
    "o",
    "vrai",
    "active",
    "actif",
    "enabled",
    "enable",
    "activated",
)
FALSE_WORDS = (
    "false",
    "no",
    "n",
    "0",
    "non",
    "faux",
    "inactive",
    "inactif",
    "disabled",
    "disable",
    "suspended",
    "suspendu",
    "archived",
    "archive",
    "deleted",
    "blocked",
    "bloque",
)
SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}


def header_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^0-9a-z]", "", text)


def match_columns(headers: list[str], kind: str | None = None) -> dict[str, str]:
    """canonical column -> the first header that means it (restricted to `kind`'s columns when given)."""
    keys = {}
    for h in headers:
        keys.setdefault(header_key(h), h)
    wanted = KIND_COLUMNS[kind] if kind else tuple(VARIANTS)
    found: dict[str, str] = {}
    for canonical in wanted:
        taken = set(found.values())
        hit = next(
            (
                keys[v]
                for v in (header_key(canonical), *map(header_key, VARIANTS[canonical]))
                if v in keys and keys[v] not in taken
            ),
            None,
        )
        if hit is not None:
            found[canonical] = hit
    return found


def choose_kind(found: dict[str, str]) -> str | None:
    if "tool" in found and "seats" in found:
        return "licences"
    if "tool" in found and "user" in found:
        return "assignments"
    if "user" in found and "department" in found:
        return "directory"
    return None


class Inventory:
    name = "inventory"
    kinds = ("licences", "assignments", "directory")

    def sniff(self, head: bytes, name: str) -> float:
        text = head_text(head).lstrip()
        if not text or text[0] in "{[":
            return 0.0
        headers = header_fields(text, sniff_delimiter(text))
        kind = choose_kind(match_columns(headers))
        if kind is None:
            return 0.0
        if set(SCHEMAS[kind].required) <= set(headers):
            return 0.0  # canonical already: `generic` reads it
        return 0.7

    def read(self, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        raw = read_delimited(ctx, delimiter=(ctx.mapping or {}).get("delimiter"))
        headers = [c for c in raw.columns if c != ROW]
        forced = (ctx.mapping or {}).get("kind")
        kind = forced if forced in self.kinds else choose_kind(match_columns(headers))
        if kind is None:
            raise DataError(
                Problem(
                    ctx.name,
                    "cannot tell which inventory this is: expected a tool and a seat count (licences), a tool "
                    "and a user (assignments), or a user and a department (directory)",
                    row=1,
                )
            )
        found = match_columns(headers, kind)
        required = [c for c in SCHEMAS[kind].required if c not in ("cost_per_seat_month",)]
        missing = [c for c in required if c not in found]
        if kind == "licences" and not ({"cost_per_seat_month", "cost_per_seat_year"} & set(found)):
            missing.append("cost_per_seat_month")
        if missing:
            raise DataError(
                [
                    Problem(
                        ctx.name,
                        f"no column gives the {kind} field '{c}' (expected a header such as "
                        f"{', '.join(VARIANTS[c][:4])})",
                        row=1,
                        column=c,
                    )
                    for c in missing
                ]
            )
        df = pd.DataFrame({c: raw[h].astype("string").str.strip() for c, h in found.items()}, index=raw.index)
        df = labelled(df.mask(df == ""), found)
        used = ", ".join(f"{h} -> {c}" for c, h in found.items() if h != c)
        if used:
            note(ctx, f"read as {kind} ({used})")
        out = READERS[kind](ctx, df)
        labels = {c: h for c, h in found.items() if c in out.columns}
        labels.update(
            {"cost_per_seat_month": found["cost_per_seat_year"]} if "cost_per_seat_year" in found else {}
        )
        return {kind: labelled(out, labels)}


def _licences(ctx: ReadContext, df: pd.DataFrame) -> pd.DataFrame:
    out = _require(ctx, df.assign(tool=slug_series(df["tool"])), "tool", "the tool's name")
    out, seats = _number(ctx, out, "seats", "a number of seats such as 25")
    currency = (
        out["currency"].str.upper()
        if "currency" in out
        else pd.Series(pd.NA, index=out.index, dtype="string")
    )
    if "cost_per_seat_month" in out:
        out, cost = _number(ctx, out, "cost_per_seat_month", "a monthly price per seat such as 12.50")
        symbol = _symbol(df["cost_per_seat_month"])
    else:
        out, cost = _number(ctx, out, "cost_per_seat_year", "a yearly price per seat such as 150")
        cost = cost / 12
        symbol = _symbol(df["cost_per_seat_year"])
        note(ctx, "yearly prices per seat were divided by 12 (cost_per_seat_month)")
    currency = currency.fillna(symbol)
    out = out.assign(seats=seats, cost_per_seat_month=cost, currency=currency.replace(SYMBOLS))
    return out[["tool", "seats", "cost_per_seat_month", "currency", *_extra(out)]]


def _assignments(ctx: ReadContext, df: pd.DataFrame) -> pd.DataFrame:
    out = _require(ctx, df.assign(tool=slug_series(df["tool"])), "tool", "the tool's name")
    out = _require(ctx, out, "user", "the user's e-mail address or login")
    out = _timestamps(ctx, out, [c for c in ("assigned_at", "unassigned_at") if c in out])
    return out[[c for c in ("tool", "user", "assigned_at", "unassigned_at") if c in out] + _extra(out)]


def _directory(ctx: ReadContext, df: pd.DataFrame) -> pd.DataFrame:
    out = _require(ctx, df, "user", "the user's e-mail address or login")
    # an empty department is left empty: api.ingest refuses or quarantines rows missing a required value
    if "active" in out:
        word = out["active"].str.casefold()
        value = pd.Series(pd.NA, index=out.index, dtype="string").mask(
            word.isin(TRUE_WORDS).fillna(False), "true"
        )
        value = value.mask(word.isin(FALSE_WORDS).fillna(False), "false")
        bad = word.notna() & value.isna()
        if bad.any():
            collect_bad_rows(
                ctx,
                bad,
                label_of(df, "active"),
                "yes/no, true/false, active/suspended or an empty cell",
                out["active"],
            )
            out = flag_rows(out, bad, "unknown value in active")
        out = out.assign(active=value)
    dates = [c for c in ("start_date", "end_date") if c in out]
    if dates:
        parsed = _timestamps(ctx, out, dates, day_only=True)
        out = parsed.assign(**{c: parsed[c].dt.strftime("%Y-%m-%d").astype("string") for c in dates})
    return out[
        [c for c in ("user", "department", "active", "start_date", "end_date") if c in out] + _extra(out)
    ]


READERS = {"licences": _licences, "assignments": _assignments, "directory": _directory}


def _extra(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith("_")]


def _require(ctx: ReadContext, df: pd.DataFrame, column: str, expected: str) -> pd.DataFrame:
    bad = blank(df[column])
    if bad.any():
        collect_bad_rows(ctx, bad, label_of(df, column), expected, df[column])
        return flag_rows(df, bad, f"no {column}")
    return df


def _symbol(values: pd.Series) -> pd.Series:
    """The currency written inside a price cell (`€`, `$`, `EUR`...), as an ISO code."""
    found = values.astype("string").str.extract(r"(€|\$|£|¥|\b[A-Za-z]{3}\b)", expand=False)
    return found.str.upper().replace(SYMBOLS).astype("string")


def _number(ctx: ReadContext, df: pd.DataFrame, column: str, expected: str) -> tuple[pd.DataFrame, pd.Series]:
    """`1 234,50 €`, `€1,234.50`, `12.5` -> floats, vectorised; the decimal mark is the last `,`/`.` followed by
    one or two digits (or the only separator)."""
    text = df[column].astype("string").str.replace(r"[^0-9,.\-]", "", regex=True)
    both = text.str.contains(",", regex=False) & text.str.contains(".", regex=False)
    comma_last = text.str.rfind(",") > text.str.rfind(".")
    decimal_comma = (both & comma_last) | (~both & text.str.contains(r",\d{1,2}$", regex=True))
    thousands_comma = ~decimal_comma & text.str.contains(",", regex=False)
    cleaned = text.mask(
        decimal_comma.fillna(False), text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    cleaned = cleaned.mask(thousands_comma.fillna(False), cleaned.str.replace(",", "", regex=False))
    value = pd.to_numeric(cleaned, errors="coerce").astype("Float64")
    bad = (df[column].notna() & value.isna()).fillna(False).astype(bool) | (value < 0).fillna(False).astype(
        bool
    )
    if bad.any():
        collect_bad_rows(ctx, bad, label_of(df, column), expected, df[column])
        df = flag_rows(df, bad, f"bad number in {column}")
    return df, value.mask(bad)


def _timestamps(
    ctx: ReadContext, df: pd.DataFrame, columns: list[str], *, day_only: bool = False
) -> pd.DataFrame:
    """Dates and times through the project's date reader; columns holding dates only need no timezone (a day
    is taken from midnight in the given zone, else UTC)."""
    if not columns:
        return df
    has_time = pd.concat([df[c].str.contains(":", regex=False) for c in columns], axis=1).any(axis=None)
    tz = ctx.timezone or (None if has_time and not day_only else "UTC")
    headers = {
        c: label_of(df, c) for c in columns
    }  # parsed under the file's own headers, so messages name them
    out, _ = parse_datetime_columns(ctx, df.rename(columns=headers), list(headers.values()), timezone=tz)
    return out.rename(columns={h: c for c, h in headers.items()})


FORMATS = [Inventory()]
