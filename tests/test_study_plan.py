"""Tests of itp_stats.study.plan.run_analysis on synthetic cohorts.

Statistical values are checked against SciPy (``mannwhitneyu``, ``kruskal``,
``fisher_exact``) or NumPy on the same values, so the plan's choice of groups, not the
statistics modules (tested in their own files against R), is what is tested here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from itp_stats.stats.nonparametric import kruskal
from itp_stats.stats.prediction import roc_auc
from itp_stats.study.plan import (
    CHANGE_WITHIN_COLUMNS,
    DROPPED_GROUPS_COLUMNS,
    GROUPS_COLUMNS,
    OMNIBUS_COLUMNS,
    PREDICTION_TABLE_COLUMNS,
    ROC_TABLE_COLUMNS,
    TABLE1_TEST_COLUMNS,
    TABLES,
    run_analysis,
)

COUNTS = ["lymphocytes", "cd3", "cd4", "cd8", "cd19", "nk", "cd8_act"]
MARKERS = COUNTS + [f"pct_{m}" for m in COUNTS[1:]]
GROUP = "response_iwg"
STUDY = {
    "group": GROUP,
    "ordered": True,
    "positive": "CR",
    "responders": ["CR", "PR"],
    "timepoints": ("m0", "m6"),
    "predictors": [{"column": "nk_m0", "direction": "lower", "per": 100}],
}
"""The shipped study's configuration, as the caller passes it."""
COVARIATES = {
    "continuous": ["age_years", "itp_duration_months"],
    "categorical": ["sex", "itp_phase", "splenectomy"],
}


def make_cohort(n: int = 72, seed: int = 1) -> pd.DataFrame:
    """Small plausible cohort built here (independent of the synthetic generator)."""
    rng = np.random.default_rng(seed)
    resp = rng.choice(["CR", "PR", "NR"], size=n, p=[0.4, 0.2, 0.4])
    d = pd.DataFrame({
        "age_years": rng.integers(20, 90, n).astype(float),
        "itp_duration_months": rng.gamma(2, 20, n).round(1),
        "sex": rng.choice(["F", "M"], n),
        "itp_phase": rng.choice(["newly diagnosed", "persistent", "chronic"], n),
        "splenectomy": rng.choice(["yes", "no"], n, p=[0.08, 0.92]),
        GROUP: pd.Categorical(resp, categories=["CR", "PR", "NR"], ordered=True),
    })  # fmt: skip
    shift = np.where(resp == "CR", -80, 0)
    for m in COUNTS:
        base = rng.lognormal(6, 0.4, n).round() + (shift if m == "nk" else 0)
        d[f"{m}_m0"] = np.maximum(base, 1)
        d[f"{m}_m6"] = np.maximum((base * rng.lognormal(0, 0.2, n)).round(), 1)
    for m in COUNTS[1:]:
        for t in ("m0", "m6"):
            d[f"pct_{m}_{t}"] = 100 * d[f"{m}_{t}"] / d[f"lymphocytes_{t}"]
    d.loc[3, "nk_m6"] = np.nan
    return d


def analyse(cohort: pd.DataFrame, **kw) -> dict[str, pd.DataFrame]:
    args = {**STUDY, "markers": MARKERS, **COVARIATES, "n_boot": 200, "seed": 42, **kw}
    return run_analysis(cohort, **args)


def values(cohort: pd.DataFrame, col: str, level: str) -> np.ndarray:
    v = cohort.loc[cohort[GROUP] == level, col].to_numpy(dtype=float)
    return v[np.isfinite(v)]


def scipy_mann_whitney(x: np.ndarray, y: np.ndarray):
    """SciPy with the choice of the project's mann_whitney (R wilcox.test): exact when both
    groups have fewer than 50 values and no value is tied, else the normal approximation with
    tie and continuity corrections."""
    pooled = np.concatenate([x, y])
    exact = x.size < 50 and y.size < 50 and np.unique(pooled).size == pooled.size
    return stats.mannwhitneyu(
        x, y, alternative="two-sided", method="exact" if exact else "asymptotic",
        use_continuity=True,
    )  # fmt: skip


def without_pr(cohort: pd.DataFrame, keep: int = 0) -> pd.DataFrame:
    """The cohort with only ``keep`` PR patients (the PR category is kept)."""
    pr = cohort.index[cohort[GROUP] == "PR"]
    return cohort.drop(pr[keep:]).reset_index(drop=True)


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return make_cohort()


@pytest.fixture(scope="module")
def result(cohort):
    return analyse(cohort)


@pytest.fixture(scope="module")
def empty_pr():
    c = without_pr(make_cohort())
    return c, analyse(c)


@pytest.fixture(scope="module")
def two_pr():
    c = without_pr(make_cohort(60, seed=3), keep=2)
    return c, analyse(c)


# ---- the shipped design: three groups -------------------------------------------------------


def test_all_tables_present(result):
    assert list(result) == list(TABLES)
    for name, table in result.items():
        assert isinstance(table, pd.DataFrame), name
        # no predictor of this plan names covariates: no adjusted model
        assert name in ("dropped_groups", "adjusted") or not table.empty, name
    assert list(result["dropped_groups"].columns) == DROPPED_GROUPS_COLUMNS
    assert result["dropped_groups"].empty
    assert list(result["table1_tests"].columns) == TABLE1_TEST_COLUMNS
    assert list(result["change_within"].columns) == [
        "marker", *CHANGE_WITHIN_COLUMNS, "p_fdr", "p_fdr_method",
    ]  # fmt: skip
    assert list(result["baseline_kruskal"].columns) == [
        "marker", *OMNIBUS_COLUMNS, "p_fdr", "p_fdr_method",
    ]  # fmt: skip
    assert list(result["roc_curve"].columns) == ROC_TABLE_COLUMNS
    assert list(result["prediction"].columns) == PREDICTION_TABLE_COLUMNS


def test_marker_tables_have_one_row_per_marker_and_fdr(result):
    for name in ("baseline_kruskal", "baseline_positive", "baseline_trend",
                 "change_between", "sensitivity"):  # fmt: skip
        t = result[name]
        assert t.marker.tolist() == MARKERS, name
        assert {"p_unc", "p_fdr", "p_fdr_method", "method"} <= set(t.columns)
        assert (t.p_fdr >= t.p_unc - 1e-15).all()
        assert t.p_fdr_method.str.contains(f"family of {len(MARKERS)} tests").all(), name
    assert len(result["baseline_dunn"]) == 3 * len(MARKERS)
    assert len(result["change_within"]) == 3 * len(MARKERS)
    assert (result["baseline_kruskal"].groups_compared == "CR, PR, NR").all()


def test_groups_table_counts_analysed_patients_without_exclusion_claims(cohort, result):
    g = result["groups"]
    assert list(g.columns) == GROUPS_COLUMNS
    assert g.group.tolist() == ["CR", "PR", "NR"]
    assert g.n.tolist() == [int((cohort[GROUP] == lev).sum()) for lev in ("CR", "PR", "NR")]
    assert g.n.sum() == len(cohort) and g.analysed.all()
    assert "flow" not in result


def test_results_agree_with_direct_calls(cohort, result):
    direct = kruskal(cohort, "nk_m0", GROUP, n_boot=200, seed=42).iloc[0]
    row = result["baseline_kruskal"].set_index("marker").loc["nk"]
    assert row.statistic == direct.statistic and row.ci_low == direct.ci_low
    h = stats.kruskal(*(values(cohort, "nk_m0", g) for g in ("CR", "PR", "NR")))
    assert row.statistic == pytest.approx(h.statistic, rel=1e-12)
    assert row.p_unc == pytest.approx(h.pvalue, rel=1e-10)
    mw = result["baseline_positive"].set_index("marker").loc["nk"]
    assert (mw.group1, mw.group2) == ("CR", "non-CR") and mw.effect < 0
    pred = result["prediction"].set_index("effect_type")
    assert (pred.predictor == "nk_m0").all()
    assert pred.loc["auc", "direction"] == ">" and pred.loc["auc", "effect"] > 0.5
    assert pred.loc["auc", "direction_requested"] == "lower"
    assert "per 100 unit(s)" in pred.loc["odds_ratio", "method"]


def test_same_seed_same_numbers(cohort, result):
    again = analyse(cohort)
    for name in result:
        pd.testing.assert_frame_equal(result[name], again[name])


def test_table1_tests(result):
    t = result["table1_tests"].set_index("variable")
    assert t.loc["age_years", "test"] == "kruskal_wallis"
    assert t.loc["sex", "test"] in {"chi_square", "fisher_exact"}
    assert t.method.notna().all() and (t.groups_compared == "CR, PR, NR").all()


def test_paired_descriptives_are_those_of_the_complete_pairs(cohort, result):
    cw = result["change_within"].set_index(["marker", "group"])
    for level in ("CR", "PR", "NR"):
        sub = cohort[cohort[GROUP] == level]
        ok = sub["nk_m0"].notna() & sub["nk_m6"].notna()
        before, after = sub.loc[ok, "nk_m0"].to_numpy(), sub.loc[ok, "nk_m6"].to_numpy()
        row = cw.loc[("nk", level)]
        assert row.n == ok.sum()
        assert row.before_median == np.median(before)
        assert row.after_median == np.median(after)
        assert [row.before_q1, row.before_q3] == list(np.quantile(before, [0.25, 0.75]))
        assert [row.after_q1, row.after_q3] == list(np.quantile(after, [0.25, 0.75]))
    # patient 3 has no nk_m6: its nk_m0 is in the descriptives but not in the pairs
    level = cohort.loc[3, GROUP]
    desc = result["marker_descriptives"].set_index(["variable", "group"])
    assert desc.loc[("nk_m0", level), "n"] == cw.loc[("nk", level), "n"] + 1


# ---- an empty group -------------------------------------------------------------------------


def test_empty_group_is_dropped_and_recorded(empty_pr):
    c, res = empty_pr
    assert (c[GROUP] == "PR").sum() == 0 and "PR" in c[GROUP].cat.categories
    g = res["groups"].set_index("group")
    assert g.loc["PR", "n"] == 0 and not g.loc["PR", "analysed"]
    dropped = res["dropped_groups"]
    assert len(dropped) == 1
    row = dropped.iloc[0]
    assert (row.group, row.n, row.reason, row.tables) == ("PR", 0, "no one in the group", "all")
    assert pd.isna(row.variable)
    for name in ("table1_continuous", "marker_descriptives", "table1_categorical"):
        assert "PR" not in set(res[name].group), name
    assert "PR" not in set(res["change_within"].group)
    assert len(res["change_within"]) == 2 * len(MARKERS)


def test_empty_group_remaining_groups_compared_by_mann_whitney(empty_pr):
    c, res = empty_pr
    kw = res["baseline_kruskal"].set_index("marker")
    assert (kw.test == "mann_whitney").all() and (kw.groups_compared == "CR, NR").all()
    assert kw.method.str.startswith("Wilcoxon rank-sum (Mann–Whitney)").all()
    assert (kw.effect_type == "rank_biserial").all() and (kw.n_groups == 2).all()
    for marker in ("nk", "cd3", "pct_cd8_act"):
        x, y = values(c, f"{marker}_m0", "CR"), values(c, f"{marker}_m0", "NR")
        ref = scipy_mann_whitney(x, y)
        assert kw.loc[marker, "statistic"] == ref.statistic
        assert kw.loc[marker, "p_unc"] == pytest.approx(ref.pvalue, rel=1e-10)
        assert kw.loc[marker, "n"] == x.size + y.size
        u = ref.statistic
        assert kw.loc[marker, "effect"] == pytest.approx(2 * u / (x.size * y.size) - 1)
    assert kw.p_fdr.notna().all()
    assert kw.p_fdr_method.str.contains(f"family of {len(MARKERS)} tests").all()
    dunn = res["baseline_dunn"]
    assert len(dunn) == len(MARKERS)
    assert (dunn.group1 == "CR").all() and (dunn.group2 == "NR").all()
    assert np.allclose(dunn.p_unc, kw.p_unc.to_numpy())
    assert dunn.p_adj.isna().all() and dunn.adjust.isna().all()  # one pair: no adjustment
    trend = res["baseline_trend"]
    assert trend.method.str.startswith("not computed: a trend needs at least three").all()
    assert (trend.p_fdr_method == "not adjusted: test not computed").all()
    ch = res["change_between"].set_index("marker").loc["nk"]
    d = c["nk_m6"] - c["nk_m0"]
    ref = scipy_mann_whitney(
        d[c[GROUP] == "CR"].dropna().to_numpy(), d[c[GROUP] == "NR"].dropna().to_numpy()
    )
    assert ch.test == "mann_whitney" and ch.p_unc == pytest.approx(ref.pvalue, rel=1e-10)


def test_empty_group_table1_mann_whitney_and_fisher(empty_pr):
    c, res = empty_pr
    t = res["table1_tests"].set_index("variable")
    for var in COVARIATES["continuous"]:
        ref = scipy_mann_whitney(values(c, var, "CR"), values(c, var, "NR"))
        assert t.loc[var, "test"] == "mann_whitney"
        assert t.loc[var, "p_unc"] == pytest.approx(ref.pvalue, rel=1e-10)
        assert t.loc[var, "effect_type"] == "rank_biserial"
    row = t.loc["splenectomy"]
    assert row.test == "fisher_exact" and row.groups_compared == "CR, NR"
    table = pd.crosstab(c["splenectomy"], c[GROUP].cat.remove_unused_categories())
    assert table.shape == (2, 2) and (stats.contingency.expected_freq(table) < 5).any()
    assert row.p_unc == pytest.approx(stats.fisher_exact(table.to_numpy()).pvalue, rel=1e-10)
    assert t.loc["sex", "test"] in {"chi_square", "fisher_exact"}


def test_empty_group_leaves_the_contrasts_unchanged(empty_pr):
    c, res = empty_pr
    full = analyse(c.assign(**{GROUP: c[GROUP].cat.remove_unused_categories()}), responders=["CR"])
    for name in ("baseline_positive", "sensitivity", "prediction"):
        pd.testing.assert_frame_equal(res[name], full[name], check_dtype=False)
    mw = res["baseline_positive"].set_index("marker").loc["nk"]
    ref = scipy_mann_whitney(values(c, "nk_m0", "CR"), values(c, "nk_m0", "NR"))
    assert mw.p_unc == pytest.approx(ref.pvalue, rel=1e-10)


# ---- a group of two -------------------------------------------------------------------------


def test_group_of_two_is_left_out_and_named(two_pr):
    c, res = two_pr
    assert (c[GROUP] == "PR").sum() == 2
    kw = res["baseline_kruskal"].set_index("marker").loc["nk"]
    assert kw.test == "mann_whitney" and kw.groups_compared == "CR, NR"
    assert "PR (n=2)" in kw.note
    ref = scipy_mann_whitney(values(c, "nk_m0", "CR"), values(c, "nk_m0", "NR"))
    assert kw.p_unc == pytest.approx(ref.pvalue, rel=1e-10)
    assert kw.p_fdr_method.startswith("Benjamini–Hochberg")
    dropped = res["dropped_groups"]
    nk = dropped[dropped.variable == "nk_m0"]
    assert nk[["group", "n"]].values.tolist() == [["PR", 2]]
    assert nk.reason.iloc[0] == "fewer than 3 non-missing values"
    assert "baseline_kruskal" in nk.tables.iloc[0]
    assert set(dropped.group) == {"PR"} and (dropped.n <= 2).all()
    t1 = res["table1_tests"].set_index("variable")
    assert (
        t1.loc["age_years", "test"] == "mann_whitney" and "PR (n=2)" in t1.loc["age_years", "note"]
    )


def test_group_of_two_pairs_and_within_group_tests(two_pr):
    _, res = two_pr
    dunn = res["baseline_dunn"][res["baseline_dunn"].marker == "nk"].set_index(["group1", "group2"])
    assert list(dunn.index) == [("CR", "PR"), ("CR", "NR"), ("PR", "NR")]
    assert dunn.loc[("CR", "PR"), "method"] == (
        "not computed: fewer than 3 values in group PR (n=2)"
    )
    assert dunn.loc[("CR", "NR"), "test"] == "mann_whitney"
    # one pair compared: nothing to adjust, and no adjustment recorded
    assert np.isnan(dunn.loc[("CR", "NR"), "p_adj"]) and pd.isna(dunn.loc[("CR", "NR"), "adjust"])
    within = res["change_within"].set_index(["marker", "group"])
    assert within.loc[("nk", "PR"), "method"].startswith("not computed")
    assert not within.loc[("nk", "CR"), "method"].startswith("not computed")
    assert within.loc[("nk", "PR"), "p_fdr_method"] == "not adjusted: test not computed"
    assert res["baseline_positive"].iloc[0].method.startswith("Wilcoxon rank-sum")


def test_one_group_left_out_of_four_keeps_kruskal_on_three():
    c = make_cohort(90, seed=5)
    c[GROUP] = c[GROUP].cat.add_categories("LR")
    c.loc[[0, 1], GROUP] = "LR"
    res = analyse(c, predictors=[])
    kw = res["baseline_kruskal"].set_index("marker").loc["nk"]
    assert kw.test == "kruskal_wallis" and kw.groups_compared == "CR, PR, NR"
    h = stats.kruskal(*(values(c, "nk_m0", g) for g in ("CR", "PR", "NR")))
    assert kw.p_unc == pytest.approx(h.pvalue, rel=1e-10) and "LR (n=2)" in kw.note
    dunn = res["baseline_dunn"][res["baseline_dunn"].marker == "nk"]
    assert len(dunn) == 6 and dunn.p_unc.notna().sum() == 3
    assert dunn.p_adj.notna().sum() == 3
    assert res["baseline_trend"].set_index("marker").loc["nk", "order"] == "CR < PR < NR"
    assert res["roc_curve"].empty and res["prediction"].empty


def test_fewer_than_two_groups_compared_is_not_computed():
    c = make_cohort(40, seed=2)
    c = c[(c[GROUP] == "CR") | c.index.isin(c.index[c[GROUP] == "PR"][:2])
          | c.index.isin(c.index[c[GROUP] == "NR"][:1])].reset_index(drop=True)  # fmt: skip
    res = analyse(c, markers=["nk"], predictors=[])
    kw = res["baseline_kruskal"].iloc[0]
    assert kw.method.startswith("not computed: fewer than two groups with at least 3 values")
    assert "PR (n=2)" in kw.method and "NR (n=1)" in kw.method
    assert kw.p_fdr_method == "not adjusted: test not computed" and np.isnan(kw.p_fdr)
    assert res["baseline_dunn"].method.str.startswith("not computed").all()
    assert res["table1_tests"].method.str.startswith("not computed").all()


# ---- two groups by design -------------------------------------------------------------------


def test_two_level_design():
    c = without_pr(make_cohort())
    c[GROUP] = c[GROUP].cat.remove_unused_categories()
    res = analyse(c, responders=["CR"])
    assert res["dropped_groups"].empty
    assert res["groups"].group.tolist() == ["CR", "NR"]
    kw = res["baseline_kruskal"]
    assert (kw.test == "mann_whitney").all() and kw.p_unc.notna().all()
    assert kw.note.eq("").all()


# ---- configuration-driven arguments ---------------------------------------------------------


def test_trend_not_computed_when_not_ordered(cohort):
    res = analyse(cohort, markers=["nk", "cd3"], ordered=False, n_boot=0)
    trend = res["baseline_trend"]
    assert (trend.method == "not computed: the groups are not ordered (ordered=False)").all()
    assert trend.p_unc.isna().all()
    assert (trend.p_fdr_method == "not adjusted: test not computed").all()
    assert res["baseline_kruskal"].p_unc.notna().all()


def test_family_subset(cohort, result):
    family = ["nk", "pct_nk", "cd8_act"]
    res = analyse(cohort, family=family)
    for name in ("baseline_kruskal", "baseline_positive", "baseline_trend",
                 "change_between", "sensitivity"):  # fmt: skip
        t = res[name].set_index("marker")
        inside = t.loc[family]
        assert inside.p_fdr_method.str.startswith("Benjamini–Hochberg, family of 3").all()
        expected = stats.false_discovery_control(inside.p_unc.to_numpy(), method="bh")
        assert np.allclose(inside.p_fdr, expected, rtol=1e-12), name
        outside = t.drop(index=family)
        assert outside.p_fdr.isna().all()
        assert (outside.p_fdr_method == "not adjusted: not in the family").all()
        pd.testing.assert_series_equal(t.p_unc, result[name].set_index("marker").p_unc)
    cw = res["change_within"]
    assert (cw[~cw.marker.isin(family)].p_fdr_method == "not adjusted: not in the family").all()
    cr = cw[(cw.group == "CR") & cw.marker.isin(family)]
    assert np.allclose(cr.p_fdr, stats.false_discovery_control(cr.p_unc.to_numpy()))


def test_two_predictors_and_auto_direction(cohort):
    predictors = [
        {"column": "nk_m0", "direction": "lower", "per": 100},
        {"column": "cd4_m0", "direction": "auto"},
        {"column": "nk_m0", "direction": "higher"},
    ]
    res = analyse(cohort, markers=["nk", "cd4"], predictors=predictors, n_boot=100)
    pred = res["prediction"]
    assert pred.predictor.tolist() == ["nk_m0"] * 8 + ["cd4_m0"] * 8 + ["nk_m0"] * 8
    assert pred.direction_requested.tolist() == ["lower"] * 8 + ["auto"] * 8 + ["higher"] * 8
    auc = pred[pred.effect_type == "auc"].reset_index(drop=True)
    assert auc.direction.tolist()[::2] == [">", "<"]
    # "higher" is the mirror of "lower"
    assert auc.effect[2] == pytest.approx(1 - auc.effect[0], abs=1e-12)
    cases, controls = (
        values(cohort, "cd4_m0", "CR"),
        np.concatenate([values(cohort, "cd4_m0", g) for g in ("PR", "NR")]),
    )
    chosen = "<" if np.median(controls) <= np.median(cases) else ">"
    assert auc.direction[1] == chosen
    direct = roc_auc(cohort, "cd4_m0", GROUP, positive="CR", direction=chosen).iloc[0]
    assert auc.effect[1] == direct.effect
    # hand computation of the AUC: P(case > control) + ½ P(tie) on the chosen scale
    s = 1 if chosen == "<" else -1
    diff = s * (cases[:, None] - controls[None, :])
    assert auc.effect[1] == pytest.approx(np.mean(diff > 0) + 0.5 * np.mean(diff == 0))
    auto = pred[pred.direction_requested == "auto"]
    uses = auto[auto.test != "logistic"]
    assert uses.method.str.contains(f"direction '{chosen}' chosen from the data").all()
    assert not pred[pred.direction_requested != "auto"].method.str.contains("chosen").any()
    assert "per 1 unit(s) of cd4_m0" in auto[auto.test == "logistic"].method.iloc[0]
    roc = res["roc_curve"]
    assert roc.predictor.unique().tolist() == ["nk_m0", "cd4_m0"]
    assert set(roc[roc.predictor == "cd4_m0"].direction) == {chosen}
    assert len(roc) == sum(
        np.unique(cohort[col].dropna()).size + 1 for col in ("nk_m0", "cd4_m0", "nk_m0")
    )


def test_other_study_names_and_twelve_month_followup():
    c = make_cohort(60, seed=7)
    c = c.rename(columns=lambda col: col.replace("_m6", "_m12"))
    c["outcome"] = c.pop(GROUP).cat.rename_categories(["good", "partial", "poor"])
    res = run_analysis(
        c, markers=["nk", "cd4"], group="outcome", ordered=True, positive="good",
        responders=["good", "partial"], timepoints=("m0", "m12"),
        predictors=[{"column": "cd4_m0", "direction": "auto", "per": 10}], n_boot=50,
    )  # fmt: skip
    assert res["groups"].group.tolist() == ["good", "partial", "poor"]
    mw = res["baseline_positive"].iloc[0]
    assert (mw.group1, mw.group2) == ("good", "non-good")
    cw = res["change_within"]
    assert set(cw.after) == {"nk_m12", "cd4_m12"} and set(cw.group) == {"good", "partial", "poor"}
    assert res["change_between"].dv.tolist() == ["nk_m12 - nk_m0", "cd4_m12 - cd4_m0"]
    assert res["baseline_trend"].order.iloc[0] == "good < partial < poor"
    assert res["table1_tests"].empty


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"positive": "XX"}, "positive group 'XX'"),
        ({"responders": ["CR", "YY"]}, "responder groups"),
        ({"family": ["nk", "zz"]}, "family markers"),
        ({"predictors": [{"column": "nk_m0", "direction": "<"}]}, "direction must be one of"),
        ({"predictors": [{"column": "nk_m0"}]}, "needs 'column' and 'direction'"),
        ({"predictors": [{"column": "zz_m0", "direction": "auto"}]}, "not in the cohort"),
        ({"predictors": [{"column": "nk_m0", "direction": "auto", "unit": 1}]}, "unknown key"),
        ({"predictors": [{"column": "nk_m0", "direction": "auto", "per": 0}]}, "positive"),
        ({"levels": ["CR", "NR"]}, "not among the levels"),
    ],
)
def test_invalid_configuration_is_refused(cohort, change, message):
    with pytest.raises(ValueError, match=message):
        analyse(cohort, markers=["nk"], n_boot=0, **change)


def test_rows_without_a_group_or_order_are_refused(cohort):
    c = cohort.copy()
    c.loc[0, GROUP] = np.nan
    with pytest.raises(ValueError, match=r"1 row.* no group"):
        analyse(c, markers=["nk"], n_boot=0)
    c = cohort.assign(**{GROUP: cohort[GROUP].astype(str)})
    with pytest.raises(ValueError, match="ordered=True needs the order"):
        analyse(c, markers=["nk"], n_boot=0)
    res = analyse(c, markers=["nk"], n_boot=0, levels=["CR", "PR", "NR"])
    assert res["baseline_trend"].order.iloc[0] == "CR < PR < NR"
