"""The prediction model in the report: internal validation, calibration and the adjusted odds
ratio, each sentence checked against the results it states (rules V1–V4 of
itp_stats.report.model), on the shipped cohort's shape, with the finding reversed and absent."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from itp_stats.cohort.synth import synthesize, write_cohort
from itp_stats.report import model
from itp_stats.report.format import format_number
from itp_stats.stats.adjusted import adjusted_or
from itp_stats.stats.calibration import internal_validation
from itp_stats.study.prepare import prepare_study


def _study(tmp_path, frame: pd.DataFrame, name: str):
    path = write_cohort(frame, tmp_path / f"{name}.csv")
    return prepare_study(path, gate_result=tmp_path / f"{name}.gate.json", n_boot=200)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    return _study(tmp_path_factory.mktemp("model"), synthesize(72, seed=20230601), "shipped")


def test_the_study_validates_and_adjusts_the_configured_predictor(shipped):
    cfg = shipped.config
    predictor = cfg.predictors[0]
    assert predictor.adjust_for == ("age_years", "sex", "itp_phase")
    valid = shipped.results["model_validation"].set_index("measure")
    # the same numbers as the statistics module called on the analysed patients
    direct = internal_validation(shipped.analysed, predictor.column, cfg.group,
                                 positive=cfg.positive, n_boot=200,
                                 seed=shipped.params["seed"]).set_index("measure")  # fmt: skip
    assert np.allclose(valid.corrected, direct.corrected)
    adjusted = shipped.results["adjusted"]
    again = adjusted_or(shipped.analysed, predictor.column, cfg.group, positive=cfg.positive,
                        covariates=list(predictor.adjust_for), unit=predictor.per)  # fmt: skip
    assert np.allclose(adjusted.effect, again.effect)
    assert list(adjusted.term[:2]) == [predictor.column, "age_years"]


def test_validation_sentences_state_the_results(shipped):
    text = model.validation_text(shipped)
    v = shipped.results["model_validation"].set_index("measure")
    # V1: corrected first, apparent beside it, as the table prints them
    corrected, apparent = v.loc["auc", "corrected"], v.loc["auc", "apparent"]
    auc = f"{format_number(corrected, 2)} (apparent {format_number(apparent, 2)})"
    assert f"the data, was {auc}" in text
    # the calibration intercept and slope: corrected, then apparent, as the table prints them
    i, s = v.loc["calibration_intercept"], v.loc["calibration_slope"]
    assert (
        f"the calibration intercept {model._signed(i.corrected, 2)} (apparent "
        f"{model._signed(i.apparent, 2)}; 0 is ideal) and the calibration slope "
        f"{format_number(s.corrected, 2)} (apparent {format_number(s.apparent, 2)})"
    ) in text
    slope = float(v.loc["calibration_slope", "corrected"])
    # V2: the slope read by the stated thresholds
    reading = "close to 1" if model.SLOPE_LOW <= slope <= model.SLOPE_HIGH else "too"
    assert reading in text
    a = shipped.results["adjusted"].iloc[0]
    # V4: events per variable, and the flag below 10
    assert f"{format_number(a.epv, 1)} events per variable" in text
    assert ("fewer than 10" in text) == (a.epv < 10)
    assert f"{int(a.n)} patients with every value" in text


def test_validation_table_and_note(shipped):
    table, note = model.validation_table(shipped)
    assert list(table["Measure"]) == [
        "AUC", "Brier score", "Calibration intercept", "Calibration slope",
    ]  # fmt: skip
    assert "2000" not in note and "200 resamples" in note and "seed" in note
    assert not table.apply(lambda c: c.astype(str).str.contains("−0.00")).any().any()
    adjusted, note = model.adjusted_table(shipped)
    assert adjusted["Term"].iloc[0].startswith("NK cells") and "per 100" in adjusted["Term"].iloc[0]
    assert "Sex: Male" in list(adjusted["Term"])
    assert re.search(r"\d+ patients with every value", note)


def test_a_reversed_finding_is_not_claimed_after_correction(tmp_path):
    """NK cut to a quarter outside CR: the model still discriminates (the other way), and the
    sentences say what the numbers are without a claim the corrected AUC does not carry."""
    frame = synthesize(72, seed=20230601)
    rest = frame["response_m6"].astype(object) != "CR"
    frame.loc[rest, "nk_m0"] = (frame.loc[rest, "nk_m0"] // 4).astype("Int64")
    study = _study(tmp_path, frame, "reversed")
    text = model.validation_text(study)
    corrected = float(
        study.results["model_validation"].set_index("measure").loc["auc", "corrected"]
    )
    assert ("no better than chance" in text) == (corrected <= 0.5)
    adj = study.results["adjusted"].iloc[0]
    if adj.effect > 1:  # higher NK now goes with CR: the OR above 1 is stated as it is
        assert f"{format_number(adj.effect, 2)}\u00a0(" in text


def test_no_adjusted_model_without_covariates(shipped):
    import dataclasses

    cfg = shipped.config
    bare = dataclasses.replace(cfg.predictors[0], adjust_for=())
    study = dataclasses.replace(shipped, config=dataclasses.replace(cfg, predictors=(bare,)))
    assert model.captions(study)["supptbl-adjusted"].startswith("Adjusted model: not done")


def test_calibration_figure_draws_the_results(shipped):
    """The figure's points are the risk groups of the results, and its title states the
    corrected slope and Brier score as the table prints them."""
    from itp_stats.report import facade

    fig = model.calibration_figure(shipped, facade._figures(shipped))
    ax = fig.axes[0]
    v = shipped.results["model_validation"].set_index("measure")
    title = ax.get_title()
    assert f"calibration slope {format_number(v.loc['calibration_slope', 'corrected'], 2)}" in title
    assert f"Brier score {format_number(v.loc['brier', 'corrected'], 3)}" in title
    groups = shipped.results["calibration_curve"]
    groups = groups[groups["kind"] == "group"]
    drawn = [line for line in ax.lines if line.get_marker() == "o"]
    assert np.allclose(drawn[0].get_xdata(), groups["predicted"])
    assert np.allclose(drawn[0].get_ydata(), groups["observed"])
