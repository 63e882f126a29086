"""Tests of itp_stats.stats.adjusted against R (tests/r/calibration.R: glm, brglm2)."""

from __future__ import annotations

import numpy as np
import pytest
from stats_data import calibration_cohort

from itp_stats.stats.adjusted import (
    ADJUSTED_COLUMNS,
    FLAG_EPV,
    MIN_EPV,
    adjusted_or,
    design_matrix,
    separated,
)

COVARIATES = ["age", "sex", "phase"]

# tests/r/calibration.out (Rscript calibration.R)
R_ADJ_OR = [0.182011822219976, 0.981495624646955, 0.927843445059525, 0.620624105261881,
            0.810114926739941]  # fmt: skip
R_ADJ_LOW = [0.0812123852994984, 0.932107705241523, 0.217262121894487, 0.113051453020403,
             0.147546097106306]  # fmt: skip
R_ADJ_HIGH = [0.407921812734157, 1.03350037316933, 3.96246456139289, 3.40707058371549,
              4.44800782533753]  # fmt: skip
R_ADJ_P = [3.50769360646603e-05, 0.478293552119876, 0.919463775065319, 0.582973819218206,
           0.808510376973313]  # fmt: skip
R_FIRTH_OR = [0.00236128771694442, 0.987214713515321, 2.16931052204304, 0.751309857359581,
              0.490691774481758]  # fmt: skip
R_FIRTH_LOW = [3.43397803363629e-05, 0.89390331788822, 0.153321759567483, 0.0290017451856612,
               0.0170277262943722]  # fmt: skip
R_FIRTH_HIGH = [0.162367948413706, 1.09026655464658, 30.6930220101955, 19.4631908580713,
                14.1403739631189]  # fmt: skip


def close(a, b, tol=1e-6):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), atol=tol, rtol=0)


@pytest.fixture(scope="module")
def cohort():
    return calibration_cohort()


def test_adjusted_odds_ratios_match_glm(cohort):
    res = adjusted_or(cohort, "marker", "outcome", positive="yes", covariates=COVARIATES,
                      unit=100)  # fmt: skip
    assert list(res.columns) == ADJUSTED_COLUMNS
    assert list(res.term) == [
        "marker", "age", "sex: M", "phase: newly diagnosed", "phase: persistent",
    ]  # fmt: skip
    # calibration.R: glm(y ~ I(marker / 100) + age + sex + phase, binomial);
    # exp(coef), exp(confint.default), Wald p
    assert close(res.effect, R_ADJ_OR)
    assert close(res.ci_low, R_ADJ_LOW) and close(res.ci_high, R_ADJ_HIGH)
    assert close(res.p_unc, R_ADJ_P)
    row = res.iloc[0]
    # 29 non-events (the smaller class) over 5 model columns
    assert (row.n, row.n_events, row.n_parameters) == (60, 29, 5) and row.epv == 29 / 5
    assert MIN_EPV <= row.epv < FLAG_EPV and "events per variable" in row.note
    assert "maximum likelihood" in row.method and "per 100" in row.method


def test_firth_under_separation_matches_brglm2(cohort):
    data = cohort.assign(outcome=np.where(cohort.marker < 220, "yes", "no"))
    X, _ = design_matrix(data, "marker", COVARIATES)
    y = (data.outcome == "yes").to_numpy(dtype=float)
    assert separated(np.column_stack([np.ones(60), X.to_numpy(dtype=float)]), y)
    res = adjusted_or(data, "marker", "outcome", positive="yes", covariates=COVARIATES,
                      unit=100)  # fmt: skip
    # calibration.R: glm(..., method = "brglmFit", type = "AS_mean"), confint.default
    assert close(res.effect, R_FIRTH_OR, 1e-5)
    assert close(res.ci_low, R_FIRTH_LOW, 1e-5) and close(res.ci_high, R_FIRTH_HIGH, 1e-5)
    assert res.method.str.contains("Firth").all()


def test_no_separation_where_the_classes_overlap(cohort):
    X, _ = design_matrix(cohort, "marker", COVARIATES)
    y = (cohort.outcome == "yes").to_numpy(dtype=float)
    assert not separated(np.column_stack([np.ones(60), X.to_numpy(dtype=float)]), y)


def test_too_few_events_per_variable_is_not_fitted(cohort):
    few = cohort.assign(outcome=np.where(np.arange(60) < 8, "yes", "no"))
    res = adjusted_or(few, "marker", "outcome", positive="yes", covariates=COVARIATES)
    assert len(res) == 1 and res.iloc[0].method == "not computed"
    assert (
        res.iloc[0].note == "8 events for 5 variables (1.6 per variable, fewer than 5): not fitted"
    )


def test_collinear_covariates_are_not_fitted(cohort):
    data = cohort.assign(age2=cohort.age * 2)
    res = adjusted_or(data, "marker", "outcome", positive="yes", covariates=["age", "age2"])
    assert res.iloc[0].method == "not computed" and "collinear" in res.iloc[0].note


def test_missing_values_drop_the_row(cohort):
    data = cohort.copy()
    data.loc[[0, 5], "age"] = np.nan
    res = adjusted_or(data, "marker", "outcome", positive="yes", covariates=COVARIATES)
    assert res.iloc[0].n == 58 and res.iloc[0].n_missing == 2
