"""The fast usage reader: same days from CSV and Parquet, DST-exact local days, refusals that name row and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from auditbridge.errors import DataError
from tasks.adoption.reader import concat_usage, read_usage, utc_ns_to_local_days

TZ = "Europe/Paris"


def days_iso(days: np.ndarray) -> list[str]:
    return [str(np.datetime64(int(d), "D")) for d in days]


def write(tmp_path: Path, text: str, name: str = "usage.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_local_days_across_both_daylight_saving_changes():
    instants = pd.DatetimeIndex(
        [
            "2026-10-24T22:30:00Z",  # 00:30 summer time, Sunday 25 October (a fixed +01:00 would say the 24th)
            "2026-10-25T22:59:00Z",  # 23:59 winter time, still the 25th (that day has 25 hours)
            "2026-10-25T23:00:00Z",  # midnight: the 26th
            "2026-03-28T23:30:00Z",  # 00:30 winter time, 29 March
            "2026-03-29T21:59:00Z",  # 23:59 summer time, the 29th (23 hours)
            "2026-03-29T22:00:00Z",  # midnight: the 30th
        ]
    ).as_unit("ns")
    assert days_iso(utc_ns_to_local_days(instants.asi8, TZ)) == [
        "2026-10-25",
        "2026-10-25",
        "2026-10-26",
        "2026-03-29",
        "2026-03-29",
        "2026-03-30",
    ]
    # the same instants in New York (UTC-4 then): the previous evening for the first three
    assert days_iso(utc_ns_to_local_days(instants.asi8[:3], "America/New_York")) == [
        "2026-10-24",
        "2026-10-25",
        "2026-10-25",
    ]


def test_csv_offsets_z_and_date_only_rows(tmp_path):
    path = write(
        tmp_path,
        "\ufefftool,user,at,count,department\n"
        "crm, u1 ,2026-07-01T23:30:00+00:00,2,Sales\n"  # 01:30 on 2 July in Paris
        "CRM,u2,2026-07-01,,\n"  # a daily report row: that day
        "crm,u1,2026-07-03T09:00:00.250+02:00,,Sales\n",
    )
    u = read_usage(path, audit_timezone=TZ)
    assert list(u.tools) == ["CRM", "crm"]  # tool names are matched case-insensitively later, not here
    assert list(u.users) == ["u1", "u2"]  # spaces stripped
    assert days_iso(u.day) == ["2026-07-02", "2026-07-01", "2026-07-03"]
    assert np.array_equal(np.isnan(u.count), [False, True, True]) and u.count[0] == 2
    assert list(u.department) == [0, -1, 0] and list(u.departments) == ["Sales"]


def test_parquet_gives_the_same_arrays_as_csv(tmp_path):
    csv_path = write(
        tmp_path,
        "tool,user,at,action\n"
        "crm,u1,2026-10-24T22:30:00Z,view\ncrm,u2,2026-10-26T08:00:00+01:00,\nteams,u1,2026-10-01T00:10:00+02:00,chat\n",
    )
    table = pa.table(
        {
            "tool": ["crm", "crm", "teams"],
            "user": ["u1", "u2", "u1"],
            "at": pa.array(
                pd.DatetimeIndex(
                    ["2026-10-24T22:30:00Z", "2026-10-26T07:00:00Z", "2026-09-30T22:10:00Z"]
                ).as_unit("us"),
                pa.timestamp("us", tz="UTC"),
            ),
            "action": ["view", None, "chat"],
        }
    )
    pq.write_table(table, tmp_path / "usage.parquet")
    a, b = read_usage(csv_path, audit_timezone=TZ), read_usage(tmp_path / "usage.parquet", audit_timezone=TZ)
    assert days_iso(a.day) == days_iso(b.day) == ["2026-10-25", "2026-10-26", "2026-10-01"]
    for attr in ("tool", "user", "action"):
        assert np.array_equal(getattr(a, attr), getattr(b, attr))
    assert list(a.actions) == list(b.actions) == ["chat", "view"]


def test_naive_timestamps_need_a_timezone(tmp_path):
    path = write(tmp_path, "tool,user,at\ncrm,u1,2026-07-01T23:30:00\n")
    with pytest.raises(DataError) as err:
        read_usage(path, audit_timezone=TZ)
    assert "row 2, column 'at'" in str(err.value) and "--timezone" in str(err.value)
    # with the zone: 23:30 local is that local day, whatever the audit zone offset
    assert days_iso(read_usage(path, audit_timezone=TZ, timezone=TZ).day) == ["2026-07-01"]
    # written in UTC, audited in Paris: 01:30 the next day
    assert days_iso(read_usage(path, audit_timezone=TZ, timezone="UTC").day) == ["2026-07-02"]


def test_refusals_name_file_row_and_column(tmp_path):
    path = write(
        tmp_path,
        "tool,user,at,count\n"
        "crm,u1,2026-07-01T09:00:00Z,1\n"
        "crm,,2026-07-01T09:00:00Z,1\n"  # row 3: no user
        "crm,u3,yesterday+02:00,1\n"  # row 4: not a timestamp
        "crm,u4,2026-07-01T09:00:00Z,lots\n"  # row 5: not a number
        "crm,u5,,1\n",
    )  # row 6: no time
    with pytest.raises(DataError) as err:
        read_usage(path, audit_timezone=TZ)
    text = str(err.value)
    assert f"{path}, row 3, column 'user': a value is required" in text
    assert f"{path}, row 4, column 'at': expected an ISO 8601 timestamp" in text
    assert f"{path}, row 5, column 'count': expected a number (found 'lots')" in text
    assert f"{path}, row 6, column 'at': a value is required" in text


def test_missing_required_column_is_row_one(tmp_path):
    path = write(tmp_path, "tool,person,at\ncrm,u1,2026-07-01T09:00:00Z\n")
    with pytest.raises(DataError) as err:
        read_usage(path, audit_timezone=TZ)
    assert str(err.value) == (
        f"{path}, row 1, column 'user': missing required column for usage (expected columns: tool, user, at)"
    )
    with pytest.raises(DataError, match="file not found"):
        read_usage(tmp_path / "absent.csv", audit_timezone=TZ)


def test_several_files_are_united(tmp_path):
    q2 = read_usage(
        write(tmp_path, "tool,user,at\nteams,u9,2026-05-01T09:00:00Z\n", "q2.csv"), audit_timezone=TZ
    )
    q3 = read_usage(
        write(
            tmp_path,
            "tool,user,at,department\ncrm,u1,2026-07-01T09:00:00Z,Sales\n"
            "teams,u1,2026-07-02T09:00:00Z,Sales\n",
            "q3.csv",
        ),
        audit_timezone=TZ,
    )
    both = concat_usage([q2, q3])
    assert list(both.tools) == ["crm", "teams"] and list(both.users) == ["u1", "u9"]
    assert [both.tools[t] for t in both.tool] == ["teams", "crm", "teams"]
    assert [both.users[u] for u in both.user] == ["u9", "u1", "u1"]
    assert list(both.department) == [-1, 0, 0]
    assert days_iso(both.day) == ["2026-05-01", "2026-07-01", "2026-07-02"]
