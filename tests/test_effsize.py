"""Tests of itp_stats.stats.effsize against R (tests/r/reference.R) and by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from stats_data import (
    C_X,
    C_Y,
    H1_M0,
    H1_M6,
    H4_X,
    H4_Y,
    P1_M0,
    P1_M6,
    P2_M0,
    P2_M6,
    A,
    B,
    E,
    G,
    long,
    paired,
    two,
)

from itp_stats.stats import _ranks
from itp_stats.stats.effsize import (
    EFFECT_COLUMNS,
    bootstrap_epsilon_squared,
    epsilon_squared,
    epsilon_squared_ci,
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
    ("data", "eps", "low"),
    [
        # effectsize::rank_epsilon_squared(v ~ g) = eta_squared(aov(rank(v) ~ g)) = H/(n-1);
        # low: eps_ref() in reference.R, lambda / (lambda + n) with lambda from
        # uniroot(pf(F, k-1, n-k, ncp = lambda, lower.tail = FALSE) - 0.05)
        (A, 0.706315876152832, 0.450444395275133),
        (B, 0.564503178748839, 0.329220145666128),
        (G, 0.308872484578825, 0.0597932807970019),  # kruskal.test p = 0.0113
        (E, 0.00912459720730396, 0.0),  # p = 0.917: the interval starts at 0
    ],
)
def test_epsilon_squared_matches_r(data, eps, low):
    res = epsilon_squared(long(data), "v", "g")
    assert list(res.columns) == EFFECT_COLUMNS
    row = res.iloc[0]
    assert close(row.effect, eps) and close(row.ci_low, low) and row.ci_high == 1
    assert row.ci_low <= row.effect and "one-sided" in row.method


def test_epsilon_squared_ncp_agrees_with_effectsize():
    # effectsize::F_to_eta2(F, 2, 20, alternative = "greater") finds the same noncentrality
    # (18.8519992560796, by optim; uniroot: 18.8519978729266) and converts it with
    # lambda / (lambda + df_error): CI_low 0.485225975935578; Steiger's lambda / (lambda + n)
    # is used here (eps_ref("eps A") in reference.R)
    h, n = 15.5389492753623, 23
    low, _ = epsilon_squared_ci(h, n, 3, 0.95)
    lam = low * n / (1 - low)
    assert close(lam, 18.8519978729266) and close(lam, 18.8519992560796, 1e-6)
    f = (h / 2) / ((n - 1 - h) / 20)
    assert close(stats.ncf.sf(f, 2, 20, lam), 0.05, 1e-9)


def test_epsilon_squared_near_zero_contains_zero_and_estimate():
    # the cross-check case of issue 11: p = 0.995, ε² = 0.00025 had a percentile interval
    # 0.0018-0.20 that missed its own estimate
    d = long({"CR": [1.0, 6, 7, 12, 13, 18], "PR": [2.0, 5, 8, 11, 15, 17],
              "NR": [3.0, 4, 9, 10, 14, 16]})  # fmt: skip  # rank sums 57, 58, 56
    h = kruskal_h([np.array(v, float) for v in [[1, 6, 7, 12, 13, 18], [2, 5, 8, 11, 15, 17],
                                                 [3, 4, 9, 10, 14, 16]]])  # fmt: skip
    row = epsilon_squared(d, "v", "g").iloc[0]
    assert close(row.effect, h / 17) and row.effect < 0.001 and stats.chi2.sf(h, 2) > 0.99
    assert row.ci_low == 0 <= row.effect <= row.ci_high == 1
    boot = epsilon_squared(d, "v", "g", ci_method="percentile_bootstrap", n_boot=500).iloc[0]
    assert boot.ci_low > 0  # the percentile bootstrap cannot reach 0


def _population_epsilon(p, mu):
    """12 Σ p_g (θ_g − ½)² for normal groups N(mu_g, 1) mixed in proportions p."""
    p, mu = np.asarray(p, float), np.asarray(mu, float)
    theta = np.array([np.sum(p * stats.norm.cdf((m - mu) / np.sqrt(2))) for m in mu])
    return float(12 * np.sum(p * (theta - 0.5) ** 2))


@pytest.mark.parametrize("shifts", [(0.0, 0.0, 0.0), (0.0, 0.5, 1.0)])
def test_epsilon_squared_interval_coverage(shifts):
    # 300 seeded replicates at n = 72 (29 / 14 / 29, the shipped design's proportions) of
    # normal groups; coverage of the population ε² by the one-sided 95% interval. Tolerance:
    # 0.95 ± 0.035 (about 2.8 binomial SEs at 300 replicates). Observed with 2,000 replicates:
    # 0.955 (null), 0.942 (ε² = 0.168).
    sizes = [29, 14, 29]
    truth = _population_epsilon(np.array(sizes) / 72, shifts)
    rng = np.random.default_rng(72)
    hits = []
    for _ in range(300):
        groups = {g: list(rng.normal(s, 1, n)) for g, s, n in zip(("CR", "PR", "NR"), shifts,
                                                                   sizes, strict=True)}  # fmt: skip
        row = epsilon_squared(long(groups), "v", "g").iloc[0]
        assert row.ci_low <= row.effect <= row.ci_high
        hits.append(row.ci_low <= truth <= row.ci_high)
    assert abs(np.mean(hits) - 0.95) <= 0.035


def test_epsilon_squared_bootstrap_reproducible_under_seed():
    d = long(B)
    kw = {"ci_method": "percentile_bootstrap", "n_boot": 400, "seed": 11}
    a = epsilon_squared(d, "v", "g", **kw)
    b = epsilon_squared(d, "v", "g", **kw)
    assert a.equals(b)


def test_epsilon_squared_bootstrap_coverage():
    # population ε² approximated on a very large sample; 95% CI should cover it mostly
    rng = np.random.default_rng(2024)
    shifts = np.array([0.0, 0.8, 1.6])

    def sample(n_per):
        return {g: list(rng.normal(s, 1, n_per)) for g, s in zip("abc", shifts, strict=True)}

    truth = epsilon_squared(long(sample(20_000)), "v", "g").iloc[0].effect
    hits = []
    for _ in range(60):
        row = epsilon_squared(long(sample(25)), "v", "g", ci_method="percentile_bootstrap",
                              n_boot=300, seed=int(rng.integers(1e9)))  # fmt: skip
        hits.append(row.iloc[0].ci_low <= truth <= row.iloc[0].ci_high)
    assert 0.8 <= np.mean(hits) <= 1.0


def test_rank_biserial_matches_r():
    row = rank_biserial(two(A["CR"], A["PR"]), "v", "g").iloc[0]
    # rb_ref("rb a_cr,a_pr"): r <- roc(controls = a_pr, cases = a_cr, direction = "<");
    # 2 * r$auc - 1, 2 * ci.auc(r, method = "delong")[c(1, 3)] - 1 (r = effectsize's -0.7083)
    assert close(
        [row.effect, row.ci_low, row.ci_high], [-0.708333333333333, -1, -0.257639693388962]
    )
    assert "DeLong" in row.method
    row = rank_biserial(two(C_X, C_Y), "v", "g").iloc[0]
    # rb_ref("rb c_x,c_y")
    assert close(
        [row.effect, row.ci_low, row.ci_high],
        [-0.0715151515151515, -0.283529383104564, 0.140499080074261],
    )
    row = rank_biserial(two(B["CR"], B["PR"] + B["NR"]), "v", "g").iloc[0]  # ties
    # rb_ref("rb b_cr,c(b_pr,b_nr)")
    assert close(
        [row.effect, row.ci_low, row.ci_high], [-0.806818181818182, -1, -0.603324709143645]
    )


def test_rank_biserial_degenerate_interval_is_noted():
    row = rank_biserial(two([1.0, 2, 3], [4.0, 5, 6]), "v", "g").iloc[0]
    assert row.effect == row.ci_low == row.ci_high == -1 and "degenerate" in row.note


@pytest.mark.parametrize("shift", [0.0, 1.0])
def test_rank_biserial_interval_coverage(shift):
    # 300 seeded replicates at n = 72 (29 vs 43, CR vs the rest in the shipped design), normal
    # groups; true r = 2·Φ(shift/√2) − 1 (0 and 0.52). Tolerance 0.95 ± 0.035. Observed with
    # 3,000 replicates: 0.942 (r = 0), 0.934 (r = 0.52); DeLong undercovers further for large
    # effects (0.92 at r = 0.71, 0.90 at r = 0.84), the Fisher-z interval it replaces more so
    # (0.90 at r = 0.52, 0.77 at r = 0.84).
    truth = 2 * stats.norm.cdf(shift / np.sqrt(2)) - 1
    rng = np.random.default_rng(29)
    hits = []
    for _ in range(300):
        row = rank_biserial(two(rng.normal(shift, 1, 29), rng.normal(0, 1, 43)), "v", "g")
        hits.append(row.iloc[0].ci_low <= truth <= row.iloc[0].ci_high)
    assert abs(np.mean(hits) - 0.95) <= 0.035


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
    assert hl.note == "3 zero difference(s) dropped" and hl.conf_level == 0.95


def test_hodges_lehmann_attained_level_in_conf_level():
    hl = hodges_lehmann_paired(paired(H1_M0, H1_M6), "x_m0", "x_m6").iloc[0]
    # by hand: non-zero differences -20, 10, 40, 100, 120 (n = 5, 15 Walsh averages), SD of
    # V sqrt(5·6·11/24) = 3.708. Below every Walsh average V = 15: z = (7.5 − 0.5)/3.708 =
    # 1.888 < 1.960, so no shift below the data is rejected at 95 % (no finite interval);
    # at 90 % (1.645) that gap is rejected and the next one (V = 14, z = 1.618) accepted:
    # (−20, 120). R's rule (wilcox.test(h1_m6, h1_m0, paired = TRUE, conf.int = TRUE):
    # 10 100 at 0.8) tests the ends of the data range themselves, where a difference is 0
    # and dropped, and lowers the level one step too far.
    assert close([hl.effect, hl.ci_low, hl.ci_high, hl.conf_level], [50, -20, 120, 0.9])
    assert hl.note.startswith("2 zero difference(s) dropped; requested 0.95 not attainable")
    hl = hodges_lehmann(two(H4_X, H4_Y), "v", "g").iloc[0]
    # wilcox.test(h4_x, h4_y, conf.int = TRUE): -10.5 5, conf.level 0.9
    assert (hl.effect, hl.ci_low, hl.ci_high) == (-5, -10.5, 5) and close(hl.conf_level, 0.9)
    assert "attained level" in hl.method


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
        h = np.nan if np.all(pooled == pooled[0]) else stats.kruskal(*resample).statistic
        slow.append(h / (n - 1))
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


@pytest.mark.parametrize("decimals", [0, 1, 6])
def test_kruskal_h_equals_scipy(decimals):
    rng = np.random.default_rng(decimals)
    samples = _three_groups(rng, [9, 14, 11], [0.0, 0.7, 1.2], decimals)
    assert np.isclose(kruskal_h(samples), stats.kruskal(*samples).statistic, rtol=1e-12)


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
    kw = {"ci_method": "percentile_bootstrap", "n_boot": 500, "seed": 1}
    row = epsilon_squared(long(big), "v", "g", **kw).iloc[0]
    assert "large-sample normal approximation" in row.method
    assert row.ci_low < row.effect < row.ci_high
    again = epsilon_squared(long(big), "v", "g", **kw).iloc[0]
    assert (row.ci_low, row.ci_high) == (again.ci_low, again.ci_high)
    small = epsilon_squared(long(B), "v", "g", **kw).iloc[0]
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


def _accepted_hull(values, p_of, alpha):
    """Brute-force inversion: the hull of the shifts whose test p (SciPy) is >= alpha, tried
    at every pair value, between neighbouring ones and beyond both ends."""
    u = np.unique(values)
    kept = [d for d in u if p_of(d) >= alpha - 1e-12]
    # a gap between neighbouring values (tested at its middle) reaches both of them
    ends = np.concatenate([[-np.inf], u, [np.inf]])
    middles = np.concatenate([[u[0] - 1], (u[:-1] + u[1:]) / 2, [u[-1] + 1]])
    for i, d in enumerate(middles):
        if p_of(d) >= alpha - 1e-12:
            kept += [ends[i], ends[i + 1]]
    return (min(kept), max(kept)) if kept else None


def test_two_sample_hl_interval_is_the_inverted_test_at_the_requested_level():
    """R never lowers the two-sample level: wilcox.test(c(1, 1, 2), c(3, 4, 5, 5, 6),
    conf.int = TRUE, exact = FALSE)$conf.int is -5 -1 at 0.95 (tests/r/reference.R)."""
    hl = hodges_lehmann(two([1, 1, 2], [3, 4, 5, 5, 6]), "v", "g").iloc[0]
    assert (hl.ci_low, hl.ci_high) == (-5, -1) and hl.conf_level == 0.95
    assert "attained level" not in hl.method


@pytest.mark.parametrize("seed", range(12))
def test_hl_intervals_equal_the_direct_inversion_of_scipys_tests(seed):
    """Small tied samples: every asymptotic HL interval is the hull of the shifts that SciPy's
    own test (tie- and continuity-corrected normal approximation) does not reject, at the
    level printed; the level is lowered only when that hull is unbounded at the requested one."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, int(rng.integers(3, 9))).astype(float)
    y = rng.integers(2, 9, int(rng.integers(3, 9))).astype(float)
    hl = hodges_lehmann(two(list(x), list(y)), "v", "g").iloc[0]
    if "exact" not in hl.method:

        def p_two(d):
            return stats.mannwhitneyu(x - d, y, method="asymptotic").pvalue

        hull = _accepted_hull(np.subtract.outer(x, y).ravel(), p_two, 1 - hl.conf_level)
        assert hull == (hl.ci_low, hl.ci_high)
        if hl.conf_level < 0.95:  # at the requested level the test rejects no shift beyond
            assert p_two(x.min() - y.max() - 1) >= 0.05 or p_two(x.max() - y.min() + 1) >= 0.05
    d = rng.integers(-3, 6, int(rng.integers(5, 12))).astype(float)
    m0 = rng.integers(10, 20, d.size).astype(float)
    hl = hodges_lehmann_paired(paired(list(m0), list(m0 + d)), "x_m0", "x_m6").iloc[0]
    dn = d[d != 0]
    if np.isfinite(hl.ci_low) and "exact" not in hl.method:

        def p_one(shift):
            z = dn - shift
            if not np.any(z):
                return 1.0
            return stats.wilcoxon(z, zero_method="wilcox", correction=True, method="approx").pvalue

        i, j = np.triu_indices(dn.size)
        walsh = (dn[i] + dn[j]) / 2
        assert _accepted_hull(walsh, p_one, 1 - hl.conf_level) == (hl.ci_low, hl.ci_high)
        if hl.conf_level < 0.95:  # lowered only where the requested level has no finite hull
            assert not np.all(np.isfinite(_accepted_hull(walsh, p_one, 0.05)))
