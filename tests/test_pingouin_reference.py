"""pingouin as the second, independent Python reference of the rank statistics the report
prints (R is the first: tests/r/reference.R)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from stats_data import P1_M0, P1_M6, P2_M0, P2_M6, A, B, long, paired, two

from itp_stats.stats.effsize import kruskal_h
from itp_stats.stats.nonparametric import kruskal, mann_whitney, wilcoxon

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pingouin as pg


@pytest.mark.parametrize("groups", [A, B], ids=["no ties", "ties"])
def test_kruskal_wallis_h_and_p(groups):
    row = kruskal(long(groups), "v", "g").iloc[0]
    ref = pg.kruskal(long(groups), dv="v", between="g").iloc[0]
    assert np.isclose(row.statistic, ref["H"], rtol=0, atol=1e-12)
    assert np.isclose(row.p_unc, ref["p_unc"], rtol=1e-12, atol=0)
    # the project's own H, which the ε² bootstrap computes on every resample
    samples = [np.asarray(v, dtype=float) for v in groups.values()]
    assert np.isclose(kruskal_h(samples), ref["H"], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("x", "y"), [(A["CR"], A["PR"]), (B["CR"], B["PR"] + B["NR"])], ids=["exact", "ties"]
)
def test_mann_whitney_u_and_rank_biserial(x, y):
    row = mann_whitney(two(x, y), "v", "g").iloc[0]
    ref = pg.mwu(np.asarray(x, float), np.asarray(y, float)).iloc[0]
    assert row.statistic == ref["U_val"]
    assert np.isclose(row.effect, ref["RBC"], rtol=0, atol=1e-12)


@pytest.mark.parametrize(("m0", "m6"), [(P1_M0, P1_M6), (P2_M0, P2_M6)], ids=["p1", "p2"])
def test_wilcoxon_w_and_rank_biserial(m0, m6):
    row = wilcoxon(paired(m0, m6), "x_m0", "x_m6").iloc[0]
    ref = pg.wilcoxon(np.asarray(m6, float), np.asarray(m0, float)).iloc[0]
    d = np.asarray(m6, float) - np.asarray(m0, float)
    n = int(np.count_nonzero(d))
    # the report prints R's V (sum of the positive ranks); pingouin gives min(V, n(n+1)/2 − V)
    assert min(row.statistic, n * (n + 1) / 2 - row.statistic) == ref["W_val"]
    assert np.isclose(row.effect, ref["RBC"], rtol=0, atol=1e-12)
