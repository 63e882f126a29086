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
