"""Prediction of a binary outcome (e.g. complete response) from one baseline marker.

ROC curve and AUC with the DeLong CI (as ``pROC::roc``/``ci.auc(method = "delong")``), the
Youden-optimal cutoff with sensitivity, specificity and the predictive values (exact CIs)
and a seeded, vectorised bootstrap CI for the cutoff, and the univariable logistic odds
ratio: maximum likelihood with a Wald CI (as ``glm(family = binomial)`` with
``confint.default``) when the outcome is not separated by the marker, Firth's penalised
likelihood with its profile CI (as ``logistf``) when it is (complete or quasi-complete
separation, decided from the data). ``direction`` follows
pROC: "<" when controls have lower values than cases (a high marker predicts the outcome),
">" when controls have higher values (a low marker predicts it, e.g. low NK count → CR).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from itp_stats.stats._common import DEFAULT_SEED, MIN_GROUP_SIZE, frame, not_computed
from itp_stats.stats._ranks import delong_ci, delong_placements, resample_counts

__all__ = [
    "PREDICTION_COLUMNS",
    "ROC_COLUMNS",
    "firth_fit",
    "firth_logistic",
    "logistic_or",
    "predict_outcome",
    "roc_auc",
    "roc_curve",
    "separation",
    "youden_cutoff",
]

ROC_COLUMNS = ["dv", "outcome", "direction", "threshold", "sensitivity", "specificity", "youden"]
PREDICTION_COLUMNS = [
    "test", "dv", "outcome", "positive", "direction", "n", "n_cases", "n_controls",
    "n_missing", "effect_type", "effect", "ci_low", "ci_high", "conf_level", "statistic",
    "p_unc", "method", "note",
]  # fmt: skip
"""Columns of :func:`roc_auc`, :func:`youden_cutoff`, :func:`logistic_or`,
:func:`predict_outcome`."""


def _split(data: pd.DataFrame, dv: str, outcome: str, positive: Any):
    x = pd.to_numeric(data[dv], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    y = data[outcome]
    ok = np.isfinite(x) & y.notna().to_numpy(dtype=bool)
    is_case = (y == positive).to_numpy(dtype=bool, na_value=False)
    return x[ok & is_case], x[ok & ~is_case], int((~ok).sum())


def _direction(cases: np.ndarray, controls: np.ndarray, direction: str) -> str:
    if direction not in {"auto", "<", ">"}:
        raise ValueError('direction must be "auto", "<" or ">"')
    if direction != "auto":
        return direction
    return "<" if np.median(controls) <= np.median(cases) else ">"


def _reason(cases: np.ndarray, controls: np.ndarray) -> str | None:
    if cases.size + controls.size == 0:
        return "all values missing"
    if cases.size < MIN_GROUP_SIZE or controls.size < MIN_GROUP_SIZE:
        return (
            f"fewer than {MIN_GROUP_SIZE} cases or controls "
            f"(cases n={cases.size}, controls n={controls.size})"
        )
    pooled = np.concatenate([cases, controls])
    if np.all(pooled == pooled[0]):
        return "all values tied"
    return None


def _base(test, dv, outcome, positive, direction, cases, controls, n_missing, conf_level):
    return {
        "test": test,
        "dv": dv,
        "outcome": outcome,
        "positive": positive,
        "direction": direction,
        "n": int(cases.size + controls.size),
        "n_cases": int(cases.size),
        "n_controls": int(controls.size),
        "n_missing": n_missing,
        "conf_level": conf_level,
        "note": "",
    }


# --------------------------------------------------------------------------------------------
# ROC curve
# --------------------------------------------------------------------------------------------


def _oriented(cases, controls, direction):
    """Values on a scale where larger means 'case' (negated for direction ">")."""
    sign = 1.0 if direction == "<" else -1.0
    return sign * cases, sign * controls, sign


def roc_curve(
    data: pd.DataFrame, dv: str, outcome: str, *, positive: Any, direction: str = "auto"
) -> pd.DataFrame:
    """ROC curve points, as ``pROC::roc`` (thresholds at midpoints between distinct values).

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    dv : str
        Numeric marker (e.g. ``"nk_m0"``).
    outcome : str
        Outcome column; rows equal to ``positive`` are cases, other non-missing rows are
        controls.
    positive : scalar
        Level of ``outcome`` counted as a case (e.g. "CR").
    direction : {"auto", "<", ">"}
        pROC's direction; "auto" picks "<" if median(controls) <= median(cases).

    Returns
    -------
    DataFrame
        One row per threshold, thresholds ascending from −inf to +inf: ``dv``, ``outcome``,
        ``direction``, ``threshold``, ``sensitivity``, ``specificity``, ``youden``
        (sensitivity + specificity − 1). Empty (with these columns) when not computable.

    Notes
    -----
    Direction "<": a patient is classified as a case when value > threshold; ">": when
    value < threshold.
    """
    cases, controls, _ = _split(data, dv, outcome, positive)
    if _reason(cases, controls):
        return pd.DataFrame(columns=ROC_COLUMNS)
    direction = _direction(cases, controls, direction)
    u = np.unique(np.concatenate([cases, controls]))
    thr = np.concatenate([[-np.inf], (u[:-1] + u[1:]) / 2, [np.inf]])
    if direction == "<":
        sens = 1 - np.searchsorted(np.sort(cases), thr, side="right") / cases.size
        spec = np.searchsorted(np.sort(controls), thr, side="right") / controls.size
    else:
        sens = np.searchsorted(np.sort(cases), thr, side="left") / cases.size
        spec = 1 - np.searchsorted(np.sort(controls), thr, side="left") / controls.size
    return pd.DataFrame({
        "dv": dv, "outcome": outcome, "direction": direction, "threshold": thr,
        "sensitivity": sens, "specificity": spec, "youden": sens + spec - 1,
    })  # fmt: skip


# --------------------------------------------------------------------------------------------
# AUC with DeLong CI
# --------------------------------------------------------------------------------------------


def _auc_delong(cases: np.ndarray, controls: np.ndarray, conf_level: float):
    """AUC = P(case > control) + ½ P(tie) and its DeLong CI (values already oriented).

    The computation the two-sample rank-biserial interval uses too
    (:func:`itp_stats.stats.effsize.rank_biserial`), so r = 2·AUC − 1 and its interval agree.
    """
    auc, var = delong_placements(cases, controls)
    lo, hi = delong_ci(auc, var, conf_level)
    return auc, lo, hi, var


def roc_auc(
    data: pd.DataFrame,
    dv: str,
    outcome: str,
    *,
    positive: Any,
    direction: str = "auto",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Area under the ROC curve with the DeLong CI (``pROC::ci.auc(method = "delong")``).

    Parameters
    ----------
    data, dv, outcome, positive, direction : see :func:`roc_curve`
    conf_level : float
        Confidence level.

    Returns
    -------
    DataFrame
        One row with :data:`PREDICTION_COLUMNS`: ``test`` ("roc_auc"), ``effect_type``
        ("auc"), ``effect`` (AUC for the stated ``direction``), ``ci_low``, ``ci_high``
        (clipped to [0, 1] as pROC), ``statistic`` (DeLong variance), ``p_unc`` (NaN: no
        test), ``method``, ``note``.

    References
    ----------
    DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more
    correlated ROC curves. Biometrics 1988;44:837–845. Robin X, et al. pROC. BMC
    Bioinformatics 2011;12:77.
    """
    cases, controls, n_missing = _split(data, dv, outcome, positive)
    reason = _reason(cases, controls)
    d = "not set" if reason else _direction(cases, controls, direction)
    row = _base("roc_auc", dv, outcome, positive, d, cases, controls, n_missing, conf_level)
    row["effect_type"] = "auc"
    if reason:
        row.update(method=not_computed(reason), note=reason)
        return frame([row], PREDICTION_COLUMNS)
    oc, ok_, _ = _oriented(cases, controls, d)
    auc, lo, hi, var = _auc_delong(oc, ok_, conf_level)
    row.update(effect=auc, ci_low=lo, ci_high=hi, statistic=var,
               method=f"AUC (direction {d!r}), DeLong CI")  # fmt: skip
    return frame([row], PREDICTION_COLUMNS)


# --------------------------------------------------------------------------------------------
# Youden cutoff with bootstrap CI
# --------------------------------------------------------------------------------------------


def _youden_from_counts(u: np.ndarray, case_counts: np.ndarray, ctrl_counts: np.ndarray):
    """Youden-optimal threshold per row of multiplicities over the sorted grid ``u``.

    Rows are samples (observed or resampled), columns distinct values on the oriented scale
    (case when value > threshold). The first maximum (lowest oriented threshold) is taken;
    the threshold is the midpoint between the value at the optimum and the next value present
    in that sample.
    """
    n1 = case_counts.sum(axis=1, keepdims=True)
    n0 = ctrl_counts.sum(axis=1, keepdims=True)
    sens = 1 - np.cumsum(case_counts, axis=1) / n1
    spec = np.cumsum(ctrl_counts, axis=1) / n0
    j = np.concatenate([np.zeros((sens.shape[0], 1)), sens + spec - 1], axis=1)
    best = np.argmax(j, axis=1)  # 0: threshold -inf; k>0: just above u[k-1]
    n_ties = np.sum(np.isclose(j, j.max(axis=1, keepdims=True), rtol=0, atol=1e-12), axis=1)
    present = (case_counts + ctrl_counts) > 0
    n_u = u.size
    idx = np.where(present, np.arange(n_u), n_u)
    next_present = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]  # first present >= k
    k = best - 1
    rows = np.arange(len(best))
    lower = np.where(k >= 0, u[np.clip(k, 0, n_u - 1)], -np.inf)
    nxt = np.where(k + 1 < n_u, next_present[rows, np.clip(k + 1, 0, n_u - 1)], n_u)
    upper = np.where(nxt < n_u, u[np.clip(nxt, 0, n_u - 1)], np.inf)
    thr = np.where(np.isfinite(lower) & np.isfinite(upper), (lower + upper) / 2,
                   np.where(np.isfinite(lower), np.inf, -np.inf))  # fmt: skip
    sens_b = np.where(k >= 0, sens[rows, np.clip(k, 0, n_u - 1)], 1.0)
    spec_b = np.where(k >= 0, spec[rows, np.clip(k, 0, n_u - 1)], 0.0)
    return thr, j[rows, best], sens_b, spec_b, n_ties


def _bootstrap_cutoffs(u, case_codes, ctrl_codes, n_boot, rng):
    chunk = max(1, int(2_000_000 // max(u.size, case_codes.size + ctrl_codes.size)))
    out = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        cc = resample_counts(case_codes, u.size, b, rng)
        kc = resample_counts(ctrl_codes, u.size, b, rng)
        out[start : start + b] = _youden_from_counts(u, cc, kc)[0]
    return out


def youden_cutoff(
    data: pd.DataFrame,
    dv: str,
    outcome: str,
    *,
    positive: Any,
    direction: str = "auto",
    conf_level: float = 0.95,
    n_boot: int = 2000,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Youden-optimal cutoff, its sensitivity and specificity, and a bootstrap CI for it.

    Parameters
    ----------
    data, dv, outcome, positive, direction : see :func:`roc_curve`
    conf_level : float
        Confidence level.
    n_boot : int
        Bootstrap resamples for the cutoff CI (0: none).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same interval.

    Returns
    -------
    DataFrame
        Six rows with :data:`PREDICTION_COLUMNS`, ``test`` = "youden", ``effect_type`` in
        "youden_cutoff" (threshold, CI: percentile bootstrap), "youden_index" (J, no CI),
        "sensitivity", "specificity", "ppv" and "npv" (positive and negative predictive
        values) at the cutoff, each a proportion of patients with its Clopper–Pearson CI
        (conditional on the cutoff) and ``note`` "k of n" (its numerator and denominator).
        A predictive value with no patient on its side of the cutoff is not computed.

    Notes
    -----
    The cutoff maximises J = sensitivity + specificity − 1 over pROC's thresholds (midpoints
    between distinct values); when several thresholds tie, the lowest on the scale where
    larger values predict a case is reported (for direction ">" that is the highest marker
    value) and ``note`` says how many tied. The bootstrap resamples cases and controls
    separately (stratified, as pROC) and recomputes the optimal cutoff each time: one
    multinomial draw of the multiplicities of the distinct values per resample and
    cumulative sums, so no resample is sorted and there is no loop over patients.

    The positive predictive value is the proportion of cases among the patients the cutoff
    calls positive, the negative predictive value the proportion of controls among those it
    calls negative: unlike sensitivity and specificity they depend on the proportion of
    cases in the cohort, and hold for another population only at the same prevalence.

    References
    ----------
    Youden WJ. Index for rating diagnostic tests. Cancer 1950;3:32–35. Fluss R, Faraggi D,
    Reiser B. Estimation of the Youden index and its associated cutoff point. Biom J
    2005;47:458–472.
    """
    cases, controls, n_missing = _split(data, dv, outcome, positive)
    reason = _reason(cases, controls)
    d = "not set" if reason else _direction(cases, controls, direction)
    base = _base("youden", dv, outcome, positive, d, cases, controls, n_missing, conf_level)
    kinds = ["youden_cutoff", "youden_index", "sensitivity", "specificity", "ppv", "npv"]
    if reason:
        return frame(
            [{**base, "effect_type": k, "method": not_computed(reason), "note": reason}
             for k in kinds],
            PREDICTION_COLUMNS,
        )  # fmt: skip
    oc, ok_, sign = _oriented(cases, controls, d)
    u = np.unique(np.concatenate([oc, ok_]))
    case_c = np.bincount(np.searchsorted(u, oc), minlength=u.size).astype(float)
    ctrl_c = np.bincount(np.searchsorted(u, ok_), minlength=u.size).astype(float)
    thr, j, sens, spec, n_ties = _youden_from_counts(u, case_c[None], ctrl_c[None])
    cutoff = float(sign * thr[0])
    tie_note = f"{int(n_ties[0])} thresholds tie for the maximum J" if n_ties[0] > 1 else ""
    rows = []
    row = {**base, "effect_type": "youden_cutoff", "effect": cutoff, "note": tie_note}
    if n_boot > 0:
        boot = sign * _bootstrap_cutoffs(
            u, np.searchsorted(u, oc), np.searchsorted(u, ok_), n_boot,
            np.random.default_rng(seed),
        )  # fmt: skip
        fin = boot[np.isfinite(boot)]
        a = 1 - conf_level
        lo, hi = np.quantile(fin, [a / 2, 1 - a / 2])
        row.update(ci_low=float(lo), ci_high=float(hi))
        row["method"] = (
            f"threshold maximising Youden's J (direction {d!r}); percentile bootstrap CI, "
            f"{n_boot} resamples stratified by outcome"
        )
        if fin.size < boot.size:
            row["note"] = (tie_note + "; " if tie_note else "") + (
                f"{boot.size - fin.size} resamples with an infinite cutoff ignored"
            )
    else:
        row["method"] = f"threshold maximising Youden's J (direction {d!r}); CI not requested"
    rows.append(row)
    rows.append({**base, "effect_type": "youden_index", "effect": float(j[0]),
                 "method": "Youden's J = sensitivity + specificity − 1 at the cutoff; no CI",
                 "note": tie_note})  # fmt: skip
    true_pos = round(sens[0] * cases.size)
    true_neg = round(spec[0] * controls.size)
    false_pos, false_neg = controls.size - true_neg, cases.size - true_pos
    for kind, name, k, total in (
        ("sensitivity", "sensitivity", true_pos, cases.size),
        ("specificity", "specificity", true_neg, controls.size),
        ("ppv", "positive predictive value", true_pos, true_pos + false_pos),
        ("npv", "negative predictive value", true_neg, true_neg + false_neg),
    ):
        rows.append({**base, "effect_type": kind, **_proportion(name, k, total, conf_level)})
    return frame(rows, PREDICTION_COLUMNS)


def _proportion(name: str, k: int, total: int, conf_level: float) -> dict[str, Any]:
    """A proportion at the Youden cutoff with its Clopper–Pearson CI, or why there is none."""
    if total == 0:
        reason = f"no patient on that side of the cutoff, so no {name}"
        return {"method": not_computed(reason), "note": reason}
    ci = stats.binomtest(int(k), int(total)).proportion_ci(conf_level, method="exact")
    prevalence = (
        "; depends on the proportion of cases in the cohort" if "predictive" in name else ""
    )
    return {
        "effect": k / total, "ci_low": float(ci.low), "ci_high": float(ci.high),
        "method": f"{name} at the Youden cutoff; Clopper–Pearson CI "
                  f"(conditional on the cutoff{prevalence})",
        "note": f"{k} of {total}",
    }  # fmt: skip


# --------------------------------------------------------------------------------------------
# logistic regression
# --------------------------------------------------------------------------------------------


def separation(cases: np.ndarray, controls: np.ndarray) -> tuple[str, str]:
    """Whether one predictor separates cases from controls, decided from the data.

    Returns
    -------
    kind : {"none", "complete", "quasi-complete"}
        "complete": every case lies strictly on one side of every control
        (max(x in controls) < min(x in cases), or the reverse); "quasi-complete": the same
        with ≤, the two classes meeting only at the boundary value; "none": they overlap, and
        the maximum likelihood estimate of the univariable logistic model is finite (Albert &
        Anderson 1984).
    description : str
        The kind in words, with the boundary values ("" when "none").
    """
    lo_case, hi_case = float(cases.min()), float(cases.max())
    lo_ctrl, hi_ctrl = float(controls.min()), float(controls.max())
    if hi_ctrl < lo_case:
        return "complete", (
            f"complete separation: every case is above every control (controls ≤ {hi_ctrl:g} "
            f"< {lo_case:g} ≤ cases)"
        )
    if hi_case < lo_ctrl:
        return "complete", (
            f"complete separation: every case is below every control (cases ≤ {hi_case:g} "
            f"< {lo_ctrl:g} ≤ controls)"
        )
    if hi_ctrl == lo_case:
        return "quasi-complete", (
            f"quasi-complete separation: controls ≤ {lo_case:g} ≤ cases, the classes meeting "
            "only at that value"
        )
    if hi_case == lo_ctrl:
        return "quasi-complete", (
            f"quasi-complete separation: cases ≤ {lo_ctrl:g} ≤ controls, the classes meeting "
            "only at that value"
        )
    return "none", ""


def _loglik(beta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    eta = X @ beta
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def _fisher_info(beta: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = 0.5 * (1 + np.tanh(0.5 * (X @ beta)))  # expit without overflow
    w = p * (1 - p)
    return X.T @ (X * w[:, None]), p


def _penalised(beta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Firth's penalised log-likelihood ℓ(β) + ½ log det I(β)."""
    info, _ = _fisher_info(beta, X)
    sign, logdet = np.linalg.slogdet(info)
    if sign <= 0:
        return -np.inf
    return _loglik(beta, X, y) + 0.5 * logdet


def _standardised(x: np.ndarray) -> tuple[np.ndarray, float, float]:
    centre, scale = float(np.mean(x)), float(np.std(x))
    return np.column_stack([np.ones_like(x), (x - centre) / scale]), centre, scale


def _logistic_fit(x: np.ndarray, y: np.ndarray, max_iter: int = 200):
    """Maximum likelihood of logit P(y=1) = b0 + b1 x by Newton–Raphson with step halving.

    Fitted on the standardised predictor (the estimate is equivariant), so large values of
    ``x`` do not slow or break the iteration; returns (beta, cov, converged) on the original
    scale. Use only without separation (:func:`separation`), where the maximum is finite.
    """
    X, centre, scale = _standardised(x)
    beta = np.zeros(2)
    p0 = y.mean()
    beta[0] = np.log(p0 / (1 - p0))
    ll = _loglik(beta, X, y)
    for _ in range(max_iter):
        info, p = _fisher_info(beta, X)
        try:
            step = np.linalg.solve(info, X.T @ (y - p))
        except np.linalg.LinAlgError:
            return beta, None, False
        t = 1.0
        while t > 1e-10:
            new = beta + t * step
            ll_new = _loglik(new, X, y)
            if ll_new >= ll - 1e-12 * abs(ll):
                break
            t /= 2
        beta, ll = new, ll_new
        if np.max(np.abs(t * step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            break
    else:
        return beta, None, False
    info, _ = _fisher_info(beta, X)
    cov_s = np.linalg.inv(info)
    jac = np.array([[1.0, -centre / scale], [0.0, 1 / scale]])  # standardised → original
    return jac @ beta, jac @ cov_s @ jac.T, True


def _firth_beta0(b1: float, b0: float, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """max over β0 of the penalised log-likelihood at β1 = b1 (Newton on the modified score)."""
    beta = np.array([b0, b1])
    pl = _penalised(beta, X, y)
    for _ in range(200):
        info, p = _fisher_info(beta, X)
        inv = np.linalg.inv(info)
        w = p * (1 - p)
        h = w * np.einsum("ij,jk,ik->i", X, inv, X)  # leverages
        score0 = float(np.sum(y - p + h * (0.5 - p)))
        step = score0 / info[0, 0]
        t = 1.0
        while t > 1e-10:
            cand = np.array([beta[0] + t * step, b1])
            pl_new = _penalised(cand, X, y)
            if pl_new >= pl - 1e-13 * abs(pl):
                break
            t /= 2
        beta, pl = cand, pl_new
        if abs(t * step) < 1e-12 * (1 + abs(beta[0])):
            break
    return float(beta[0]), pl


def firth_fit(X: np.ndarray, y: np.ndarray, max_iter: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Firth's penalised maximum likelihood for a logistic model with design ``X`` (its first
    column the intercept).

    Returns the estimate and the inverse Fisher information at it (its Wald covariance).
    Modified score X'(y − p + h(½ − p)) with Fisher scoring, step halving on the penalised
    log-likelihood and steps capped at 5, as ``logistf``.
    """
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(y.mean() / (1 - y.mean()))
    pl = _penalised(beta, X, y)
    for _ in range(max_iter):
        info, p = _fisher_info(beta, X)
        inv = np.linalg.inv(info)
        h = p * (1 - p) * np.einsum("ij,jk,ik->i", X, inv, X)
        step = inv @ (X.T @ (y - p + h * (0.5 - p)))
        step *= min(1.0, 5.0 / max(np.max(np.abs(step)), 1e-300))  # logistf's maxstep 5
        t = 1.0
        while t > 1e-10:
            candidate = beta + t * step
            pl_new = _penalised(candidate, X, y)
            if pl_new >= pl - 1e-13 * abs(pl):
                break
            t /= 2
        beta, pl = candidate, pl_new
        if np.max(np.abs(t * step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            break
    return beta, np.linalg.inv(_fisher_info(beta, X)[0])


def firth_logistic(x: np.ndarray, y: np.ndarray, conf_level: float = 0.95) -> dict[str, float]:
    """Firth's penalised-likelihood logistic regression of ``y`` (0/1) on one predictor.

    Returns
    -------
    dict
        ``b0``, ``b1`` (penalised estimates, original scale), ``ci_low``, ``ci_high`` (profile
        penalised-likelihood limits of b1; ±inf if a side is unbounded), ``chisq`` (penalised
        likelihood-ratio statistic of b1 = 0) and ``p`` (its chi-square p, 1 df).

    Notes
    -----
    Maximises ℓ(β) + ½ log det I(β) (Firth 1993), finite even under separation. The estimate
    is found with the modified score X'(y − p + h(½ − p)) and Fisher scoring with step
    halving, as ``logistf``; the interval is {b : 2(ℓ*(β̂) − max_β0 ℓ*(β0, b)) ≤ χ²₁(level)}
    and the test the same statistic at b = 0, both as ``logistf``'s defaults (Heinze &
    Schemper 2002). Computed on the standardised predictor (penalised likelihood, profile
    and test are equivariant) and transformed back.
    """
    X, centre, scale = _standardised(x)
    beta, _ = firth_fit(X, y)
    pl = _penalised(beta, X, y)
    b0_hat, b1_hat = float(beta[0]), float(beta[1])
    q = float(stats.chi2.ppf(conf_level, 1))
    se = float(np.sqrt(np.linalg.inv(_fisher_info(beta, X)[0])[1, 1]))

    def drop(b1: float) -> float:
        return 2 * (pl - _firth_beta0(b1, b0_hat, X, y)[1])

    def limit(sign: float) -> float:
        width = 2 * se
        for _ in range(60):
            if drop(b1_hat + sign * width) > q:
                lo, hi = sorted([b1_hat, b1_hat + sign * width])
                return optimize.brentq(lambda b: drop(b) - q, lo, hi, xtol=1e-12, rtol=1e-14)
            width *= 2
        return sign * np.inf

    chisq = max(0.0, drop(0.0))
    return {
        "b0": b0_hat - b1_hat * centre / scale,
        "b1": b1_hat / scale,
        "ci_low": limit(-1.0) / scale,
        "ci_high": limit(1.0) / scale,
        "chisq": chisq,
        "p": float(stats.chi2.sf(chisq, 1)),
    }


def logistic_or(
    data: pd.DataFrame,
    dv: str,
    outcome: str,
    *,
    positive: Any,
    unit: float = 1.0,
    conf_level: float = 0.95,
    firth: bool = True,
) -> pd.DataFrame:
    """Univariable logistic regression of the outcome on ``dv``: odds ratio per ``unit``.

    Parameters
    ----------
    data, dv, outcome, positive : see :func:`roc_curve`
    unit : float
        The OR is per ``unit`` of ``dv`` (e.g. 100 for "per 100 cells/µL").
    conf_level : float
        Level of the CI.
    firth : bool
        Under separation, report Firth's penalised estimate (default); if False, a "not
        computed" row.

    Returns
    -------
    DataFrame
        One row with :data:`PREDICTION_COLUMNS`: ``test`` ("logistic"), ``dv``, ``outcome``,
        ``positive``, ``direction`` ("not used"), ``n``, ``n_cases``, ``n_controls``,
        ``n_missing``, ``effect_type`` ("odds_ratio"), ``effect`` (exp(β·unit)), ``ci_low``,
        ``ci_high`` (maximum likelihood: Wald, as R ``exp(confint.default(fit) * unit)``;
        Firth: profile penalised likelihood, as ``logistf``), ``conf_level``, ``statistic``
        (maximum likelihood: Wald z, as ``summary(glm)``; Firth: penalised likelihood-ratio
        chi-square, 1 df), ``p_unc`` (the p of that statistic), ``method`` (the estimator,
        the interval and the test, with the unit), ``note`` (the kind of separation, when
        there is one).

    Notes
    -----
    Separation is decided from the data (:func:`separation`), not from fitted probabilities:
    with one predictor the maximum likelihood estimate is finite exactly when cases and
    controls overlap (Albert & Anderson 1984), however close to 0 or 1 some fitted
    probabilities are (an extreme control far from the cases is not separation). Then the
    estimator is ``glm(y ~ x, binomial)``'s, by Newton–Raphson on the standardised predictor.
    Under complete or quasi-complete separation the likelihood has no finite maximum; Firth's
    penalised likelihood does (Heinze & Schemper 2002), and its estimate, profile interval
    and penalised likelihood-ratio test are reported (:func:`firth_logistic`); ``method``
    says so and ``note`` says which kind of separation.

    References
    ----------
    Albert A, Anderson JA. On the existence of maximum likelihood estimates in logistic
    regression models. Biometrika 1984;71:1–10. Firth D. Bias reduction of maximum likelihood
    estimates. Biometrika 1993;80:27–38. Heinze G, Schemper M. A solution to the problem of
    separation in logistic regression. Stat Med 2002;21:2409–2419.
    """
    cases, controls, n_missing = _split(data, dv, outcome, positive)
    base = _base("logistic", dv, outcome, positive, "not used", cases, controls, n_missing,
                 conf_level)  # fmt: skip
    base["effect_type"] = "odds_ratio"
    reason = _reason(cases, controls)
    if reason:
        return frame([{**base, "method": not_computed(reason), "note": reason}],
                     PREDICTION_COLUMNS)  # fmt: skip
    x = np.concatenate([cases, controls])
    y = np.concatenate([np.ones(cases.size), np.zeros(controls.size)])
    kind, described = separation(cases, controls)
    per = f"OR per {unit:g} unit(s) of {dv}"
    if kind != "none":
        if not firth:
            reason = f"{described}; no finite maximum likelihood estimate"
            return frame([{**base, "method": not_computed(reason), "note": reason}],
                         PREDICTION_COLUMNS)  # fmt: skip
        fit = firth_logistic(x, y, conf_level)
        row = {
            **base,
            "effect": float(np.exp(fit["b1"] * unit)),
            "ci_low": float(np.exp(fit["ci_low"] * unit)),
            "ci_high": float(np.exp(fit["ci_high"] * unit)),
            "statistic": fit["chisq"],
            "p_unc": fit["p"],
            "method": f"univariable logistic regression, {per}; Firth's penalised likelihood "
            "(separation: no finite maximum likelihood), profile penalised-likelihood CI and "
            "penalised likelihood-ratio test (as logistf)",
            "note": described,
        }
        return frame([row], PREDICTION_COLUMNS)
    beta, cov, ok = _logistic_fit(x, y)
    if not ok:
        reason = "maximum likelihood did not converge"
        return frame([{**base, "method": not_computed(reason), "note": reason}],
                     PREDICTION_COLUMNS)  # fmt: skip
    se = float(np.sqrt(cov[1, 1]))
    z = float(beta[1] / se)
    q = stats.norm.ppf(1 - (1 - conf_level) / 2)
    row = {
        **base,
        "effect": float(np.exp(beta[1] * unit)),
        "ci_low": float(np.exp((beta[1] - q * se) * unit)),
        "ci_high": float(np.exp((beta[1] + q * se) * unit)),
        "statistic": z,
        "p_unc": float(2 * stats.norm.sf(abs(z))),
        "method": f"univariable logistic regression, {per}; maximum likelihood, Wald CI "
        "and Wald test",
    }
    return frame([row], PREDICTION_COLUMNS)


def predict_outcome(
    data: pd.DataFrame,
    dv: str,
    outcome: str,
    *,
    positive: Any,
    direction: str = "auto",
    unit: float = 1.0,
    conf_level: float = 0.95,
    n_boot: int = 2000,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """AUC (DeLong), Youden cutoff (bootstrap CI), sensitivity, specificity, PPV, NPV, OR.

    Parameters
    ----------
    data, dv, outcome, positive, direction : see :func:`roc_curve`
    unit : float
        Unit of the odds ratio (see :func:`logistic_or`).
    conf_level, n_boot, seed : see :func:`youden_cutoff`

    Returns
    -------
    DataFrame
        Eight rows with :data:`PREDICTION_COLUMNS` (``effect_type`` "auc", "youden_cutoff",
        "youden_index", "sensitivity", "specificity", "ppv", "npv", "odds_ratio"), the rows of
        :func:`roc_auc`, :func:`youden_cutoff` and :func:`logistic_or` stacked.
    """
    parts = [
        roc_auc(data, dv, outcome, positive=positive, direction=direction,
                conf_level=conf_level),
        youden_cutoff(data, dv, outcome, positive=positive, direction=direction,
                      conf_level=conf_level, n_boot=n_boot, seed=seed),
        logistic_or(data, dv, outcome, positive=positive, unit=unit, conf_level=conf_level),
    ]  # fmt: skip
    return pd.concat(parts, ignore_index=True)
