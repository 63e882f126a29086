"""Tests of itp_stats.stats.nonparametric against R (tests/r/reference.R, reference.out)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from stats_data import (
    C_X,
    C_Y,
    H1_M0,
    H1_M6,
    H2_M0,
    H2_M6,
    H3_M0,
    H3_M6,
    H4_X,
    H4_Y,
    H5_X,
    H5_Y,
    P1_M0,
    P1_M6,
    P2_M0,
    P2_M6,
    A,
    B,
    jt_groups,
    long,
    paired,
    two,
)

from itp_stats.stats.nonparametric import (
    DUNN_COLUMNS,
    JT_COLUMNS,
    KRUSKAL_COLUMNS,
    MANN_WHITNEY_COLUMNS,
    WILCOXON_COLUMNS,
    dunn,
    jonckheere,
    kruskal,
    mann_whitney,
    wilcoxon,
)

TOL = 1e-6


def close(a, b, tol=TOL):
    return np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=tol, atol=tol)


# ---- Kruskal–Wallis -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "h", "p", "eps", "eps_low"),
    [
        # kruskal.test(list(a_cr, a_pr, a_nr)); statistic / (n - 1); eps_ref("eps A"):
        # lambda / (lambda + n), lambda from uniroot on pf(F, 2, 20, ncp) (reference.R)
        (A, 15.5389492753623, 0.000422435140026778, 0.706315876152832, 0.450444395275133),
        # kruskal.test(list(b_cr, b_pr, b_nr)); effectsize::rank_epsilon_squared(v ~ g)
        (B, 18.6286048987117, 9.01259474894044e-05, 0.564503178748839, 0.329220145666128),
    ],
)
def test_kruskal_matches_r(data, h, p, eps, eps_low):
    res = kruskal(long(data), "v", "g")
    assert list(res.columns) == KRUSKAL_COLUMNS
    row = res.iloc[0]
    assert close(row.statistic, h) and close(row.p_unc, p) and close(row.effect, eps)
    assert row.df == 2 and row.n == sum(len(v) for v in data.values())
    assert close(row.ci_low, eps_low) and row.ci_high == 1 and row.conf_level == 0.95
    assert "one-sided" in row.effect_method and "noncentral F" in row.effect_method


def test_kruskal_bootstrap_is_seeded():
    d = long(B)
    kw = {"ci_method": "percentile_bootstrap", "n_boot": 300}
    r1 = kruskal(d, "v", "g", seed=7, **kw).iloc[0]
    r2 = kruskal(d, "v", "g", seed=7, **kw).iloc[0]
    r3 = kruskal(d, "v", "g", seed=8, **kw).iloc[0]
    assert (r1.ci_low, r1.ci_high) == (r2.ci_low, r2.ci_high)
    assert (r1.ci_low, r1.ci_high) != (r3.ci_low, r3.ci_high)
    assert "percentile bootstrap" in r1.effect_method
    with pytest.raises(ValueError, match="ci_method"):
        kruskal(d, "v", "g", ci_method="bca")


def test_kruskal_missing_values_are_dropped_and_counted():
    d = long(B)
    d.loc[[0, 5], "v"] = np.nan
    row = kruskal(d, "v", "g").iloc[0]
    assert row.n == len(d) - 2 and row.n_missing == 2
    row = kruskal(d, "v", "g", ci_method="percentile_bootstrap", n_boot=0).iloc[0]
    assert "not requested" in row.effect_method


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (long({"CR": [1, 2, 3], "PR": [4, 5], "NR": [6, 7, 8]}), "fewer than 3 values"),
        (long({"CR": [1, 1, 1], "PR": [1, 1, 1], "NR": [1, 1, 1]}), "all values tied"),
        (long({"CR": [1.0, 2, 3]}), "fewer than two groups"),
        (long({"CR": [np.nan] * 3, "PR": [np.nan] * 3}), "all values missing"),
    ],
)
def test_kruskal_not_computed(frame, reason):
    row = kruskal(frame, "v", "g", n_boot=50).iloc[0]
    assert row.method.startswith("not computed: ") and reason in row.method
    assert np.isnan(row.p_unc) and reason in row.note


def test_kruskal_empty_declared_category_is_reported():
    d = long({"CR": [1.0, 2, 3], "NR": [4.0, 5, 6]})
    d["g"] = d["g"].cat.set_categories(["CR", "PR", "NR"])
    row = kruskal(d, "v", "g").iloc[0]
    assert "PR (n=0)" in row.method


# ---- Mann–Whitney ---------------------------------------------------------------------------


def test_mann_whitney_exact_matches_r():
    row = mann_whitney(two(A["CR"], A["PR"]), "v", "g").iloc[0]
    assert list(mann_whitney(two(A["CR"], A["PR"]), "v", "g").columns) == MANN_WHITNEY_COLUMNS
    assert row.statistic == 7  # wilcox.test(a_cr, a_pr)$statistic
    assert close(row.p_unc, 0.0293040293040293)  # wilcox.test(a_cr, a_pr)$p.value
    assert "exact" in row.method and np.isnan(row.z)
    # wilcox.test(a_cr, a_pr, conf.int = TRUE)$conf.int ; $estimate == median(outer(...))
    assert close([row.hl_ci_low, row.hl_ci_high], [-63, -4]) and row.hl_estimate == -38
    assert row.hl_conf_level == row.conf_level == 0.95 and row.note == ""
    # rb_ref("rb a_cr,a_pr"): 2 * auc - 1, 2 * ci.auc(roc(controls = a_pr, cases = a_cr,
    # direction = "<"), method = "delong") - 1 (the AUC interval is clipped at 0, r at -1)
    assert close(
        [row.effect, row.ci_low, row.ci_high], [-0.708333333333333, -1, -0.257639693388962]
    )
    assert "DeLong" in row.effect_method


@pytest.mark.parametrize(
    ("x", "y", "w", "p", "ci", "hl", "rb"),
    [
        # wilcox.test(b_cr, c(b_pr, b_nr), conf.int = TRUE, tol.root = 1e-12): ties;
        # r: rb_ref("rb b_cr,c(b_pr,b_nr)") (2 * pROC DeLong AUC interval - 1)
        (B["CR"], B["PR"] + B["NR"], 25.5, 0.000127870638724411, (-60, -20), -40,
         (-0.806818181818182, -1, -0.603324709143645)),
        # wilcox.test(c_x, c_y, conf.int = TRUE, tol.root = 1e-12): n >= 50, no ties;
        # r: rb_ref("rb c_x,c_y")
        (C_X, C_Y, 1532, 0.510619291378365, (-32.2499999999998, 16.7499999999998), -7.25,
         (-0.0715151515151515, -0.283529383104564, 0.140499080074261)),
    ],
)  # fmt: skip
def test_mann_whitney_asymptotic_matches_r(x, y, w, p, ci, hl, rb):
    row = mann_whitney(two(x, y), "v", "g").iloc[0]
    assert close(row.statistic, w) and close(row.p_unc, p)
    assert "continuity correction" in row.method and "asymptotic" in row.hl_method
    assert close([row.hl_ci_low, row.hl_ci_high], ci)
    assert close(row.hl_estimate, hl)  # median(outer(x, y, "-"))
    assert "median of the pairwise differences" in row.hl_method  # not R's uniroot estimate
    assert close([row.effect, row.ci_low, row.ci_high], rb)
    assert row.hl_conf_level == 0.95


def test_mann_whitney_exact_attained_level_matches_r():
    row = mann_whitney(two(H4_X, H4_Y), "v", "g").iloc[0]
    # wilcox.test(h4_x, h4_y, conf.int = TRUE): "Requested conf.level not achievable";
    # conf.int -10.5 5, attr conf.level 0.9 = 1 - 2 * pwilcox(0, 3, 3); estimate -5
    assert (row.hl_ci_low, row.hl_ci_high, row.hl_estimate) == (-10.5, 5, -5)
    assert close(row.hl_conf_level, 0.9) and row.conf_level == 0.95
    assert "attained level" in row.hl_method and "1 − 2/20" in row.note


def test_mann_whitney_asymptotic_attained_level():
    row = mann_whitney(two(H5_X, H5_Y), "v", "g").iloc[0]
    # reference.R H5: R's two-sample code returns the range of x - y, (-5, 0), labelled 0.95,
    # without testing beyond it. Inverted directly (SciPy, mannwhitneyu(x - d, y,
    # method="asymptotic").pvalue): p = 0.0765 for every shift below -5 or above 0, so at 95 %
    # no shift beyond the data range is rejected (no finite interval); at 90 % those are
    # rejected and -5 (p = 0.116) and 0 (p = 0.164) accepted: (-5, 0) at 0.9
    assert close([row.hl_ci_low, row.hl_ci_high], [-5, 0]) and row.hl_estimate == -3
    assert row.hl_conf_level == 0.9 and "level lowered to 0.9" in row.note
    assert "asymptotic" in row.hl_method and "attained level" in row.hl_method


def test_mann_whitney_without_continuity_correction():
    row = mann_whitney(two(B["CR"], B["PR"] + B["NR"]), "v", "g", correct=False).iloc[0]
    assert close(row.p_unc, 0.000118798413962191)  # wilcox.test(..., correct = FALSE)


def test_mann_whitney_groups_option_selects_and_orders():
    d = long(A)
    row = mann_whitney(d, "v", "g", groups=["PR", "CR"]).iloc[0]
    assert (row.group1, row.group2) == ("PR", "CR")
    assert row.statistic == len(A["CR"]) * len(A["PR"]) - 7


def test_mann_whitney_not_computed():
    row = mann_whitney(long(A), "v", "g").iloc[0]
    assert row.method == "not computed: needs exactly two groups, got 3"
    row = mann_whitney(two([1, 2], [3, 4, 5]), "v", "g").iloc[0]
    assert row.method.startswith("not computed: fewer than 3 values in group g1 (n=2)")
    assert row.hl_method.startswith("not computed")


def test_mann_whitney_large_sample_uses_selection():
    rng = np.random.default_rng(0)
    x, y = rng.normal(0.3, 1, 1600), rng.normal(0, 1, 1500)
    row = mann_whitney(two(x, y), "v", "g").iloc[0]
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    assert "selection" in row.hl_method
    assert close(row.hl_estimate, np.median(diffs), 1e-12)
    assert row.hl_ci_low in diffs and row.hl_ci_high in diffs


# ---- Dunn -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "z", "p", "p_holm"),
    [
        # hand computation in reference.R (dunn_hand): pooled mid-ranks, tie-corrected SE
        (A, [-1.62668132481601, -3.93198650847295, -1.95826009730466],
         [0.103804797083416, 8.42467948767509e-05, 0.0501995004565946],
         [0.103804797083416, 0.000252740384630253, 0.100399000913189]),
        (B, [-1.62198539649434, -4.30079228051204, -1.95369912742232],
         [0.104806475027841, 1.70188534716549e-05, 0.0507368095641086],
         [0.104806475027841, 5.10565604149648e-05, 0.101473619128217]),
    ],
)  # fmt: skip
def test_dunn_matches_hand_computation(data, z, p, p_holm):
    res = dunn(long(data), "v", "g")
    assert list(res.columns) == DUNN_COLUMNS
    assert list(zip(res.group1, res.group2, strict=True)) == [
        ("CR", "PR"), ("CR", "NR"), ("PR", "NR")
    ]  # fmt: skip
    assert close(res.statistic, z) and close(res.p_unc, p) and close(res.p_adj, p_holm)
    assert (res.adjust == "Holm").all()
    # Dunn pairs keep their stated Fisher-z interval of r (effectsize::rank_biserial)
    assert res.effect_method.str.contains("Fisher-z").all()
    if data is A:
        cr_pr = res.iloc[0]  # effectsize::rank_biserial(a_cr, a_pr)
        assert close([cr_pr.effect, cr_pr.ci_low, cr_pr.ci_high],
                     [-0.708333333333333, -0.908069395577718, -0.246098302457569])  # fmt: skip


def test_dunn_not_computed_rows():
    res = dunn(long({"CR": [1, 2], "PR": [3, 4, 5], "NR": [6, 7, 8]}), "v", "g")
    assert len(res) == 3 and res.method.str.startswith("not computed").all()
    assert res.effect_method.str.startswith("not computed").all()


# ---- Jonckheere–Terpstra --------------------------------------------------------------------


def test_jonckheere_exact_matches_r():
    row = jonckheere(long(A), "v", "g").iloc[0]
    assert list(jonckheere(long(A), "v", "g").columns) == JT_COLUMNS
    # jt_hand(list(a_cr, a_pr, a_nr)) in reference.R: J, E, V, exact p (dwilcox convolution)
    assert (row.statistic, row.expected, row.variance) == (161, 87, 312)
    assert close(row.p_unc, 3.68619416807928e-06) and row.method.endswith("exact")
    assert row.order == "CR < PR < NR"


def test_jonckheere_normal_with_ties_matches_r():
    row = jonckheere(long(B), "v", "g").iloc[0]
    # jt_hand(list(b_cr, b_pr, b_nr)): J, E, tie-corrected V, two-sided normal p
    assert close([row.statistic, row.expected, row.variance], [324, 184.5, 965.558322192513])
    assert close(row.p_unc, 7.14356797034744e-06) and "tie-corrected" in row.method


@pytest.mark.parametrize(
    ("n_nr", "j", "p", "how"),
    [
        # reference.R jt_exact(jt_groups(40)): n = 100, no ties -> exact, as clinfun
        # (exact unless n > 100); the normal p would be 0.0574141478834885
        (40, 1896, 0.0576557137892973, "exact"),
        # jt_exact(jt_groups(41)): n = 101 -> normal approximation (exact p 0.0391438026945024)
        (41, 1956, 0.039134686725757, "normal approximation"),
    ],
)
def test_jonckheere_exact_switch_at_100(n_nr, j, p, how):
    row = jonckheere(long(jt_groups(n_nr)), "v", "g").iloc[0]
    assert row.n == 60 + n_nr and row.statistic == j
    assert close(row.p_unc, p) and how in row.method


def test_jonckheere_exact_distribution_by_enumeration():
    values = np.array([3.0, 1.0, 8.0, 2.0, 6.0, 4.0, 5.0, 7.0, 9.0])
    sizes = (3, 3, 3)

    def jt(parts):
        return sum(
            np.sum(parts[i][:, None] < parts[j][None, :])
            for i in range(3) for j in range(i + 1, 3)
        )  # fmt: skip

    observed = jt(np.split(values, 3))
    null = []
    idx = set(range(9))
    for cr in itertools.combinations(sorted(idx), sizes[0]):
        for pr in itertools.combinations(sorted(idx - set(cr)), sizes[1]):
            nr = sorted(idx - set(cr) - set(pr))
            null.append(jt([values[list(cr)], values[list(pr)], values[nr]]))
    null = np.array(null)
    p_enum = min(1, 2 * min(np.mean(null <= observed), np.mean(null >= observed)))
    frame = pd.DataFrame({"v": values, "g": np.repeat(["CR", "PR", "NR"], 3)})
    row = jonckheere(frame, "v", "g", groups=["CR", "PR", "NR"]).iloc[0]
    assert row.statistic == observed and row.method.endswith("exact")
    assert close(row.p_unc, p_enum, 1e-12)


# ---- Wilcoxon signed rank -------------------------------------------------------------------


def test_wilcoxon_exact_matches_r():
    res = wilcoxon(paired(P1_M0, P1_M6), "x_m0", "x_m6")
    assert list(res.columns) == WILCOXON_COLUMNS
    row = res.iloc[0]
    # wilcox.test(p1_m6, p1_m0, paired = TRUE, conf.int = TRUE)
    assert row.statistic == 54 and close(row.p_unc, 0.00390625)
    assert row.method.endswith("exact")
    assert close([row.hl_estimate, row.hl_ci_low, row.hl_ci_high], [34, 18, 50.5])
    assert row.hl_conf_level == 0.95
    # effectsize::rank_biserial(p1_m6, p1_m0, paired = TRUE)
    assert close(
        [row.effect, row.ci_low, row.ci_high],
        [0.963636363636364, 0.860500247079484, 0.99089422404064],
    )


def test_wilcoxon_ties_and_zeros_match_r():
    row = wilcoxon(paired(P2_M0, P2_M6), "x_m0", "x_m6").iloc[0]
    # wilcox.test(p2_m6, p2_m0, paired = TRUE, conf.int = TRUE, tol.root = 1e-12)
    assert row.statistic == 57 and close(row.p_unc, 0.0330098641477758)
    assert row.n == 14 and row.n_zero == 3 and "zero difference" in row.method
    assert close([row.hl_ci_low, row.hl_ci_high], [0, 20])
    assert row.hl_estimate == 10  # median of Walsh averages of the non-zero differences
    assert close(row.effect, 0.727272727272727)  # effectsize::rank_biserial(..., paired=TRUE)
    # reference.R by hand: tanh(atanh(r) +/- qnorm(.975) * se), se from the 11 non-zero
    # differences (effectsize 0.8.3 counts all 14 pairs in its SE: 0.316922, 0.908279)
    assert close([row.ci_low, row.ci_high], [0.249527434578889, 0.920289948187868])


def test_wilcoxon_ties_equal_changes_of_decimal_values():
    # recorded with 1 decimal: 2.2 - 2.1, 3.1 - 3.0 and 0.3 - 0.2 are the same change, which
    # binary floating point differences apart (0.10000000000000009, 0.10000000000000009,
    # 0.09999999999999998)
    m0 = [2.1, 3.0, 0.2, 1.0, 4.4, 2.0, 5.5, 1.2]
    m6 = [2.2, 3.1, 0.3, 1.3, 4.1, 2.5, 5.7, 1.0]
    # the defect: in binary floating point the 8 changes have 7 distinct sizes, not 4
    assert len(set(np.abs(np.subtract(m6, m0)))) == 7
    exact = [0.1, 0.1, 0.1, 0.3, -0.3, 0.5, 0.2, -0.2]  # the changes in tenths, by hand
    row = wilcoxon(paired(m0, m6), "x_m0", "x_m6").iloc[0]
    assert "normal approximation" in row.method  # ties: not the exact distribution
    # scipy.stats.wilcoxon(exact, method="approx", correction=True): ranks with the ties of
    # 0.1 (three), 0.3 (two) and 0.2 (two)
    reference = stats.wilcoxon(exact, method="approx", correction=True)
    assert close(row.p_unc, reference.pvalue)
    # V by hand: |changes| ranked with ties 0.1 -> 2 (three), 0.2 -> 4.5, 0.3 -> 6.5, 0.5 -> 8;
    # the positive ones: 3 * 2 + 6.5 + 8 + 4.5
    assert row.statistic == 25
    # within each group too
    by_group = wilcoxon(paired(m0, m6).assign(g=["a"] * 4 + ["b"] * 4), "x_m0", "x_m6", by="g")
    assert close(
        by_group.p_unc.iloc[0], stats.wilcoxon(exact[:4], method="approx", correction=True).pvalue
    )


@pytest.mark.parametrize(
    ("m0", "m6", "ci", "hl", "level", "branch"),
    [
        # H1: 2 zero differences, 5 non-zero -> asymptotic. R (wilcox.test(h1_m6, h1_m0,
        # paired = TRUE, conf.int = TRUE)) gives 10 100 at 0.8 by testing the ends of the
        # data range themselves; the test inverted directly gives (-20, 120) at 0.9 (worked
        # by hand in test_effsize.py::test_hodges_lehmann_attained_level_in_conf_level)
        (H1_M0, H1_M6, (-20, 120), 50, 0.9, "asymptotic"),
        # H2: 4 non-zero differences -> exact; conf.int -5 47, conf.level printed 0.88 =
        # 1 - signif(2 * psignrank(0, 4), 2); the level itself is 1 - 2/16 = 0.875
        (H2_M0, H2_M6, (-5, 47), 21, 0.875, "exact"),
        # H3: 5 non-zero differences -> exact; conf.int -1 20 (R keeps the label 0.95 since
        # 2/32 - 0.05 < 0.05/2); the level is 1 - 2 * psignrank(0, 5) = 0.9375
        (H3_M0, H3_M6, (-1, 20), 8, 0.9375, "exact"),
    ],
)  # fmt: skip
def test_wilcoxon_attained_level_matches_r(m0, m6, ci, hl, level, branch):
    row = wilcoxon(paired(m0, m6), "x_m0", "x_m6").iloc[0]
    assert close([row.hl_ci_low, row.hl_ci_high], ci) and row.hl_estimate == hl
    assert close(row.hl_conf_level, level) and row.conf_level == 0.95
    assert branch in row.hl_method and "attained level" in row.hl_method
    assert "not attainable" in row.note


def test_wilcoxon_three_equal_differences():
    # three equal differences 5, 5, 5 (R returns rep(median, 2) with conf.level 0). By hand:
    # SD of V sqrt(3·4·7/24 − 24/48) = 1.732; below 5 every difference is positive, V = 6,
    # z = (3 − 0.5)/1.732 = 1.443, accepted at 95 % and 90 % (no finite interval), rejected at
    # 80 % (1.282); at 5 all differences are 0 (nothing to reject); above 5 z = −1.443: the
    # test accepts 5 alone at 80 %
    row = wilcoxon(paired([1.0, 2, 3], [6.0, 7, 8]), "x_m0", "x_m6").iloc[0]
    assert (row.hl_ci_low, row.hl_ci_high) == (5, 5) and row.hl_estimate == 5
    assert row.hl_conf_level == 0.8 and "level lowered to 0.8" in row.note


def test_hl_interval_unbounded_when_no_level_gives_a_finite_one():
    """One difference: below it V = 1 and the continuity-corrected statistic is
    (0.5 − 0.5)/0.5 = 0, accepted at every level, so no alpha below 1 gives a finite
    interval; two differences: below them z = (1.5 − 0.5)/1.118 = 0.894, first rejected when
    doubling reaches alpha 0.4 (0.842): (1, 2) at 0.6."""
    from itp_stats.stats._ranks import PairOrder, hl_interval

    one = hl_interval(PairOrder(np.array([3.0])), exact=False, conf_level=0.95,
                      sigma=np.sqrt(1 * 2 * 3 / 24), correct=True)  # fmt: skip
    assert (one.low, one.high, one.level) == (-np.inf, np.inf, 0.95)
    assert "unbounded" in one.reason
    two_ = hl_interval(PairOrder(np.array([1.0, 2.0])), exact=False, conf_level=0.95,
                       sigma=np.sqrt(2 * 3 * 5 / 24), correct=True)  # fmt: skip
    assert (two_.low, two_.high, two_.level) == (1, 2, 0.6) and two_.lowered


def test_wilcoxon_by_group_and_not_computed():
    d = paired([*P1_M0, 1.0, 2.0], [*P1_M6, 1.0, 2.0])
    d["grp"] = ["CR"] * 10 + ["NR"] * 2
    res = wilcoxon(d, "x_m0", "x_m6", by="grp", dv="x")
    assert list(res.group) == ["CR", "NR"] and (res.dv == "x").all()
    assert res.iloc[0].statistic == 54
    assert res.iloc[1].method == "not computed: fewer than 3 complete pairs (n=2)"
    zeros = wilcoxon(paired([1.0, 2, 3, 4], [1.0, 2, 3, 4]), "x_m0", "x_m6").iloc[0]
    assert zeros.method == "not computed: all differences are zero"
    missing = wilcoxon(paired([np.nan] * 4, [1.0, 2, 3, 4]), "x_m0", "x_m6").iloc[0]
    assert missing.method == "not computed: no complete pairs" and missing.n_missing == 4
