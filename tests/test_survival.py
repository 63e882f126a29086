"""Tests of itp_stats.stats.survival against R's survival (tests/r/survival.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from stats_data import survival_cohort

from itp_stats.stats.survival import (
    COX_COLUMNS,
    LOGRANK_COLUMNS,
    SURVIVAL_COLUMNS,
    cox_model,
    kaplan_meier,
    km_curve,
    log_rank,
    median_followup,
)

NA = np.nan


def close(a, b, tol=1e-6):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.array_equal(np.isnan(a), np.isnan(b)) and np.allclose(
        a[~np.isnan(a)], b[~np.isnan(b)], atol=tol, rtol=0
    )


@pytest.fixture(scope="module")
def cohort():
    return survival_cohort()


def test_the_r_fixture_is_the_test_data(cohort):
    from pathlib import Path

    written = pd.read_csv(Path(__file__).parent / "r" / "survival_data.csv")
    assert written.equals(cohort)


def test_medians_and_landmarks_by_group_match_survfit(cohort):
    res = kaplan_meier(cohort, "time", "event", "group", landmarks=[12, 24, 36, 60])
    assert list(res.columns) == SURVIVAL_COLUMNS
    med = res[res.measure == "median"].set_index("group")
    # survival.out "median", "median lower", "median upper": quantile(survfit(...,
    # conf.type = "log-log"), 0.5); group c has no event, b's upper bound never reaches 1/2
    assert close(med.estimate, [27, 38, NA])
    assert close(med.ci_low, [16, 30, NA]) and close(med.ci_high, [36, NA, NA])
    assert med.loc["c", "note"] == "median not reached"
    assert list(med.n_events) == [20, 6, 0]
    land = res[(res.measure == "survival") & (res.time < 60)]
    # "landmark surv/lower/upper": summary(fit, times = c(12, 24, 36))
    assert close(land.estimate, [0.7875, 0.565384615384615, 0.246713286713287,
                                 0.873015873015873, 0.873015873015873, 0.611111111111111,
                                 1, 1, 1])  # fmt: skip
    assert close(land.ci_low, [0.562132538736544, 0.342102922701389, 0.0864130298590328,
                               0.655803189301043, 0.655803189301043, 0.233569666588077,
                               NA, NA, NA])  # fmt: skip
    assert close(land.ci_high, [0.905674154311629, 0.738480017437545, 0.44936818134647,
                                0.957229137160023, 0.957229137160023, 0.846392126450558,
                                NA, NA, NA])  # fmt: skip
    beyond = res[res.time == 60]
    assert (beyond.method == "not estimable").all()
    assert beyond.note.str.startswith("beyond the last follow-up of the group").all()


def test_one_curve_of_all_patients_and_the_median_follow_up(cohort):
    res = kaplan_meier(cohort, "time", "event", landmarks=[12, 24]).set_index("measure")
    # "all median": 37 30 39; "all landmark": surv, lower, upper at 12 and 24
    assert close(res.loc["median", ["estimate", "ci_low", "ci_high"]], [37, 30, 39])
    surv = res.loc["survival"]
    assert close(surv.estimate, [0.882938695328547, 0.793641929568273])
    assert close(surv.ci_low, [0.779091174320958, 0.669007383426506])
    assert close(surv.ci_high, [0.939795384227342, 0.87555856352656])
    follow = median_followup(cohort, "time", "event").iloc[0]
    # "median follow-up": quantile(survfit(Surv(time, 1 - event) ~ 1, ...), 0.5)
    assert close([follow.estimate, follow.ci_low, follow.ci_high], [28, 25, 36])
    assert follow.n_events == 26 and "reverse Kaplan–Meier" in follow.method


@pytest.mark.parametrize(
    ("times", "events", "median"),
    [
        # R: quantile(survfit(Surv(c(1, 2, 3, 4), c(1, 1, 1, 1)) ~ 1), 0.5): 2.5 (the curve
        # is exactly 1/2 from 2 to 3: the midpoint)
        ([1, 2, 3, 4], [1, 1, 1, 1], 2.5),
        # R: Surv(c(1, 2, 3, 4), c(1, 1, 0, 0)): 3 (1/2 from 2 to the last time, 4)
        ([1, 2, 3, 4], [1, 1, 0, 0], 3.0),
    ],
)
def test_median_of_a_curve_flat_at_one_half_is_rs(times, events, median):
    data = pd.DataFrame({"t": times, "e": events})
    row = kaplan_meier(data, "t", "e").iloc[0]
    assert row.estimate == median and row.ci_low == 1 and np.isnan(row.ci_high)


def test_log_rank_and_its_trend_match_survdiff(cohort):
    res = log_rank(cohort, "time", "event", "group", levels=["a", "b", "c"], ordered=True)
    assert list(res.columns) == LOGRANK_COLUMNS
    # "survdiff chisq" and p; "trend chisq" by hand from survdiff's obs, exp and var
    assert close(res.statistic, [27.2969931764185, 25.9068379088945])
    assert close(res.p_unc, [1.18177077424125e-06, 3.5829769616119e-07], 1e-12)
    assert list(res.df) == [2, 1] and list(res.test) == ["log_rank", "log_rank_trend"]
    unordered = log_rank(cohort, "time", "event", "group")
    assert list(unordered.test) == ["log_rank"]


def test_log_rank_not_computed_without_events(cohort):
    quiet = cohort.assign(event=0)
    row = log_rank(quiet, "time", "event", "group").iloc[0]
    assert row.method == "not computed" and row.note == "no events"


def test_cox_models_match_coxph(cohort):
    res = cox_model(cohort, "time", "event", "marker", unit=100)
    assert list(res.columns) == COX_COLUMNS
    row = res.iloc[0]
    # "cox HR", "CI", "p": coxph(Surv(time, event) ~ I(marker / 100), ties = "efron")
    reference = [1.41992930594977, 0.856307631978759, 2.35452675954312, 0.174217676901074]
    assert close([row.effect, row.ci_low, row.ci_high, row.p_unc], reference)
    adj = cox_model(cohort, "time", "event", "marker", covariates=["age", "sex"], unit=100)
    assert list(adj.term) == ["marker", "age", "sex: M"]
    # "cox adjusted ...": coxph(... ~ I(marker / 100) + age + sex, ties = "efron")
    assert close(adj.effect, [1.42576452753517, 1.00741690071046, 0.973337765411578])
    assert close(adj.ci_low, [0.856250903004201, 0.982350732708313, 0.438393491726232])
    assert close(adj.ci_high, [2.37407573042597, 1.03312266998472, 2.16104121857728])
    assert close(adj.p_unc, [0.172745622721586, 0.565417939230113, 0.947054666777326])
    assert "adjusted for age, sex" in adj.method.iloc[0] and "per 100" in adj.method.iloc[0]


def test_cox_not_computed_without_events(cohort):
    row = cox_model(cohort.assign(event=0), "time", "event", "marker").iloc[0]
    assert row.method == "not computed" and row.note == "no events"


def test_curve_and_numbers_at_risk(cohort):
    curve, risk = km_curve(cohort, "time", "event", "group", at=[0, 12, 24])
    a = curve[curve.group == "a"]
    assert a.time.iloc[0] == 0 and a.survival.iloc[0] == 1
    assert (np.diff(a.survival) <= 0).all()
    # numbers at risk recounted: patients of the group with a time at or after each time
    for _, r in risk.iterrows():
        members = cohort[cohort.group == r.group]
        assert r.at_risk == int((members.time >= r.time).sum())


def test_proportional_hazards_test_matches_cox_zph(cohort):
    from itp_stats.stats.survival import PH_COLUMNS, proportional_hazards_test

    res = proportional_hazards_test(cohort, "time", "event", "marker", unit=100)
    assert list(res.columns) == PH_COLUMNS
    # survival.out "zph": cox.zph(coxph(Surv(time, event) ~ I(marker / 100)))
    assert close(res.statistic, [0.8373636633558, 0.8373636633558])
    assert close(res.p_unc, [0.360151854544925, 0.360151854544925])
    adj = proportional_hazards_test(
        cohort, "time", "event", "marker", covariates=["age", "sex"], unit=100
    )
    assert list(adj.term) == ["marker", "age", "sex", "GLOBAL"]
    # "zph adjusted chisq/df/p"
    assert close(adj.statistic, [0.825601982462054, 1.96560756748928, 0.0246711022150951,
                                 3.04364137783243])  # fmt: skip
    assert list(adj.df) == [1, 1, 1, 3]
    assert close(adj.p_unc, [0.363547352421498, 0.160914866769526, 0.8751893862928,
                             0.384945355512237])  # fmt: skip
    # a covariate of three levels is one term of 2 df ("zph stage chisq ... df 1 2 3")
    staged = proportional_hazards_test(
        cohort, "time", "event", "marker", covariates=["stage"], unit=100
    )
    assert close(staged.statistic, [0.818352713791002, 2.89378148090437, 3.94323567877842])
    assert list(staged.df) == [1, 2, 3]
    hr = cox_model(cohort, "time", "event", "marker", covariates=["stage"], unit=100)
    # "cox stage HR": coxph(... ~ I(marker / 100) + stage)
    assert close(hr.effect, [1.41395448982015, 1.1342967593756, 0.988331039373583])


def test_a_level_without_events_is_said_to_have_no_finite_estimate(cohort):
    res = cox_model(cohort, "time", "event", "marker", covariates=["group"])
    row = res.set_index("term").loc["group: c"]  # group c has no event
    assert row.note == "no finite estimate (monotone likelihood)"
