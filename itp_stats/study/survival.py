"""The time-to-event part of the analysis plan: each endpoint of the study's ``time_to_event``.

For every endpoint (:class:`itp_stats.cohort.endpoints.Endpoint`), on the analysed patients
of its population with a time and an event status: Kaplan–Meier medians and survival at the
landmarks by compared group and overall, the median follow-up by reverse Kaplan–Meier, the
log-rank test between the groups (and for trend over ordered groups), and for each predictor
the Cox model unadjusted and adjusted for the endpoint's covariates with its test of
proportional hazards; plus the curves and numbers at risk the figure draws. The statistics are
those of :mod:`itp_stats.stats.survival`; this module only chooses the patients, codes the
event 1/0 and stacks the results, each with an ``endpoint`` column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from itp_stats.cohort.endpoints import COMPARE_GROUP, Endpoint
from itp_stats.stats.survival import (
    COX_COLUMNS,
    LOGRANK_COLUMNS,
    PH_COLUMNS,
    SURVIVAL_COLUMNS,
    cox_model,
    kaplan_meier,
    km_curve,
    log_rank,
    median_followup,
    proportional_hazards_test,
)

__all__ = ["SURVIVAL_TABLES", "endpoint_data", "risk_times", "run_survival"]

SURVIVAL_TABLES = {
    "tte_km": "kaplan_meier of every endpoint by compared group, then of all its patients "
    "(group 'all'), with the median and survival at the landmarks (endpoint + "
    "SURVIVAL_COLUMNS)",
    "tte_followup": "median_followup of every endpoint (reverse Kaplan–Meier)",
    "tte_logrank": "log_rank of every endpoint between its compared groups (and for trend "
    "over ordered groups)",
    "tte_cox": "cox_model of every endpoint and predictor, unadjusted (test cox) and adjusted "
    "(cox_adjusted) (endpoint, predictor + COX_COLUMNS)",
    "tte_ph": "proportional_hazards_test of every Cox model (endpoint, predictor, model + "
    "PH_COLUMNS)",
    "tte_curve": "km_curve of every endpoint by compared group: the curves the figure draws",
    "tte_at_risk": "numbers at risk under the figure's axis, per endpoint, group and time",
}
"""Names of the tables :func:`run_survival` returns and what they hold."""


def endpoint_data(
    data: pd.DataFrame, endpoint: Endpoint, *, group: str
) -> tuple[pd.DataFrame, str | None, list[Any] | None]:
    """The patients an endpoint applies to, its event coded 1/0, and the compared grouping.

    Parameters
    ----------
    data : DataFrame
        Analysed patients, the analysed group in column ``group``.
    endpoint : Endpoint
    group : str
        The study's analysed group column.

    Returns
    -------
    tuple
        The patients of the population (every analysed patient when it is ``all``) with the
        event column replaced by 1 (the event), 0 (any other recorded value) or NaN; the
        compared column (None: one curve); its levels in order.
    """
    rows = data
    if endpoint.population:
        rows = data[data[group].astype(object).isin(endpoint.population).to_numpy()]
    rows = rows.copy()
    raw = rows[endpoint.event]
    coded = (raw.astype(object) == endpoint.event_value).astype(float)
    rows[endpoint.event] = coded.where(raw.notna())
    if endpoint.compare is None:
        return rows, None, None
    if endpoint.compare == COMPARE_GROUP:
        values = rows[group]
        levels = list(getattr(values.dtype, "categories", sorted(values.dropna().unique())))
        if endpoint.population:
            levels = [lv for lv in levels if lv in endpoint.population]
        return rows, group, levels
    values = rows[endpoint.compare]
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels = list(values.cat.categories)
    else:
        levels = sorted(values.dropna().unique().tolist())
    return rows, endpoint.compare, levels


def risk_times(last: float, unit: str = "") -> list[float]:
    """Times under the figure's axis at which the numbers at risk are given: 0, then a round
    step (12 at a time for months when it fits) up to the last observed time."""
    if not math.isfinite(last) or last <= 0:
        return [0.0]
    months = [s for s in (3.0, 6.0, 12.0, 24.0, 36.0, 60.0, 120.0) if last / s <= 5.5]
    magnitude = 10 ** math.floor(math.log10(last))
    steps = [m * magnitude / 10 for m in (1, 2, 2.5, 5, 10, 20, 25, 50)]
    if "month" in unit and months:
        steps = months
    step = min((s for s in steps if last / s <= 5.5), default=last)
    return [float(x) for x in np.arange(0, last + 1e-9, step)]


def _with(frame: pd.DataFrame, columns: Sequence[str], **values: Any) -> pd.DataFrame:
    out = frame.copy()
    for i, (name, value) in enumerate(values.items()):
        out.insert(i, name, value)
    return out.reindex(columns=[*values, *columns])


def run_survival(
    data: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    *,
    group: str,
    ordered: bool = False,
    conf_level: float = 0.95,
) -> dict[str, pd.DataFrame]:
    """Every time-to-event result of the study's endpoints.

    Parameters
    ----------
    data : DataFrame
        Analysed patients, one row each, the analysed group in column ``group``.
    endpoints : sequence of Endpoint
    group : str
        The analysed group column.
    ordered : bool
        Whether the study's groups are ordered (log-rank trend test when an endpoint compares
        three of them or more).
    conf_level : float
        Level of every interval.

    Returns
    -------
    dict of str to DataFrame
        :data:`SURVIVAL_TABLES`, each stacked over the endpoints with an ``endpoint`` column
        first; empty dict without endpoints.
    """
    if not endpoints:
        return {}
    out: dict[str, list[pd.DataFrame]] = {name: [] for name in SURVIVAL_TABLES}
    for ep in endpoints:
        rows, compare, levels = endpoint_data(data, ep, group=group)
        t, e = ep.time, ep.event
        km = []
        if compare is not None:
            by_group = kaplan_meier(
                rows, t, e, compare, levels=levels, landmarks=ep.landmarks, conf_level=conf_level
            )
            km.append(by_group)
        km.append(kaplan_meier(rows, t, e, landmarks=ep.landmarks, conf_level=conf_level))
        out["tte_km"].append(
            _with(pd.concat(km, ignore_index=True), SURVIVAL_COLUMNS, endpoint=ep.name)
        )
        out["tte_followup"].append(
            _with(median_followup(rows, t, e, conf_level), SURVIVAL_COLUMNS, endpoint=ep.name)
        )
        if compare is not None:
            trend = ordered and compare == group
            lr = log_rank(rows, t, e, compare, levels=levels, ordered=trend)
            out["tte_logrank"].append(_with(lr, LOGRANK_COLUMNS, endpoint=ep.name))
        for p in ep.predictors:
            for covariates in ((), ep.adjust_for) if ep.adjust_for else ((),):
                fit = cox_model(rows, t, e, p.column, covariates=covariates, unit=p.per,
                                conf_level=conf_level)  # fmt: skip
                out["tte_cox"].append(_with(fit, COX_COLUMNS, endpoint=ep.name, predictor=p.column))
                ph = proportional_hazards_test(rows, t, e, p.column, covariates=covariates,
                                               unit=p.per)  # fmt: skip
                model = "cox_adjusted" if covariates else "cox"
                out["tte_ph"].append(
                    _with(ph, PH_COLUMNS, endpoint=ep.name, predictor=p.column, model=model)
                )
        times = pd.to_numeric(rows[t], errors="coerce")
        at = risk_times(float(times.max()) if times.notna().any() else 0.0, ep.unit)
        curve, risk = km_curve(rows, t, e, compare, levels=levels, at=at, conf_level=conf_level)
        out["tte_curve"].append(curve.assign(endpoint=ep.name))
        out["tte_at_risk"].append(risk.assign(endpoint=ep.name))
    columns = {
        "tte_km": ["endpoint", *SURVIVAL_COLUMNS],
        "tte_followup": ["endpoint", *SURVIVAL_COLUMNS],
        "tte_logrank": ["endpoint", *LOGRANK_COLUMNS],
        "tte_cox": ["endpoint", "predictor", *COX_COLUMNS],
        "tte_ph": ["endpoint", "predictor", "model", *PH_COLUMNS],
        "tte_curve": ["endpoint", "group", "time", "survival", "ci_low", "ci_high", "censored"],
        "tte_at_risk": ["endpoint", "group", "time", "at_risk"],
    }
    return {
        name: (
            pd.concat(frames, ignore_index=True).reindex(columns=columns[name])
            if frames
            else pd.DataFrame(columns=columns[name])
        )
        for name, frames in out.items()
    }
