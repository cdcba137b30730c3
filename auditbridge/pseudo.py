"""Keyed pseudonyms for people (CONTRACTS section 6): HMAC-SHA-256, same person -> same pseudonym per key."""

from __future__ import annotations

import hashlib
import hmac
import os

import pandas as pd

from auditbridge.errors import UsageError

KEY_ENV = "AUDITBRIDGE_PSEUDONYM_KEY"
DEMO_KEY = b"auditbridge-demo-key-not-secret"
PREFIX = "p_"


def load_key(env: str = KEY_ENV, *, demo: bool = False) -> bytes:
    """The pseudonymisation secret from the environment, or the fixed demo key when `demo` is true."""
    value = os.environ.get(env)
    if value:
        return value.encode()
    if demo:
        return DEMO_KEY
    raise UsageError(
        f"no pseudonymisation key: set {env} to a secret (or a Prefect Secret block in the config); "
        "people are replaced by keyed pseudonyms at ingestion"
    )


def normalise_person(value: str) -> str:
    """One person, one spelling: case, surrounding spaces and GLPI's '(id)' suffix do not change the pseudonym."""
    import re

    text = re.sub(r"\s*\(\d+\)\s*$", "", str(value)).strip().casefold()
    return re.sub(r"\s+", " ", text)


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Replace each non-empty value by `p_` + 16 hex digits of HMAC-SHA-256(key, normalised value).

    Computed once per distinct value (categorical codes), so a million rows with 5,000 people cost 5,000 HMACs.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = [
        PREFIX + hmac.new(key, normalise_person(u).encode(), hashlib.sha256).hexdigest()[:16]
        if str(u).strip()
        else None
        for u in uniques
    ]
    out = pd.Series(pd.array([None] * len(values), dtype="string"), index=values.index)
    if len(mapped):
        lookup = pd.array(mapped + [None], dtype="string")
        out = pd.Series(lookup[codes], index=values.index, dtype="string")
    return out


def is_pseudonym(value: str) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX) and len(value) == len(PREFIX) + 16
