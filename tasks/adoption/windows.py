"""Distinct active users over days and trailing windows, without a Python loop over users or rows.

Everything works on "triples": the distinct (tool, user, day) activities, encoded as one int64 key
`(tool * n_users + user) * n_days + day` and sorted. Sorting puts each (tool, user) pair's active days in
order, which is what makes trailing windows cheap: an active day `d` keeps its user inside the window ending
on `e` for `e` in `[d, d + width - 1]`; clipping that span at the pair's next active day makes the spans of
one pair disjoint, so adding +1 at each span's start and -1 past its end and taking a cumulative sum counts
every user once per day, exactly (DAU, WAU, MAU are distinct users, never sums of daily counts).
"""

from __future__ import annotations

import numpy as np

BITMAP_MAX = 400_000_000  # bytes of the dense (tool, user, day) bitmap; beyond it, sort-unique instead


def unique_keys(keys: np.ndarray, size: int) -> np.ndarray:
    """Sorted distinct values of `keys` (all in `[0, size)`).

    A dense bitmap is O(rows) with no sort, and small for audits (8 tools x 5,000 users x 300 days = 12 MB);
    huge key spaces fall back to numpy's sort-based unique.
    """
    if size <= BITMAP_MAX:
        seen = np.zeros(size, dtype=bool)
        seen[keys] = True
        return np.flatnonzero(seen)
    return np.unique(keys)


def any_per(index: np.ndarray, size: int) -> np.ndarray:
    """Boolean flags of length `size`: True where `index` occurs at least once."""
    flags = np.zeros(size, dtype=bool)
    flags[index] = True
    return flags


def count_per(index: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """How many times (or total weight) each value of `index` occurs, length `size`."""
    if index.size == 0:
        return np.zeros(size, dtype=np.float64 if weights is not None else np.int64)
    return np.bincount(index, weights=weights, minlength=size)


def trailing_counts(
    pair: np.ndarray, day: np.ndarray, group: np.ndarray, n_groups: int, n_days: int, width: int
) -> np.ndarray:
    """Distinct pairs per group active within the `width` days ending on each day: shape (n_groups, n_days).

    `pair` and `day` are the triples sorted by (pair, day) with no duplicates; `group` is the group of each
    triple (a pair belongs to one group). `width=1` gives daily active users.
    """
    if pair.size == 0:
        return np.zeros((n_groups, n_days), dtype=np.int64)
    following = np.empty_like(day)
    following[:-1] = day[1:]
    following[-1] = n_days
    last_of_pair = np.ones(pair.size, dtype=bool)
    last_of_pair[:-1] = pair[:-1] != pair[1:]
    following = np.where(last_of_pair, n_days, following)
    stop = np.minimum(np.minimum(day.astype(np.int64) + width, following), n_days)  # exclusive
    stride = n_days + 1
    base = group.astype(np.int64) * stride
    diff = np.bincount(base + day, minlength=n_groups * stride) - np.bincount(
        base + stop, minlength=n_groups * stride
    )
    return np.cumsum(diff.reshape(n_groups, stride), axis=1)[:, :n_days]
