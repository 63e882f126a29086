"""Internal validation of the one-marker prediction model, as TRIPOD asks.

The univariable logistic model of the positive outcome on the marker
(:func:`itp_stats.stats.prediction.logistic_or`) is judged on the patients it was fitted to,
so its apparent performance is optimistic. This module gives what TRIPOD (2015; TRIPOD+AI
2024) asks beside discrimination: calibration (intercept and slope of the outcome on the
model's linear predictor, Brier score, a grouped calibration curve with a smoother) and the
optimism of each measure estimated by Harrell's bootstrap (Harrell, Lee & Mark 1996): the
model is refitted in each of ``n_boot`` seeded resamples, judged on that resample (its
apparent value) and on the original patients (its test value), and the mean difference is
subtracted from the apparent value.

The result tables are tidy, one row per measure, with a ``method`` column like every other
test; the R references (``glm``, ``rms::val.prob`` and the same bootstrap by hand with the
resample indices written by :func:`bootstrap_indices`) are in ``tests/r/calibration.R``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from itp_stats.provenance import record
from itp_stats.stats._common import DEFAULT_SEED
from itp_stats.stats._ranks import delong_ci, delong_placements
from itp_stats.stats.prediction import _logistic_fit, separation

__all__ = [
    "CALIBRATION_CURVE_COLUMNS",
    "VALIDATION_COLUMNS",
    "bootstrap_indices",
    "calibration_curve",
    "calibration_line",
    "internal_validation",
]

VALIDATION_COLUMNS = [
    "measure", "dv", "outcome", "positive", "n", "n_events", "apparent", "ci_low", "ci_high",
    "conf_level", "optimism", "corrected", "n_boot", "n_boot_used", "seed", "method", "note",
]  # fmt: skip
"""Columns of :func:`internal_validation`: one row per measure (``auc``, ``brier``,
``calibration_intercept``, ``calibration_slope``)."""

CALIBRATION_CURVE_COLUMNS = [
    "kind", "group", "n", "predicted", "observed", "ci_low", "ci_high", "conf_level", "method",
]  # fmt: skip
"""Columns of :func:`calibration_curve`: ``kind`` "group" rows (observed proportion with its
exact CI against the mean predicted risk of each risk group) and "smooth" rows (the lowess
curve of the outcome on the predicted risk)."""


def _expit(eta: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * eta))


def _xy(data: pd.DataFrame, dv: str, outcome: str, positive: Any):
    """The marker and the 0/1 outcome of the patients with both, in the data's row order
    (the order the resample indices refer to)."""
    x = pd.to_numeric(data[dv], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    known = data[outcome].notna().to_numpy(dtype=bool)
    ok = np.isfinite(x) & known
    y = (data[outcome] == positive).to_numpy(dtype=bool, na_value=False)
    return x[ok], y[ok].astype(float)


def bootstrap_indices(n: int, n_boot: int, seed: int = DEFAULT_SEED) -> np.ndarray:
    """The ``n_boot`` × ``n`` resample indices (0-based) of Harrell's bootstrap, seeded."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _auc(lp: np.ndarray, y: np.ndarray) -> float:
    """AUC of the linear predictor: P(lp of a case > lp of a control) + ½ P(tie)."""
    return delong_placements(lp[y == 1], lp[y == 0])[0]


def _intercept_with_offset(lp: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Calibration-in-the-large: ML intercept a of logit P(y) = a + lp (``glm(y ~ 1,
    offset = lp)``) and its SE, by Newton's method."""
    a = 0.0
    for _ in range(100):
        p = _expit(a + lp)
        info = float(np.sum(p * (1 - p)))
        step = float(np.sum(y - p)) / info
        a += step
        if abs(step) < 1e-13:
            break
    p = _expit(a + lp)
    return a, float(1 / np.sqrt(np.sum(p * (1 - p))))


def calibration_line(lp: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Calibration intercept (with the linear predictor as offset) and slope of ``y`` on it.

    Returns
    -------
    dict
        ``intercept``, ``intercept_se``, ``slope``, ``slope_se`` (Wald SEs), as R
        ``glm(y ~ 1, offset = lp, family = binomial)`` and ``glm(y ~ lp, family = binomial)``.
        NaN where the outcome does not vary or the slope has no finite estimate.
    """
    lp = np.asarray(lp, dtype=float)
    y = np.asarray(y, dtype=float)
    out = dict.fromkeys(("intercept", "intercept_se", "slope", "slope_se"), float("nan"))
    if y.min() == y.max():
        return out
    out["intercept"], out["intercept_se"] = _intercept_with_offset(lp, y)
    if np.ptp(lp) > 0 and separation(lp[y == 1], lp[y == 0])[0] == "none":
        beta, cov, converged = _logistic_fit(lp, y)
        if converged and cov is not None:
            out["slope"], out["slope_se"] = float(beta[1]), float(np.sqrt(cov[1, 1]))
    return out


def _measures(beta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """AUC, Brier, calibration intercept and slope of the model ``beta`` on (x, y)."""
    lp = beta[0] + beta[1] * x
    line = calibration_line(lp, y)
    return np.array(
        [
            _auc(lp, y),
            float(np.mean((y - _expit(lp)) ** 2)),
            line["intercept"],
            line["slope"],
        ]
    )


_MEASURES = ("auc", "brier", "calibration_intercept", "calibration_slope")


def internal_validation(
    data: pd.DataFrame,
    dv: str,
    outcome: str,
    *,
    positive: Any,
    n_boot: int = 200,
    seed: int = DEFAULT_SEED,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Apparent and optimism-corrected performance of the logistic model of the outcome on ``dv``.

    Parameters
    ----------
    data, dv, outcome, positive : see :func:`itp_stats.stats.prediction.roc_curve`
    n_boot : int
        Bootstrap resamples (Harrell's optimism bootstrap).
    seed : int
        Seed of the resamples (:func:`bootstrap_indices`).
    conf_level : float
        Level of the apparent AUC's DeLong CI and of the calibration line's Wald CIs.

    Returns
    -------
    DataFrame
        :data:`VALIDATION_COLUMNS`, one row per measure: ``auc`` (of the model's linear
        predictor: the marker oriented by the fitted slope), ``brier`` (mean squared error of
        the predicted risks), ``calibration_intercept`` (with the linear predictor as offset;
        0 is perfect) and ``calibration_slope`` (1 is perfect; below 1 the predictions are too
        extreme). ``apparent`` on the patients the model was fitted to (the intercept 0 and
        slope 1 there by construction of maximum likelihood), ``optimism`` the mean of
        (resample's apparent − its test on the original patients), ``corrected`` = apparent −
        optimism; ``n_boot_used`` counts the resamples in which the model could be fitted
        (both outcomes present, no separation). One "not computed" row per measure (NaN
        values, the reason in ``note``) when the model cannot be fitted.

    Notes
    -----
    Harrell FE, Lee KL, Mark DB. Multivariable prognostic models. Stat Med 1996;15:361–387.
    Steyerberg EW. Clinical Prediction Models, 2nd ed. Springer 2019, ch. 15 and 17.
    Collins GS et al. TRIPOD+AI statement. BMJ 2024;385:e078378.
    """
    x, y = _xy(data, dv, outcome, positive)
    cases, controls = x[y == 1], x[y == 0]
    base = {
        "dv": dv,
        "outcome": outcome,
        "positive": positive,
        "n": int(x.size),
        "n_events": int(cases.size),
        "conf_level": conf_level,
        "n_boot": int(n_boot),
        "seed": int(seed),
    }
    reason = None
    if cases.size < 2 or controls.size < 2:
        reason = "fewer than 2 patients with or without the outcome"
    elif separation(cases, controls)[0] != "none":
        reason = "the marker separates the outcomes: the logistic model has no finite estimate"
    beta = None
    if reason is None:
        beta, _, converged = _logistic_fit(x, y)
        if not converged:
            reason = "the logistic model did not converge"
    if reason is not None:
        rows = [base | {"measure": m, "method": "not computed", "note": reason} for m in _MEASURES]
        return pd.DataFrame(rows).reindex(columns=VALIDATION_COLUMNS)
    apparent = _measures(beta, x, y)
    optimism, used = _optimism(x, y, n_boot, seed)
    z = float(stats.norm.isf((1 - conf_level) / 2))
    lp = beta[0] + beta[1] * x
    auc_lo, auc_hi = delong_ci(apparent[0], _delong_var(lp, y), conf_level)
    line = calibration_line(lp, y)
    ci = {
        "auc": (auc_lo, auc_hi),
        "brier": (np.nan, np.nan),
        "calibration_intercept": (
            line["intercept"] - z * line["intercept_se"],
            line["intercept"] + z * line["intercept_se"],
        ),
        "calibration_slope": (
            line["slope"] - z * line["slope_se"],
            line["slope"] + z * line["slope_se"],
        ),
    }
    boot = f"optimism by Harrell's bootstrap ({used} of {n_boot} resamples fitted, seed {seed})"
    methods = {
        "auc": "AUC of the model's linear predictor, DeLong CI; " + boot,
        "brier": "Brier score (mean squared error of the predicted risks); " + boot,
        "calibration_intercept": "calibration intercept (logistic, linear predictor as "
        "offset), Wald CI; " + boot,
        "calibration_slope": "calibration slope (logistic on the linear predictor), Wald CI; "
        + boot,
    }
    rows = []
    for i, measure in enumerate(_MEASURES):
        rows.append(
            base
            | {
                "measure": measure,
                "apparent": float(apparent[i]),
                "ci_low": float(ci[measure][0]),
                "ci_high": float(ci[measure][1]),
                "optimism": float(optimism[i]),
                "corrected": float(apparent[i] - optimism[i]),
                "n_boot_used": used,
                "method": methods[measure],
                "note": "" if used else "no resample could be fitted",
            }
        )
    return pd.DataFrame(rows).reindex(columns=VALIDATION_COLUMNS)


def _delong_var(lp: np.ndarray, y: np.ndarray) -> float:
    _, var = delong_placements(lp[y == 1], lp[y == 0])
    return var


def _batched_logistic(
    x: np.ndarray, y: np.ndarray, offset: np.ndarray | None = None, slope: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximum likelihood of logit P(y) = a (+ b·x) (+ offset), one model per row.

    Newton's method on every row at once (rows of ``x``, ``y``: one resample each), the
    predictor standardised per row; returns a, b (0 when ``slope`` is False) and whether the
    row converged (a row whose outcome does not vary or whose Newton steps do not settle is
    marked False).
    """
    rows = x.shape[0]
    off = np.zeros_like(x) if offset is None else offset
    centre = x.mean(axis=1, keepdims=True)
    scale = x.std(axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    z = (x - centre) / scale
    mean_y = y.mean(axis=1)
    ok = (mean_y > 0) & (mean_y < 1)
    a = np.zeros(rows)
    b = np.zeros(rows)
    done = np.zeros(rows, dtype=bool)
    for _ in range(60):
        p = _expit(a[:, None] + b[:, None] * z + off)
        w = p * (1 - p)
        r = y - p
        g0 = r.sum(axis=1)
        h00 = w.sum(axis=1)
        if slope:
            g1 = (r * z).sum(axis=1)
            h01 = (w * z).sum(axis=1)
            h11 = (w * z * z).sum(axis=1)
            det = h00 * h11 - h01**2
            det[det <= 0] = np.nan
            da = (h11 * g0 - h01 * g1) / det
            db = (h00 * g1 - h01 * g0) / det
        else:
            da, db = g0 / h00, np.zeros(rows)
        step = np.nan_to_num(np.abs(da) + np.abs(db), nan=np.inf)
        a = a + np.where(done, 0, np.nan_to_num(da))
        b = b + np.where(done, 0, np.nan_to_num(db))
        done |= step < 1e-11 * (1 + np.abs(a) + np.abs(b))
        if done[ok].all():
            break
    converged = ok & done & np.isfinite(a) & np.isfinite(b)
    # back to the predictor's own scale
    b_orig = b / scale[:, 0]
    a_orig = a - b_orig * centre[:, 0]
    return a_orig, b_orig, converged


def _batched_auc(lp: np.ndarray, y: np.ndarray) -> np.ndarray:
    """AUC of each row's linear predictor (ties count one half)."""
    ranks = stats.rankdata(lp, axis=1)
    cases = y.sum(axis=1)
    controls = y.shape[1] - cases
    u = (ranks * y).sum(axis=1) - cases * (cases + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return u / (cases * controls)


def _separated_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows in which the predictor separates the outcomes (completely or quasi-completely)."""
    case = y == 1
    big = np.inf
    case_min = np.where(case, x, big).min(axis=1)
    case_max = np.where(case, x, -big).max(axis=1)
    ctrl_min = np.where(~case, x, big).min(axis=1)
    ctrl_max = np.where(~case, x, -big).max(axis=1)
    return (case_max <= ctrl_min) | (ctrl_max <= case_min)


def _optimism(x: np.ndarray, y: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray, int]:
    """Mean of (apparent − test) over the resamples in which the model can be fitted.

    All resamples at once: the refits, the resample's own measures and the measures on the
    original patients are array operations over (resamples × patients), chunked to bound
    memory. On its own resample a maximum-likelihood fit has calibration intercept 0 and
    slope 1 exactly (its score equations), so only its AUC and Brier score are computed there.
    """
    index = bootstrap_indices(x.size, n_boot, seed)
    auc_x = _auc(x, y)
    chunk = max(1, int(4_000_000 // max(x.size, 1)))
    differences = []
    for start in range(0, n_boot, chunk):
        rows = index[start : start + chunk]
        xb, yb = x[rows], y[rows]
        usable = ~_separated_rows(xb, yb) & (yb.min(axis=1) < yb.max(axis=1))
        a, b, converged = _batched_logistic(xb, yb)
        keep = usable & converged
        if not keep.any():
            continue
        a, b, xb, yb = a[keep], b[keep], xb[keep], yb[keep]
        lp_boot = a[:, None] + b[:, None] * xb
        lp_test = a[:, None] + b[:, None] * x[None, :]
        y_test = np.broadcast_to(y, lp_test.shape)
        apparent = np.column_stack(
            [
                _batched_auc(lp_boot, yb),
                ((yb - _expit(lp_boot)) ** 2).mean(axis=1),
                np.zeros(len(a)),
                np.ones(len(a)),
            ]
        )
        intercept, _, ok_i = _batched_logistic(lp_test, y_test, offset=lp_test, slope=False)
        _, slope, ok_s = _batched_logistic(lp_test, y_test)
        # on the original patients the linear predictor orders them as the marker does
        # (or in reverse when the refitted slope is negative): the AUC needs no ranking
        test = np.column_stack(
            [
                np.where(b > 0, auc_x, np.where(b < 0, 1 - auc_x, 0.5)),
                ((y_test - _expit(lp_test)) ** 2).mean(axis=1),
                np.where(ok_i, intercept, np.nan),
                np.where(ok_s, slope, np.nan),
            ]
        )
        differences.append(apparent - test)
    if not differences:
        return np.full(len(_MEASURES), np.nan), 0
    stacked = np.concatenate(differences)
    return np.nanmean(stacked, axis=0), len(stacked)


def calibration_curve(
    data: pd.DataFrame,
    dv: str,
    outcome: str,
    *,
    positive: Any,
    groups: int | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Observed against predicted risk of the logistic model: risk groups and a smoother.

    Parameters
    ----------
    groups : int, optional
        Number of risk groups (quantile groups of the predicted risk); default one per 10
        patients, between 3 and 10.

    Returns
    -------
    DataFrame
        :data:`CALIBRATION_CURVE_COLUMNS`; empty when the model cannot be fitted (see
        :func:`internal_validation`).

    Notes
    -----
    Groups: consecutive patients in order of predicted risk, sizes as equal as ties allow
    (``pandas.qcut`` on the ranks); observed proportion with the Clopper–Pearson interval.
    Smoother: ``lowess`` of the outcome on the predicted risk without robustness iterations,
    as ``rms::val.prob`` draws it (R ``lowess(p, y, iter = 0)``), from statsmodels.
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess

    x, y = _xy(data, dv, outcome, positive)
    cases, controls = x[y == 1], x[y == 0]
    if cases.size < 2 or controls.size < 2 or separation(cases, controls)[0] != "none":
        return pd.DataFrame(columns=CALIBRATION_CURVE_COLUMNS)
    beta, _, converged = _logistic_fit(x, y)
    if not converged:
        return pd.DataFrame(columns=CALIBRATION_CURVE_COLUMNS)
    p = _expit(beta[0] + beta[1] * x)
    k = groups or int(min(10, max(3, x.size // 10)))
    labels = pd.qcut(stats.rankdata(p, method="average"), k, labels=False, duplicates="drop")
    rows = []
    for g in sorted(set(labels)):
        members = labels == g
        events, n = int(y[members].sum()), int(members.sum())
        ci = stats.binomtest(events, n).proportion_ci(conf_level, method="exact")
        rows.append(
            {
                "kind": "group",
                "group": int(g) + 1,
                "n": n,
                "predicted": float(p[members].mean()),
                "observed": events / n,
                "ci_low": float(ci.low),
                "ci_high": float(ci.high),
                "conf_level": conf_level,
                "method": f"{k} groups of the predicted risk; Clopper–Pearson CI",
            }
        )
    record("statsmodels", "the calibration smoother (lowess)")
    delta = 0.01 * float(np.ptp(p))  # R lowess's default delta
    smooth = lowess(y, p, frac=2 / 3, it=0, delta=delta, return_sorted=True)
    for px, py in smooth:
        rows.append(
            {
                "kind": "smooth",
                "predicted": float(px),
                "observed": float(py),
                "method": "lowess (f = 2/3, no robustness iterations)",
            }
        )
    return pd.DataFrame(rows).reindex(columns=CALIBRATION_CURVE_COLUMNS)
