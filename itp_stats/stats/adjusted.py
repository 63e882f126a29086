"""The predictor's odds ratio adjusted for covariates: a multivariable logistic model.

Reviewers of a predictive-marker study ask whether the marker's association with the
outcome holds after the covariates that could explain it (age, sex, disease phase). This
module fits the logistic regression of the positive outcome on the marker and the
covariates the study configuration names, on the patients with every value present, and
says how many events per variable (EPV) the model has, with a stated rule:

- fewer than :data:`MIN_EPV` events per variable: not fitted (the estimates would be
  dominated by noise), and said so;
- fewer than :data:`FLAG_EPV`: fitted and flagged (Peduzzi et al. 1996; Vittinghoff &
  McCulloch 2007);
- separation (a combination of the variables that splits the outcomes perfectly, detected
  by the linear program of Konis 2007, as R's ``detectseparation``): Firth's penalised
  estimate (``brglm2::brglmFit(type = "AS_mean")``, which is Firth's for logistic models)
  with Wald intervals from its Fisher information, as ``confint.default`` of that fit;
  otherwise maximum likelihood (statsmodels GLM, as R ``glm(family = binomial)``) with
  Wald intervals (``confint.default``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from itp_stats.provenance import record
from itp_stats.stats.prediction import firth_fit

__all__ = [
    "ADJUSTED_COLUMNS",
    "FLAG_EPV",
    "MIN_EPV",
    "adjusted_or",
    "design_matrix",
    "separated",
]

MIN_EPV = 5.0
"""Below this many events per variable the adjusted model is not fitted."""

FLAG_EPV = 10.0
"""Below this many events per variable the adjusted model is fitted and flagged."""

ADJUSTED_COLUMNS = [
    "test", "dv", "outcome", "positive", "term", "n", "n_events", "n_missing",
    "n_parameters", "epv", "effect_type", "effect", "ci_low", "ci_high", "conf_level",
    "statistic", "p_unc", "method", "note",
]  # fmt: skip
"""Columns of :func:`adjusted_or`: one row per term of the model (the predictor first)."""


def design_matrix(
    data: pd.DataFrame, dv: str, covariates: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """The model's columns: the predictor, numeric covariates as they are, and each other
    covariate as indicators of its levels against the first (R's treatment contrasts).

    Returns
    -------
    tuple of (DataFrame, list of str)
        The columns (no intercept; index of ``data``) and, per column, the term's label
        (``"sex: F"`` for the indicator of level F of ``sex``).
    """
    columns = {dv: pd.to_numeric(data[dv], errors="coerce")}
    labels = [dv]
    for name in covariates:
        values = data[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            columns[name] = values.astype(float)
            labels.append(name)
            continue
        cat = (
            values.astype("category")
            if not isinstance(values.dtype, pd.CategoricalDtype)
            else values
        )
        levels = list(cat.cat.categories)
        for level in levels[1:]:
            key = f"{name}: {level}"
            columns[key] = (cat == level).astype(float).where(cat.notna())
            labels.append(key)
    return pd.DataFrame(columns, index=data.index), labels


def separated(X: np.ndarray, y: np.ndarray) -> bool:
    """Whether some direction b separates the outcomes: (2y − 1)·Xb ≥ 0 for every row with
    Xb not all 0 (complete or quasi-complete separation; Konis 2007's linear program)."""
    s = 2 * y - 1
    A = s[:, None] * X
    k = X.shape[1]
    result = optimize.linprog(
        -A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(y)), bounds=[(-1, 1)] * k, method="highs"
    )
    return bool(result.status == 0 and -result.fun > 1e-7 * max(1.0, np.abs(A).max()))


def adjusted_or(
    data: pd.DataFrame,
    dv: str,
    outcome: str,
    *,
    positive: Any,
    covariates: list[str],
    unit: float = 1.0,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Logistic regression of the outcome on ``dv`` and ``covariates``: adjusted odds ratios.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    dv : str
        The predictor; its odds ratio is per ``unit``.
    outcome, positive : str, Any
        The outcome column and the value counted as an event.
    covariates : list of str
        The adjustment variables (numeric: per unit; otherwise indicators of each level
        against the first).
    unit : float
        The predictor's odds ratio is exp(β·unit).
    conf_level : float
        Level of the Wald intervals.

    Returns
    -------
    DataFrame
        :data:`ADJUSTED_COLUMNS`, the predictor's row first: ``term``, ``n`` (complete cases),
        ``n_events`` (the smaller of events and non-events counts as "events" in the EPV),
        ``n_missing`` (rows dropped for a missing value), ``n_parameters`` (model columns
        besides the intercept), ``epv``, ``effect`` (odds ratio), Wald ``ci_low``/``ci_high``,
        ``statistic`` (Wald z) and ``p_unc``, ``method`` (estimator, interval, EPV rule) and
        ``note`` (flag or reason). One "not computed" row for the predictor when the EPV rule
        or the data forbid the model.
    """
    X_frame, labels = design_matrix(data, dv, list(covariates))
    y_all = data[outcome]
    complete = X_frame.notna().all(axis=1) & y_all.notna()
    X_frame, y_series = X_frame[complete], y_all[complete]
    y = (y_series == positive).to_numpy(dtype=float)
    n, k = len(y), len(labels)
    events = int(min(y.sum(), n - y.sum()))
    epv = events / k if k else float("nan")
    base = {
        "test": "logistic_adjusted",
        "dv": dv,
        "outcome": outcome,
        "positive": positive,
        "n": n,
        "n_events": events,
        "n_missing": int((~complete).sum()),
        "n_parameters": k,
        "epv": epv,
        "effect_type": "odds_ratio",
        "conf_level": conf_level,
    }
    adjusted_for = ", ".join(covariates)
    reason = None
    constant = [label for label in labels if X_frame[label].nunique() < 2]
    if events == 0:
        reason = "no events (or no non-events) among the complete cases"
    elif constant:
        reason = f"{', '.join(constant)} takes one value among the complete cases"
    elif epv < MIN_EPV:
        reason = (
            f"{events} events for {k} variables ({epv:.1f} per variable, fewer than "
            f"{MIN_EPV:g}): not fitted"
        )
    X = np.column_stack([np.ones(n), X_frame[labels].to_numpy(dtype=float)])
    if reason is None and np.linalg.matrix_rank(X) < X.shape[1]:
        reason = (
            "the variables are collinear among the complete cases (one is determined by others)"
        )
    if reason is not None:
        row = base | {"term": dv, "method": "not computed", "note": reason}
        return pd.DataFrame([row]).reindex(columns=ADJUSTED_COLUMNS)
    # the predictor on its unit, so its coefficient is per unit
    X[:, 1] = X[:, 1] / unit
    z = float(stats.norm.isf((1 - conf_level) / 2))
    if separated(X, y):
        beta, cov = firth_fit(X, y)
        estimator = (
            "Firth's penalised likelihood (separation detected), Wald CI from its "
            "information, as brglm2"
        )
    else:
        import statsmodels.api as sm

        record("statsmodels", "the adjusted logistic model")
        fit = sm.GLM(y, X, family=sm.families.Binomial()).fit()
        beta, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
        estimator = "maximum likelihood, Wald CI, as glm"
    se = np.sqrt(np.diag(cov))
    flag = (
        f"fewer than {FLAG_EPV:g} events per variable: the estimates may be biased away from 1 "
        "and unstable"
        if epv < FLAG_EPV
        else ""
    )
    method = f"logistic regression adjusted for {adjusted_for}; {estimator}"
    rows = []
    for j, label in enumerate(labels, start=1):
        per = f" per {unit:g}" if j == 1 and unit != 1 else ""
        rows.append(
            base
            | {
                "term": label,
                "effect": float(np.exp(beta[j])),
                "ci_low": float(np.exp(beta[j] - z * se[j])),
                "ci_high": float(np.exp(beta[j] + z * se[j])),
                "statistic": float(beta[j] / se[j]),
                "p_unc": float(2 * stats.norm.sf(abs(beta[j] / se[j]))),
                "method": method + per,
                "note": flag,
            }
        )
    return pd.DataFrame(rows).reindex(columns=ADJUSTED_COLUMNS)
