"""Tests for categorical variables by group: Fisher's exact test (2×2 and r×c) and chi-square.

The r×c Fisher test enumerates every table with the observed margins (vectorised, with the
states of equal remaining margins and equal partial probability merged, the idea of the
network algorithm of Mehta & Patel), so its p-value is exact, as R ``fisher.test``. The
choice between chi-square and Fisher follows gtsummary: chi-square (no continuity
correction) only when every expected count is at least 5.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import gammaln

from itp_stats.provenance import uses
from itp_stats.stats._common import DEFAULT_SEED, MIN_GROUP_SIZE, frame, group_levels, not_computed

__all__ = [
    "CONTINGENCY_COLUMNS",
    "categorical_test",
    "chi_square",
    "fisher_exact",
    "fisher_exact_pvalue",
]

CONTINGENCY_COLUMNS = [
    "test", "variable", "between", "n", "n_missing", "n_levels", "n_groups", "statistic",
    "df", "p_unc", "method", "effect", "effect_type", "ci_low", "ci_high", "conf_level",
    "min_expected", "note",
]  # fmt: skip
"""Columns of every table returned by this module."""

MAX_ENUMERATION = 30_000_000
"""Above this many partial tables in one step, the r×c Fisher p-value is Monte Carlo."""
_REL_ERR = 1 + 1e-7  # R fisher.test: tables with P <= P_obs * (1 + 1e-7) count as extreme


def _compositions(total: int, parts: int) -> np.ndarray:
    """All non-negative integer vectors of length ``parts`` summing to ``total``."""
    if parts == 1:
        return np.array([[total]], dtype=np.int64)
    out = []
    for first in range(total + 1):
        rest = _compositions(total - first, parts - 1)
        out.append(np.column_stack([np.full(len(rest), first), rest]))
    return np.vstack(out)


def fisher_exact_pvalue(table: np.ndarray) -> tuple[float, str]:
    """Two-sided Fisher exact p-value of an r×c table of counts, and how it was computed.

    Parameters
    ----------
    table : array of int, shape (r, c)

    Returns
    -------
    p : float
        Sum of the probabilities (hypergeometric, margins fixed) of all tables no more likely
        than the observed one (relative tolerance 1e-7, as R).
    method : str
        "exact (full enumeration)" or, when the enumeration exceeds
        :data:`MAX_ENUMERATION` partial tables, "Monte Carlo (…)".
    """
    t = np.asarray(table, dtype=np.int64)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if t.ndim != 2 or min(t.shape) < 2:
        return 1.0, "exact (degenerate table)"
    if t.shape[0] > t.shape[1]:
        t = t.T
    rows = t.sum(axis=1)
    cols = t.sum(axis=0)
    n = int(t.sum())
    const = gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(n + 1)
    log_obs = const - gammaln(t + 1).sum()
    threshold = log_obs + np.log(_REL_ERR)
    # column order: process big columns first so that the state space shrinks quickly
    cols = np.sort(cols)[::-1]
    states = np.sort(rows)[None, :]
    past = np.zeros(1)
    weight = np.ones(1)
    for c in cols[:-1]:
        comp = _compositions(int(c), t.shape[0])
        if states.shape[0] * comp.shape[0] > MAX_ENUMERATION:
            return _fisher_monte_carlo(np.asarray(table)), "Monte Carlo"
        valid = np.all(comp[None, :, :] <= states[:, None, :], axis=2)
        si, ci = np.nonzero(valid)
        new_states = np.sort(states[si] - comp[ci], axis=1)
        new_past = past[si] - gammaln(comp[ci] + 1).sum(axis=1)
        key = np.column_stack([new_states, np.round(new_past * 1e8).astype(np.int64)])
        uniq, inv = np.unique(key, axis=0, return_inverse=True)
        inv = inv.ravel()
        w = weight[si]
        weight = np.bincount(inv, weights=w)
        past = np.bincount(inv, weights=new_past * w) / weight
        states = uniq[:, :-1]
    log_p = const + past - gammaln(states + 1).sum(axis=1)
    extreme = log_p <= threshold
    p = float(np.sum(weight[extreme] * np.exp(log_p[extreme])))
    return min(1.0, p), "exact (full enumeration)"


def _fisher_monte_carlo(table: np.ndarray, n_resamples: int = 100_000) -> float:
    res = stats.fisher_exact(
        table,
        method=stats.MonteCarloMethod(
            n_resamples=n_resamples, rng=np.random.default_rng(DEFAULT_SEED)
        ),
    )
    return float(res.pvalue)


def _crosstab(data: pd.DataFrame, variable: str, between: str, groups):
    labels = group_levels(data, between, groups)
    col = data[variable]
    levels = (
        list(col.cat.categories)
        if isinstance(col.dtype, pd.CategoricalDtype)
        else sorted(col.dropna().unique().tolist(), key=str)
    )
    grp = data[between]
    in_groups = grp.isin(labels).to_numpy(dtype=bool, na_value=False)
    ok = in_groups & col.notna().to_numpy(dtype=bool)
    n_missing = int((~ok).sum()) if groups is None else int((in_groups & ~ok).sum())
    table = np.zeros((len(levels), len(labels)), dtype=np.int64)
    vals = col[ok].to_numpy()
    gvals = grp[ok].to_numpy()
    for i, lev in enumerate(levels):
        for j, g in enumerate(labels):
            table[i, j] = int(np.sum((vals == lev) & (gvals == g)))
    return levels, labels, table, n_missing


def _reason(levels, labels, table) -> str | None:
    if len(labels) < 2:
        return "fewer than two groups"
    if table.sum() == 0:
        return "all values missing"
    small = [f"{g} (n={int(s)})" for g, s in zip(labels, table.sum(axis=0), strict=True)
             if s < MIN_GROUP_SIZE]  # fmt: skip
    if small:
        return f"fewer than {MIN_GROUP_SIZE} values in group " + ", ".join(small)
    if np.sum(table.sum(axis=1) > 0) < 2:
        return "only one level observed"
    return None


def _expected(table: np.ndarray) -> np.ndarray:
    t = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0].astype(float)
    return np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()


def _base_row(test, variable, between, levels, labels, table, n_missing, conf_level):
    return {
        "test": test,
        "variable": variable,
        "between": between,
        "n": int(table.sum()),
        "n_missing": n_missing,
        "n_levels": int(np.sum(table.sum(axis=1) > 0)),
        "n_groups": len(labels),
        "conf_level": conf_level,
        "min_expected": float(_expected(table).min()) if table.sum() else np.nan,
        "note": "",
    }


def _cramers_v(table: np.ndarray) -> float:
    t = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    chi2 = stats.chi2_contingency(t, correction=False).statistic
    return float(np.sqrt(chi2 / (t.sum() * (min(t.shape) - 1))))


@uses(("scipy", "Fisher's exact test"))
def fisher_exact(
    data: pd.DataFrame,
    variable: str,
    between: str,
    *,
    groups: Sequence[Any] | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Fisher's exact test of ``variable`` × ``between`` (2×2 or r×c).

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    variable : str
        Categorical column (levels: categories, else sorted values).
    between : str
        Grouping column.
    groups : sequence, optional
        Groups to compare; default the categories of ``between`` (or its sorted values).
    conf_level : float
        Level of the odds-ratio CI (2×2 tables).

    Returns
    -------
    DataFrame
        One row with :data:`CONTINGENCY_COLUMNS`: ``test`` ("fisher_exact"), ``variable``,
        ``between``, ``n``, ``n_missing``, ``n_levels`` (observed), ``n_groups``,
        ``statistic`` (probability of the observed table under H0), ``df`` (NaN: none),
        ``p_unc`` (two-sided), ``method``, ``effect`` (2×2: conditional MLE odds ratio of
        the first level, group1 vs group2, with its exact CI as R ``fisher.test``; r×c:
        Cramér's V without CI), ``effect_type``, ``ci_low``, ``ci_high``, ``conf_level``,
        ``min_expected``, ``note``.

    Notes
    -----
    Unused levels of the variable are dropped; a group with fewer than 3 values, a single
    observed level, or fewer than two groups give a "not computed" row.

    References
    ----------
    Mehta CR, Patel NR. A network algorithm for performing Fisher's exact test in r×c
    contingency tables. JASA 1983;78:427–434.
    """
    levels, labels, table, n_missing = _crosstab(data, variable, between, groups)
    row = _base_row("fisher_exact", variable, between, levels, labels, table, n_missing,
                    conf_level)  # fmt: skip
    reason = _reason(levels, labels, table)
    if reason:
        row.update(method=not_computed(reason), note=reason)
        return frame([row], CONTINGENCY_COLUMNS)
    return frame([_fisher_fill(row, table, conf_level)], CONTINGENCY_COLUMNS)


def _fisher_fill(row: dict, table: np.ndarray, conf_level: float) -> dict:
    t = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    p, how = fisher_exact_pvalue(t)
    rows, cols, n = t.sum(axis=1), t.sum(axis=0), t.sum()
    log_obs = gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(n + 1)
    row.update(statistic=float(np.exp(log_obs - gammaln(t + 1).sum())), p_unc=p)
    row["method"] = f"Fisher's exact test, {how}"
    if t.shape == (2, 2):
        res = stats.contingency.odds_ratio(t, kind="conditional")
        ci = res.confidence_interval(confidence_level=conf_level)
        row.update(effect=float(res.statistic), effect_type="odds_ratio",
                   ci_low=float(ci.low), ci_high=float(ci.high))  # fmt: skip
    else:
        row.update(effect=_cramers_v(t), effect_type="cramers_v")
        row["note"] = "no CI for Cramér's V"
    return row


@uses(("scipy", "chi-square test"))
def chi_square(
    data: pd.DataFrame,
    variable: str,
    between: str,
    *,
    groups: Sequence[Any] | None = None,
    correct: bool = False,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Pearson's chi-square test of independence of ``variable`` × ``between``.

    Parameters
    ----------
    data, variable, between, groups, conf_level : see :func:`fisher_exact`
    correct : bool
        Yates continuity correction on 2×2 tables (default False, as gtsummary's
        "chisq.test.no.correct").

    Returns
    -------
    DataFrame
        One row with :data:`CONTINGENCY_COLUMNS`; ``test`` = "chi_square", ``statistic`` =
        X², ``df``, ``effect`` = Cramér's V (uncorrected X²), ``ci_low``/``ci_high`` NaN
        (stated in ``note``).

    Notes
    -----
    As R ``chisq.test(table, correct = correct)``. No check of the expected counts here; see
    :func:`categorical_test` for the rule choosing between chi-square and Fisher.
    """
    levels, labels, table, n_missing = _crosstab(data, variable, between, groups)
    row = _base_row("chi_square", variable, between, levels, labels, table, n_missing,
                    conf_level)  # fmt: skip
    reason = _reason(levels, labels, table)
    if reason:
        row.update(method=not_computed(reason), note=reason)
        return frame([row], CONTINGENCY_COLUMNS)
    return frame([_chi_fill(row, table, correct)], CONTINGENCY_COLUMNS)


def _chi_fill(row: dict, table: np.ndarray, correct: bool) -> dict:
    t = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    res = stats.chi2_contingency(t, correction=correct)
    yates = correct and t.shape == (2, 2)
    row.update(
        statistic=float(res.statistic),
        df=int(res.dof),
        p_unc=float(res.pvalue),
        method="Pearson's chi-square test"
        + (", Yates continuity correction" if yates else ", no continuity correction"),
        effect=_cramers_v(t),
        effect_type="cramers_v",
        note="no CI for Cramér's V",
    )
    return row


def categorical_test(
    data: pd.DataFrame,
    variable: str,
    between: str,
    *,
    groups: Sequence[Any] | None = None,
    min_expected: float = 5.0,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Chi-square where every expected count is ≥ ``min_expected``, Fisher's exact otherwise.

    Parameters
    ----------
    data, variable, between, groups, conf_level : see :func:`fisher_exact`
    min_expected : float
        Smallest expected count allowing chi-square (gtsummary's rule: 5).

    Returns
    -------
    DataFrame
        One row with :data:`CONTINGENCY_COLUMNS` (from :func:`chi_square` without continuity
        correction or from :func:`fisher_exact`); ``method`` names the test and why it was
        chosen.
    """
    levels, labels, table, n_missing = _crosstab(data, variable, between, groups)
    reason = _reason(levels, labels, table)
    if reason:
        return fisher_exact(data, variable, between, groups=groups, conf_level=conf_level)
    smallest = float(_expected(table).min())
    if smallest >= min_expected:
        row = _base_row("chi_square", variable, between, levels, labels, table, n_missing,
                        conf_level)  # fmt: skip
        row = _chi_fill(row, table, correct=False)
        row["method"] += f" (all expected counts ≥ {min_expected:g})"
    else:
        row = _base_row("fisher_exact", variable, between, levels, labels, table, n_missing,
                        conf_level)  # fmt: skip
        row = _fisher_fill(row, table, conf_level)
        row["method"] += f" (an expected count < {min_expected:g})"
    return frame([row], CONTINGENCY_COLUMNS)
