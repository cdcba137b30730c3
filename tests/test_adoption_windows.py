"""Distinct users over trailing windows, on tiny inputs counted by hand; and the flow's task runs the same code."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditbridge.period import parse_period
from tasks.adoption.windows import trailing_counts, unique_keys


def test_trailing_windows_count_each_user_once():
    # 10 days, one group. Pair 0 active on days 0, 1 and 5; pair 1 on day 3; pair 2 on day 9.
    pair = np.array([0, 0, 0, 1, 2])
    day = np.array([0, 1, 5, 3, 9])
    group = np.zeros(5, dtype=np.int64)
    # daily: day 0 {0}, 1 {0}, 3 {1}, 5 {0}, 9 {2}
    assert trailing_counts(pair, day, group, 1, 10, 1).tolist() == [[1, 1, 0, 1, 0, 1, 0, 0, 0, 1]]
    # 3-day windows ending on each day: pair 0 covers 0-3 (0, 1) and 5-7; pair 1 covers 3-5; pair 2 covers 9
    # day:   0  1  2  3  4  5  6  7  8  9
    # p0     1  1  1  1  0  1  1  1  0  0
    # p1     0  0  0  1  1  1  0  0  0  0
    # p2     0  0  0  0  0  0  0  0  0  1
    assert trailing_counts(pair, day, group, 1, 10, 3).tolist() == [[1, 1, 1, 2, 1, 2, 1, 1, 0, 1]]


def test_groups_are_counted_apart():
    # the same activity, pair 1 in group 1: group 0 keeps pairs 0 and 2
    pair, day = np.array([0, 0, 0, 1, 2]), np.array([0, 1, 5, 3, 9])
    group = np.array([0, 0, 0, 1, 0])
    counts = trailing_counts(pair, day, group, 2, 10, 3)
    assert counts[0].tolist() == [1, 1, 1, 1, 0, 1, 1, 1, 0, 1]
    assert counts[1].tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0]
    assert trailing_counts(pair[:0], day[:0], group[:0], 2, 4, 7).tolist() == [[0] * 4, [0] * 4]


def test_unique_keys_bitmap_and_sort_agree():
    keys = np.array([7, 3, 7, 0, 3, 9])
    assert unique_keys(keys, 10).tolist() == [0, 3, 7, 9]
    assert unique_keys(keys, 10**12).tolist() == [0, 3, 7, 9]  # too large for a bitmap: sort-unique


def test_prefect_task_runs_the_engine():
    from tasks.adoption.task import adoption_task

    usage = pd.DataFrame(
        {
            "tool": ["crm", "crm"],
            "user": ["a", "b"],
            "at": ["2026-07-01T09:00:00+02:00", "2026-07-31T23:30:00+02:00"],
        },
        dtype="string",
    )
    licences = pd.DataFrame(
        {"tool": ["crm"], "seats": [4.0], "cost_per_seat_month": [10.0], "currency": ["EUR"]}
    )
    result = adoption_task.fn(
        usage, period=parse_period("2026-07"), timezone="Europe/Paris", licences=licences
    )
    crm = result.summary["tools"][0]
    # 2 active of 4 seats, 2 idle x 10 EUR x 1 month; 2 user-days over 31 days
    assert (crm["active_users"], crm["idle_seats"], crm["idle_cost"]) == (2, 2, 20.0)
    assert crm["dau_mean"] == round(2 / 31, 6)
