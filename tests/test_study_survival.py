"""The time-to-event part of the analysis (itp_stats.study.survival): the shipped study's
results against R's survival (tests/r/survival_shipped.R), and a cohort with ties, heavy
censoring and a group without events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stats_data import survival_cohort

from itp_stats.cohort.endpoints import Endpoint, EndpointPredictor
from itp_stats.study.survival import SURVIVAL_TABLES, endpoint_data, risk_times, run_survival

R_DIR = Path(__file__).parent / "r"


def close(a, b, tol=1e-6) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    same_nan = np.array_equal(np.isnan(a), np.isnan(b))
    return same_nan and np.allclose(a[~np.isnan(a)], b[~np.isnan(b)], atol=tol, rtol=0)


@pytest.fixture(scope="module")
def shipped():
    from itp_stats.study.prepare import prepare_study

    return prepare_study(None)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    # Rscript survival_shipped.R > survival_shipped.csv (survival 3.5-3)
    ref = pd.read_csv(R_DIR / "survival_shipped.csv", keep_default_na=False, na_values=["NA"])
    return ref


def _r(ref: pd.DataFrame, endpoint: str, quantity: str, group: str = "") -> float:
    row = ref[(ref.endpoint == endpoint) & (ref.quantity == quantity) & (ref.group == group)]
    assert len(row) == 1, (endpoint, quantity, group)
    return float(row.value.iloc[0])


@pytest.mark.parametrize("endpoint", ["duration_of_response", "time_to_next_treatment"])
def test_shipped_study_matches_r(shipped, reference, endpoint):
    res, ref = shipped.results, reference
    km = res["tte_km"][res["tte_km"].endpoint == endpoint]
    med = km[km.measure == "median"].set_index("group")
    for group in med.index:
        assert close(
            med.loc[group, ["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float),
            [_r(ref, endpoint, q, group) for q in ("median", "median_low", "median_high")],
        ), group
    land = km[(km.measure == "survival") & (km.group == "all")].set_index("time")
    for lm in (12, 24):
        assert close(
            land.loc[lm, ["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float),
            [_r(ref, endpoint, f"{q}{lm}", "all") for q in ("surv_", "surv_low_", "surv_high_")],
        )
    fu = res["tte_followup"][res["tte_followup"].endpoint == endpoint].iloc[0]
    assert close(
        [fu.estimate, fu.ci_low, fu.ci_high],
        [_r(ref, endpoint, q, "all") for q in ("followup", "followup_low", "followup_high")],
    )
    lr = res["tte_logrank"][res["tte_logrank"].endpoint == endpoint]
    lr = lr[lr.test == "log_rank"].iloc[0]
    assert close([lr.statistic], [_r(ref, endpoint, "logrank_chisq")])
    assert close([lr.p_unc], [_r(ref, endpoint, "logrank_p")], tol=1e-9)
    cox = res["tte_cox"][res["tte_cox"].endpoint == endpoint]
    one = cox[cox.test == "cox"].iloc[0]
    assert close(
        [one.effect, one.ci_low, one.ci_high, one.p_unc],
        [_r(ref, endpoint, q) for q in ("hr", "hr_low", "hr_high", "hr_p")],
    )
    adjusted = cox[cox.test == "cox_adjusted"].set_index("term")
    for term in ("nk_m0", "age_years", "sex: M"):
        assert close(
            adjusted.loc[term, ["effect", "ci_low", "ci_high", "p_unc"]].to_numpy(dtype=float),
            [_r(ref, endpoint, f"hr_adjusted{q}", term) for q in ("", "_low", "_high", "_p")],
        ), term
    ph = res["tte_ph"][res["tte_ph"].endpoint == endpoint]
    glob = ph[(ph.model == "cox") & (ph.term == "GLOBAL")].iloc[0]
    expected = [_r(ref, endpoint, q, "GLOBAL") for q in ("zph_chisq", "zph_p")]
    assert close([glob.statistic, glob.p_unc], expected)
    adj = ph[ph.model == "cox_adjusted"].set_index("term")
    for term in ("nk_m0", "age_years", "sex", "GLOBAL"):
        assert close(
            adj.loc[term, ["statistic", "p_unc"]].to_numpy(dtype=float),
            [_r(ref, endpoint, q, term) for q in ("zph_adjusted_chisq", "zph_adjusted_p")],
        ), term


def test_shipped_study_has_every_table(shipped):
    assert set(SURVIVAL_TABLES) <= set(shipped.results)
    for name in SURVIVAL_TABLES:
        table = shipped.results[name]
        assert list(table.columns[:1]) == ["endpoint"]
        assert set(table.endpoint) == {"duration_of_response", "time_to_next_treatment"}
        if "method" in table:
            assert table.method.notna().all()


def test_shipped_population_is_the_responders(shipped):
    km = shipped.results["tte_km"]
    dor = km[(km.endpoint == "duration_of_response") & (km.measure == "median")]
    assert list(dor.group) == ["CR", "PR", "all"]
    analysed = shipped.analysed
    responders = analysed[shipped.group].astype(object).isin(["CR", "PR"])
    assert int(dor[dor.group == "all"].n.iloc[0]) == int(responders.sum())
    # the seed's direction: a lower baseline NK count, a longer response
    cox = shipped.results["tte_cox"]
    hr = cox[(cox.endpoint == "duration_of_response") & (cox.test == "cox")].iloc[0]
    assert hr.effect > 1


def _endpoint(**change) -> Endpoint:
    spec = {
        "name": "tte", "title": "Time to event", "event_label": "event", "time": "time",
        "event": "event", "unit": "months", "event_value": 1, "codes": (0, 1),
        "population": (), "compare": "group",
        "predictors": (EndpointPredictor("marker", 100.0, "Marker", "u"),),
        "adjust_for": ("age", "sex"), "landmarks": (12.0, 24.0, 60.0),
    }  # fmt: skip
    return Endpoint(**(spec | change))


def test_ties_heavy_censoring_and_a_group_without_events():
    data = survival_cohort()
    data["group"] = pd.Categorical(data["group"], categories=["a", "b", "c"], ordered=True)
    res = run_survival(data, [_endpoint()], group="group", ordered=True)
    km = res["tte_km"]
    med = km[km.measure == "median"].set_index("group")
    # as tests/r/survival.out: group c has no event, b's upper bound never reaches 1/2
    assert close(med.loc[["a", "b", "c"], "estimate"], [27, 38, np.nan])
    assert med.loc["c", "note"] == "median not reached" and med.loc["c", "n_events"] == 0
    land = km[(km.measure == "survival") & (km.time == 60)]
    assert (land.method == "not estimable").all()  # beyond every group's last follow-up
    lr = res["tte_logrank"].set_index("test")
    assert close(lr.loc[["log_rank", "log_rank_trend"], "statistic"],
                 [27.2969931764185, 25.9068379088945])  # fmt: skip
    assert set(res["tte_cox"].test) == {"cox", "cox_adjusted"}
    assert set(res["tte_ph"].model) == {"cox", "cox_adjusted"}
    risk = res["tte_at_risk"]
    assert list(risk[risk.group == "a"].time) == risk_times(float(data.time.max()), "months")


def test_a_population_without_events_is_not_estimable():
    data = survival_cohort()
    data["group"] = pd.Categorical(data["group"], categories=["a", "b", "c"])
    ep = _endpoint(population=("c",), compare=None)
    res = run_survival(data, [ep], group="group")
    med = res["tte_km"][res["tte_km"].measure == "median"].iloc[0]
    assert med.n_events == 0 and np.isnan(med.estimate)
    assert res["tte_logrank"].empty
    cox = res["tte_cox"]
    assert (cox.method == "not computed").all() and (cox.note == "no events").all()
    assert (res["tte_ph"].method == "not computed").all()


def test_endpoint_data_codes_the_event():
    data = pd.DataFrame(
        {"time": [1.0, 2.0, 3.0, 4.0], "event": ["started", "none", None, "started"],
         "group": pd.Categorical(["x", "y", "x", "z"], categories=["x", "y", "z"])}
    )  # fmt: skip
    ep = _endpoint(event_value="started", codes=("none", "started"), population=("x", "y"))
    rows, compare, levels = endpoint_data(data, ep, group="group")
    assert list(rows.time) == [1.0, 2.0, 3.0]
    assert close(rows.event, [1.0, 0.0, np.nan])
    assert (compare, levels) == ("group", ["x", "y"])


def test_no_endpoints_no_tables():
    assert run_survival(survival_cohort(), [], group="group") == {}


@pytest.mark.parametrize(
    ("last", "unit", "expected"),
    [
        (65.8, "months", [0, 12, 24, 36, 48, 60]),
        (18.0, "months", [0, 6, 12, 18]),
        (9.0, "years", [0, 2, 4, 6, 8]),
        (0.0, "days", [0]),
    ],
)
def test_risk_times(last, unit, expected):
    assert risk_times(last, unit) == expected
