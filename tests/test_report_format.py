"""The report's Jinja filters per language, and the SVG charts' accessibility and escaping.

Expected strings are written out by hand with the exact spaces each language uses: French groups
thousands with a narrow no-break space (U+202F) and puts a no-break space (U+00A0) before % and €.
"""

from __future__ import annotations

import math

import pytest

from tasks.report import charts
from tasks.report import format as fmt

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(("lang", "expected"), [("fr", f"12{NNBSP}346"), ("en", "12,346")])
def test_number_rounds_and_groups(lang, expected):
    assert fmt.number(12345.6, lang) == expected


def test_number_with_decimals():
    assert fmt.number(1234.5, "fr", 1) == f"1{NNBSP}234,5"
    assert fmt.number(1234.5, "en", 1) == "1,234.5"


@pytest.mark.parametrize(
    ("lang", "digits", "expected"),
    [("fr", 0, f"25{NBSP}%"), ("en", 0, "25%"), ("fr", 1, f"89,7{NBSP}%"), ("en", 1, "89.7%")],
)
def test_percent(lang, digits, expected):
    value = 0.25 if digits == 0 else 140 / 156  # 89.74 %
    assert fmt.percent(value, lang, digits) == expected


def test_percent_points_and_signed_changes():
    assert fmt.pct_points(26.94, "en", 1) == "26.9%"
    assert fmt.signed_points(-0.0556, "fr") == f"−6{NBSP}pts"  # 30.6 % -> 25 %: 5.56 points down
    assert fmt.signed_points(0.03, "en") == f"+3{NBSP}pts"
    assert fmt.signed_number(8, "en") == "+8"
    assert fmt.signed_number(-1200, "fr") == f"−1{NNBSP}200"


@pytest.mark.parametrize(("lang", "expected"), [("fr", f"3{NNBSP}645{NBSP}€"), ("en", "€3,645")])
def test_money_whole_units(lang, expected):
    assert fmt.money(3645.0, lang, "EUR") == expected


def test_money_other_currency_and_cents():
    assert fmt.money(12.5, "en", "USD", 2) == "US$12.50"
    assert fmt.money(12.5, "fr", "EUR", 2) == f"12,50{NBSP}€"


def test_dates_per_language():
    assert fmt.day("2026-09-30", "fr") == "30 septembre 2026"
    assert fmt.day("2026-09-30", "en") == "30 September 2026"
    # A timestamp keeps the calendar day it carries (no timezone shift)
    assert fmt.day("2026-10-01T06:00:00+00:00", "en") == "1 October 2026"
    assert fmt.month("2026-07", "fr") == "juil. 2026"
    assert fmt.month("2026-07", "en") == "Jul 2026"


def test_durations_in_business_time():
    assert fmt.duration(900, "en") == "15 mins"  # 15 minutes
    assert fmt.duration(5400, "fr") == f"1,5{NNBSP}h"  # 1.5 hours
    assert fmt.duration(97200, "en") == "27 hrs"  # 27 business hours, under two days: still hours
    assert fmt.duration(259200, "en") == "3 days"  # 72 h = 3 SLA days of 24 calendar hours
    assert fmt.duration(280000, "fr") == f"3,2{NNBSP}j"  # 77.8 h / 24 = 3.24 days


@pytest.mark.parametrize("func", [fmt.number, fmt.percent, fmt.money, fmt.duration, fmt.day, fmt.pct_points])
def test_missing_values_render_as_a_dash(func):
    assert func(None, "fr") == "—"
    if func is not fmt.day:
        assert func(math.nan, "en") == "—"


def test_bound_filters_follow_the_language():
    fr, en = fmt.bind_filters("fr"), fmt.bind_filters("en")
    assert fr["percent"](0.5) == f"50{NBSP}%" and en["percent"](0.5) == "50%"
    assert fr["money"](1000, "EUR") == f"1{NNBSP}000{NBSP}€"


def test_chart_is_accessible_and_escapes_labels():
    bars = [charts.Bar("<script>alert(1)</script>", 0.25, "25%"), charts.Bar("teams", 0.95, "95%")]
    svg = str(
        charts.hbar_chart(
            bars,
            title="Use & misuse",
            desc="Bars <per> tool",
            chart_id="c1",
            target=0.4,
            target_text="threshold 40%",
        )
    )
    assert 'role="img"' in svg and 'aria-labelledby="c1-t c1-d"' in svg
    assert '<title id="c1-t">Use &amp; misuse</title>' in svg
    assert '<desc id="c1-d">Bars &lt;per&gt; tool</desc>' in svg
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    # The bar under the 40 % target is drawn in the warning colour, the other in the accent colour;
    # widths are value x plot width (640 - 150 - 70 = 420): 0.25 x 420 = 105.
    assert f'width="105.0" height="18" fill="{charts.WARN}"' in svg
    assert f'width="399.0" height="18" fill="{charts.ACCENT}"' in svg


def test_sparklines_and_column_charts_draw_every_point():
    svg = str(
        charts.sparklines(
            ["Jul", "Aug", "Sep"],
            [("crm", [7, 6, None]), ("teams", [108, 105, 110])],
            [("7", "6"), ("108", "110")],
            title="t",
            desc="d",
            chart_id="c2",
        )
    )
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 2  # one line and one end dot per tool
    # each line on its own scale: teams goes from 108 down to 105 (bottom of its row) then up to 110 (top)
    teams = svg.split("<polyline")[2].split('points="')[1].split('"')[0].split()
    ys = [float(p.split(",")[1]) for p in teams]
    assert ys[1] == max(ys) and ys[2] == min(ys)
    assert "108 → <tspan" in svg
    svg = str(
        charts.column_chart(
            [charts.Bar("<1d", 9, "9"), charts.Bar(">30d", 4, "4", alert=True)],
            title="t",
            desc="d",
            chart_id="c3",
        )
    )
    assert "&lt;1d" in svg and "&gt;30d" in svg and svg.count("<rect") == 2


def test_changes_that_round_to_zero_have_no_sign():
    assert fmt.signed_points(-0.001, "en") == "±0\u00a0pts"  # −0.1 point shown without decimals
    assert fmt.signed_points(-0.001, "en", 1) == "−0.1\u00a0pts"
    assert fmt.signed_points(0.0061, "fr", 1) == "+0,6\u00a0pts"  # 77.2 % vs 76.6 %
    assert fmt.signed_number(0.2, "en") == "±0"
