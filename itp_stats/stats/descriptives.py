"""Descriptive statistics by group and overall: median [IQR], n (%), missing counts.

Numbers only: formatting into "median [IQR]" or "n (%)" strings belongs to the table layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from itp_stats.provenance import uses
from itp_stats.stats._common import frame, group_levels

__all__ = [
    "CATEGORICAL_COLUMNS",
    "CONTINUOUS_COLUMNS",
    "MISSING_COLUMNS",
    "OVERALL",
    "describe_categorical",
    "describe_continuous",
    "missing_summary",
]

OVERALL = "Overall"
"""Label of the all-patients column."""

CONTINUOUS_COLUMNS = [
    "variable", "group", "n", "n_missing", "median", "q1", "q3", "min", "max", "mean", "sd",
]  # fmt: skip
CATEGORICAL_COLUMNS = ["variable", "group", "level", "n", "n_total", "percent", "n_missing"]
MISSING_COLUMNS = ["variable", "group", "n_rows", "n_missing", "percent_missing"]


def _parts(data: pd.DataFrame, group: str | None, groups, overall: bool, variables):
    keep = list(dict.fromkeys([*variables, *([group] if group is not None else [])]))
    data = data[keep]
    parts: list[tuple[Any, pd.DataFrame]] = []
    if group is not None:
        for lab in group_levels(data, group, groups):
            parts.append((lab, data[(data[group] == lab).to_numpy(dtype=bool, na_value=False)]))
    if overall or group is None:
        parts.append((OVERALL, data))
    return parts


@uses(("pandas", "medians and quartiles"))
def describe_continuous(
    data: pd.DataFrame,
    variables: Sequence[str],
    group: str | None = None,
    *,
    groups: Sequence[Any] | None = None,
    overall: bool = True,
    quantile_method: str = "linear",
) -> pd.DataFrame:
    """Median, quartiles and more for numeric variables, by group and overall.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    variables : sequence of str
        Numeric columns.
    group : str, optional
        Grouping column; groups in category order (empty categories included with n = 0).
    groups : sequence, optional
        Groups to report instead of all categories.
    overall : bool
        Add an "Overall" group (all rows, including rows with a missing group).
    quantile_method : str
        ``numpy.quantile`` method; "linear" is R's default type 7 (gtsummary uses type 2,
        ``"averaged_inverted_cdf"``).

    Returns
    -------
    DataFrame
        One row per variable and group: ``variable``, ``group``, ``n`` (non-missing),
        ``n_missing``, ``median``, ``q1``, ``q3``, ``min``, ``max``, ``mean``, ``sd``
        (n − 1 denominator). Statistics are NaN when ``n`` is 0 (and ``sd`` when n < 2).
    """
    rows = []
    parts = _parts(data, group, groups, overall, variables)
    for var in variables:
        for lab, sub in parts:
            v = pd.to_numeric(sub[var], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            ok = v[np.isfinite(v)]
            row: dict[str, Any] = {"variable": var, "group": lab, "n": int(ok.size),
                                   "n_missing": int(v.size - ok.size)}  # fmt: skip
            if ok.size:
                q1, med, q3 = np.quantile(ok, [0.25, 0.5, 0.75], method=quantile_method)
                row.update(median=float(med), q1=float(q1), q3=float(q3), min=float(ok.min()),
                           max=float(ok.max()), mean=float(ok.mean()),
                           sd=float(ok.std(ddof=1)) if ok.size > 1 else np.nan)  # fmt: skip
            rows.append(row)
    return frame(rows, CONTINUOUS_COLUMNS)


@uses(("pandas", "frequencies of categories"))
def describe_categorical(
    data: pd.DataFrame,
    variables: Sequence[str],
    group: str | None = None,
    *,
    groups: Sequence[Any] | None = None,
    overall: bool = True,
) -> pd.DataFrame:
    """Counts and percentages of each level, by group and overall.

    Parameters
    ----------
    data, variables, group, groups, overall : see :func:`describe_continuous`

    Returns
    -------
    DataFrame
        One row per variable, group and level (categories in order, else sorted values;
        booleans as False/True): ``variable``, ``group``, ``level``, ``n``, ``n_total``
        (non-missing in the group: the percentage's denominator), ``percent`` (0–100; NaN
        when ``n_total`` is 0), ``n_missing`` (missing in the group).
    """
    rows = []
    for var in variables:
        col = data[var]
        levels = (
            list(col.cat.categories)
            if isinstance(col.dtype, pd.CategoricalDtype)
            else sorted(col.dropna().unique().tolist(), key=str)
        )
        for lab, sub in _parts(data, group, groups, overall, [var]):
            s = sub[var]
            n_total = int(s.notna().sum())
            counts = s.value_counts(dropna=True)
            for lev in levels:
                k = int(counts.get(lev, 0))
                rows.append({"variable": var, "group": lab, "level": lev, "n": k,
                             "n_total": n_total,
                             "percent": 100 * k / n_total if n_total else np.nan,
                             "n_missing": int(s.isna().sum())})  # fmt: skip
    return frame(rows, CATEGORICAL_COLUMNS)


def missing_summary(
    data: pd.DataFrame,
    variables: Sequence[str],
    group: str | None = None,
    *,
    groups: Sequence[Any] | None = None,
    overall: bool = True,
) -> pd.DataFrame:
    """Missing values per variable, by group and overall.

    Returns
    -------
    DataFrame
        ``variable``, ``group``, ``n_rows`` (patients in the group), ``n_missing``,
        ``percent_missing`` (0–100; NaN for an empty group).
    """
    rows = []
    parts = _parts(data, group, groups, overall, variables)
    for var in variables:
        for lab, sub in parts:
            n_rows = len(sub)
            k = int(sub[var].isna().sum())
            rows.append({"variable": var, "group": lab, "n_rows": n_rows, "n_missing": k,
                         "percent_missing": 100 * k / n_rows if n_rows else np.nan})  # fmt: skip
    return frame(rows, MISSING_COLUMNS)
