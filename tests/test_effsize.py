"""Tests of itp_stats.stats.effsize against R (tests/r/reference.R) and by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from stats_data import C_X, C_Y, P1_M0, P1_M6, P2_M0, P2_M6, A, B, long, paired, two

from itp_stats.stats import _ranks
from itp_stats.stats.effsize import (
    EFFECT_COLUMNS,
    bootstrap_epsilon_squared,
    epsilon_squared,
    epsilon_squared_from_counts,
    hodges_lehmann,
    hodges_lehmann_paired,
    kruskal_h,
    normal_bootstrap_epsilon_squared,
    rank_biserial,
    rank_biserial_paired,
    use_normal_bootstrap,
)

TOL = 1e-6


def close(a, b, tol=TOL):
    return np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    ("data", "eps"),
    [
        (A, 0.706315876152832),  # effectsize::rank_epsilon_squared(v ~ g, data = a)
        (B, 0.564503178748839),  # effectsize::rank_epsilon_squared(v ~ g, data = b)
    ],
)
def test_epsilon_squared_matches_r(data, eps):
    res = epsilon_squared(long(data), "v", "g", n_boot=500, seed=3)
    assert list(res.columns) == EFFECT_COLUMNS
    row = res.iloc[0]
    assert close(row.effect, eps) and 0 <= row.ci_low <= row.ci_high <= 1


def test_epsilon_squared_bootstrap_reproducible_under_seed():
    d = long(B)
    a = epsilon_squared(d, "v", "g", n_boot=400, seed=11)
    b = epsilon_squared(d, "v", "g", n_boot=400, seed=11)
    assert a.equals(b)


def test_epsilon_squared_bootstrap_coverage():
    # population ε² approximated on a very large sample; 95% CI should cover it mostly
    rng = np.random.default_rng(2024)
    shifts = np.array([0.0, 0.8, 1.6])

    def sample(n_per):
        return {g: list(rng.normal(s, 1, n_per)) for g, s in zip("abc", shifts, strict=True)}

    truth = epsilon_squared(long(sample(20_000)), "v", "g", n_boot=0).iloc[0].effect
    hits = []
    for _ in range(60):
        row = epsilon_squared(long(sample(25)), "v", "g", n_boot=300, seed=int(rng.integers(1e9)))
        hits.append(row.iloc[0].ci_low <= truth <= row.iloc[0].ci_high)
    assert 0.8 <= np.mean(hits) <= 1.0


def test_rank_biserial_matches_r():
    row = rank_biserial(two(A["CR"], A["PR"]), "v", "g").iloc[0]
    # effectsize::rank_biserial(a_cr, a_pr)
    assert close(
        [row.effect, row.ci_low, row.ci_high],
        [-0.708333333333333, -0.908069395577718, -0.246098302457569],
    )
    row = rank_biserial(two(C_X, C_Y), "v", "g").iloc[0]
    # effectsize::rank_biserial(c_x, c_y)
    assert close(
        [row.effect, row.ci_low, row.ci_high],
        [-0.0715151515151515, -0.276414235402135, 0.139602929666089],
    )


def test_hodges_lehmann_matches_r():
    row = hodges_lehmann(two(A["CR"], A["PR"]), "v", "g").iloc[0]
    # wilcox.test(a_cr, a_pr, conf.int = TRUE): estimate, conf.int (exact)
    assert (row.effect, row.ci_low, row.ci_high) == (-38, -63, -4)
    row = hodges_lehmann(two(B["CR"], B["PR"] + B["NR"]), "v", "g").iloc[0]
    # wilcox.test(b_cr, c(b_pr, b_nr), conf.int = TRUE, tol.root = 1e-12)$conf.int
    assert close([row.effect, row.ci_low, row.ci_high], [-40, -60, -20])
    assert "asymptotic" in row.method


def test_paired_effects_match_r():
    rb = rank_biserial_paired(paired(P1_M0, P1_M6), "x_m0", "x_m6").iloc[0]
    # effectsize::rank_biserial(p1_m6, p1_m0, paired = TRUE)
    assert close(
        [rb.effect, rb.ci_low, rb.ci_high],
        [0.963636363636364, 0.860500247079484, 0.99089422404064],
    )
    hl = hodges_lehmann_paired(paired(P1_M0, P1_M6), "x_m0", "x_m6").iloc[0]
    # wilcox.test(p1_m6, p1_m0, paired = TRUE, conf.int = TRUE): estimate, conf.int
    assert (hl.effect, hl.ci_low, hl.ci_high) == (34, 18, 50.5)
    hl = hodges_lehmann_paired(paired(P2_M0, P2_M6), "x_m0", "x_m6").iloc[0]
    # wilcox.test(p2_m6, p2_m0, paired = TRUE, conf.int = TRUE, tol.root = 1e-12)$conf.int
    assert close([hl.effect, hl.ci_low, hl.ci_high], [10, 0, 20])
    assert hl.note == "3 zero difference(s) dropped"


def test_hodges_lehmann_large_paired_uses_selection():
    rng = np.random.default_rng(1)
    m0 = rng.normal(100, 20, 2500)
    m6 = m0 + rng.normal(5, 10, 2500)
    hl = hodges_lehmann_paired(paired(m0, m6), "x_m0", "x_m6").iloc[0]
    d = m6 - m0
    i, j = np.triu_indices(d.size)
    walsh = np.sort((d[i] + d[j]) / 2)
    assert "selection" in hl.method
    assert close(hl.effect, np.median(walsh), 1e-12)
    assert hl.ci_low in walsh and hl.ci_high in walsh


def test_effects_not_computed():
    row = rank_biserial(two([1, 2], [3, 4, 5]), "v", "g").iloc[0]
    assert row.method.startswith("not computed: fewer than 3 values")
    row = hodges_lehmann(two([1, 1, 1], [1, 1, 1]), "v", "g").iloc[0]
    assert row.method == "not computed: all values tied"
    row = epsilon_squared(long({"CR": [1.0, 2, 3]}), "v", "g").iloc[0]
    assert row.method == "not computed: fewer than two groups"
    row = rank_biserial_paired(paired([1, 2], [2, 3]), "x_m0", "x_m6").iloc[0]
    assert row.method == "not computed: fewer than 3 complete pairs (n=2)"
    row = hodges_lehmann_paired(paired([1, 2, 3, 4], [1, 2, 3, 5]), "x_m0", "x_m6").iloc[0]
    assert row.method == "not computed: fewer than 3 non-zero differences (n=1)"


# --------------------------------------------------------------------------------------------
# bootstrap of ε²: fast paths against straightforward references
# --------------------------------------------------------------------------------------------


def _three_groups(rng, sizes, shifts, decimals):
    return [np.round(rng.normal(s, 1, n), decimals) for n, s in zip(sizes, shifts, strict=True)]


@pytest.mark.parametrize("decimals", [0, 1, 6])  # heavy ties, some ties, none
def test_bootstrap_epsilon_squared_equals_loop_over_same_resamples(decimals):
    rng = np.random.default_rng(7)
    samples = _three_groups(rng, [9, 14, 11], [0.0, 0.7, 1.2], decimals)
    n = sum(s.size for s in samples)
    uvals = np.unique(np.concatenate(samples))
    n_boot = 150
    draws = [rng.integers(0, s.size, size=(n_boot, s.size)) for s in samples]
    # straightforward reference: form each resample, rank it with SciPy, one at a time
    slow = []
    for b in range(n_boot):
        resample = [s[d[b]] for s, d in zip(samples, draws, strict=True)]
        pooled = np.concatenate(resample)
        slow.append(np.nan if np.all(pooled == pooled[0]) else kruskal_h(resample) / (n - 1))
    # fast: the same resamples as multiplicities of the sorted distinct values
    counts = np.stack(
        [
            np.stack([np.bincount(np.searchsorted(uvals, s[row]), minlength=uvals.size)
                      for row in d])
            for s, d in zip(samples, draws, strict=True)
        ],
        axis=1,
    ).astype(float)  # fmt: skip
    fast = epsilon_squared_from_counts(counts, np.array([s.size for s in samples]))
    assert np.allclose(fast, slow, rtol=1e-12, atol=1e-14, equal_nan=True)


def test_bootstrap_epsilon_squared_resamples_within_groups():
    rng = np.random.default_rng(3)
    samples = _three_groups(rng, [6, 9, 7], [0.0, 1.0, 2.0], 0)
    boot = bootstrap_epsilon_squared(samples, 3000, np.random.default_rng(1))
    # every value is the ε² of some stratified resample: in [0, 1], and its distribution is
    # centred near the observed ε²
    fin = boot[np.isfinite(boot)]
    obs = kruskal_h(samples) / (sum(s.size for s in samples) - 1)
    assert np.all((fin >= -1e-12) & (fin <= 1 + 1e-12))
    assert abs(np.median(fin) - obs) < 0.1
    again = bootstrap_epsilon_squared(samples, 3000, np.random.default_rng(1))
    assert np.array_equal(boot, again, equal_nan=True)


@pytest.mark.parametrize(
    ("sizes", "shifts", "decimals"),
    [
        ([2500, 1500, 3000], [0.0, 0.0, 0.0], 6),  # no effect: ε² near 0, skewed
        ([2500, 1500, 3000], [0.0, 0.3, 0.6], 0),  # heavy ties
        ([2500, 1500, 3000], [0.0, 1.0, 2.0], 6),  # large effect
    ],
)
def test_normal_bootstrap_matches_exact_bootstrap(sizes, shifts, decimals):
    rng = np.random.default_rng(11)
    samples = _three_groups(rng, sizes, shifts, decimals)
    exact = bootstrap_epsilon_squared(samples, 3000, np.random.default_rng(1))
    approx = normal_bootstrap_epsilon_squared(samples, 3000, np.random.default_rng(2))
    q = [0.025, 0.5, 0.975]
    qe, qa = np.quantile(exact, q), np.quantile(approx, q)
    width = qe[2] - qe[0]
    assert np.all(np.abs(qa - qe) < 0.08 * width)
    assert abs(np.std(approx) / np.std(exact) - 1) < 0.08
    # both are centred alike (the approximation's mean ranks and tie correction are the sample's)
    assert abs(np.mean(approx) - np.mean(exact)) < 0.05 * width


def test_epsilon_squared_large_groups_use_stated_normal_approximation():
    rng = np.random.default_rng(5)
    big = {g: list(rng.normal(s, 1, 7000)) for g, s in zip("abc", [0, 0.2, 0.4], strict=True)}
    row = epsilon_squared(long(big), "v", "g", n_boot=500, seed=1).iloc[0]
    assert "large-sample normal approximation" in row.method
    assert row.ci_low < row.effect < row.ci_high
    again = epsilon_squared(long(big), "v", "g", n_boot=500, seed=1).iloc[0]
    assert (row.ci_low, row.ci_high) == (again.ci_low, again.ci_high)
    small = epsilon_squared(long(B), "v", "g", n_boot=500, seed=1).iloc[0]
    assert (
        small.method == "ε² = H/(n−1); percentile bootstrap CI, 500 resamples stratified by group"
    )
    assert not use_normal_bootstrap([7000, 7000, 999])  # a small group: exact bootstrap


@pytest.mark.parametrize("walsh", [True, False])
@pytest.mark.parametrize("levels", [2, 5, None])  # heavy ties, ties, continuous
def test_pair_order_selection_equals_full_sort(monkeypatch, walsh, levels):
    monkeypatch.setattr(_ranks, "MATERIALISE_MAX", 0)
    rng = np.random.default_rng(levels or 0)

    def draw(n):
        return rng.integers(0, levels, n).astype(float) if levels else rng.normal(size=n)

    x, y = draw(1300), draw(900)
    order = _ranks.PairOrder(x) if walsh else _ranks.PairOrder(x, y)
    assert not order.materialised
    full = _ranks._pairs_materialised(order._a, order._b, walsh)
    scale = 2 if walsh else 1
    for k in [0, 1, order.n_pairs // 3, order.n_pairs // 2, order.n_pairs - 1]:
        assert order.kth(k) == full[k] / scale
