"""The whole analysis plan in one call: named tidy tables for the report.

``run_analysis`` takes the analysed cohort (wide, one row per patient, with the derived
``pct_*`` markers and the group column) and everything the study configuration says (group,
levels, positive and responder groups, time points, markers, family, predictors, Table 1
covariates), and returns a dict of DataFrames. It imports no data dictionary and no study
configuration: the caller passes the lists.

Groups that cannot be compared are left out, and said so, instead of stopping the whole
comparison: a level of the group column without patients is dropped from every analysis, and
for each variable a group with fewer than :data:`MIN_GROUP_SIZE` non-missing values is left out
of that variable's between-group tests. The remaining groups are compared: Kruskal–Wallis
(with Dunn pairs and, for ordered groups, the Jonckheere–Terpstra trend) for three or more,
Mann–Whitney (continuous) or Fisher/chi-square (categorical) for two.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from itp_stats.stats._common import (
    DEFAULT_SEED,
    MIN_GROUP_SIZE,
    decimal_difference,
    frame,
    not_computed,
)
from itp_stats.stats.adjusted import ADJUSTED_COLUMNS, adjusted_or
from itp_stats.stats.calibration import (
    CALIBRATION_CURVE_COLUMNS,
    VALIDATION_COLUMNS,
    calibration_curve,
    internal_validation,
)
from itp_stats.stats.contingency import CONTINGENCY_COLUMNS, categorical_test, fisher_exact
from itp_stats.stats.descriptives import describe_categorical, describe_continuous, missing_summary
from itp_stats.stats.multiplicity import METHODS, adjust_pvalues
from itp_stats.stats.nonparametric import (
    DUNN_COLUMNS,
    JT_COLUMNS,
    KRUSKAL_COLUMNS,
    WILCOXON_COLUMNS,
    dunn,
    jonckheere,
    kruskal,
    mann_whitney,
    wilcoxon,
)
from itp_stats.stats.prediction import PREDICTION_COLUMNS, ROC_COLUMNS, predict_outcome, roc_curve

__all__ = [
    "CHANGE_WITHIN_COLUMNS",
    "DIRECTIONS",
    "DROPPED_GROUPS_COLUMNS",
    "GROUPS_COLUMNS",
    "MIN_GROUP_SIZE",
    "MISSING_MARKERS_COLUMNS",
    "NO_ONE_IN_GROUP",
    "OMNIBUS_COLUMNS",
    "PAIRWISE_COLUMNS",
    "PREDICTION_TABLE_COLUMNS",
    "ROC_TABLE_COLUMNS",
    "TABLE1_TEST_COLUMNS",
    "TABLES",
    "TREND_COLUMNS",
    "run_analysis",
]

MISSING_MARKERS_COLUMNS = [
    "timepoint", "group", "n", "n_missing_all", "n_missing_any", "p_unc", "method",
]  # fmt: skip
"""Columns of ``missing_markers``."""

TABLE1_TEST_COLUMNS = [
    "variable", "kind", "test", "n", "n_missing", "statistic", "df", "p_unc", "method",
    "effect", "effect_type", "ci_low", "ci_high", "groups_compared", "note",
]  # fmt: skip
"""Columns of ``table1_tests``."""

OMNIBUS_COLUMNS = [*KRUSKAL_COLUMNS, "groups_compared"]
"""Columns of ``baseline_kruskal`` and ``change_between`` (after ``marker``, before
``p_fdr``)."""

PAIRWISE_COLUMNS = [*DUNN_COLUMNS, "groups_compared"]
"""Columns of ``baseline_dunn`` (after ``marker``)."""

TREND_COLUMNS = [*JT_COLUMNS, "groups_compared"]
"""Columns of ``baseline_trend`` (after ``marker``, before ``p_fdr``)."""

PAIRED_DESCRIPTIVES = [
    "before_median", "before_q1", "before_q3", "after_median", "after_q1", "after_q3",
]  # fmt: skip
CHANGE_WITHIN_COLUMNS = [
    *WILCOXON_COLUMNS[: WILCOXON_COLUMNS.index("n_zero") + 1],
    *PAIRED_DESCRIPTIVES,
    *WILCOXON_COLUMNS[WILCOXON_COLUMNS.index("n_zero") + 1 :],
]
"""Columns of ``change_within`` (after ``marker``, before ``p_fdr``)."""

GROUPS_COLUMNS = ["group", "n", "analysed"]
"""Columns of ``groups``."""

DROPPED_GROUPS_COLUMNS = ["group", "n", "reason", "variable", "tables"]
"""Columns of ``dropped_groups``."""

ROC_TABLE_COLUMNS = ["predictor", *ROC_COLUMNS]
"""Columns of ``roc_curve``."""

PREDICTION_TABLE_COLUMNS = ["predictor", "direction_requested", *PREDICTION_COLUMNS]
"""Columns of ``prediction``."""

MODEL_VALIDATION_COLUMNS = ["predictor", *VALIDATION_COLUMNS]
"""Columns of ``model_validation``."""

CALIBRATION_TABLE_COLUMNS = ["predictor", *CALIBRATION_CURVE_COLUMNS]
"""Columns of ``calibration_curve``."""

ADJUSTED_TABLE_COLUMNS = ["predictor", *ADJUSTED_COLUMNS]
"""Columns of ``adjusted``."""

NO_ONE_IN_GROUP = "no one in the group"
"""The ``reason`` of a level dropped from every analysis: no one is in it."""

DIRECTIONS = {"lower": ">", "higher": "<", "auto": "auto"}
"""Predictor directions of the study configuration and the pROC direction each one means:
"lower" (lower values in the positive group: pROC ">", controls > cases), "higher" ("<"),
"auto" (pROC's choice from the data)."""

TABLES = {
    "parameters": "name, value: the arguments of the run",
    "groups": "group, n, analysed: analysed patients per level of the group column (the "
    "plan receives analysed patients only; exclusions are the study layer's flow); a level "
    "with no patients has analysed False and is listed in dropped_groups",
    "dropped_groups": "group, n, reason, variable, tables: levels without patients "
    '(variable missing, tables "all") and, per variable, groups left out of the '
    f"between-group tests for fewer than {MIN_GROUP_SIZE} non-missing values",
    "table1_continuous": "describe_continuous of the continuous covariates by group",
    "table1_categorical": "describe_categorical of the categorical covariates by group",
    "table1_missing": "missing_summary of all covariates by group",
    "table1_tests": "one test per covariate (TABLE1_TEST_COLUMNS): Kruskal–Wallis (3+ "
    "groups compared) or Mann–Whitney (2) for continuous, categorical_test for categorical",
    "marker_descriptives": "describe_continuous of every marker at every time point",
    "baseline_kruskal": "per baseline marker: Kruskal–Wallis (3+ groups compared) or "
    "Mann–Whitney (2) (OMNIBUS_COLUMNS) + p_fdr (BH across the family)",
    "baseline_dunn": "per baseline marker and pair of groups: Dunn (3+ groups compared) or "
    "Mann–Whitney (2) (PAIRWISE_COLUMNS; p_adj: adjusted within marker)",
    "baseline_positive": "mann_whitney positive vs the others + p_fdr",
    "baseline_trend": "jonckheere per baseline marker (ordered groups, 3+ compared; "
    "TREND_COLUMNS) + p_fdr",
    "change_within": "wilcoxon of change per marker and group, with medians and quartiles "
    "of the complete pairs (CHANGE_WITHIN_COLUMNS) + p_fdr (BH within group)",
    "change_between": "per marker, the change compared between groups as baseline_kruskal + p_fdr",
    "roc_curve": "roc_curve of every predictor, stacked (ROC_TABLE_COLUMNS)",
    "prediction": "predict_outcome of every predictor, stacked (AUC, Youden cutoff, sensitivity, "
    "specificity, PPV and NPV at the cutoff, OR; "
    "PREDICTION_TABLE_COLUMNS)",
    "model_validation": "internal_validation of every predictor's logistic model: apparent "
    "and optimism-corrected AUC, Brier score, calibration intercept and slope "
    "(MODEL_VALIDATION_COLUMNS)",
    "calibration_curve": "calibration_curve of every predictor's logistic model "
    "(CALIBRATION_TABLE_COLUMNS)",
    "adjusted": "adjusted_or of every predictor with adjust_for covariates "
    "(ADJUSTED_TABLE_COLUMNS)",
    "sensitivity": "mann_whitney of the sensitivity groups (``responders``) vs the other "
    "groups + p_fdr",
    "missing_markers": "per time point and group: patients, those missing every marker "
    "value and those missing any (MISSING_MARKERS_COLUMNS); p_unc and method: Fisher's exact "
    "test of 'every value missing' against the group, per time point",
}
"""Names of the tables returned by :func:`run_analysis` and what they hold."""

_NOT_IN_FAMILY = "not adjusted: not in the family"
_QUANTILE_METHOD = inspect.signature(describe_continuous).parameters["quantile_method"].default
"""The quantile definition of ``describe_continuous`` ("linear", R type 7), used for the
paired descriptives of ``change_within`` so both tables agree."""


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


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


def _join(labels: Sequence[Any]) -> str:
    return ", ".join(str(lab) for lab in labels)


def _notes(*parts: Any) -> str:
    return "; ".join(str(p) for p in parts if isinstance(p, str) and p)


def _in_group(data: pd.DataFrame, group: str, lev: Any) -> np.ndarray:
    return (data[group] == lev).to_numpy(dtype=bool, na_value=False)


def _sizes(data: pd.DataFrame, var: str, masks: dict[Any, np.ndarray], numeric: bool):
    """Non-missing values of ``var`` per level (``masks``: level → rows), as (level, n)."""
    if numeric:
        v = pd.to_numeric(data[var], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(v)
    else:
        ok = data[var].notna().to_numpy(dtype=bool)
    return [(lev, int(ok[mask].sum())) for lev, mask in masks.items()]


class _Split:
    """Groups of one variable: those compared and those left out (with their n)."""

    def __init__(self, sizes: list[tuple[Any, int]]):
        self.levels = [lev for lev, _ in sizes]
        self.n = dict(sizes)
        self.compared = [lev for lev, n in sizes if n >= MIN_GROUP_SIZE]
        self.left = [(lev, n) for lev, n in sizes if n < MIN_GROUP_SIZE]

    @property
    def note(self) -> str:
        if not self.left:
            return ""
        return f"left out (fewer than {MIN_GROUP_SIZE} values): " + ", ".join(
            f"{lev} (n={n})" for lev, n in self.left
        )

    @property
    def reason(self) -> str:
        """Why no test: fewer than two groups to compare."""
        if len(self.levels) < 2:
            return "fewer than two groups with patients"
        return _notes(f"fewer than two groups with at least {MIN_GROUP_SIZE} values", self.note)

    def dropped(self, variable: str, tables: str) -> list[dict[str, Any]]:
        return [
            {"group": lev, "n": n, "reason": f"fewer than {MIN_GROUP_SIZE} non-missing values",
             "variable": variable, "tables": tables}
            for lev, n in self.left
        ]  # fmt: skip


def _omnibus(data, dv, group, split: _Split, *, conf, n_boot, seed) -> pd.DataFrame:
    """One row (OMNIBUS_COLUMNS): Kruskal–Wallis, Mann–Whitney or not computed."""
    k = len(split.compared)
    if k >= 3:
        t = kruskal(data, dv, group, groups=split.compared, conf_level=conf, n_boot=n_boot,
                    seed=seed)  # fmt: skip
    elif k == 2:
        t = mann_whitney(data, dv, group, groups=split.compared, conf_level=conf)
        t = t.reindex(columns=KRUSKAL_COLUMNS)
        t["n_groups"] = 2
    else:
        ok = pd.to_numeric(data[dv], errors="coerce").notna().to_numpy(dtype=bool)
        in_levels = data[group].isin(split.levels).to_numpy(dtype=bool)
        nc = not_computed(split.reason)
        t = frame([{
            "test": "kruskal_wallis" if len(split.levels) >= 3 else "mann_whitney",
            "dv": dv, "between": group, "n": int((ok & in_levels).sum()), "n_groups": k,
            "n_missing": int((~ok & in_levels).sum()), "conf_level": conf,
            "effect_type": "epsilon_squared" if len(split.levels) >= 3 else "rank_biserial",
            "method": nc, "effect_method": nc, "note": split.reason,
        }], KRUSKAL_COLUMNS)  # fmt: skip
        t["groups_compared"] = _join(split.compared)
        return t
    t["note"] = [_notes(t["note"].iloc[0], split.note)]
    t["groups_compared"] = _join(split.compared)
    return t


def _pairwise(data, dv, group, split: _Split, *, adjust, conf) -> pd.DataFrame:
    """One row per pair of levels (PAIRWISE_COLUMNS): Dunn, Mann–Whitney or not computed."""
    levels, compared = split.levels, split.compared
    adj_name = METHODS.get(adjust.lower(), adjust)
    computed: dict[tuple[Any, Any], dict] = {}
    if len(compared) >= 3:
        d = dunn(data, dv, group, groups=compared, adjust=adjust, conf_level=conf)
        computed = {(r["group1"], r["group2"]): r for r in d.to_dict("records")}
    elif len(compared) == 2:
        # one comparison: nothing to adjust (no p_adj, no adjustment recorded)
        r = mann_whitney(data, dv, group, groups=compared, conf_level=conf).iloc[0].to_dict()
        r["p_adj"], r["adjust"] = np.nan, None
        computed = {(r["group1"], r["group2"]): r}
    rows = []
    pairs = [(a, b) for i, a in enumerate(levels) for b in levels[i + 1 :]]
    for a, b in pairs:
        if (a, b) in computed:
            row = dict(computed[(a, b)])
        else:
            small = [f"{g} (n={split.n[g]})" for g in (a, b) if g not in compared]
            reason = (
                f"fewer than {MIN_GROUP_SIZE} values in group " + ", ".join(small)
                if small
                else split.reason
            )
            row = {
                "test": "dunn" if len(compared) >= 3 else "mann_whitney", "dv": dv,
                "between": group, "group1": a, "group2": b, "n1": split.n[a],
                "n2": split.n[b], "adjust": adj_name if len(pairs) > 1 else None,
                "method": not_computed(reason),
                "effect_type": "rank_biserial", "conf_level": conf, "note": reason,
            }  # fmt: skip
        rows.append(row)
    if not pairs:
        reason = split.reason
        rows.append({
            "test": "dunn", "dv": dv, "between": group,
            "group1": levels[0] if levels else None, "group2": None,
            "n1": split.n[levels[0]] if levels else 0, "n2": 0, "adjust": None,
            "method": not_computed(reason), "effect_type": "rank_biserial",
            "conf_level": conf, "note": reason,
        })  # fmt: skip
    out = frame(rows, DUNN_COLUMNS)
    done = ~out["method"].str.startswith("not computed").to_numpy(dtype=bool)
    out["note"] = [
        _notes(n, split.note) if ok else n for n, ok in zip(out["note"], done, strict=True)
    ]
    out["groups_compared"] = _join(compared)
    return out


def _trend(data, dv, group, split: _Split, *, ordered: bool) -> pd.DataFrame:
    """One row (TREND_COLUMNS): Jonckheere–Terpstra or not computed."""
    if ordered and len(split.compared) >= 3:
        t = jonckheere(data, dv, group, groups=split.compared)
        t["note"] = [_notes(t["note"].iloc[0], split.note)]
    else:
        if not ordered:
            reason = "the groups are not ordered (ordered=False)"
        elif len(split.compared) == 2:
            reason = _notes(
                f"a trend needs at least three groups with at least {MIN_GROUP_SIZE} values; "
                "the two groups compared are tested by Mann–Whitney",
                split.note,
            )
        else:
            reason = split.reason
        ok = pd.to_numeric(data[dv], errors="coerce").notna().to_numpy(dtype=bool)
        in_cmp = data[group].isin(split.compared).to_numpy(dtype=bool)
        t = frame([{
            "test": "jonckheere_terpstra", "dv": dv, "between": group,
            "order": " < ".join(str(lev) for lev in split.compared),
            "n": int((ok & in_cmp).sum()), "n_missing": int((~ok & in_cmp).sum()),
            "method": not_computed(reason), "note": reason,
        }], JT_COLUMNS)  # fmt: skip
    t["groups_compared"] = _join(split.compared)
    return t


def _categorical(data, var, group, split: _Split, *, conf) -> pd.DataFrame:
    if len(split.compared) >= 2:
        t = categorical_test(data, var, group, groups=split.compared, conf_level=conf)
        t["note"] = [_notes(t["note"].iloc[0], split.note)]
    else:
        ok = data[var].notna().to_numpy(dtype=bool)
        in_levels = data[group].isin(split.levels).to_numpy(dtype=bool)
        t = frame([{
            "test": "fisher_exact", "variable": var, "between": group,
            "n": int((ok & in_levels).sum()), "n_missing": int((~ok & in_levels).sum()),
            "n_groups": len(split.compared), "conf_level": conf,
            "method": not_computed(split.reason), "note": split.reason,
        }], CONTINGENCY_COLUMNS)  # fmt: skip
    t["groups_compared"] = _join(split.compared)
    return t


def _missing_markers(data, markers, group, masks, timepoints, *, conf) -> pd.DataFrame:
    """Patients missing marker values, per time point and group, and whether missing every
    value depends on the group (Fisher's exact test; not computed when no one or everyone
    misses them)."""
    rows = []
    for tp in timepoints:
        values = data[[f"{m}_{tp}" for m in markers]]
        all_missing = values.isna().all(axis=1)
        any_missing = values.isna().any(axis=1)
        flag = f"_missing_all_{tp}"
        data[flag] = np.where(all_missing, "missing", "present")
        k = int(all_missing[data[group].isin(list(masks))].sum())
        if 0 < k < sum(int(m.sum()) for m in masks.values()):
            test = fisher_exact(data, flag, group, groups=list(masks), conf_level=conf).iloc[0]
            p, method = test["p_unc"], str(test["method"])
        else:
            p, method = np.nan, not_computed("no one misses" if k == 0 else "all miss")
        for lev, mask in masks.items():
            rows.append({
                "timepoint": tp, "group": lev, "n": int(mask.sum()),
                "n_missing_all": int(all_missing[mask].sum()),
                "n_missing_any": int(any_missing[mask].sum()), "p_unc": p, "method": method,
            })  # fmt: skip
    return frame(rows, MISSING_MARKERS_COLUMNS)


def _paired_descriptives(data, before, after, masks: dict[Any, np.ndarray]) -> pd.DataFrame:
    """Median and quartiles at both time points on the complete pairs, per level."""
    b = pd.to_numeric(data[before], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    a = pd.to_numeric(data[after], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    complete = np.isfinite(a) & np.isfinite(b)
    rows = []
    for mask in masks.values():
        row = dict.fromkeys(PAIRED_DESCRIPTIVES, np.nan)
        sel = complete & mask
        if sel.any():
            for prefix, v in (("before", b[sel]), ("after", a[sel])):
                q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75], method=_QUANTILE_METHOD)
                row.update({f"{prefix}_median": float(med), f"{prefix}_q1": float(q1),
                            f"{prefix}_q3": float(q3)})  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows, columns=PAIRED_DESCRIPTIVES)


def _stacked(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _predictor_specs(predictors: Sequence[Mapping[str, Any]], columns) -> list[dict[str, Any]]:
    specs = []
    for i, p in enumerate(predictors):
        if not isinstance(p, Mapping):
            raise TypeError(f"predictors[{i}] must be a mapping, got {type(p).__name__}")
        unknown = set(p) - {"column", "direction", "per", "adjust_for"}
        if unknown:
            raise ValueError(f"predictors[{i}]: unknown key(s) {sorted(unknown)}")
        if "column" not in p or "direction" not in p:
            raise ValueError(f"predictors[{i}] needs 'column' and 'direction'")
        col, word, per = p["column"], p["direction"], float(p.get("per", 1.0))
        if col not in columns:
            raise ValueError(f"predictor column {col!r} is not in the cohort")
        if word not in DIRECTIONS:
            raise ValueError(
                f"predictors[{i}]: direction must be one of {list(DIRECTIONS)}, got {word!r}"
            )
        if not np.isfinite(per) or per <= 0:
            raise ValueError(f"predictors[{i}]: 'per' must be a positive number, got {per!r}")
        adjust = [str(c) for c in p.get("adjust_for") or []]
        missing = [c for c in adjust if c not in columns]
        if missing:
            raise ValueError(f"predictors[{i}]: adjust_for column(s) {missing} not in the cohort")
        specs.append(
            {
                "column": col,
                "direction": word,
                "proc": DIRECTIONS[word],
                "per": per,
                "adjust_for": adjust,
            }
        )
    return specs


def _group_levels(grp: pd.Series, levels: Sequence[Any] | None, ordered: bool) -> list:
    if grp.isna().any():
        raise ValueError(
            f"{int(grp.isna().sum())} row(s) have no group: run_analysis receives the analysed "
            "patients only (exclusions belong to the study layer)"
        )
    categorical = isinstance(grp.dtype, pd.CategoricalDtype)
    if levels is None:
        if ordered and not categorical:
            raise ValueError(
                "ordered=True needs the order of the groups: pass levels or a categorical "
                "group column"
            )
        levels = list(grp.cat.categories) if categorical else sorted(grp.unique().tolist())
    levels = list(levels)
    if len(set(levels)) != len(levels):
        raise ValueError(f"levels are not distinct: {levels}")
    outside = sorted({str(v) for v in grp.unique().tolist()} - {str(v) for v in levels})
    if outside:
        raise ValueError(f"group values not among the levels {levels}: {outside}")
    return levels


# --------------------------------------------------------------------------------------------
# the plan
# --------------------------------------------------------------------------------------------


def run_analysis(
    cohort: pd.DataFrame,
    *,
    markers: Sequence[str],
    group: str,
    ordered: bool,
    positive: Any,
    responders: Sequence[Any],
    timepoints: tuple[str, ...],
    predictors: Sequence[Mapping[str, Any]],
    levels: Sequence[Any] | None = None,
    family: Sequence[str] | None = None,
    continuous: Sequence[str] = (),
    categorical: Sequence[str] = (),
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
        Analysed patients only, wide, one row per patient, with ``{marker}_{timepoint}``
        columns and the group column (every row has a group).
    markers : sequence of str
        Marker stems, counts and derived percentages alike (e.g. ``"nk"``, ``"pct_nk"``).
    group : str
        Group column (e.g. the derived response).
    ordered : bool
        Whether the levels are ordered; the trend test (Jonckheere–Terpstra, in level order)
        is computed only when True.
    positive : scalar
        The group contrasted with the others and predicted (e.g. complete response).
    responders : sequence
        Groups counted as responders in the sensitivity analysis (vs all other groups).
    timepoints : (str, str) or (str,)
        Baseline and follow-up suffixes (e.g. ``("m0", "m12")``), or the baseline alone in a
        study of one time point (``change_within`` and ``change_between`` are then empty).
    predictors : sequence of mapping
        One mapping per predictor of ``positive``: ``column`` (baseline column), ``direction``
        ("lower": lower values in ``positive``, pROC ">"; "higher": pROC "<"; "auto": chosen
        from the data by pROC's rule) and ``per`` (unit of the odds ratio, default 1).
        Empty: the prediction tables are empty.
    levels : sequence, optional
        Levels of ``group`` in analysis order; default the categories of a categorical
        column (else its sorted values, not allowed with ``ordered``). A level without
        patients is dropped (see ``dropped_groups``).
    family : sequence of str, optional
        Markers adjusted together by ``family_adjust`` (column ``p_fdr``); default all
        ``markers``. The others get ``p_fdr`` NaN and ``p_fdr_method`` "not adjusted: not in
        the family".
    continuous, categorical : sequence of str
        Table 1 covariates.
    alpha : float
        Confidence intervals are at level 1 − alpha.
    n_boot : int
        Bootstrap resamples (ε² CIs, cutoff CI).
    seed : int
        Seed of every bootstrap (each call gets its own generator seeded with ``seed``).
    pairwise_adjust : str
        Adjustment within a family of pairwise tests (Dunn pairs of one marker).
    family_adjust : str
        Adjustment across the marker family (column ``p_fdr``).

    Returns
    -------
    dict of str to DataFrame
        Keys as in :data:`TABLES`:

        ``parameters``
            ``name``, ``value``: the arguments of the run.
        ``groups``
            :data:`GROUPS_COLUMNS`: ``group`` (every level, in order), ``n`` (analysed
            patients), ``analysed`` (False for a level without patients, dropped).
        ``dropped_groups``
            :data:`DROPPED_GROUPS_COLUMNS`: ``group``, ``n``, ``reason`` ("no one in the group" or
            "fewer than 3 non-missing values"), ``variable`` (missing for a level dropped
            from every analysis; else the column, or the change "x_m6 - x_m0", it was left
            out for), ``tables`` ("all", or the tables whose between-group tests leave it
            out). Empty (with these columns) when no group was left out.
        ``table1_continuous``, ``table1_categorical``, ``table1_missing``, ``marker_descriptives``
            The columns of :func:`~itp_stats.stats.descriptives.describe_continuous`,
            :func:`~itp_stats.stats.descriptives.describe_categorical`,
            :func:`~itp_stats.stats.descriptives.missing_summary` for the levels with
            patients and overall.
        ``table1_tests``
            :data:`TABLE1_TEST_COLUMNS`: ``variable``, ``kind`` ("continuous",
            "categorical"), ``test``, ``n``, ``n_missing``, ``statistic``, ``df``, ``p_unc``,
            ``method``, ``effect``, ``effect_type``, ``ci_low``, ``ci_high``,
            ``groups_compared`` (the groups in the test, comma-separated), ``note`` (names
            the left-out groups and their n).
        ``baseline_kruskal``, ``change_between``
            ``marker``, then :data:`OMNIBUS_COLUMNS` (``test``, ``dv``, ``between``, ``n``,
            ``n_groups`` (groups compared), ``n_missing``, ``statistic`` (H, or W of the
            first group for Mann–Whitney), ``df`` (NaN for Mann–Whitney), ``p_unc``,
            ``method``, ``effect`` (ε², or rank-biserial r for Mann–Whitney),
            ``effect_type`` ("epsilon_squared" or "rank_biserial"), ``ci_low``, ``ci_high``,
            ``conf_level``, ``effect_method``, ``note``, ``groups_compared``), then
            ``p_fdr``, ``p_fdr_method``. ``dv`` of ``change_between`` is "x_m6 - x_m0".
        ``baseline_dunn``
            ``marker``, then :data:`PAIRWISE_COLUMNS`: one row per pair of levels with
            patients (``test`` "dunn" with three or more groups compared, "mann_whitney"
            with two; pairs with a left-out group are "not computed"), ``dv``, ``between``,
            ``group1``, ``group2``, ``n1``, ``n2``, ``statistic`` (Dunn's z, or W), ``p_unc``,
            ``p_adj`` (``pairwise_adjust`` over the computed pairs of the marker; missing,
            with ``adjust`` empty, when one pair is compared: nothing to adjust),
            ``adjust``, ``method``, ``effect`` (rank-biserial r), ``effect_type``,
            ``ci_low``, ``ci_high``, ``conf_level``, ``note``, ``groups_compared``.
        ``baseline_trend``
            ``marker``, then :data:`TREND_COLUMNS` (the columns of
            :func:`~itp_stats.stats.nonparametric.jonckheere` and ``groups_compared``;
            "not computed" when ``ordered`` is False or fewer than three groups are
            compared), then ``p_fdr``, ``p_fdr_method``.
        ``baseline_positive``, ``sensitivity``
            ``marker``, then the columns of
            :func:`~itp_stats.stats.nonparametric.mann_whitney` (``group1`` = ``positive``
            vs ``group2`` = "non-<positive>"; the ``responders`` levels joined by " + " vs
            the other levels joined so), ``between``
            set to ``group``, then ``p_fdr``, ``p_fdr_method``.
        ``change_within``
            ``marker``, then :data:`CHANGE_WITHIN_COLUMNS`: one row per level with patients,
            the columns of :func:`~itp_stats.stats.nonparametric.wilcoxon` with, after
            ``n_zero``, ``before_median``, ``before_q1``, ``before_q3``, ``after_median``,
            ``after_q1``, ``after_q3`` (on the complete pairs, the patients of the test;
            quantiles as ``describe_continuous``: ``numpy.quantile`` "linear", R type 7),
            then ``p_fdr``, ``p_fdr_method`` (families: one per group).
        ``roc_curve``
            :data:`ROC_TABLE_COLUMNS`: ``predictor``, then the columns of
            :func:`~itp_stats.stats.prediction.roc_curve`, all predictors stacked.
        ``prediction``
            :data:`PREDICTION_TABLE_COLUMNS`: ``predictor``, ``direction_requested``
            ("lower", "higher", "auto"), then the columns of
            :func:`~itp_stats.stats.prediction.predict_outcome` (``direction``: the pROC
            direction used, the chosen one for "auto", whose ``method`` then says it was
            chosen from the data), eight rows per predictor: the sensitivity, specificity
            and positive and negative predictive values at the cutoff have exact CIs and
            ``note`` "k of n".

    Raises
    ------
    ValueError
        A row without a group, a group value outside ``levels``, ``positive`` or
        ``responders`` not among the levels, ``family`` not a subset of ``markers``, an
        invalid predictor, or ``ordered`` without a known order of the groups.
    TypeError
        A predictor that is not a mapping.

    Notes
    -----
    Every analysis uses its complete cases and reports its n. A level without patients is
    dropped from every analysis (no descriptive column, no Wilcoxon row, no pair). For each
    variable, groups with fewer than :data:`MIN_GROUP_SIZE` non-missing values are left out
    of its between-group tests (``note`` and ``dropped_groups`` name them and their n;
    ``groups_compared`` lists the groups in the test) and the others are compared: three or
    more by Kruskal–Wallis, Dunn and (ordered groups) Jonckheere–Terpstra; two by
    Mann–Whitney (continuous) or :func:`~itp_stats.stats.contingency.categorical_test`
    (categorical); fewer than two give "not computed: <reason>" rows. The positive-vs-others
    contrast, the sensitivity analysis and the within-group Wilcoxon tests keep every group
    with patients (a group too small for a test gives a "not computed" row). Rows not
    computed are left out of the family counts of the adjustments.
    """
    conf = 1 - alpha
    if not 1 <= len(timepoints) <= 2:
        raise ValueError(f"timepoints: baseline and at most one follow-up, got {timepoints}")
    base_t, follow_t = timepoints[0], (timepoints[1] if len(timepoints) > 1 else None)
    markers = list(markers)
    family_set = set(markers) if family is None else set(family)
    if not family_set <= set(markers):
        raise ValueError(
            f"family markers not among the markers: {sorted(family_set - set(markers))}"
        )
    levels = _group_levels(cohort[group], levels, ordered)
    if positive not in levels:
        raise ValueError(f"positive group {positive!r} is not among the levels {levels}")
    if not set(responders) <= set(levels):
        raise ValueError(f"responder groups {list(responders)} are not among the levels {levels}")
    specs = _predictor_specs(predictors, cohort.columns)
    data = cohort.copy()
    base_cols = [f"{m}_{base_t}" for m in markers]
    other = f"non-{positive}"
    data["_positive_vs_other"] = _binary(data[group], [positive], positive, other)
    # the sensitivity groups and the others, named by their levels with patients ("CR + PR"
    # vs "NR")
    present = set(data[group].dropna())

    def named(levs: Sequence[Any]) -> str:
        return " + ".join(str(v) for v in levs if v in present) or " + ".join(map(str, levs))

    others = [lev for lev in levels if lev not in set(responders)]
    data["_responders"] = _binary(data[group], responders, named(responders), named(others))
    for m in markers if follow_t else ():  # in the recorded decimals: equal changes tie
        data[f"_change_{m}"] = decimal_difference(
            pd.to_numeric(data[f"{m}_{follow_t}"], errors="coerce").to_numpy(
                float, na_value=np.nan
            ),
            pd.to_numeric(data[f"{m}_{base_t}"], errors="coerce").to_numpy(float, na_value=np.nan),
        )

    tables: dict[str, pd.DataFrame] = {}
    tables["parameters"] = pd.DataFrame({
        "name": ["group", "levels", "ordered", "positive", "sensitivity_groups", "timepoints",
                 "predictors", "alpha", "conf_level", "n_boot", "seed", "pairwise_adjust",
                 "family_adjust", "markers", "family", "min_group_size"],
        "value": [group, _join(levels), ordered, positive, _join(responders),
                  " → ".join(timepoints),
                  "; ".join(f"{s['column']} ({s['direction']}, per {s['per']:g})"
                            for s in specs),
                  alpha, conf, n_boot, seed, pairwise_adjust, family_adjust, _join(markers),
                  _join([m for m in markers if m in family_set]), MIN_GROUP_SIZE],
    })  # fmt: skip

    masks = {lev: _in_group(data, group, lev) for lev in levels}
    counts = {lev: int(mask.sum()) for lev, mask in masks.items()}
    kept = [lev for lev in levels if counts[lev] > 0]
    masks = {lev: masks[lev] for lev in kept}
    tables["groups"] = pd.DataFrame({
        "group": levels, "n": [counts[lev] for lev in levels],
        "analysed": [counts[lev] > 0 for lev in levels],
    })  # fmt: skip
    dropped: list[dict[str, Any]] = [
        {"group": lev, "n": 0, "reason": NO_ONE_IN_GROUP, "variable": None, "tables": "all"}
        for lev in levels
        if counts[lev] == 0
    ]

    def split(var: str, tables_named: str, label: str | None = None, numeric=True) -> _Split:
        s = _Split(_sizes(data, var, masks, numeric))
        dropped.extend(s.dropped(label or var, tables_named))
        return s

    # Table 1
    tables["table1_continuous"] = describe_continuous(data, continuous, group, groups=kept)
    tables["table1_categorical"] = describe_categorical(data, categorical, group, groups=kept)
    tables["table1_missing"] = missing_summary(
        data, [*continuous, *categorical], group, groups=kept
    )
    rows = []
    for var in continuous:
        s = split(var, "table1_tests")
        t = _omnibus(data, var, group, s, conf=conf, n_boot=n_boot, seed=seed)
        rows.append(t.rename(columns={"dv": "variable"}).assign(kind="continuous"))
    for var in categorical:
        s = split(var, "table1_tests", numeric=False)
        rows.append(_categorical(data, var, group, s, conf=conf).assign(kind="categorical"))
    tables["table1_tests"] = (
        pd.concat([r.reindex(columns=TABLE1_TEST_COLUMNS) for r in rows], ignore_index=True)
        if rows
        else pd.DataFrame(columns=TABLE1_TEST_COLUMNS)
    )
    tables["missing_markers"] = _missing_markers(data, markers, group, masks, timepoints, conf=conf)
    tables["marker_descriptives"] = describe_continuous(
        data, [f"{m}_{t}" for m in markers for t in timepoints], group, groups=kept
    )

    # Baseline lymphocyte subsets
    def fdr(t: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
        in_family = t["marker"].isin(family_set).to_numpy(dtype=bool)
        out = t.copy()
        out["p_fdr"] = np.nan
        out["p_fdr_method"] = _NOT_IN_FAMILY
        if in_family.any():
            adj = adjust_pvalues(t[in_family], method=family_adjust, out_col="p_fdr", by=by)
            out.loc[in_family, "p_fdr"] = adj["p_fdr"]
            out.loc[in_family, "p_fdr_method"] = adj["p_fdr_method"]
        return out

    omni, pairs, trend = [], [], []
    for col in base_cols:
        s = split(col, "baseline_kruskal, baseline_dunn, baseline_trend")
        omni.append(_omnibus(data, col, group, s, conf=conf, n_boot=n_boot, seed=seed))
        pairs.append(_pairwise(data, col, group, s, adjust=pairwise_adjust, conf=conf))
        trend.append(_trend(data, col, group, s, ordered=ordered))
    tables["baseline_kruskal"] = fdr(_with_marker(omni, markers))
    tables["baseline_dunn"] = _with_marker(pairs, markers)
    mw = [mann_whitney(data, c, "_positive_vs_other", conf_level=conf) for c in base_cols]
    tables["baseline_positive"] = fdr(_with_marker(mw, markers).assign(between=group))
    tables["baseline_trend"] = fdr(_with_marker(trend, markers))

    # Change baseline -> follow-up (none in a study of one time point)
    wx = []
    for m in markers if follow_t else ():
        before, after = f"{m}_{base_t}", f"{m}_{follow_t}"
        w = wilcoxon(data, before, after, by=group, groups=kept, dv=m, conf_level=conf)
        desc = _paired_descriptives(data, before, after, masks)
        for c in PAIRED_DESCRIPTIVES:
            w[c] = desc[c].to_numpy()
        wx.append(w[CHANGE_WITHIN_COLUMNS])
    change_columns = ["marker", *CHANGE_WITHIN_COLUMNS, "p_fdr", "p_fdr_method"]
    tables["change_within"] = (
        fdr(_with_marker(wx, markers), by="group") if wx else pd.DataFrame(columns=change_columns)
    )
    kc = []
    for m in markers if follow_t else ():
        label = f"{m}_{follow_t} - {m}_{base_t}"
        s = split(f"_change_{m}", "change_between", label=label)
        t = _omnibus(data, f"_change_{m}", group, s, conf=conf, n_boot=n_boot, seed=seed)
        kc.append(t.assign(dv=label))
    tables["change_between"] = (
        fdr(_with_marker(kc, markers))
        if kc
        else pd.DataFrame(columns=["marker", *OMNIBUS_COLUMNS, "p_fdr", "p_fdr_method"])
    )

    # Prediction of the positive group from each baseline predictor
    roc, pred = [], []
    for spec in specs:
        col = spec["column"]
        r = roc_curve(data, col, group, positive=positive, direction=spec["proc"])
        r.insert(0, "predictor", col)
        roc.append(r)
        p = predict_outcome(
            data, col, group, positive=positive, direction=spec["proc"], unit=spec["per"],
            conf_level=conf, n_boot=n_boot, seed=seed,
        )  # fmt: skip
        if spec["direction"] == "auto":
            chosen = p["direction"].isin(["<", ">"]) & ~p["method"].str.startswith("not comp")
            p.loc[chosen, "method"] = [
                f"{m}; direction {d!r} chosen from the data (pROC 'auto': '<' when the median "
                f"of the controls is at most that of the cases)"
                for m, d in zip(p.loc[chosen, "method"], p.loc[chosen, "direction"], strict=True)
            ]
        p.insert(0, "direction_requested", spec["direction"])
        p.insert(0, "predictor", col)
        pred.append(p)
    tables["roc_curve"] = (
        pd.concat(roc, ignore_index=True)[ROC_TABLE_COLUMNS]
        if roc
        else pd.DataFrame(columns=ROC_TABLE_COLUMNS)
    )
    tables["prediction"] = (
        pd.concat(pred, ignore_index=True)[PREDICTION_TABLE_COLUMNS]
        if pred
        else pd.DataFrame(columns=PREDICTION_TABLE_COLUMNS)
    )

    # The logistic model of each predictor judged as TRIPOD asks, and adjusted when asked
    valid, curves, adjusted = [], [], []
    for spec in specs:
        col = spec["column"]
        v = internal_validation(data, col, group, positive=positive, n_boot=n_boot, seed=seed,
                                conf_level=conf)  # fmt: skip
        valid.append(v.assign(predictor=col))
        curves.append(
            calibration_curve(data, col, group, positive=positive, conf_level=conf).assign(
                predictor=col
            )
        )
        if spec["adjust_for"]:
            a = adjusted_or(data, col, group, positive=positive, covariates=spec["adjust_for"],
                            unit=spec["per"], conf_level=conf)  # fmt: skip
            adjusted.append(a.assign(predictor=col))
    tables["model_validation"] = _stacked(valid, MODEL_VALIDATION_COLUMNS)
    tables["calibration_curve"] = _stacked(curves, CALIBRATION_TABLE_COLUMNS)
    tables["adjusted"] = _stacked(adjusted, ADJUSTED_TABLE_COLUMNS)

    # Sensitivity analysis: the sensitivity groups against the others
    sens = [mann_whitney(data, c, "_responders", conf_level=conf) for c in base_cols]
    tables["sensitivity"] = fdr(_with_marker(sens, markers).assign(between=group))

    tables["dropped_groups"] = frame(dropped, DROPPED_GROUPS_COLUMNS)
    return {name: tables[name] for name in TABLES}
