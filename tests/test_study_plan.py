"""Tests of itp_stats.study.plan.run_analysis on a synthetic cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from itp_stats.stats.nonparametric import kruskal
from itp_stats.study.plan import TABLES, run_analysis

COUNTS = ["lymphocytes", "cd3", "cd4", "cd8", "cd19", "nk", "cd8_act"]
MARKERS = COUNTS + [f"pct_{m}" for m in COUNTS[1:]]


def make_cohort(n: int = 72, seed: int = 1) -> pd.DataFrame:
    """Small plausible cohort built here (independent of the synthetic generator)."""
    rng = np.random.default_rng(seed)
    resp = rng.choice(["CR", "PR", "NR"], size=n, p=[0.4, 0.2, 0.4])
    d = pd.DataFrame({
        "age_years": rng.integers(20, 90, n).astype(float),
        "itp_duration_months": rng.gamma(2, 20, n).round(1),
        "sex": rng.choice(["F", "M"], n),
        "itp_phase": rng.choice(["newly diagnosed", "persistent", "chronic"], n),
        "response_iwg": pd.Categorical(resp, categories=["CR", "PR", "NR"], ordered=True),
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


@pytest.fixture(scope="module")
def result():
    return run_analysis(
        make_cohort(), markers=MARKERS, continuous=["age_years", "itp_duration_months"],
        categorical=["sex", "itp_phase"], n_boot=200, seed=42,
    )  # fmt: skip


def test_all_tables_present(result):
    assert set(result) == set(TABLES)
    for name, table in result.items():
        assert isinstance(table, pd.DataFrame) and not table.empty, name


def test_marker_tables_have_one_row_per_marker_and_fdr(result):
    for name in ("baseline_kruskal", "baseline_cr_vs_noncr", "baseline_trend",
                 "change_between", "sensitivity_responders"):  # fmt: skip
        t = result[name]
        assert t.marker.tolist() == MARKERS, name
        assert {"p_unc", "p_fdr", "p_fdr_method", "method"} <= set(t.columns)
        assert (t.p_fdr >= t.p_unc - 1e-15).all()
    assert len(result["baseline_dunn"]) == 3 * len(MARKERS)
    assert len(result["change_within"]) == 3 * len(MARKERS)


def test_results_agree_with_direct_calls(result):
    cohort = make_cohort()
    direct = kruskal(cohort, "nk_m0", "response_iwg", n_boot=200, seed=42).iloc[0]
    row = result["baseline_kruskal"].set_index("marker").loc["nk"]
    assert row.statistic == direct.statistic and row.ci_low == direct.ci_low
    mw = result["baseline_cr_vs_noncr"].set_index("marker").loc["nk"]
    assert (mw.group1, mw.group2) == ("CR", "non-CR") and mw.effect < 0
    pred = result["prediction"].set_index("effect_type")
    assert pred.loc["auc", "direction"] == ">" and pred.loc["auc", "effect"] > 0.5
    assert "per 100 unit(s)" in pred.loc["odds_ratio", "method"]


def test_same_seed_same_numbers(result):
    again = run_analysis(
        make_cohort(), markers=MARKERS, continuous=["age_years", "itp_duration_months"],
        categorical=["sex", "itp_phase"], n_boot=200, seed=42,
    )  # fmt: skip
    for name in result:
        pd.testing.assert_frame_equal(result[name], again[name])


def test_table1_tests(result):
    t = result["table1_tests"].set_index("variable")
    assert t.loc["age_years", "test"] == "kruskal_wallis"
    assert t.loc["sex", "test"] in {"chi_square", "fisher_exact"}
    assert t.method.notna().all()


def test_small_group_gives_not_computed_rows():
    cohort = make_cohort(40, seed=3)
    pr = cohort.index[cohort.response_iwg == "PR"]
    cohort = cohort.drop(pr[2:])  # two PR patients left
    res = run_analysis(cohort, markers=["nk"], continuous=["age_years"], categorical=["sex"],
                       n_boot=50)  # fmt: skip
    kw = res["baseline_kruskal"].iloc[0]
    assert kw.method.startswith("not computed: fewer than 3 values in group PR (n=2)")
    assert kw.p_fdr_method == "not adjusted: test not computed"
    within = res["change_within"].set_index("group")
    assert within.loc["PR", "method"].startswith("not computed")
    assert not within.loc["CR", "method"].startswith("not computed")
    assert res["baseline_cr_vs_noncr"].iloc[0].method.startswith("Wilcoxon rank-sum")
