"""Tests of itp_stats.stats.multiplicity against R p.adjust (tests/r/reference.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from itp_stats.stats.multiplicity import adjust_pvalues, p_adjust

P = [0.01, 0.04, 0.03, 0.2, np.nan, 0.005, 0.04]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("holm", [0.05, 0.12, 0.12, 0.2, np.nan, 0.03, 0.12]),  # p.adjust(p, "holm")
        ("bh", [0.03, 0.048, 0.048, 0.2, np.nan, 0.03, 0.048]),  # p.adjust(p, "BH")
        ("fdr", [0.03, 0.048, 0.048, 0.2, np.nan, 0.03, 0.048]),  # p.adjust(p, "fdr")
        ("bonferroni", [0.06, 0.24, 0.18, 1, np.nan, 0.03, 0.24]),  # p.adjust(p, "bonferroni")
    ],
)
def test_p_adjust_matches_r(method, expected):
    assert np.allclose(p_adjust(P, method), expected, equal_nan=True, rtol=0, atol=1e-12)


def test_p_adjust_second_dataset_matches_r():
    p = [0.103804797083416, 8.42467948767509e-05, 0.0501995004565946]
    # p.adjust(p, "holm") as in dunn_hand("dunn a") of reference.R
    assert np.allclose(
        p_adjust(p, "holm"), [0.103804797083416, 0.000252740384630253, 0.100399000913189]
    )


def test_adjust_pvalues_by_family_and_not_computed_rows():
    t = pd.DataFrame({"fam": ["a", "a", "b", "b", "b"], "p_unc": [0.01, 0.04, 0.01, np.nan, 0.2]})
    out = adjust_pvalues(t, method="bh", out_col="p_fdr", by="fam")
    assert np.allclose(out.p_fdr, [0.02, 0.04, 0.02, np.nan, 0.2], equal_nan=True)
    assert out.p_fdr_method.tolist() == [
        "Benjamini–Hochberg, family of 2 tests",
        "Benjamini–Hochberg, family of 2 tests",
        "Benjamini–Hochberg, family of 2 tests",
        "not adjusted: test not computed",
        "Benjamini–Hochberg, family of 2 tests",
    ]
    assert "p_fdr" not in t.columns


def test_unknown_method_is_an_error():
    with pytest.raises(ValueError, match="unknown adjustment"):
        p_adjust([0.1], "sidak")
