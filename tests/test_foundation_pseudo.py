"""Keyed pseudonyms (CONTRACTS section 6)."""

import hashlib
import hmac

import pandas as pd

from auditbridge.pseudo import is_pseudonym, pseudonymise


def test_same_person_same_pseudonym_and_key_matters():
    people = pd.Series(
        ["Alice Martin", "alice martin ", "Bob (1103)", None, "", "Alice Martin"], dtype="string"
    )
    out = pseudonymise(people, b"k1")
    assert out[0] == out[1] == out[5]
    assert out[0] != out[2]
    assert pd.isna(out[3]) and pd.isna(out[4])
    # independently computed: HMAC-SHA-256 of the normalised name, first 16 hex digits
    assert out[2] == "p_" + hmac.new(b"k1", b"bob", hashlib.sha256).hexdigest()[:16]
    assert pseudonymise(people, b"k2")[0] != out[0]
    assert all(is_pseudonym(v) for v in out.dropna())
    assert not any("alice" in str(v).lower() for v in out)


def test_empty_series():
    assert pseudonymise(pd.Series([], dtype="string"), b"k").empty
