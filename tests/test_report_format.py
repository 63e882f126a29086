"""Formatting of report tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from itp_stats.report.format import (
    format_ci,
    format_median_iqr,
    format_n_pct,
    format_number,
    format_p,
    interval_digits,
    recorded_decimals,
    to_pipe_table,
)


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0, "<0.001"),
        (0.000999, "<0.001"),
        (0.001, "0.001"),
        (0.0494, "0.049"),
        (0.0994, "0.099"),
        (0.1, "0.10"),
        (0.456, "0.46"),
        (0.99, "0.99"),
        (0.995, ">0.99"),
        (None, "—"),
        (math.nan, "—"),
        (pd.NA, "—"),
    ],
)
def test_format_p(p, text):
    assert format_p(p) == text


def test_format_numbers_and_summaries():
    assert format_number(1234.56, 1) == "1\u202f234.6"  # no line break inside a number
    assert format_number(-0.25, 2) == "−0.25"
    assert format_number(None) == "—"
    assert format_median_iqr(150, 92.5, 210.25, 1) == "150.0 [92.5–210.2]"
    assert format_median_iqr(math.nan, 1, 2) == "—"
    assert format_n_pct(25, 70) == "25 (36%)"
    assert format_n_pct(0, 0) == "0 (—)"
    assert format_ci(0.41, 0.12, 0.63) == "0.41 (0.12 to 0.63)"
    assert format_ci(math.nan, 0.1, 0.2) == "not computed"


def test_pipe_table_aligns_numbers_right_and_text_left():
    table = pd.DataFrame(
        {
            "Rule": ["ids unique", "age in range"],
            "Tested": ["72", "72"],
            "p (q)": ["<0.001 (0.002)", "—"],
            "Median [IQR]": ["82 [59–153]", "−3 [−5–1]"],
            "Status": ["pass", "FAIL"],
        }
    )
    rule = to_pipe_table(table).splitlines()[1]
    assert rule.startswith("|:") and rule.count(":") == 5
    cells = rule.strip("|").split("|")
    assert [c.startswith(":") for c in cells] == [True, False, False, False, True]


def test_pipe_table():
    table = pd.DataFrame({"Marker": ["NK | CD56", "B"], "p": ["0.012", None]})
    text = to_pipe_table(table, caption="Baseline subsets")
    assert text.splitlines() == [
        "| Marker | p |",
        "|:----------|-----:|",
        "| NK \\| CD56 | 0.012 |",
        "| B | — |",
        "",
        ": Baseline subsets",
    ]


def test_cells_are_escaped_outside_code_spans():
    from itp_stats.report.format import escape_markdown

    assert escape_markdown("id ^[A-Z]+$ @key *x*") == r"id \^\[A-Z\]\+\$ \@key \*x\*"
    assert escape_markdown("`^[a|b]$` and a|b") == r"`^[a\|b]$` and a\|b"
    table = pd.DataFrame({"Rule": ["pattern ^[A-Za-z0-9_-]+$"], "n": ["1"]})
    assert r"pattern \^\[A-Za-z0-9\_-\]\+\$" in to_pipe_table(table)


@pytest.mark.parametrize(
    ("p", "alpha", "text"),
    [(0.0496, 0.05, "0.0496"), (0.04996, 0.05, "0.04996"), (0.0504, 0.05, "0.050"),
     (0.00996, 0.01, "0.00996"), (0.0496, None, "0.050")],
)  # fmt: skip
def test_format_p_never_crosses_alpha(p, alpha, text):
    assert format_p(p, alpha=alpha) == text


def test_degenerate_interval_is_not_estimable():
    assert format_ci(-1.0, -1.0, -1.0) == "−1.00 (no interval: complete separation or ties)"
    assert format_ci(0.4, 0.13, 0.61) == "0.40 (0.13 to 0.61)"


@pytest.mark.parametrize(
    ("values", "decimals"),
    [
        ([120, 85, 3000], 0),  # whole counts
        ([3.44, 3.6, 4], 2),  # the largest count of decimals needed
        ([0.9, 1.25, 0.6], 2),
        (["1.5", "", None, "2"], 1),  # text as read, missing cells left out
        ([0.12345, 1], 3),  # capped at 3
        ([1.1 + 2.2], 1),  # 3.3000000000000003: the noise of arithmetic, not a decimal
        ([float("nan"), float("inf")], 0),  # nothing recorded
        ([], 0),
    ],
)
def test_recorded_decimals(values, decimals):
    assert recorded_decimals(values) == decimals


@pytest.mark.parametrize(
    ("estimate", "low", "high", "digits", "expected"),
    [
        # nothing to add: distinct and non-zero at the marker's digits
        (-66.0, -98.0, -34.0, 0, 0),
        (-0.21, -0.30, -0.12, 2, 2),
        # 1.5 (1.1 to 2.1) at 0 decimals is "2 (1 to 2)": on its upper bound -> 1 decimal
        (1.5, 1.1, 2.1, 0, 1),
        # "−0 (−0 to −0)": a non-zero estimate printed as 0 -> "−0.2 (−0.3 to −0.1)"
        (-0.21, -0.30, -0.12, 0, 1),
        # 0.45 (0.02 to 0.93) at 0 decimals is "0 (0 to 1)"; at 1, "0.5 (0.0 to 0.9)"
        (0.45, 0.02, 0.93, 0, 1),
        # 3.44 on its lower bound 3.41 at 1 decimal ("3.4 (3.4 to 3.9)") -> 2 decimals
        (3.44, 3.41, 3.9, 1, 2),
        # truly equal to a bound (ties): stays at the marker's digits
        (5.0, 5.0, 9.0, 0, 0),
        (0.0, -2.0, 3.0, 0, 0),  # a true 0 is printed as 0
        # 1.0004 and its bound 1.0: apart only at the 4th decimal, beyond 4 significant
        # digits of 1.3 (3 decimals): capped there
        (1.0004, 1.0, 1.3, 0, 3),
        # a median [quartiles]: 0.5 [0–6.2] at 0 decimals is "0 [0–6]" -> "0.5 [0.0–6.2]"
        (0.5, 0.0, 6.2, 0, 1),
        # a missing or unbounded side is not checked; a missing estimate keeps the digits
        (2.4, float("nan"), 2.6, 0, 0),
        (2.4, float("-inf"), 2.6, 0, 0),
        (float("nan"), 1.0, 2.0, 2, 2),
        # more decimals than needed are kept
        (12.0, 3.0, 30.0, 2, 2),
    ],
)
def test_interval_digits(estimate, low, high, digits, expected):
    assert interval_digits(estimate, low, high, digits) == expected


def test_interval_digits_is_the_same_for_the_negated_interval():
    # a fall printed as a positive amount uses the rounding of the change itself
    assert interval_digits(-1.5, -2.1, -1.1, 0) == interval_digits(1.5, 1.1, 2.1, 0) == 1


def test_median_and_quartiles_share_one_rounding():
    assert format_median_iqr(0.9, 0.6, 1.3, 0) == "0.9 [0.6–1.3]"  # not "1 [1–1]"
    assert format_median_iqr(0.5, 0.0, 6.2, 0) == "0.5 [0.0–6.2]"  # not "0 [0–6]"
    assert format_median_iqr(82, 59, 153, 0) == "82 [59–153]"  # counts as before
    assert format_median_iqr(0, 0, 1, 0) == "0 [0–1]"  # a median truly on its quartile
    assert format_median_iqr(3.44, 3.1, 3.63, 2) == "3.44 [3.10–3.63]"
