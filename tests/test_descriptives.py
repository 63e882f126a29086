"""Tests of itp_stats.stats.descriptives (hand-computed values)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from itp_stats.stats.descriptives import (
    CATEGORICAL_COLUMNS,
    CONTINUOUS_COLUMNS,
    MISSING_COLUMNS,
    describe_categorical,
    describe_continuous,
    missing_summary,
)


def data() -> pd.DataFrame:
    return pd.DataFrame({
        "age": [30, 40, 50, np.nan, 70, 20, 60],
        "sex": ["F", "M", "F", "F", None, "M", "F"],
        "g": pd.Categorical(["CR", "CR", "CR", "NR", "NR", "NR", None],
                            categories=["CR", "PR", "NR"], ordered=True),
    })  # fmt: skip


def test_describe_continuous():
    res = describe_continuous(data(), ["age"], "g")
    assert list(res.columns) == CONTINUOUS_COLUMNS
    assert res.group.tolist() == ["CR", "PR", "NR", "Overall"]
    cr = res.iloc[0]
    # quantile(c(30, 40, 50), c(.25, .5, .75)) = 35, 40, 45 (type 7)
    assert (cr.n, cr.n_missing, cr.q1, cr["median"], cr.q3) == (3, 0, 35, 40, 45)
    pr = res.iloc[1]
    assert pr.n == 0 and np.isnan(pr["median"])
    nr = res.iloc[2]
    assert (nr.n, nr.n_missing, nr["median"]) == (2, 1, 45)
    overall = res.iloc[3]
    assert (overall.n, overall.n_missing, overall["median"]) == (6, 1, 45)
    assert np.isclose(overall.sd, np.std([30, 40, 50, 70, 20, 60], ddof=1))


def test_describe_categorical():
    res = describe_categorical(data(), ["sex"], "g")
    assert list(res.columns) == CATEGORICAL_COLUMNS
    cr = res[res.group == "CR"].set_index("level")
    assert cr.loc["F", "n"] == 2 and cr.loc["M", "n"] == 1 and cr.loc["F", "n_total"] == 3
    assert np.isclose(cr.loc["F", "percent"], 200 / 3)
    nr = res[res.group == "NR"].set_index("level")
    assert nr.loc["F", "n_total"] == 2 and nr.loc["F", "n_missing"] == 1
    assert res[res.group == "PR"].percent.isna().all()
    ov = res[res.group == "Overall"].set_index("level")
    assert ov.loc["F", "n"] == 4 and ov.loc["F", "n_total"] == 6


def test_missing_summary():
    res = missing_summary(data(), ["age", "sex"], "g", overall=False)
    assert list(res.columns) == MISSING_COLUMNS
    nr = res[(res.variable == "age") & (res.group == "NR")].iloc[0]
    assert nr.n_rows == 3 and nr.n_missing == 1 and np.isclose(nr.percent_missing, 100 / 3)
