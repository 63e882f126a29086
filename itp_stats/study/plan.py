"""The whole analysis plan in one call: named tidy tables for the report.

``run_analysis`` takes the analysed cohort (wide, one row per patient, with the derived
``pct_*`` markers and the response group) and the column lists, and returns a dict of
DataFrames. It imports no data dictionary: the caller passes the lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from itp_stats.stats._common import DEFAULT_SEED
from itp_stats.stats.contingency import categorical_test
from itp_stats.stats.descriptives import describe_categorical, describe_continuous, missing_summary
from itp_stats.stats.multiplicity import adjust_pvalues
from itp_stats.stats.nonparametric import dunn, jonckheere, kruskal, mann_whitney, wilcoxon
from itp_stats.stats.prediction import predict_outcome, roc_curve

__all__ = ["TABLE1_TEST_COLUMNS", "TABLES", "run_analysis"]

TABLE1_TEST_COLUMNS = [
    "variable", "kind", "test", "n", "n_missing", "statistic", "df", "p_unc", "method",
    "effect", "effect_type", "ci_low", "ci_high", "note",
]  # fmt: skip

TABLES = {
    "parameters": "name, value: the arguments of the run",
    "flow": "group, n: analysed patients per group, patients without a group, total",
    "table1_continuous": "describe_continuous of the continuous covariates by group",
    "table1_categorical": "describe_categorical of the categorical covariates by group",
    "table1_missing": "missing_summary of all covariates by group",
    "table1_tests": "one test per covariate (TABLE1_TEST_COLUMNS)",
    "marker_descriptives": "describe_continuous of every marker at every time point",
    "baseline_kruskal": "kruskal per baseline marker + p_fdr (BH across markers)",
    "baseline_dunn": "dunn per baseline marker (p_adj: Holm within marker)",
    "baseline_cr_vs_noncr": "mann_whitney positive vs the others + p_fdr",
    "baseline_trend": "jonckheere per baseline marker (ordered groups) + p_fdr",
    "change_within": "wilcoxon of change per marker and group + p_fdr (BH within group)",
    "change_between": "kruskal on the change per marker + p_fdr",
    "roc_curve": "roc_curve of the predictor",
    "prediction": "predict_outcome of the predictor (AUC, Youden cutoff, OR)",
    "sensitivity_responders": "mann_whitney responders vs non-responders + p_fdr",
}
"""Names of the tables returned by :func:`run_analysis` and what they hold."""


def _with_marker(tables: list[pd.DataFrame], markers: Sequence[str]) -> pd.DataFrame:
    out = []
    for marker, t in zip(markers, tables, strict=True):
        t = t.copy()
        t.insert(0, "marker", marker)
        out.append(t)
    return pd.concat(out, ignore_index=True)


def _binary(col: pd.Series, first: Sequence[Any], label1: str, label2: str) -> pd.Series:
    val = np.where(col.isin(list(first)).to_numpy(dtype=bool), label1, label2)
    val = pd.Series(val, index=col.index).where(col.notna())
    return pd.Series(pd.Categorical(val, categories=[label1, label2]), index=col.index)


def run_analysis(
    cohort: pd.DataFrame,
    *,
    markers: Sequence[str],
    continuous: Sequence[str] = (),
    categorical: Sequence[str] = (),
    group: str = "response_iwg",
    timepoints: tuple[str, str] = ("m0", "m6"),
    positive: str = "CR",
    responders: Sequence[str] = ("CR", "PR"),
    predictor: str = "nk_m0",
    predictor_unit: float = 100.0,
    direction: str = ">",
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = DEFAULT_SEED,
    pairwise_adjust: str = "holm",
    family_adjust: str = "bh",
) -> dict[str, pd.DataFrame]:
    """Run the analysis plan and return its result tables.

    Parameters
    ----------
    cohort : DataFrame
        Wide cohort, one row per patient, with ``{marker}_{timepoint}`` columns and the group
        column (ordered categorical, e.g. CR, PR, NR).
    markers : sequence of str
        Marker stems, counts and derived percentages alike (e.g. ``"nk"``, ``"pct_nk"``).
    continuous, categorical : sequence of str
        Table 1 covariates.
    group : str
        Response group column.
    timepoints : (str, str)
        Baseline and follow-up suffixes.
    positive : str
        The group predicted and contrasted with the others (complete response).
    responders : sequence of str
        Groups counted as responders in the sensitivity analysis (vs all other groups).
    predictor : str
        Baseline column for the ROC/logistic analysis.
    predictor_unit : float
        Unit of the odds ratio (e.g. per 100 cells/µL).
    direction : {"auto", "<", ">"}
        pROC direction for the predictor (">": lower values in ``positive``).
    alpha : float
        Confidence intervals are at level 1 − alpha.
    n_boot : int
        Bootstrap resamples (ε² CIs, cutoff CI).
    seed : int
        Seed of every bootstrap (each call gets its own generator seeded with ``seed``).
    pairwise_adjust : str
        Adjustment within a family of pairwise tests (Dunn).
    family_adjust : str
        Adjustment across the marker family (column ``p_fdr``).

    Returns
    -------
    dict of str to DataFrame
        Keys and contents as in :data:`TABLES`. Marker tables start with a ``marker``
        column and keep the columns of the function that produced them (see
        ``itp_stats.stats.nonparametric``); ``p_fdr`` and ``p_fdr_method`` are the adjustment
        across markers; ``table1_tests`` has :data:`TABLE1_TEST_COLUMNS`.

    Notes
    -----
    Every analysis uses its complete cases and reports its n. Tests that cannot run give
    "not computed: <reason>" rows; they are left out of the family counts of the
    adjustments.
    """
    conf = 1 - alpha
    base_t, follow_t = timepoints
    data = cohort.copy()
    markers = list(markers)
    base_cols = [f"{m}_{base_t}" for m in markers]
    other = f"non-{positive}"
    data["_cr_vs_other"] = _binary(data[group], [positive], positive, other)
    data["_responders"] = _binary(data[group], responders, "responder", "non-responder")
    for m in markers:
        data[f"_change_{m}"] = pd.to_numeric(data[f"{m}_{follow_t}"], errors="coerce").astype(
            float
        ) - pd.to_numeric(data[f"{m}_{base_t}"], errors="coerce").astype(float)

    tables: dict[str, pd.DataFrame] = {}
    tables["parameters"] = pd.DataFrame({
        "name": ["group", "positive", "responders", "timepoints", "predictor",
                 "predictor_unit", "direction", "alpha", "conf_level", "n_boot", "seed",
                 "pairwise_adjust", "family_adjust", "markers"],
        "value": [group, positive, ", ".join(responders), " → ".join(timepoints), predictor,
                  predictor_unit, direction, alpha, conf, n_boot, seed, pairwise_adjust,
                  family_adjust, ", ".join(markers)],
    })  # fmt: skip
    grp = data[group]
    levels = list(grp.cat.categories) if isinstance(grp.dtype, pd.CategoricalDtype) else (
        sorted(grp.dropna().unique().tolist())
    )  # fmt: skip
    tables["flow"] = pd.DataFrame({
        "group": [*levels, "no group (excluded)", "total"],
        "n": [int((grp == lev).sum()) for lev in levels] + [int(grp.isna().sum()), len(grp)],
    })  # fmt: skip

    # Table 1
    tables["table1_continuous"] = describe_continuous(data, continuous, group)
    tables["table1_categorical"] = describe_categorical(data, categorical, group)
    tables["table1_missing"] = missing_summary(data, [*continuous, *categorical], group)
    rows = []
    n_present = int(sum((grp == lev).any() for lev in levels))
    for var in continuous:
        if n_present == 2:
            present = [lev for lev in levels if (grp == lev).any()]
            t = mann_whitney(data, var, group, groups=present, conf_level=conf)
        else:
            t = kruskal(data, var, group, conf_level=conf, n_boot=n_boot, seed=seed)
        t = t.rename(columns={"dv": "variable"})
        t["kind"] = "continuous"
        rows.append(t)
    for var in categorical:
        t = categorical_test(data, var, group, conf_level=conf)
        t["kind"] = "categorical"
        rows.append(t)
    tables["table1_tests"] = (
        pd.concat([r.reindex(columns=TABLE1_TEST_COLUMNS) for r in rows], ignore_index=True)
        if rows
        else pd.DataFrame(columns=TABLE1_TEST_COLUMNS)
    )
    tables["marker_descriptives"] = describe_continuous(
        data, [f"{m}_{t}" for m in markers for t in timepoints], group
    )

    # Baseline lymphocyte subsets
    def family(t: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
        return adjust_pvalues(t, method=family_adjust, out_col="p_fdr", by=by)

    kw = [kruskal(data, c, group, conf_level=conf, n_boot=n_boot, seed=seed) for c in base_cols]
    tables["baseline_kruskal"] = family(_with_marker(kw, markers))
    tables["baseline_dunn"] = _with_marker(
        [dunn(data, c, group, adjust=pairwise_adjust, conf_level=conf) for c in base_cols],
        markers,
    )
    mw = [mann_whitney(data, c, "_cr_vs_other", conf_level=conf) for c in base_cols]
    tables["baseline_cr_vs_noncr"] = family(_with_marker(mw, markers).assign(between=group))
    jt = [jonckheere(data, c, group) for c in base_cols]
    tables["baseline_trend"] = family(_with_marker(jt, markers))

    # Change m0 -> m6
    wx = [
        wilcoxon(data, f"{m}_{base_t}", f"{m}_{follow_t}", by=group, dv=m, conf_level=conf)
        for m in markers
    ]
    tables["change_within"] = family(_with_marker(wx, markers), by="group")
    kc = [
        kruskal(data, f"_change_{m}", group, conf_level=conf, n_boot=n_boot, seed=seed)
        for m in markers
    ]
    change = _with_marker(kc, markers)
    change["dv"] = [f"{m}_{follow_t} - {m}_{base_t}" for m in markers]
    tables["change_between"] = family(change)

    # Prediction of the positive group from the baseline predictor
    tables["roc_curve"] = roc_curve(data, predictor, group, positive=positive, direction=direction)
    tables["prediction"] = predict_outcome(
        data, predictor, group, positive=positive, direction=direction, unit=predictor_unit,
        conf_level=conf, n_boot=n_boot, seed=seed,
    )  # fmt: skip

    # Sensitivity analysis: responders vs non-responders
    sens = [mann_whitney(data, c, "_responders", conf_level=conf) for c in base_cols]
    tables["sensitivity_responders"] = family(_with_marker(sens, markers).assign(between=group))
    return tables
