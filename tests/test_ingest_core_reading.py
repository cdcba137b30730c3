"""The shared reading machinery on small files written here: encodings, delimiters, quoting, missing markers,
repeated headers, row numbers; dates decided per file, DST, durations in words."""

from __future__ import annotations

import pandas as pd
import pytest

from auditbridge.errors import DataError
from tasks.ingest.base import ReadContext
from tasks.ingest.dates import ORDER_DAY, ORDER_MONTH, parse_datetime_columns, shape_format
from tasks.ingest.durations import duration_seconds, parse_durations
from tasks.ingest.readers import read_delimited, unique_names, user_rows


def ctx(data: bytes, name: str = "f.csv", timezone: str | None = None) -> ReadContext:
    return ReadContext(name=name, data=data, pseudonym_key=b"", timezone=timezone)


# --- reading -------------------------------------------------------------------------------------------------


def test_glpi_shape_bom_semicolon_quotes_trailing_delimiter_multiline():
    data = '\ufeff"ID";"Titre";"Description";\n"49 541";"Écran";"ligne 1\nligne 2";\n"7";"?";"";\n'.encode()
    df = read_delimited(ctx(data))
    assert list(df.columns) == ["ID", "Titre", "Description"]  # the trailing empty column is gone
    assert df["ID"].tolist() == ["49 541", "7"]
    assert df.loc[0, "Description"] == "ligne 1\nligne 2"
    assert df.loc[1, "Titre"] is pd.NA and df.loc[1, "Description"] is pd.NA  # `?` and empty are missing
    assert all(isinstance(t, pd.StringDtype) for t in df.dtypes)
    # the second record starts on physical line 4 but is row 3 for the user (header = row 1)
    assert user_rows(df).tolist() == [2, 3]


def test_windows_1252_and_tab():
    data = "Nom\tStatut\r\nDupré\tRésolu\r\n".encode("cp1252")
    df = read_delimited(ctx(data))
    assert df.to_dict("list") == {"Nom": ["Dupré"], "Statut": ["Résolu"]}


def test_utf8_without_bom_comma_and_excel_sep_line():
    df = read_delimited(ctx(b"sep=;\na;b\n1;2\n"))
    assert df.to_dict("list") == {"a": ["1"], "b": ["2"]}
    df = read_delimited(ctx('a,b\n"x, y",ü\n'.encode()))
    assert df.to_dict("list") == {"a": ["x, y"], "b": ["ü"]}


def test_repeated_headers_are_kept_apart():
    assert unique_names(["Watchers", "Watchers", "Comment", "Watchers"]) == [
        "Watchers",
        "Watchers.1",
        "Comment",
        "Watchers.2",
    ]
    df = read_delimited(ctx(b"Severity,Severity\n4 - Low,3 - Low\n"))
    assert df.to_dict("list") == {"Severity": ["4 - Low"], "Severity.1": ["3 - Low"]}


def test_empty_header_only_and_ragged_files_are_refused_with_file_and_row():
    with pytest.raises(DataError, match=r"f\.csv: the file is empty"):
        read_delimited(ctx(b"\xef\xbb\xbf\n\n"))
    with pytest.raises(DataError, match=r"f\.csv, row 2: the file has a header but no data rows"):
        read_delimited(ctx(b"a;b\n"))
    # record 3 (row 4 for the user; the quoted cell of row 2 spans two lines) has 3 fields for 2 columns
    with pytest.raises(DataError) as err:
        read_delimited(ctx(b'a,b\n"1\n1",2\n3,4\n5,6,7\n'))
    assert "row 4" in str(err.value) and "3 fields where the header has 2" in str(err.value)


# --- dates ----------------------------------------------------------------------------------------------------


def _parse(values: dict[str, list], timezone="Europe/Paris", **kw):
    c = ctx(b"", timezone=timezone)
    df = pd.DataFrame({k: pd.array(v, dtype="string") for k, v in values.items()})
    out, res = parse_datetime_columns(c, df, list(values), **kw)
    return out, res, c


def test_day_or_month_first_is_decided_per_file_not_per_row():
    # 13-03-2025 can only be day-first, so 03-04-2025 in the same file is 3 April, not March 4
    out, res, _ = _parse({"a": ["03-04-2025 10:00", None], "b": ["13-03-2025 10:00", "01-02-2025 00:00"]})
    assert res.order == ORDER_DAY
    assert out["a"][0] == pd.Timestamp("2025-04-03T08:00:00Z")  # CEST: UTC+2
    assert out["b"][1] == pd.Timestamp("2025-01-31T23:00:00Z")  # CET: UTC+1
    # 03-13-2025 can only be month-first: the whole file is month-first
    out, res, _ = _parse({"a": ["03-13-2025 18:08:55", "03-04-2025 10:00:00"]}, timezone="UTC")
    assert res.order == ORDER_MONTH and out["a"][1] == pd.Timestamp("2025-03-04T10:00:00Z")


def test_undecidable_order_uses_the_hint_and_says_so():
    out, res, c = _parse({"a": ["03-04-2025 10:00"]}, timezone="UTC", order_hint=ORDER_MONTH)
    assert res.order == ORDER_MONTH and out["a"][0] == pd.Timestamp("2025-03-04T10:00:00Z")
    assert "cannot be told apart" in c.notes[0]


def test_jira_iso_epoch_and_offsets():
    out, _, _ = _parse(
        {
            "a": [
                "25/Feb/26 10:17 PM",
                "9/Feb/26 7:10 AM",
                "2026-02-25 16:38:58.679",
                "2026-07-01T09:30:00+02:00",
                "1767225600",
                "2026-07-01T07:30:00Z",
            ]
        },
        timezone="UTC",
    )
    assert out["a"].tolist() == [
        pd.Timestamp("2026-02-25T22:17:00Z"),
        pd.Timestamp("2026-02-09T07:10:00Z"),
        pd.Timestamp("2026-02-25T16:38:58.679Z"),
        pd.Timestamp("2026-07-01T07:30:00Z"),
        pd.Timestamp("2026-01-01T00:00:00Z"),  # 1,767,225,600 s = 20,454 days after 1970-01-01
        pd.Timestamp("2026-07-01T07:30:00Z"),
    ]


def test_daylight_saving_gap_and_overlap_are_handled():
    # Paris 29-03-2026 02:30 does not exist (clocks jump 02:00 -> 03:00 CEST): first valid instant 03:00 CEST
    # 25-10-2026 02:30 happens twice: the first occurrence (CEST, UTC+2) is taken, every time
    out, _, _ = _parse({"a": ["29-03-2026 02:30", "25-10-2026 02:30", "25-10-2026 03:30"]})
    assert out["a"].tolist() == [
        pd.Timestamp("2026-03-29T01:00:00Z"),
        pd.Timestamp("2026-10-25T00:30:00Z"),
        pd.Timestamp("2026-10-25T02:30:00Z"),
    ]


def test_impossible_and_unreadable_dates_are_reported_with_row_and_column_and_flagged():
    out, res, c = _parse(
        {"Date d'ouverture": ["30-01-2026 10:00", "31-02-2026 10:00", "demain", "13-01-2026 10:00"]}
    )
    assert res.bad.tolist() == [False, True, True, False]
    msgs = [str(p) for p in c.collector.problems]
    assert msgs == [
        "f.csv, row 3, column 'Date d'ouverture': impossible date (no such day or time): expected a date such as "
        "DD-MM-YYYY HH:mm (day-first, as the rest of this file) (found '31-02-2026 10:00')",
        "f.csv, row 4, column 'Date d'ouverture': expected a date such as DD-MM-YYYY HH:mm (day-first, as the rest "
        "of this file) (found 'demain')",
    ]
    assert out["_problem"].notna().tolist() == [False, True, True, False]


def test_naive_times_without_timezone_refuse_the_file():
    with pytest.raises(DataError, match=r"row 2, column 'a': 1 time\(s\) without a timezone.*--timezone"):
        _parse({"a": ["2026-07-01 10:00"]}, timezone=None)


def test_shapes():
    assert shape_format("16-07-2026 14:57") == "{A}-{B}-%Y %H:%M"
    assert shape_format("25/Feb/26 10:17 PM") == "%d/%b/%y %I:%M %p"
    assert shape_format("2026-07-01T09:30:00+02:00") == "ISO8601"
    assert shape_format("not a date") is None


def test_fixed_width_fast_path_agrees_with_strptime():
    from tasks.ingest.dates import _parse_with

    values = pd.Series(
        [
            f"{d:02d}-{m:02d}-2024 {h:02d}:{mi:02d}"
            for d in range(1, 32)
            for m in (1, 2, 4)
            for h in (0, 23)
            for mi in (0, 59)
        ]
        * 3,
        dtype="string",
    )
    fast = _parse_with(values, "%d-%m-%Y %H:%M")  # >= 1,000 values: the numpy path
    slow = pd.to_datetime(values.astype(object), format="%d-%m-%Y %H:%M", errors="coerce")
    assert len(values) >= 1000
    assert fast.isna().tolist() == slow.isna().tolist()  # 30-02, 31-02, 31-04 are impossible either way
    assert (fast.dropna() == slow.dropna().astype("datetime64[ns]")).all()


# --- durations ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1 jours 3 heures 17 minutes", 86400 + 3 * 3600 + 17 * 60),
        ("2 heures 52 minutes", 10320),
        ("41 secondes", 41),
        ("1 minute", 60),
        ("0 seconds", 0),
        ("3 horas 22 minutos", 12120),
        ("2 días 1 hora", 2 * 86400 + 3600),
        ("64:00:00", 230400),
        ("0:00", 0),
        ("10 minutes", 600),
    ],
)
def test_durations_in_words(text, seconds):
    assert duration_seconds(text) == seconds


def test_durations_vectorised_with_bad_values():
    seconds, bad = parse_durations(pd.Series(["1 minute", None, "bientôt", "1 minute"], dtype="string"))
    assert seconds.tolist()[0] == 60 and seconds.isna().tolist() == [False, True, True, False]
    assert bad.tolist() == [False, False, True, False]


def test_trailing_delimiter_on_data_lines_only_or_on_the_header_only():
    assert read_delimited(ctx(b"a;b\n1;2;\n3;4;\n")).to_dict("list") == {"a": ["1", "3"], "b": ["2", "4"]}
    # header with a trailing `;`, records without: the last real column stays even when it is empty
    df = read_delimited(ctx(b"a;b;\n1;\n3;\n"))
    assert list(df.columns) == ["a", "b"] and df["a"].tolist() == ["1", "3"] and df["b"].isna().all()


def test_utf16_with_bom_excel_unicode_text():
    df = read_delimited(ctx("Nom\tStatut\r\nŽofia\tClos\r\n".encode("utf-16")))
    assert df.to_dict("list") == {"Nom": ["Žofia"], "Statut": ["Clos"]}
