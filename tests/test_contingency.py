"""Tests of itp_stats.stats.contingency against R fisher.test / chisq.test (tests/r/reference.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from itp_stats.stats.contingency import (
    CONTINGENCY_COLUMNS,
    categorical_test,
    chi_square,
    fisher_exact,
    fisher_exact_pvalue,
)

TOL = 1e-6
T22 = [[8, 2], [1, 5]]
T23 = [[20, 10, 5], [10, 15, 12]]
T33 = [[3, 1, 2], [1, 4, 5], [2, 2, 6]]
T33B = [[10, 8, 6], [5, 9, 12], [8, 7, 7]]
T34 = [[2, 3, 1, 4], [5, 1, 2, 0], [1, 1, 6, 2]]


def frame_from(table, groups=("CR", "PR", "NR", "X")) -> pd.DataFrame:
    """One row per patient: variable level = row, group = column."""
    t = np.asarray(table)
    rows = []
    for i in range(t.shape[0]):
        for j in range(t.shape[1]):
            rows += [(f"L{i}", groups[j])] * int(t[i, j])
    d = pd.DataFrame(rows, columns=["var", "g"])
    d["g"] = pd.Categorical(d["g"], categories=list(groups[: t.shape[1]]))
    return d


@pytest.mark.parametrize(
    ("table", "p"),
    [
        (T22, 0.034965034965035),  # fisher.test(t22)$p.value
        (T23, 0.028156312814391),  # fisher.test(t23)$p.value
        (T33, 0.500375112839774),  # fisher.test(t33)$p.value
        (T33B, 0.429025229747782),  # fisher.test(t33b)$p.value
        (T34, 0.0473454792966211),  # fisher.test(t34)$p.value
    ],
)
def test_fisher_matches_r(table, p):
    value, how = fisher_exact_pvalue(np.array(table))
    assert abs(value - p) < TOL and how.startswith("exact")
    row = fisher_exact(frame_from(table), "var", "g").iloc[0]
    assert abs(row.p_unc - p) < TOL and row.n == np.sum(table)
    # transposed table, same p
    assert abs(fisher_exact_pvalue(np.array(table).T)[0] - p) < TOL


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # or_cond(t22) in reference.R: fisher.test's equations solved with uniroot tol 1e-14
        # (fisher.test(t22) itself, at uniroot's default tolerance: 15.4697, 1.00885, 1049.79)
        (T22, [15.465819716921, 1.00884920794769, 1059.63949508628]),
        # or_cond(t33b[1:2, 1:2])
        ([[10, 8], [5, 9]], [2.19247044169191, 0.43688982965545, 12.1442383383397]),
    ],
)
def test_fisher_2x2_odds_ratio_matches_r(table, expected):
    res = fisher_exact(frame_from(table), "var", "g")
    assert list(res.columns) == CONTINGENCY_COLUMNS
    row = res.iloc[0]
    assert np.allclose([row.effect, row.ci_low, row.ci_high], expected, rtol=TOL)
    assert row.effect_type == "odds_ratio"
    # and within uniroot's tolerance of fisher.test's own printed values
    if table == T22:
        assert np.allclose(
            [row.effect, row.ci_low, row.ci_high],
            [15.4696874628869, 1.00884938039662, 1049.79144613175],
            rtol=1e-2,
        )


@pytest.mark.parametrize(
    ("table", "x2", "df", "p"),
    [
        (T22, 6.11216931216931, 1, 0.0134254248814913),  # chisq.test(t22, correct = FALSE)
        (T23, 7.16565977742448, 2, 0.0277969246442549),  # chisq.test(t23, correct = FALSE)
        (T33B, 3.87351778656126, 4, 0.423393895882382),  # chisq.test(t33b, correct = FALSE)
    ],
)
def test_chi_square_matches_r(table, x2, df, p):
    row = chi_square(frame_from(table), "var", "g").iloc[0]
    assert abs(row.statistic - x2) < TOL and row.df == df and abs(row.p_unc - p) < TOL


def test_chi_square_yates_matches_r():
    row = chi_square(frame_from(T22), "var", "g", correct=True).iloc[0]
    # chisq.test(t22, correct = TRUE)
    assert abs(row.statistic - 3.80952380952381) < TOL
    assert abs(row.p_unc - 0.0509619369677633) < TOL and "Yates" in row.method


def test_categorical_test_rule():
    chosen = categorical_test(frame_from(T23), "var", "g").iloc[0]
    assert chosen.test == "chi_square" and "all expected counts ≥ 5" in chosen.method
    chosen = categorical_test(frame_from(T33), "var", "g").iloc[0]
    assert chosen.test == "fisher_exact" and "an expected count < 5" in chosen.method
    assert abs(chosen.p_unc - 0.500375112839774) < TOL


def test_contingency_not_computed_and_missing():
    row = fisher_exact(frame_from([[2, 5], [1, 5]]), "var", "g").iloc[0]
    assert not row.method.startswith("not computed")  # CR has exactly 3 values
    one_level = frame_from([[5, 6, 7]])
    assert categorical_test(one_level, "var", "g").iloc[0].method == (
        "not computed: only one level observed"
    )
    small = frame_from([[1, 5], [1, 5]])
    assert (
        categorical_test(small, "var", "g")
        .iloc[0]
        .method.startswith("not computed: fewer than 3 values in group CR (n=2)")
    )
    d = frame_from(T22)
    d.loc[0, "var"] = None
    row = fisher_exact(d, "var", "g").iloc[0]
    assert row.n == 15 and row.n_missing == 1


def test_large_table_is_fast_and_exact():
    p, how = fisher_exact_pvalue(np.array([[30, 25, 20], [10, 12, 18], [3, 6, 9]]))
    assert how.startswith("exact") and 0 < p <= 1
