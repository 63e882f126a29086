"""Tests of itp_stats.stats.calibration against R (tests/r/calibration.R) and statsmodels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from stats_data import calibration_cohort

from itp_stats.stats.calibration import (
    CALIBRATION_CURVE_COLUMNS,
    VALIDATION_COLUMNS,
    bootstrap_indices,
    calibration_curve,
    calibration_line,
    internal_validation,
)

R_DIR = Path(__file__).parent / "r"

# tests/r/calibration.out (Rscript calibration.R)
R_APPARENT = [0.883203559510567, 0.131025604372961, -7.93503614078989e-14, 0.999999999999999]
R_AUC_CI = [0.790601303273956, 0.975805815747178]
R_INTERCEPT_CI = [-0.681339645182794, 0.681339645182635]
R_SLOPE_CI = [0.52873033506419, 1.47126966493581]
R_OPTIMISM = [0.00422451325204513, -0.0110443860366771, 0.0373732559844602, 0.0363180059323615]
R_CORRECTED = [0.878979046258522, 0.142069990409639, -0.0373732559845396, 0.963681994067638]
R_LOWESS_X = [0.0408026047098673, 0.0435130695539504, 0.0494576762006466]
R_LOWESS_Y = [0.0809000025487671, 0.0821274234638066, 0.0848194098755713]


def close(a, b, tol=1e-6):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), atol=tol, rtol=0)


@pytest.fixture(scope="module")
def cohort():
    return calibration_cohort()


@pytest.fixture(scope="module")
def validation(cohort):
    return internal_validation(cohort, "marker", "outcome", positive="yes", n_boot=50)


def test_the_r_fixtures_are_the_test_data(cohort):
    """calibration.R reads these files: they must be the rows and resamples tested here."""
    import pandas as pd

    written = pd.read_csv(R_DIR / "calibration_data.csv")
    assert np.array_equal(written[["marker", "age"]], cohort[["marker", "age"]])
    assert written[["sex", "phase", "outcome"]].equals(cohort[["sex", "phase", "outcome"]])
    boot = np.loadtxt(R_DIR / "calibration_boot.csv", delimiter=",", dtype=int)
    assert (boot - 1 == bootstrap_indices(60, 50, 20230601)).all()


def test_apparent_performance_matches_r(validation):
    v = validation.set_index("measure")
    assert list(validation.columns) == VALIDATION_COLUMNS
    # calibration.R "apparent": auc, brier, intercept, slope of glm(y ~ marker)
    assert close(v.apparent, R_APPARENT)
    # "auc delong ci"; "intercept confint.default"; "slope confint.default"
    assert close(v.loc["auc", ["ci_low", "ci_high"]], R_AUC_CI)
    assert close(v.loc["calibration_intercept", ["ci_low", "ci_high"]], R_INTERCEPT_CI)
    assert close(v.loc["calibration_slope", ["ci_low", "ci_high"]], R_SLOPE_CI)


def test_optimism_matches_r_on_the_same_resamples(validation):
    v = validation.set_index("measure")
    # calibration.R "optimism" and "corrected": Harrell's bootstrap by hand with glm
    assert close(v.optimism, R_OPTIMISM)
    assert close(v.corrected, R_CORRECTED)
    assert (v.n_boot_used == 50).all() and (v.seed == 20230601).all()
    assert v.method.str.contains("Harrell's bootstrap \\(50 of 50 resamples").all()


def test_calibration_line_matches_statsmodels(cohort):
    """An independent fit: statsmodels GLM with an offset, and on the linear predictor."""
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    lp = rng.normal(0, 1.5, 80)
    y = (rng.random(80) < 1 / (1 + np.exp(-(0.3 + 0.6 * lp)))).astype(float)
    line = calibration_line(lp, y)
    offset = sm.GLM(y, np.ones((80, 1)), family=sm.families.Binomial(), offset=lp).fit()
    slope = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit()
    assert close([line["intercept"], line["intercept_se"]], [offset.params[0], offset.bse[0]])
    assert close([line["slope"], line["slope_se"]], [slope.params[1], slope.bse[1]])


def test_calibration_curve_groups_and_smoother(cohort):
    curve = calibration_curve(cohort, "marker", "outcome", positive="yes")
    assert list(curve.columns) == CALIBRATION_CURVE_COLUMNS
    groups = curve[curve.kind == "group"]
    assert len(groups) == 6 and groups.n.sum() == 60  # one group per 10 patients
    assert (groups.predicted.diff().dropna() > 0).all()  # in order of predicted risk
    # observed proportions recounted: events of each group / its size
    assert close(groups.observed * groups.n, np.round(groups.observed * groups.n))
    assert ((groups.ci_low <= groups.observed) & (groups.observed <= groups.ci_high)).all()
    smooth = curve[curve.kind == "smooth"]
    # calibration.R "lowess first 3": lowess(plogis(lp), y, iter = 0)
    assert close(smooth.predicted.head(3), R_LOWESS_X) and close(
        smooth.observed.head(3), R_LOWESS_Y
    )


def test_not_computed_when_the_marker_separates_the_outcome(cohort):
    separated = cohort.assign(outcome=np.where(cohort.marker < 220, "yes", "no"))
    res = internal_validation(separated, "marker", "outcome", positive="yes", n_boot=5)
    assert (res.method == "not computed").all()
    assert res.note.str.contains("separates").all()
    assert calibration_curve(separated, "marker", "outcome", positive="yes").empty
