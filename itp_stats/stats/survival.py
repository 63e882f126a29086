"""Time to event: Kaplan–Meier estimates, log-rank tests and Cox models, as R's survival.

The estimators come from lifelines (Kaplan–Meier with the log(−log) "exponential
Greenwood" pointwise interval, the log-rank test, the Cox model with Efron's ties); what
lifelines does not give in R's form is written here against R's own definitions: the
median and its interval read from the curve and its bounds as ``quantile.survfit`` reads
them (``findq``: a flat stretch at exactly one half gives the midpoint), survival at a
landmark as ``summary(fit, times = t)``, the median follow-up by the reverse Kaplan–Meier
method, and the log-rank test for trend over ordered groups (scores 1…k) from the same
observed, expected and covariance terms as ``survdiff``. References and their R calls are in
``tests/r/survival.R``.

Every function returns a tidy DataFrame with a ``method`` column; a group too small or
without events gives a "not estimable" value with the reason, never an error.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from itp_stats.provenance import record

__all__ = [
    "COX_COLUMNS",
    "LOGRANK_COLUMNS",
    "PH_COLUMNS",
    "SURVIVAL_COLUMNS",
    "cox_model",
    "kaplan_meier",
    "km_curve",
    "log_rank",
    "median_followup",
    "proportional_hazards_test",
    "quantile_time",
]

SURVIVAL_COLUMNS = [
    "time_column", "event_column", "group", "n", "n_events", "measure", "time", "estimate",
    "ci_low", "ci_high", "conf_level", "method", "note",
]  # fmt: skip
"""Columns of :func:`kaplan_meier`: per group, a ``median`` row (``estimate`` the median time)
and one ``survival`` row per landmark ``time``."""

LOGRANK_COLUMNS = [
    "test", "time_column", "event_column", "between", "n", "n_events", "n_groups",
    "statistic", "df", "p_unc", "method", "note",
]  # fmt: skip
"""Columns of :func:`log_rank`."""

COX_COLUMNS = [
    "test", "time_column", "event_column", "term", "n", "n_events", "n_missing",
    "effect_type", "effect", "ci_low", "ci_high", "conf_level", "statistic", "p_unc",
    "method", "note",
]  # fmt: skip
"""Columns of :func:`cox_model`: one row per term, the predictor first."""

PH_COLUMNS = [
    "test", "time_column", "event_column", "term", "n", "n_events", "statistic", "df",
    "p_unc", "method", "note",
]  # fmt: skip
"""Columns of :func:`proportional_hazards_test`: one row per term and a ``GLOBAL`` row."""

_TOL = float(np.sqrt(np.finfo(float).eps))

_FIT_OPTIONS = {"precision": 1e-12, "r_precision": 1e-15, "max_steps": 500}
"""Newton–Raphson stopping rules of the Cox fits: the step, or the relative change of the
log partial likelihood, below these."""


def _lifelines():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifelines
        import lifelines.statistics
    return lifelines


def _times(data: pd.DataFrame, time: str, event: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = pd.to_numeric(data[time], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    e = pd.to_numeric(data[event], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(t) & np.isfinite(e)
    return t, e, ok


def quantile_time(
    times: np.ndarray, curve: np.ndarray, p: float = 0.5, first: float = 0.0
) -> float:
    """The time at which the cumulative incidence 1 − ``curve`` reaches ``p``, as R's
    ``survival:::findq``: the first time the curve is at or below 1 − p; the midpoint of a
    flat stretch lying exactly at 1 − p (to R's tolerance); NaN when never reached.

    Parameters
    ----------
    times : array
        The curve's times, increasing (every distinct observed time).
    curve : array
        The survival estimate (or one of its bounds) at ``times``; NaN entries are skipped.
    """
    x = np.concatenate([[first], np.asarray(times, dtype=float)])
    y = np.concatenate([[0.0], 1 - np.asarray(curve, dtype=float)])
    keep = np.isfinite(y)
    x_max = x[-1]
    x, y = x[keep], y[keep]
    if y.max() < p:
        return float("nan")
    _, first_index = np.unique(y, return_index=True)
    order = np.sort(first_index)  # drop repeated values, keep the first (R's duplicated)
    x, y = x[order], y[order]

    def index(shift: float) -> int | None:
        hits = np.flatnonzero(y + shift >= p)
        return int(hits[0]) if hits.size and p >= y[0] + shift else None

    i1, i2 = index(_TOL), index(-_TOL)
    if i1 is None:
        return float("nan")
    if abs(p - y[-1]) < _TOL:  # the curve ends at exactly 1 − p: midpoint to the last time
        return float((x[i1] + x_max) / 2)
    if i2 is None:
        return float("nan")
    return float((x[i1] + x[i2]) / 2)


def _fit(t: np.ndarray, e: np.ndarray, conf_level: float):
    km = _lifelines().KaplanMeierFitter(alpha=1 - conf_level)
    km.fit(t, event_observed=e.astype(bool))
    curve = km.survival_function_.iloc[:, 0]
    bounds = km.confidence_interval_survival_function_
    # copies: pandas' copy-on-write hands out read-only views, and the bounds are edited
    times = curve.index.to_numpy(dtype=float, copy=True)
    surv = curve.to_numpy(dtype=float, copy=True)
    low = bounds.iloc[:, 0].to_numpy(dtype=float, copy=True)
    high = bounds.iloc[:, 1].to_numpy(dtype=float, copy=True)
    # R gives no log(−log) interval where the estimate is 1 (before the first event) or 0
    undefined = (surv >= 1) | (surv <= 0)
    low[undefined] = np.nan
    high[undefined] = np.nan
    drop = times > 0  # lifelines' timeline starts at 0; R's curve at the first time
    return times[drop], surv[drop], low[drop], high[drop]


def _groups(data: pd.DataFrame, group: str | None, levels: Sequence[Any] | None):
    if group is None:
        return [("all", np.ones(len(data), dtype=bool))]
    values = data[group]
    names = list(levels) if levels is not None else sorted(values.dropna().unique().tolist())
    return [(name, (values == name).to_numpy(dtype=bool)) for name in names]


def kaplan_meier(
    data: pd.DataFrame,
    time: str,
    event: str,
    group: str | None = None,
    *,
    levels: Sequence[Any] | None = None,
    landmarks: Sequence[float] = (),
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Kaplan–Meier median and survival at each landmark, by group, with log(−log) CIs.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    time, event : str
        The time column and the event column (1 event, 0 censored).
    group : str, optional
        The grouping column (None: one curve of all patients).
    levels : sequence, optional
        The groups in order (default: sorted values).
    landmarks : sequence of float
        Times at which survival is reported.
    conf_level : float
        Level of the pointwise intervals.

    Returns
    -------
    DataFrame
        :data:`SURVIVAL_COLUMNS`. The median is "not reached" (NaN, said in ``note``) when the
        curve stays above one half; a bound of its interval likewise; survival at a landmark
        beyond the group's last observed time is not estimable.

    Notes
    -----
    As R ``survfit(Surv(time, event) ~ group, conf.type = "log-log")``, the median and its
    interval by ``quantile.survfit`` and the landmarks by ``summary(fit, times = ...)``.
    """
    record("lifelines", "Kaplan–Meier estimates")
    t_all, e_all, ok = _times(data, time, event)
    rows = []
    for name, member in _groups(data, group, levels):
        use = member & ok
        t, e = t_all[use], e_all[use]
        base = {
            "time_column": time,
            "event_column": event,
            "group": name,
            "n": int(use.sum()),
            "n_events": int(e.sum()),
            "conf_level": conf_level,
        }
        method = "Kaplan–Meier, log(−log) pointwise CI"
        if t.size == 0:
            reason = "no patient with a time and an event status"
            rows.append(base | {"measure": "median", "method": "not estimable", "note": reason})
            rows += [
                base
                | {"measure": "survival", "time": lm, "method": "not estimable", "note": reason}
                for lm in landmarks
            ]
            continue
        times, surv, low, high = _fit(t, e, conf_level)
        median = quantile_time(times, surv)
        notes = []
        if not np.isfinite(median):
            notes.append("median not reached")
        rows.append(
            base
            | {
                "measure": "median",
                "estimate": median,
                # the lower curve reaches one half first: the lower limit of the median
                "ci_low": quantile_time(times, low),
                "ci_high": quantile_time(times, high),
                "method": method + "; median as R quantile.survfit",
                "note": "; ".join(notes),
            }
        )
        last = float(times.max())
        for lm in landmarks:
            if lm > last:
                rows.append(
                    base
                    | {
                        "measure": "survival",
                        "time": lm,
                        "method": "not estimable",
                        "note": f"beyond the last follow-up of the group ({last:g})",
                    }
                )
                continue
            at = np.searchsorted(times, lm, side="right") - 1
            estimate = 1.0 if at < 0 else float(surv[at])
            lo = np.nan if at < 0 else float(low[at])
            hi = np.nan if at < 0 else float(high[at])
            rows.append(
                base
                | {
                    "measure": "survival",
                    "time": lm,
                    "estimate": estimate,
                    "ci_low": lo,
                    "ci_high": hi,
                    "method": method,
                    "note": "no event before it: no interval" if estimate >= 1 else "",
                }
            )
    return pd.DataFrame(rows).reindex(columns=SURVIVAL_COLUMNS)


def km_curve(
    data: pd.DataFrame,
    time: str,
    event: str,
    group: str | None = None,
    *,
    levels: Sequence[Any] | None = None,
    at: Sequence[float] = (),
    conf_level: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The curves to draw and the numbers at risk under them.

    Returns
    -------
    tuple of DataFrame
        ``group``, ``time``, ``survival``, ``ci_low``, ``ci_high``, ``censored`` (patients
        censored at that time) from time 0; and ``group``, ``time``, ``at_risk`` at each time
        of ``at`` (patients with a time at or after it).
    """
    t_all, e_all, ok = _times(data, time, event)
    curves, risk = [], []
    for name, member in _groups(data, group, levels):
        use = member & ok
        t, e = t_all[use], e_all[use]
        if t.size == 0:
            continue
        times, surv, low, high = _fit(t, e, conf_level)
        censored = [int(np.sum((t == x) & (e == 0))) for x in times]
        curves.append(
            pd.DataFrame(
                {
                    "group": name,
                    "time": np.concatenate([[0.0], times]),
                    "survival": np.concatenate([[1.0], surv]),
                    "ci_low": np.concatenate([[np.nan], low]),
                    "ci_high": np.concatenate([[np.nan], high]),
                    "censored": np.concatenate([[0], censored]),
                }
            )
        )
        risk += [{"group": name, "time": x, "at_risk": int(np.sum(t >= x))} for x in at]
    columns = ["group", "time", "survival", "ci_low", "ci_high", "censored"]
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=columns)
    return curve, pd.DataFrame(risk, columns=["group", "time", "at_risk"])


def median_followup(
    data: pd.DataFrame, time: str, event: str, conf_level: float = 0.95
) -> pd.DataFrame:
    """Median follow-up by the reverse Kaplan–Meier method (censoring as the event).

    Returns
    -------
    DataFrame
        One row of :data:`SURVIVAL_COLUMNS` (``measure`` "median_followup"), as R
        ``quantile(survfit(Surv(time, 1 - event) ~ 1, conf.type = "log-log"), 0.5)``.
    """
    reverse = data.assign(**{event: 1 - pd.to_numeric(data[event], errors="coerce")})
    row = kaplan_meier(reverse, time, event, conf_level=conf_level).iloc[0].to_dict()
    row.update(
        event_column=event,
        measure="median_followup",
        n_events=int(pd.to_numeric(data[event], errors="coerce").sum()),
        method="reverse Kaplan–Meier (censoring as the event), log(−log) CI",
    )
    if row["note"] == "median not reached":
        row["note"] = "fewer than half of the patients censored: median follow-up not reached"
    return pd.DataFrame([row]).reindex(columns=SURVIVAL_COLUMNS)


def _logrank_terms(t: np.ndarray, e: np.ndarray, g: np.ndarray, k: int):
    """Observed − expected events per group and their covariance, as ``survdiff``."""
    o_minus_e = np.zeros(k)
    v = np.zeros((k, k))
    for time in np.unique(t[e == 1]):
        at_risk = t >= time
        n = at_risk.sum()
        d = np.sum((t == time) & (e == 1))
        n_g = np.array([np.sum(at_risk & (g == j)) for j in range(k)], dtype=float)
        d_g = np.array([np.sum((t == time) & (e == 1) & (g == j)) for j in range(k)])
        o_minus_e += d_g - d * n_g / n
        if n > 1:
            share = n_g / n
            v += d * (n - d) / (n - 1) * (np.diag(share) - np.outer(share, share))
    return o_minus_e, v


def log_rank(
    data: pd.DataFrame,
    time: str,
    event: str,
    group: str,
    *,
    levels: Sequence[Any] | None = None,
    ordered: bool = False,
) -> pd.DataFrame:
    """Log-rank test between the groups (and for trend over ordered groups).

    Returns
    -------
    DataFrame
        :data:`LOGRANK_COLUMNS`: a ``log_rank`` row (chi-square with k − 1 df, as R
        ``survdiff``, from lifelines) and, when ``ordered`` and there are three groups or
        more, a ``log_rank_trend`` row (scores 1…k in the order of ``levels``, 1 df, from
        survdiff's observed − expected events and their covariance).
    """
    record("lifelines", "log-rank tests")
    t_all, e_all, ok = _times(data, time, event)
    names, members = zip(*_groups(data, group, levels), strict=True)
    codes = np.full(len(data), -1)
    for j, member in enumerate(members):
        codes[member] = j
    use = ok & (codes >= 0)
    present = [j for j in range(len(names)) if np.any(use & (codes == j))]
    t, e, g = t_all[use], e_all[use], codes[use]
    base = {
        "time_column": time,
        "event_column": event,
        "between": group,
        "n": int(use.sum()),
        "n_events": int(e.sum()),
        "n_groups": len(present),
        "note": "",
    }
    if len(present) < 2 or e.sum() == 0:
        reason = "fewer than two groups with patients" if len(present) < 2 else "no events"
        row = base | {"test": "log_rank", "method": "not computed", "note": reason}
        return pd.DataFrame([row]).reindex(columns=LOGRANK_COLUMNS)
    result = _lifelines().statistics.multivariate_logrank_test(t, g, e.astype(bool))
    rows = [
        base
        | {
            "test": "log_rank",
            "statistic": float(result.test_statistic),
            "df": len(present) - 1,
            "p_unc": float(result.p_value),
            "method": "log-rank test (chi-square, k − 1 df), as survdiff",
        }
    ]
    if ordered and len(present) >= 3:
        remap = {j: i for i, j in enumerate(present)}
        g2 = np.array([remap[x] for x in g])
        o_e, v = _logrank_terms(t, e, g2, len(present))
        scores = np.arange(1, len(present) + 1, dtype=float)
        chi2 = float((scores @ o_e) ** 2 / (scores @ v @ scores))
        rows.append(
            base
            | {
                "test": "log_rank_trend",
                "statistic": chi2,
                "df": 1,
                "p_unc": float(stats.chi2.sf(chi2, 1)),
                "method": "log-rank test for trend (scores 1…k in the groups' order, 1 df)",
            }
        )
    return pd.DataFrame(rows).reindex(columns=LOGRANK_COLUMNS)


def cox_model(
    data: pd.DataFrame,
    time: str,
    event: str,
    predictor: str,
    *,
    covariates: Sequence[str] = (),
    unit: float = 1.0,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Cox proportional hazards model of the time to event on ``predictor`` (per ``unit``),
    unadjusted or adjusted for ``covariates``, with Efron's ties and Wald intervals.

    Returns
    -------
    DataFrame
        :data:`COX_COLUMNS`, the predictor's row first; covariates that are not numeric
        enter as indicators of their levels against the first (R's treatment contrasts).
        A "not computed" predictor row when there are no events or a variable does not vary.

    Notes
    -----
    As R ``coxph(Surv(time, event) ~ I(predictor / unit) + covariates, ties = "efron")``
    with ``exp(confint.default(fit))``; fitted by lifelines' ``CoxPHFitter``.
    """
    from itp_stats.stats.adjusted import design_matrix

    record("lifelines", "Cox models")
    X, labels = design_matrix(data, predictor, list(covariates))
    t_all, e_all, ok = _times(data, time, event)
    complete = ok & X.notna().all(axis=1).to_numpy()
    X = X[complete].copy()
    X[predictor] = X[predictor] / unit
    frame = X.rename(columns={label: f"x{j}" for j, label in enumerate(labels)})
    frame["_time"], frame["_event"] = t_all[complete], e_all[complete]
    adjusted = ", ".join(covariates)
    base = {
        "test": "cox_adjusted" if covariates else "cox",
        "time_column": time,
        "event_column": event,
        "n": int(complete.sum()),
        "n_events": int(frame["_event"].sum()),
        "n_missing": int((~complete).sum()),
        "effect_type": "hazard_ratio",
        "conf_level": conf_level,
    }
    constant = [label for j, label in enumerate(labels) if frame[f"x{j}"].nunique() < 2]
    reason = None
    if base["n_events"] == 0:
        reason = "no events"
    elif constant:
        reason = f"{', '.join(constant)} takes one value among the complete cases"
    if reason is not None:
        row = base | {"term": predictor, "method": "not computed", "note": reason}
        return pd.DataFrame([row]).reindex(columns=COX_COLUMNS)
    fitter = _lifelines().CoxPHFitter(alpha=1 - conf_level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # iterated to convergence (lifelines stops at a relative change of the partial
        # likelihood of 1e-9, which leaves the estimates some 1e-6 from R's)
        fitter.fit(frame, duration_col="_time", event_col="_event", fit_options=_FIT_OPTIONS)
    summary = fitter.summary
    z = float(stats.norm.isf((1 - conf_level) / 2))
    method = "Cox proportional hazards (Efron ties), Wald CI"
    if covariates:
        method += f"; adjusted for {adjusted}"
    rows = []
    for j, label in enumerate(labels):
        coef, se = float(summary.loc[f"x{j}", "coef"]), float(summary.loc[f"x{j}", "se(coef)"])
        per = f"; per {unit:g}" if j == 0 and unit != 1 else ""
        with np.errstate(over="ignore"):
            effect, low, high = np.exp([coef, coef - z * se, coef + z * se])
        # a level without events (or with only events) has no finite estimate: the partial
        # likelihood rises without bound (R: "coefficient may be infinite")
        infinite = abs(coef) > 15 or not np.isfinite(high)
        rows.append(
            base
            | {
                "term": label,
                "effect": float(effect),
                "ci_low": float(low),
                "ci_high": float(high),
                "statistic": coef / se,
                "p_unc": float(2 * stats.norm.sf(abs(coef / se))),
                "method": method + per,
                "note": "no finite estimate (monotone likelihood)" if infinite else "",
            }
        )
    return pd.DataFrame(rows).reindex(columns=COX_COLUMNS)


def _cox_design(data, time, event, predictor, covariates, unit):
    from itp_stats.stats.adjusted import design_matrix

    X, labels = design_matrix(data, predictor, list(covariates))
    t_all, e_all, ok = _times(data, time, event)
    complete = ok & X.notna().all(axis=1).to_numpy()
    X = X[complete].copy()
    X[predictor] = X[predictor] / unit
    return X, labels, t_all[complete], e_all[complete], complete


def _event_terms(x: np.ndarray, eta: np.ndarray, t: np.ndarray, e: np.ndarray):
    """Per distinct event time: the Efron score contribution and information contribution
    of the Cox partial likelihood at the linear predictor ``eta``."""
    w = np.exp(eta - eta.max())
    scores, infos, event_times = [], [], []
    for time in np.unique(t[e == 1]):
        risk = t >= time
        dead = (t == time) & (e == 1)
        d = int(dead.sum())
        s0, s1 = w[risk].sum(), (w[risk, None] * x[risk]).sum(axis=0)
        s2 = (w[risk, None, None] * x[risk, :, None] * x[risk, None, :]).sum(axis=0)
        d0, d1 = w[dead].sum(), (w[dead, None] * x[dead]).sum(axis=0)
        d2 = (w[dead, None, None] * x[dead, :, None] * x[dead, None, :]).sum(axis=0)
        score = x[dead].sum(axis=0)
        info = np.zeros((x.shape[1], x.shape[1]))
        for step in range(d):
            f = step / d
            a0, a1, a2 = s0 - f * d0, s1 - f * d1, s2 - f * d2
            mean = a1 / a0
            score = score - mean
            info += a2 / a0 - np.outer(mean, mean)
        scores.append(score)
        infos.append(info)
        event_times.append(time)
    return np.array(event_times), np.array(scores), np.array(infos)


def proportional_hazards_test(
    data: pd.DataFrame,
    time: str,
    event: str,
    predictor: str,
    *,
    covariates: Sequence[str] = (),
    unit: float = 1.0,
) -> pd.DataFrame:
    """Test of proportional hazards for each term of the Cox model and globally.

    Returns
    -------
    DataFrame
        :data:`PH_COLUMNS`: one row per term (a covariate with several levels is one term,
        with as many df) and a ``GLOBAL`` row.

    Notes
    -----
    As R ``cox.zph(fit, transform = "km")`` (survival ≥ 3.0): the score test, at the fitted
    coefficients, of adding to each term its product with g(t) = 1 − KM(t−) centred over
    the event times, with Efron's ties (Grambsch & Therneau 1994; Therneau & Grambsch 2000,
    §6.2). A small p says the term's hazard ratio changes over follow-up.
    """
    record("lifelines", "Cox models")
    X, labels, t, e, _ = _cox_design(data, time, event, predictor, covariates, unit)
    base = {
        "test": "proportional_hazards",
        "time_column": time,
        "event_column": event,
        "n": len(t),
        "n_events": int(e.sum()),
        "note": "",
    }
    fit = cox_model(data, time, event, predictor, covariates=covariates, unit=unit)
    if fit.iloc[0].method == "not computed":
        row = base | {"term": predictor, "method": "not computed", "note": fit.iloc[0].note}
        return pd.DataFrame([row]).reindex(columns=PH_COLUMNS)
    beta = np.log(fit.effect.to_numpy(dtype=float))
    x = X[labels].to_numpy(dtype=float)
    x = x - x.mean(axis=0)
    event_times, scores, infos = _event_terms(x, x @ beta, t, e)
    # g(t): 1 − KM just before t, centred over the events (each event counts once)
    km_times, km_surv, _, _ = _fit(t, e, 0.95)
    before = np.searchsorted(km_times, t, side="left")
    ttimes = 1 - np.concatenate([[1.0], km_surv])[before]
    g_all = ttimes - ttimes[e == 1].mean()
    g = np.array([g_all[(t == time) & (e == 1)][0] for time in event_times])
    k = x.shape[1]
    u = np.concatenate([np.zeros(k), (g[:, None] * scores).sum(axis=0)])
    imat = np.zeros((2 * k, 2 * k))
    imat[:k, :k] = infos.sum(axis=0)
    imat[:k, k:] = imat[k:, :k] = (g[:, None, None] * infos).sum(axis=0)
    imat[k:, k:] = (g[:, None, None] ** 2 * infos).sum(axis=0)
    terms: dict[str, list[int]] = {}
    for j, label in enumerate(labels):
        name = label if j == 0 or label in covariates else label.split(": ", 1)[0]
        terms.setdefault(name, []).append(j)
    method = "score test of a term × (1 − KM(t)) interaction, Efron ties, as R cox.zph"
    rows = []
    for name, columns in [*terms.items(), ("GLOBAL", list(range(k)))]:
        keep = [*range(k), *(k + j for j in columns)]
        sub_u, sub_i = u[keep], imat[np.ix_(keep, keep)]
        chisq = float(sub_u @ np.linalg.solve(sub_i, sub_u))
        rows.append(
            base
            | {
                "term": name,
                "statistic": chisq,
                "df": len(columns),
                "p_unc": float(stats.chi2.sf(chisq, len(columns))),
                "method": method,
            }
        )
    return pd.DataFrame(rows).reindex(columns=PH_COLUMNS)
