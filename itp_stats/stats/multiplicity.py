"""Multiplicity adjustment of p-values: Holm and Benjamini–Hochberg (and Bonferroni).

Adjusted p-values are always reported beside the unadjusted ones, with the method named.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["METHODS", "adjust_pvalues", "p_adjust"]

METHODS = {
    "holm": "Holm",
    "bh": "Benjamini–Hochberg",
    "fdr": "Benjamini–Hochberg",
    "bonferroni": "Bonferroni",
}
"""Accepted ``method`` names (case-insensitive) and their display names."""


def p_adjust(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjust p-values as R ``p.adjust``.

    Parameters
    ----------
    p : array-like of float
        Unadjusted p-values; NaN entries (tests not computed) stay NaN and do not count in
        the family size.
    method : {"holm", "bh", "fdr", "bonferroni"}
        Adjustment; "fdr" is an alias of "bh".

    Returns
    -------
    ndarray
        Adjusted p-values, same shape as ``p``, capped at 1.

    References
    ----------
    Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat
    1979;6:65–70. Benjamini Y, Hochberg Y. Controlling the false discovery rate. JRSS B
    1995;57:289–300.
    """
    key = method.lower()
    if key not in METHODS:
        raise ValueError(f"unknown adjustment method {method!r}; use one of {sorted(METHODS)}")
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    if key == "bonferroni":
        adj = np.minimum(1.0, q * m)
    elif key == "holm":
        o = np.argsort(q, kind="stable")
        adj_sorted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * q[o]))
        adj = np.empty(m)
        adj[o] = adj_sorted
    else:  # Benjamini–Hochberg
        o = np.argsort(q, kind="stable")[::-1]
        i = np.arange(m, 0, -1)
        adj_sorted = np.minimum(1.0, np.minimum.accumulate(m / i * q[o]))
        adj = np.empty(m)
        adj[o] = adj_sorted
    out[ok] = adj
    return out


def adjust_pvalues(
    table: pd.DataFrame,
    *,
    method: str = "holm",
    p_col: str = "p_unc",
    out_col: str = "p_adj",
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Add adjusted p-values to a result table, within each family.

    Parameters
    ----------
    table : DataFrame
        A result table with an unadjusted p-value column.
    method : {"holm", "bh", "fdr", "bonferroni"}
        Adjustment method.
    p_col : str
        Column of unadjusted p-values (NaN for rows not computed).
    out_col : str
        Column to write, e.g. ``"p_adj"`` (Holm within pairwise families) or ``"p_fdr"``
        (Benjamini–Hochberg across the marker family).
    by : str or list of str, optional
        Columns defining families; default: the whole table is one family.

    Returns
    -------
    DataFrame
        A copy of ``table`` with ``out_col`` (adjusted p, NaN where ``p_col`` is NaN) and
        ``{out_col}_method`` (e.g. "Holm, family of 3 tests"; "not adjusted: test not
        computed" for rows without a p-value).

    Notes
    -----
    The family size counts only the computed p-values of the family, as R ``p.adjust``.
    """
    out = table.copy()
    adj = np.full(len(out), np.nan)
    labels = np.empty(len(out), dtype=object)
    groups = (
        [np.arange(len(out))]
        if by is None
        else list(out.reset_index(drop=True).groupby(by, sort=False, dropna=False).indices.values())
    )
    p = pd.to_numeric(out[p_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    name = METHODS[method.lower()] if method.lower() in METHODS else method
    for idx in groups:
        adj[idx] = p_adjust(p[idx], method)
        m = int(np.isfinite(p[idx]).sum())
        labels[idx] = f"{name}, family of {m} test{'s' if m != 1 else ''}"
    labels[~np.isfinite(p)] = "not adjusted: test not computed"
    out[out_col] = adj
    out[f"{out_col}_method"] = labels
    return out
