"""The prediction model as TRIPOD asks it reported: internal validation, calibration and the
adjusted odds ratio — tables, sentences, captions and the calibration figure.

Everything here reads the study's results (``model_validation``, ``calibration_curve``,
``adjusted``: :func:`itp_stats.study.plan.run_analysis`) and states them by fixed rules:

- V1: the apparent value and the optimism-corrected one are always given together, the
  corrected one first; the number of resamples and the seed are said once (methods);
- V2: the corrected calibration slope is read as "too extreme" below :data:`SLOPE_LOW`
  (overfitting; Steyerberg 2019, ch. 13: shrinkage is called for below about 0.9), "too
  moderate" above :data:`SLOPE_HIGH`, "close to 1" between;
- V3: discrimination is never claimed beyond what the corrected AUC supports: when it is at
  or below one half the sentence says the apparent discrimination does not survive the
  correction;
- V4: the adjusted odds ratio is given with its complete cases, events and events per
  variable, and flagged below :data:`~itp_stats.stats.adjusted.FLAG_EPV`; a model not fitted
  says why.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from itp_stats.report import sentences as T
from itp_stats.report.format import format_ci, format_number, format_p
from itp_stats.text import lower_first

__all__ = [
    "SLOPE_HIGH",
    "SLOPE_LOW",
    "adjusted_table",
    "calibration_figure",
    "captions",
    "validation_methods",
    "validation_table",
    "validation_text",
]

SLOPE_LOW = 0.9
"""Below this corrected calibration slope the predictions are called too extreme (V2)."""

SLOPE_HIGH = 1.1
"""Above this corrected calibration slope the predictions are called too moderate (V2)."""

_MEASURES = {
    "auc": ("AUC", 2),
    "brier": ("Brier score", 3),
    "calibration_intercept": ("Calibration intercept", 2),
    "calibration_slope": ("Calibration slope", 2),
}


def _finite(x: Any) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _rows(study, name: str, column: str) -> pd.DataFrame:
    table = study.results.get(name, pd.DataFrame())
    if table.empty or "predictor" not in table:
        return table
    return table[table["predictor"] == column]


def _fitted(rows: pd.DataFrame) -> bool:
    return not rows.empty and not rows["method"].astype(str).str.startswith("not c").all()


def validation_table(study) -> tuple[pd.DataFrame, str]:
    """Apparent and optimism-corrected performance of each predictor's logistic model."""
    ci = T.conf_label(T._alpha(study))
    out = []
    predictors = study.config.predictors
    for predictor in predictors:
        rows = _rows(study, "model_validation", predictor.column).set_index("measure")
        for measure, (name, digits) in _MEASURES.items():
            if measure not in rows.index:
                continue
            r = rows.loc[measure]
            entry = {"Predictor": T.md_literal(predictor.label)} if len(predictors) > 1 else {}
            if not _finite(r["apparent"]):
                entry |= {"Measure": name, f"Apparent ({ci} CI)": "not computed",
                          "Optimism": "—", "Corrected": "—"}  # fmt: skip
                out.append(entry)
                continue
            apparent = (
                format_ci(r["apparent"], r["ci_low"], r["ci_high"], digits)
                if _finite(r["ci_low"])
                else format_number(r["apparent"], digits)
            )
            entry |= {
                "Measure": name,
                f"Apparent ({ci} CI)": apparent,
                "Optimism": _signed(r["optimism"], digits),
                "Corrected": _signed(r["corrected"], digits),
            }
            out.append(entry)
    table = pd.DataFrame(out)
    if table.empty:
        return table, ""
    return table, validation_methods(study)


def validation_methods(study) -> str:
    """How the model was judged (the supplement table's note and the methods clause)."""
    rows = study.results.get("model_validation", pd.DataFrame())
    fitted = rows[~rows["method"].astype(str).str.startswith("not c")] if not rows.empty else rows
    if fitted.empty:
        return ""
    used, total = int(fitted["n_boot_used"].iloc[0]), int(fitted["n_boot"].iloc[0])
    seed = int(fitted["seed"].iloc[0])
    who = study.config.participants.plural
    return (
        f"the logistic model of the group on the predictor, judged on the {who} it was "
        "fitted to (apparent) and corrected for that optimism by Harrell's bootstrap: refitted "
        f"in each of {total} resamples (seed {seed}; {used} could be fitted), the mean "
        f"difference between its performance in the resample and on the original {who} is "
        "subtracted; calibration intercept with the linear predictor as offset (0 is ideal), "
        "calibration slope (1 is ideal), Brier score (mean squared error of the predicted "
        "risks); AUC with DeLong's interval"
    )


def adjusted_table(study) -> tuple[pd.DataFrame, str]:
    """The adjusted logistic model of each predictor with covariates: every term's OR."""
    ci = T.conf_label(T._alpha(study))
    out, notes = [], []
    d = study.config.dictionary
    for predictor in study.config.predictors:
        rows = _rows(study, "adjusted", predictor.column)
        if rows.empty:
            continue
        first = rows.iloc[0]
        if not _fitted(rows):
            notes.append(f"{T.md_literal(predictor.label)}: not fitted ({first['note']})")
            continue
        for _, r in rows.iterrows():
            term = str(r["term"])
            column, _, level = term.partition(": ")
            label = d.label(column)
            if level:
                label = f"{label}: {_level_label(d, column, level)}"
            if term == predictor.column and predictor.per != 1:
                per = format_number(predictor.per, 0 if float(predictor.per).is_integer() else 2)
                label += f" (per {per} {predictor.unit})".replace("  ", " ")
            out.append(
                {
                    "Term": T.md_literal(label),
                    f"Odds ratio ({ci} CI)": format_ci(r["effect"], r["ci_low"], r["ci_high"], 2),
                    "p": format_p(r["p_unc"], alpha=T._alpha(study)),
                }
            )
        estimator = (
            "Firth's penalised likelihood (the variables separate the groups)"
            if "Firth" in str(first["method"])
            else "maximum likelihood"
        )
        notes.append(
            f"{study.config.participants.count(int(first['n']))} with every value, "
            f"{int(first['n_events'])} in the "
            f"smaller outcome group: {format_number(first['epv'], 1)} events per variable"
            + (f" ({first['note']})" if str(first["note"]) else "")
            + f"; odds ratios by {estimator}, with Wald intervals; categories against the "
            "first listed in the data dictionary"
        )
    return pd.DataFrame(out), "; ".join(notes)


def _level_label(d, column: str, level: str) -> str:
    col = d.columns.get(column)
    labels = getattr(col, "category_labels", None) or {}
    return str(labels.get(level, level))


def _signed(x: Any, digits: int) -> str:
    """A number that rounds to zero prints as zero, not "−0.00"."""
    if _finite(x) and round(float(x), digits) == 0:
        x = 0.0
    return format_number(x, digits)


def validation_text(study) -> str:
    """The sentences of the prediction paragraph on validation and adjustment (V1–V4)."""
    out = []
    alpha = T._alpha(study)
    for predictor in study.config.predictors[:1]:
        rows = _rows(study, "model_validation", predictor.column)
        if _fitted(rows):
            v = rows.set_index("measure")
            auc, slope, brier = v.loc["auc"], v.loc["calibration_slope"], v.loc["brier"]
            intercept = v.loc["calibration_intercept"]
            sentence = (
                "Corrected for optimism (internal validation by bootstrap), the AUC of the "
                "logistic model, which takes the direction of the association from the data, "
                f"was {format_number(auc['corrected'], 2)} (apparent "
                f"{format_number(auc['apparent'], 2)}), the Brier score "
                f"{format_number(brier['corrected'], 3)} (apparent "
                f"{format_number(brier['apparent'], 3)}), the calibration intercept "
                f"{_signed(intercept['corrected'], 2)} (apparent "
                f"{_signed(intercept['apparent'], 2)}; 0 is ideal) and the calibration slope "
                f"{format_number(slope['corrected'], 2)} (apparent "
                f"{format_number(slope['apparent'], 2)})"
            )
            corrected = float(slope["corrected"])
            if corrected < SLOPE_LOW:
                sentence += ", below 1: the predicted risks are too extreme (overfitted)"
            elif corrected > SLOPE_HIGH:
                sentence += ", above 1: the predicted risks are too moderate"
            else:
                sentence += ", close to 1"
            sentence += "."
            if _finite(auc["corrected"]) and float(auc["corrected"]) <= 0.5:
                sentence += (
                    " The apparent discrimination does not survive the correction: the "
                    "corrected AUC is no better than chance."
                )
            out.append(sentence)
        adj = _rows(study, "adjusted", predictor.column)
        if adj.empty:
            continue
        first = adj.iloc[0]
        covariates = T.covariates_phrase(study, predictor)
        if not _fitted(adj):
            out.append(
                f"The odds ratio adjusted for {covariates} was not estimated: {first['note']}."
            )
            continue
        per = format_number(predictor.per, 0 if float(predictor.per).is_integer() else 2)
        unit = f" {T.md_literal(predictor.unit)}" if predictor.unit else ""
        flag = "; fewer than 10, so the estimate may be biased and unstable"
        flag = flag if first["note"] else ""
        out.append(
            f"Adjusted for {covariates}, the odds ratio was "
            f"{T._nb(format_ci(first['effect'], first['ci_low'], first['ci_high'], 2))} per "
            f"{per}{unit} ({T.p_phrase(first['p_unc'], alpha)}; "
            f"{study.config.participants.count(int(first['n']))} with every value, "
            f"{format_number(first['epv'], 1)} events per variable{flag})."
        )
    return " ".join(out)


def captions(study) -> dict[str, str]:
    """Captions of the supplement's model tables and of the report's calibration figure."""
    cfg = study.config
    if not cfg.predictors:
        return {}
    predictor = cfg.predictors[0]
    positive = T.group_phrase(study, cfg.positive)
    covariates = T.covariates_phrase(study, predictor)
    return {
        "supptbl-model-validation": (
            f"Prediction of {positive}: apparent and optimism-corrected performance of the "
            "logistic model (internal validation by bootstrap)."
        ),
        "supptbl-adjusted": (
            f"Prediction of {positive}: logistic regression adjusted for {covariates}."
            if covariates
            else "Adjusted model: not done, the study names no covariates to adjust for."
        ),
        "fig-calibration": (
            f"Calibration of the logistic model of {positive} on the "
            f"{T.md_literal(lower_first(predictor.label))}: observed proportion against predicted "
            "risk by risk group, with the smoothed curve and the line of perfect calibration."
        ),
    }


def calibration_figure(study, figures) -> Any:
    """The calibration plot of the primary predictor's model (``figures``: the set-up
    :mod:`itp_stats.report.figures`)."""
    cfg = study.config
    predictor = cfg.predictors[0]
    curve = _rows(study, "calibration_curve", predictor.column)
    rows = _rows(study, "model_validation", predictor.column)
    summary = ""
    if _fitted(rows):
        v = rows.set_index("measure")
        summary = (
            f"Corrected for optimism: calibration slope "
            f"{format_number(v.loc['calibration_slope', 'corrected'], 2)}, Brier score "
            f"{format_number(v.loc['brier', 'corrected'], 3)}"
        )
    return figures.calibration_plot(
        curve, outcome_label=cfg.level_label(cfg.positive), summary=summary
    )
