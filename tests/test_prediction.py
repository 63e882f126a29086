"""Tests of itp_stats.stats.prediction against pROC and glm (tests/r/reference.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from stats_data import F1_CASES, F2_CASES, F_CONTROLS, LG_CASES, LG_CONTROLS, A, B

from itp_stats.stats.nonparametric import mann_whitney
from itp_stats.stats.prediction import (
    PREDICTION_COLUMNS,
    ROC_COLUMNS,
    firth_logistic,
    logistic_or,
    predict_outcome,
    roc_auc,
    roc_curve,
    separation,
    youden_cutoff,
)

TOL = 1e-6


def cohort(groups) -> pd.DataFrame:
    return pd.DataFrame({
        "nk_m0": [float(v) for vals in groups.values() for v in vals],
        "response": [g for g, vals in groups.items() for _ in vals],
    })  # fmt: skip


# roc(y, x, levels = c(0, 1), direction = ">") with cases = CR, controls = PR + NR
REFERENCE = {
    "A": dict(
        data=A, auc=0.941666666666667, ci=(0.847435235860365, 1), n_thr=24,
        best=(131.5, 0.875, 0.933333333333333),
        glm_or=(0.000522821776498643, 1.09916269907296e-06, 0.248682574665002),
        glm_zp=(-2.4023936771609, 0.016288168763813),
    ),
    "B": dict(
        data=B, auc=0.903409090909091, ci=(0.801662354571823, 1), n_thr=21,
        best=(92.5, 0.833333333333333, 0.863636363636364),
        glm_or=(0.000380215323775208, 1.45710802080122e-06, 0.0992127490685244),
        glm_zp=(-2.77381077735257, 0.00554038935369387),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", ["A", "B"])
def test_auc_delong_matches_proc(name):
    ref = REFERENCE[name]
    res = roc_auc(cohort(ref["data"]), "nk_m0", "response", positive="CR", direction=">")
    assert list(res.columns) == PREDICTION_COLUMNS
    row = res.iloc[0]
    assert abs(row.effect - ref["auc"]) < TOL  # as.numeric(r$auc)
    assert np.allclose([row.ci_low, row.ci_high], ref["ci"], atol=TOL)  # ci.auc(r, "delong")


@pytest.mark.parametrize("name", ["A", "B"])
def test_roc_curve_and_youden_match_proc(name):
    ref = REFERENCE[name]
    d = cohort(ref["data"])
    curve = roc_curve(d, "nk_m0", "response", positive="CR", direction=">")
    assert list(curve.columns) == ROC_COLUMNS and len(curve) == ref["n_thr"]  # r$thresholds
    res = youden_cutoff(d, "nk_m0", "response", positive="CR", direction=">", n_boot=200)
    got = res.set_index("effect_type").effect
    # coords(r, "best", best.method = "youden", ret = c("threshold", "se", "sp"))
    assert np.allclose([got.youden_cutoff, got.sensitivity, got.specificity], ref["best"], atol=TOL)
    best = curve.loc[curve.youden.idxmax()]
    assert best.threshold == got.youden_cutoff


@pytest.mark.parametrize("name", ["A", "B"])
def test_rates_at_the_cutoff_match_hand_counts_and_scipy(name):
    d = cohort(REFERENCE[name]["data"])
    res = youden_cutoff(d, "nk_m0", "response", positive="CR", direction=">", n_boot=0)
    got = res.set_index("effect_type")
    cut = got.loc["youden_cutoff", "effect"]
    x = d["nk_m0"].to_numpy()
    case, called = (d["response"] == "CR").to_numpy(), x < cut  # direction ">": low is a case
    tp, fp = int((case & called).sum()), int((~case & called).sum())
    fn, tn = int((case & ~called).sum()), int((~case & ~called).sum())
    for kind, k, n in (("sensitivity", tp, tp + fn), ("specificity", tn, tn + fp),
                       ("ppv", tp, tp + fp), ("npv", tn, tn + fn)):  # fmt: skip
        row = got.loc[kind]
        # scipy.stats.binomtest(k, n).proportion_ci(0.95, method="exact")
        ci = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
        assert row.effect == pytest.approx(k / n, abs=1e-12), kind
        assert [row.ci_low, row.ci_high] == pytest.approx([ci.low, ci.high], abs=1e-12), kind
        assert row.note == f"{k} of {n}" and "Clopper–Pearson" in row.method
    # the predictive values say they depend on the cohort's prevalence; the rates do not
    assert "proportion of cases" in got.loc["ppv", "method"]
    assert "proportion of cases" in got.loc["npv", "method"]
    assert "proportion of cases" not in got.loc["sensitivity", "method"]


def test_predictive_values_by_hand():
    # cases 1, 2, 3, 7; controls 4, 5, 6, 8, 9: the best cutoff 3.5 (J = 0.75 + 1 - 1)
    # calls 1, 2, 3 positive: PPV 3/3, NPV 5/6 (controls 4, 5, 6, 8, 9 and the case 7)
    d = cohort({"CR": [1, 2, 3, 7], "NR": [4, 5, 6, 8, 9]})
    got = youden_cutoff(d, "nk_m0", "response", positive="CR", direction=">", n_boot=0)
    got = got.set_index("effect_type")
    assert got.loc["youden_cutoff", "effect"] == 3.5
    assert got.loc["ppv", "effect"] == 1.0 and got.loc["npv", "effect"] == pytest.approx(5 / 6)
    # Clopper–Pearson for 3 of 3: lower bound (alpha / 2) ** (1 / 3), upper bound 1
    assert got.loc["ppv", "ci_low"] == pytest.approx(0.025 ** (1 / 3))
    assert got.loc["ppv", "ci_high"] == 1.0


@pytest.mark.parametrize("name", ["A", "B"])
def test_logistic_matches_glm(name):
    ref = REFERENCE[name]
    row = logistic_or(cohort(ref["data"]), "nk_m0", "response", positive="CR", unit=100).iloc[0]
    # fit <- glm(y ~ x, binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
    # exp(c(coef(fit)[2], confint.default(fit)[2, ]) * 100)
    assert np.allclose([row.effect, row.ci_low, row.ci_high], ref["glm_or"], rtol=TOL)
    # summary(fit)$coefficients[2, 3:4]
    assert np.allclose([row.statistic, row.p_unc], ref["glm_zp"], rtol=TOL)
    assert "per 100 unit(s)" in row.method and "maximum likelihood" in row.method


def test_logistic_overlap_with_extreme_control_matches_glm():
    # the probe of issue 11: the classes overlap (cases up to 369, controls from 252) and one
    # control lies at 2,500, where the fitted probability is 2.2e-16: glm converges
    # (reference.R "LG": fit$converged TRUE), so this is no separation
    d = cohort({"CR": LG_CASES, "NR": LG_CONTROLS})
    assert separation(np.array(LG_CASES, float), np.array(LG_CONTROLS, float))[0] == "none"
    row = logistic_or(d, "nk_m0", "response", positive="CR", unit=100).iloc[0]
    # glm(lg_y ~ lg_x, binomial, control = glm.control(epsilon = 1e-14, maxit = 100)):
    # exp(c(coef(fit)[2], confint.default(fit)[2, ]) * 100); summary(fit)$coefficients[2, 3:4]
    assert np.allclose(
        [row.effect, row.ci_low, row.ci_high],
        [0.0184598320970133, 0.00384180096608358, 0.0886993897024568],
        rtol=TOL,
    )
    assert np.allclose([row.statistic, row.p_unc], [-4.98484177891038, 6.20125374265129e-07],
                       rtol=TOL)  # fmt: skip
    assert "maximum likelihood" in row.method and row.note == ""


@pytest.mark.parametrize(
    ("cases", "kind", "ref"),
    [
        # reference.R firth_ref("F1 complete"): brglm2 type = "MPL_Jeffreys" estimate,
        # exp(c(b1, profile penalised-likelihood limits)), penalised LR chisq and p
        (F1_CASES, "complete",
         (0.931187670218158, 0.631401847053498, 0.984942451272619, 12.0910558559168,
          0.000506642752681657)),
        # firth_ref("F2 quasi-complete"): the classes meet at 95
        (F2_CASES, "quasi-complete",
         (0.946348217980287, 0.722766292552658, 0.986754843925925, 11.3234921141378,
          0.000765326491487217)),
    ],
)  # fmt: skip
def test_logistic_separation_gives_firth_matching_r(cases, kind, ref):
    d = cohort({"CR": cases, "NR": F_CONTROLS})
    row = logistic_or(d, "nk_m0", "response", positive="CR").iloc[0]
    assert np.allclose([row.effect, row.ci_low, row.ci_high, row.statistic, row.p_unc], ref,
                       rtol=TOL)  # fmt: skip
    assert "Firth" in row.method and "profile penalised-likelihood CI" in row.method
    assert row.note.startswith(f"{kind} separation")
    off = logistic_or(d, "nk_m0", "response", positive="CR", firth=False).iloc[0]
    assert off.method.startswith(f"not computed: {kind} separation") and np.isnan(off.effect)


def test_firth_maximises_the_penalised_likelihood():
    # independent check with SciPy: maximise ℓ(β) + ½ log det I(β) directly (Nelder–Mead)
    x = np.array(F1_CASES + F_CONTROLS, float)
    y = np.r_[np.ones(len(F1_CASES)), np.zeros(len(F_CONTROLS))]
    X = np.column_stack([np.ones_like(x), x])

    def neg_pl(b):
        eta = X @ b
        p = 1 / (1 + np.exp(-eta))
        info = X.T @ (X * (p * (1 - p))[:, None])
        return -(np.sum(y * eta - np.logaddexp(0, eta)) + 0.5 * np.linalg.slogdet(info)[1])

    options = {"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20_000}
    opt = optimize.minimize(neg_pl, [5.0, -0.05], method="Nelder-Mead", options=options)
    fit = firth_logistic(x, y)
    assert np.allclose([fit["b0"], fit["b1"]], opt.x, rtol=1e-6)
    # brglm2 MPL_Jeffreys (reference.R F1): 6.37649967643711 -0.0712944428377281
    assert np.allclose([fit["b0"], fit["b1"]], [6.37649967643711, -0.0712944428377281], rtol=TOL)


def test_separation_is_decided_from_the_data():
    def kind(cases, controls):
        return separation(np.array(cases, float), np.array(controls, float))[0]

    assert kind([1, 2, 3], [4, 5, 6]) == "complete"
    assert kind([4, 5, 6], [1, 2, 3]) == "complete"
    assert kind([1, 2, 4], [4, 5, 6]) == "quasi-complete"
    assert kind([4, 5, 6], [1, 2, 4]) == "quasi-complete"
    assert kind([1, 2, 5], [4, 5, 6]) == "none"
    assert kind([1, 9, 3], [4, 5, 6]) == "none"


def test_rank_biserial_and_auc_are_one_interval():
    # CR vs the rest: r of mann_whitney(CR first) and the AUC of roc_auc(direction ">") are
    # the same effect, r = 1 − 2·AUC, and so are their intervals (DeLong, clipped alike)
    for data in (A, B):
        d = cohort(data)
        d["cr"] = np.where(d.response == "CR", "CR", "other")
        mw = mann_whitney(d, "nk_m0", "cr", groups=["CR", "other"]).iloc[0]
        auc = roc_auc(d, "nk_m0", "response", positive="CR", direction=">").iloc[0]
        assert np.isclose(mw.effect, 1 - 2 * auc.effect, rtol=0, atol=1e-12)
        assert np.allclose([mw.ci_low, mw.ci_high], [1 - 2 * auc.ci_high, 1 - 2 * auc.ci_low],
                           rtol=0, atol=1e-12)  # fmt: skip


def test_auto_direction_and_symmetry():
    d = cohort(B)
    auto = roc_auc(d, "nk_m0", "response", positive="CR").iloc[0]
    assert auto.direction == ">"
    flipped = roc_auc(d, "nk_m0", "response", positive="CR", direction="<").iloc[0]
    assert abs(auto.effect + flipped.effect - 1) < 1e-12


def test_cutoff_bootstrap_reproducible_and_covers():
    d = cohort(B)
    a = youden_cutoff(d, "nk_m0", "response", positive="CR", n_boot=500, seed=5)
    b = youden_cutoff(d, "nk_m0", "response", positive="CR", n_boot=500, seed=5)
    assert a.equals(b)
    cut = a.set_index("effect_type").loc["youden_cutoff"]
    assert cut.ci_low <= cut.effect <= cut.ci_high
    # coverage on a simulated case: normal cases N(0,1), controls N(2,1): optimal cutoff 1
    rng = np.random.default_rng(99)
    hits = []
    for _ in range(40):
        x = np.r_[rng.normal(0, 1, 60), rng.normal(2, 1, 60)]
        sim = pd.DataFrame({"nk_m0": x, "response": ["CR"] * 60 + ["NR"] * 60})
        r = youden_cutoff(sim, "nk_m0", "response", positive="CR", direction=">", n_boot=300,
                          seed=int(rng.integers(1e9))).set_index("effect_type")  # fmt: skip
        hits.append(r.loc["youden_cutoff", "ci_low"] <= 1 <= r.loc["youden_cutoff", "ci_high"])
    assert np.mean(hits) >= 0.8


def test_predict_outcome_rows_and_not_computed():
    res = predict_outcome(cohort(A), "nk_m0", "response", positive="CR", n_boot=100)
    assert res.effect_type.tolist() == [
        "auc", "youden_cutoff", "youden_index", "sensitivity", "specificity", "ppv", "npv",
        "odds_ratio",
    ]  # fmt: skip
    small = cohort({"CR": [1, 2], "NR": [3, 4, 5]})
    res = predict_outcome(small, "nk_m0", "response", positive="CR", n_boot=100)
    assert res.method.str.startswith("not computed: fewer than 3 cases").all()
    assert roc_curve(small, "nk_m0", "response", positive="CR").empty
    separated = cohort({"CR": [1, 2, 3], "NR": [4, 5, 6]})
    row = logistic_or(separated, "nk_m0", "response", positive="CR").iloc[0]
    assert "separation" in row.method and "Firth" in row.method
    assert 0 < row.ci_low < row.effect < row.ci_high < 1
