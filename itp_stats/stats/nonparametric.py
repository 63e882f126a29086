"""Nonparametric tests: Kruskal–Wallis, Mann–Whitney, Dunn, Jonckheere–Terpstra, Wilcoxon.

Long-format signatures (data first, then options), one tidy DataFrame per call, fixed
snake_case columns, no rounding. Choices follow R (``kruskal.test``, ``wilcox.test``) so the
``method`` column can be checked against it. Small or degenerate inputs give a row whose
``method`` is "not computed: <reason>".

pingouin computes the Kruskal–Wallis H and p, where its result is the one the report needs
(equal to R's). The other tests stay the project's own, because pingouin's choice differs
from the report's: its Mann–Whitney and Wilcoxon tests pick the exact or the asymptotic p by
SciPy's rule, not R's (exact below 50 values without ties, tie and continuity corrections
otherwise); it has no Dunn test, no Jonckheere–Terpstra test and no Hodges–Lehmann interval.
pingouin is the tests' second Python reference for U, W, the rank-biserial r and H.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from itp_stats.provenance import record, uses
from itp_stats.stats._common import (
    DEFAULT_SEED,
    frame,
    not_computed,
    small_group_reason,
    split_groups,
)
from itp_stats.stats._ranks import has_ties, jt_distribution, midranks
from itp_stats.stats.effsize import (
    RBS_DELONG_METHOD,
    _epsilon_with_ci,
    fisher_z_ci,
    mann_whitney_u,
    paired_differences,
    paired_reason,
    rank_biserial_value,
    signed_rank_core,
    two_sample_core,
)
from itp_stats.stats.multiplicity import METHODS, p_adjust

__all__ = [
    "DUNN_COLUMNS",
    "JT_COLUMNS",
    "KRUSKAL_COLUMNS",
    "MANN_WHITNEY_COLUMNS",
    "WILCOXON_COLUMNS",
    "dunn",
    "jonckheere",
    "kruskal",
    "mann_whitney",
    "wilcoxon",
]

KRUSKAL_COLUMNS = [
    "test", "dv", "between", "n", "n_groups", "n_missing", "statistic", "df", "p_unc",
    "method", "effect", "effect_type", "ci_low", "ci_high", "conf_level", "effect_method",
    "note",
]  # fmt: skip
MANN_WHITNEY_COLUMNS = [
    "test", "dv", "between", "group1", "group2", "n1", "n2", "n", "n_missing", "statistic",
    "z", "p_unc", "method", "effect", "effect_type", "ci_low", "ci_high", "conf_level",
    "effect_method", "hl_estimate", "hl_ci_low", "hl_ci_high", "hl_conf_level", "hl_method",
    "note",
]  # fmt: skip
DUNN_COLUMNS = [
    "test", "dv", "between", "group1", "group2", "n1", "n2", "statistic", "p_unc", "p_adj",
    "adjust", "method", "effect", "effect_type", "ci_low", "ci_high", "conf_level",
    "effect_method", "note",
]  # fmt: skip
JT_COLUMNS = [
    "test", "dv", "between", "order", "n", "n_missing", "statistic", "expected", "variance",
    "z", "p_unc", "method", "note",
]  # fmt: skip
WILCOXON_COLUMNS = [
    "test", "dv", "before", "after", "group", "n", "n_missing", "n_zero", "statistic", "z",
    "p_unc", "method", "effect", "effect_type", "ci_low", "ci_high", "conf_level",
    "effect_method", "hl_estimate", "hl_ci_low", "hl_ci_high", "hl_conf_level", "hl_method",
    "note",
]  # fmt: skip
JT_EXACT_MAX_N = 100
"""Largest total n for the exact Jonckheere–Terpstra distribution by default (clinfun)."""
DUNN_EFFECT_METHOD = (
    "rank-biserial r of the two groups alone = 2U/(n1·n2) − 1; Fisher-z CI (SE under H0)"
)
"""``effect_method`` of the Dunn pairs: their r keeps the Fisher-z interval of
``effectsize::rank_biserial``."""


@uses(("scipy", "the ε² interval (noncentral F)"))
def kruskal(
    data: pd.DataFrame,
    dv: str,
    between: str,
    *,
    groups: Sequence[Any] | None = None,
    conf_level: float = 0.95,
    ci_method: str = "noncentral_f",
    n_boot: int = 2000,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Kruskal–Wallis test with ε² and its one-sided CI.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per patient.
    dv : str
        Numeric column.
    between : str
        Grouping column.
    groups : sequence, optional
        Groups to compare, in order; default: the categories of ``between`` (unused
        categories included, so an empty group is reported) or its sorted values.
    conf_level : float
        Level of the ε² interval.
    ci_method : {"noncentral_f", "percentile_bootstrap"}
        Interval of ε² (see :func:`itp_stats.stats.effsize.epsilon_squared`); default the
        one-sided noncentral-F interval, which can contain 0.
    n_boot : int
        Bootstrap resamples of the "percentile_bootstrap" interval (0: none); not used by
        "noncentral_f".
    seed : int
        Seed of ``numpy.random.default_rng`` (bootstrap only).

    Returns
    -------
    DataFrame
        One row: ``test`` ("kruskal_wallis"), ``dv``, ``between``, ``n`` (values used),
        ``n_groups``, ``n_missing`` (rows dropped for a missing value or group),
        ``statistic`` (tie-corrected H), ``df``, ``p_unc`` (chi-square approximation),
        ``method``, ``effect`` (ε²), ``effect_type`` ("epsilon_squared"), ``ci_low``,
        ``ci_high`` (1: the default interval is one-sided, [ci_low, 1]), ``conf_level``,
        ``effect_method`` (how the interval was obtained, "one-sided" when it is), ``note``.

    Notes
    -----
    As R ``kruskal.test``: H with tie correction, p from the chi-square distribution with
    k − 1 df. ε² and its CI: see :func:`itp_stats.stats.effsize.epsilon_squared`. Not computed when
    a group has fewer than 3 values, all values are tied or missing, or fewer than two
    groups are given.

    References
    ----------
    Kruskal WH, Wallis WA. Use of ranks in one-criterion variance analysis. JASA
    1952;47:583–621.
    """
    labels, samples, n_missing = split_groups(data, dv, between, groups)
    row: dict[str, Any] = {
        "test": "kruskal_wallis",
        "dv": dv,
        "between": between,
        "n": int(sum(len(s) for s in samples)),
        "n_groups": len(labels),
        "n_missing": n_missing,
        "effect_type": "epsilon_squared",
        "conf_level": conf_level,
        "note": "",
    }
    reason = small_group_reason(labels, samples)
    if reason:
        row.update(method=not_computed(reason), effect_method=not_computed(reason), note=reason)
        return frame([row], KRUSKAL_COLUMNS)
    h, p = _pingouin_kruskal(samples)
    df = len(labels) - 1
    row.update(
        statistic=h,
        df=df,
        p_unc=p,
        method="Kruskal–Wallis, chi-square approximation, tie-corrected",
    )
    eff = _epsilon_with_ci(samples, conf_level, ci_method, n_boot, np.random.default_rng(seed))
    row.update(effect=eff["effect"], ci_low=eff["ci_low"], ci_high=eff["ci_high"])
    row["effect_method"] = eff["method"]
    row["note"] = eff.get("note", "")
    return frame([row], KRUSKAL_COLUMNS)


def _pingouin_kruskal(samples: Sequence[np.ndarray]) -> tuple[float, float]:
    """Tie-corrected H and its chi-square p from ``pingouin.kruskal`` (equal to R
    ``kruskal.test`` and to :func:`~itp_stats.stats.effsize.kruskal_h`, which the ε²
    bootstrap uses on its resamples)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pingouin's import-time notices
        import pingouin

    codes = np.repeat(np.arange(len(samples)), [len(s) for s in samples])
    long = pd.DataFrame({"value": np.concatenate(samples), "group": codes})
    res = pingouin.kruskal(long, dv="value", between="group").iloc[0]
    record("pingouin", "Kruskal–Wallis H and p")
    return float(res["H"]), float(res["p_unc"])


@uses(("scipy", "Mann–Whitney p (normal distribution)"))
def mann_whitney(
    data: pd.DataFrame,
    dv: str,
    between: str,
    *,
    groups: Sequence[Any] | None = None,
    conf_level: float = 0.95,
    correct: bool = True,
) -> pd.DataFrame:
    """Mann–Whitney (Wilcoxon rank-sum) test with rank-biserial r and Hodges–Lehmann shift.

    Parameters
    ----------
    data, dv, between : see :func:`kruskal`
    groups : sequence of two labels, optional
        (group1, group2); default: the two categories (or values) of ``between``.
    conf_level : float
        Requested level of both intervals.
    correct : bool
        Continuity correction of the normal approximation (R's ``correct``).

    Returns
    -------
    DataFrame
        One row: ``test`` ("mann_whitney"), ``dv``, ``between``, ``group1``, ``group2``,
        ``n1``, ``n2``, ``n``, ``n_missing``, ``statistic`` (W = U of group1, as R),
        ``z`` (NaN when exact), ``p_unc`` (two-sided), ``method`` ("exact" or the normal
        approximation used), ``effect`` (rank-biserial r = 2·AUC − 1, > 0 when group1 is
        larger), ``effect_type``, ``ci_low``, ``ci_high`` (2·(DeLong CI of the AUC) − 1),
        ``conf_level`` (level of the r interval), ``effect_method``, ``hl_estimate`` (median
        of the group1 − group2 differences), ``hl_ci_low``, ``hl_ci_high`` (±inf where
        unbounded), ``hl_conf_level`` (the level the HL interval has: ``conf_level``, or the
        lower attained level when the requested one is not attainable), ``hl_method``,
        ``note`` (why the HL level was lowered; a degenerate r interval).

    Notes
    -----
    As R ``wilcox.test(x, y, conf.int = TRUE)``: exact p and exact HL interval when both
    groups have fewer than 50 values and no value is tied; otherwise the normal approximation
    with tie correction and (by default) continuity correction, and the asymptotic HL
    interval. Two-sided. See :func:`itp_stats.stats.effsize.hodges_lehmann` for the HL
    details, the attained level included, and :func:`itp_stats.stats.effsize.rank_biserial`
    for the r interval, which is the DeLong interval of the AUC of the same contrast (as
    :func:`itp_stats.stats.prediction.roc_auc`).

    References
    ----------
    Mann HB, Whitney DR. Ann Math Stat 1947;18:50–60. Hollander M, Wolfe DA, Chicken E.
    Nonparametric Statistical Methods, 3rd ed. Wiley 2014.
    """
    labels, samples, n_missing = split_groups(data, dv, between, groups)
    row: dict[str, Any] = {
        "test": "mann_whitney",
        "dv": dv,
        "between": between,
        "group1": labels[0] if labels else None,
        "group2": labels[1] if len(labels) > 1 else None,
        "n1": len(samples[0]) if samples else 0,
        "n2": len(samples[1]) if len(samples) > 1 else 0,
        "n": int(sum(len(s) for s in samples)),
        "n_missing": n_missing,
        "effect_type": "rank_biserial",
        "conf_level": conf_level,
        "note": "",
    }
    reason = (
        f"needs exactly two groups, got {len(labels)}"
        if len(labels) != 2
        else small_group_reason(labels, samples)
    )
    if reason:
        nc = not_computed(reason)
        row.update(method=nc, effect_method=nc, hl_method=nc, note=reason,
                   hl_conf_level=conf_level)  # fmt: skip
        return frame([row], MANN_WHITNEY_COLUMNS)
    core = two_sample_core(samples[0], samples[1], conf_level=conf_level, correct=correct)
    ci = core["hl_ci"]
    row.update(
        statistic=core["u"],
        z=core["z"],
        p_unc=core["p"],
        method=f"Wilcoxon rank-sum (Mann–Whitney), {core['p_method']}",
        effect=core["rbs"],
        ci_low=core["rbs_ci"][0],
        ci_high=core["rbs_ci"][1],
        effect_method=RBS_DELONG_METHOD,
        hl_estimate=core["hl"],
        hl_ci_low=ci.low,
        hl_ci_high=ci.high,
        hl_conf_level=ci.level,
        hl_method=core["hl_method"],
        note="; ".join(t for t in (ci.reason, core["rbs_note"]) if t),
    )
    return frame([row], MANN_WHITNEY_COLUMNS)


@uses(("scipy", "Dunn p (normal distribution)"))
def dunn(
    data: pd.DataFrame,
    dv: str,
    between: str,
    *,
    groups: Sequence[Any] | None = None,
    adjust: str = "holm",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Dunn's pairwise comparisons of mean ranks after Kruskal–Wallis.

    Parameters
    ----------
    data, dv, between, groups : see :func:`kruskal`
    adjust : {"holm", "bh", "bonferroni"}
        Adjustment across the pairs of this ``dv`` (one family).
    conf_level : float
        Level of the rank-biserial CI of each pair.

    Returns
    -------
    DataFrame
        One row per pair (in group order): ``test`` ("dunn"), ``dv``, ``between``,
        ``group1``, ``group2``, ``n1``, ``n2``, ``statistic`` (z = (mean rank of group1 −
        mean rank of group2) / SE), ``p_unc`` (two-sided), ``p_adj``, ``adjust``,
        ``method``, ``effect`` (rank-biserial r of the two groups alone), ``effect_type``,
        ``ci_low``, ``ci_high`` (Fisher-z), ``conf_level``, ``effect_method`` (that interval's
        method), ``note``.

    Notes
    -----
    Ranks are those of the pooled sample of all groups; SE² = (N(N+1)/12 −
    Σ(t³ − t)/(12(N − 1)))·(1/n_i + 1/n_j), the tie correction of R ``dunn.test``,
    ``FSA::dunnTest`` and ``scikit_posthocs.posthoc_dunn``. p-values are two-sided (as FSA and
    scikit-posthocs; ``dunn.test`` prints one-sided p = P(Z ≥ |z|) unless ``altp = TRUE``).
    If the omnibus conditions fail (a group with fewer than 3 values, all tied, ...) every
    pair is "not computed".

    References
    ----------
    Dunn OJ. Multiple comparisons using rank sums. Technometrics 1964;6:241–252.
    """
    labels, samples, _ = split_groups(data, dv, between, groups)
    pairs = [(i, j) for i in range(len(labels)) for j in range(i + 1, len(labels))]
    reason = small_group_reason(labels, samples)
    adj_name = METHODS.get(adjust.lower(), adjust)
    rows = []
    if reason or not pairs:
        reason = reason or "fewer than two groups"
        for i, j in pairs or [(0, 0)]:
            rows.append({
                "test": "dunn", "dv": dv, "between": between,
                "group1": labels[i] if labels else None,
                "group2": labels[j] if len(labels) > 1 else None,
                "n1": len(samples[i]) if samples else 0,
                "n2": len(samples[j]) if samples else 0,
                "adjust": adj_name, "method": not_computed(reason),
                "effect_type": "rank_biserial", "conf_level": conf_level,
                "effect_method": not_computed(reason), "note": reason,
            })  # fmt: skip
        return frame(rows, DUNN_COLUMNS)
    pooled = np.concatenate(samples)
    ranks = midranks(pooled)[0]
    bounds = np.cumsum([0] + [len(s) for s in samples])
    mean_ranks = [ranks[bounds[g] : bounds[g + 1]].mean() for g in range(len(samples))]
    n = pooled.size
    _, t = np.unique(pooled, return_counts=True)
    t = t.astype(float)
    var0 = n * (n + 1) / 12 - np.sum(t**3 - t) / (12 * (n - 1))
    for i, j in pairs:
        x, y = samples[i], samples[j]
        z = (mean_ranks[i] - mean_ranks[j]) / np.sqrt(var0 * (1 / x.size + 1 / y.size))
        r = rank_biserial_value(mann_whitney_u(x, y), x.size, y.size)
        lo, hi = fisher_z_ci(r, np.sqrt((x.size + y.size + 1) / (3 * x.size * y.size)), conf_level)
        rows.append({
            "test": "dunn", "dv": dv, "between": between, "group1": labels[i],
            "group2": labels[j], "n1": x.size, "n2": y.size, "statistic": float(z),
            "p_unc": float(2 * stats.norm.sf(abs(z))), "adjust": adj_name,
            "method": "Dunn's z on pooled mid-ranks, tie-corrected, two-sided",
            "effect": r, "effect_type": "rank_biserial", "ci_low": lo, "ci_high": hi,
            "conf_level": conf_level, "effect_method": DUNN_EFFECT_METHOD, "note": "",
        })  # fmt: skip
    out = frame(rows, DUNN_COLUMNS)
    out["p_adj"] = p_adjust(out["p_unc"].to_numpy(dtype=float), adjust)
    return out


@uses(("scipy", "Jonckheere–Terpstra p (normal distribution)"))
def jonckheere(
    data: pd.DataFrame,
    dv: str,
    between: str,
    *,
    groups: Sequence[Any] | None = None,
    exact: bool | None = None,
) -> pd.DataFrame:
    """Jonckheere–Terpstra test for a monotone trend across ordered groups.

    Parameters
    ----------
    data, dv, between : see :func:`kruskal`
    groups : sequence, optional
        The ordered groups; default: the (ordered) categories of ``between``, e.g. CR, PR,
        NR.
    exact : bool, optional
        Exact null distribution; default: exact unless the total n > 100 or there are ties
        (as ``clinfun::jonckheere.test``: exact at n ≤ 100 without ties), normal
        approximation otherwise. With ties the exact distribution is not available and the
        normal approximation is used.

    Returns
    -------
    DataFrame
        One row: ``test`` ("jonckheere_terpstra"), ``dv``, ``between``, ``order`` (e.g.
        "CR < PR < NR": the alternative of a large statistic), ``n``, ``n_missing``,
        ``statistic`` (J = Σ over ordered pairs of groups i < j of #{x_i < x_j} + ½ #ties),
        ``expected`` (E[J] under H0), ``variance`` (tie-corrected Var[J]), ``z``,
        ``p_unc`` (two-sided), ``method``, ``note``.

    Notes
    -----
    Default branch as ``clinfun::jonckheere.test``: exact when n ≤ 100 (:data:`JT_EXACT_MAX_N`)
    and no value is tied, so n = 100 is exact and n = 101 normal. Exact distribution: the
    q-multinomial generating function (the convolution of Mann–Whitney distributions of each
    group against the groups before it); two-sided
    p = min(1, 2·min(P(J ≤ j), P(J ≥ j))). Normal approximation: z = (J − E)/√V without
    continuity correction, V with the tie correction of Hollander & Wolfe (2014, §6.2).

    References
    ----------
    Jonckheere AR. Biometrika 1954;41:133–145. Terpstra TJ. Indag Math 1952;14:327–333.
    """
    labels, samples, n_missing = split_groups(data, dv, between, groups)
    row: dict[str, Any] = {
        "test": "jonckheere_terpstra",
        "dv": dv,
        "between": between,
        "order": " < ".join(str(lab) for lab in labels),
        "n": int(sum(len(s) for s in samples)),
        "n_missing": n_missing,
        "note": "",
    }
    reason = small_group_reason(labels, samples)
    if reason:
        row.update(method=not_computed(reason), note=reason)
        return frame([row], JT_COLUMNS)
    sizes = np.array([len(s) for s in samples], dtype=float)
    j_stat = 0.0
    for i in range(len(samples)):
        for k in range(i + 1, len(samples)):
            j_stat += mann_whitney_u(samples[k], samples[i])
    pooled = np.concatenate(samples)
    n = pooled.size
    _, t = np.unique(pooled, return_counts=True)
    t = t.astype(float)
    expected = (n**2 - np.sum(sizes**2)) / 4
    variance = (
        (n * (n - 1) * (2 * n + 5)
         - np.sum(sizes * (sizes - 1) * (2 * sizes + 5))
         - np.sum(t * (t - 1) * (2 * t + 5))) / 72
        + np.sum(sizes * (sizes - 1) * (sizes - 2)) * np.sum(t * (t - 1) * (t - 2))
        / (36 * n * (n - 1) * (n - 2))
        + np.sum(sizes * (sizes - 1)) * np.sum(t * (t - 1)) / (8 * n * (n - 1))
    )  # fmt: skip
    z = (j_stat - expected) / np.sqrt(variance)
    ties = has_ties(pooled)
    use_exact = (n <= JT_EXACT_MAX_N and not ties) if exact is None else (exact and not ties)
    row.update(statistic=j_stat, expected=expected, variance=variance, z=float(z))
    if use_exact:
        dist = jt_distribution([len(s) for s in samples])
        jj = round(j_stat)
        p = min(1.0, 2 * min(dist[: jj + 1].sum(), dist[jj:].sum()))
        row.update(p_unc=float(p), method="Jonckheere–Terpstra, exact")
    else:
        row.update(
            p_unc=float(2 * stats.norm.sf(abs(z))),
            method="Jonckheere–Terpstra, normal approximation"
            + (", tie-corrected variance" if ties else "")
            + ", no continuity correction",
        )
        if exact and ties:
            row["note"] = "exact distribution not available with ties"
    return frame([row], JT_COLUMNS)


@uses(("scipy", "Wilcoxon signed-rank p (normal distribution)"))
def wilcoxon(
    data: pd.DataFrame,
    before: str,
    after: str,
    *,
    by: str | None = None,
    groups: Sequence[Any] | None = None,
    dv: str | None = None,
    conf_level: float = 0.95,
    correct: bool = True,
) -> pd.DataFrame:
    """Wilcoxon signed-rank test of ``after − before`` (e.g. m6 − m0), per group.

    Parameters
    ----------
    data : DataFrame
        Wide data, one row per patient.
    before, after : str
        Columns of the two time points.
    by : str, optional
        Grouping column; one row per group (in category order). Default: one row, all rows.
    groups : sequence, optional
        Groups of ``by`` to report; default its categories (or sorted values).
    dv : str, optional
        Label of the variable in the output (default "after - before").
    conf_level : float
        Level of the intervals.
    correct : bool
        Continuity correction of the normal approximation.

    Returns
    -------
    DataFrame
        One row per group: ``test`` ("wilcoxon_signed_rank"), ``dv``, ``before``, ``after``,
        ``group`` ("all" without ``by``), ``n`` (complete pairs), ``n_missing`` (incomplete
        pairs), ``n_zero`` (zero differences, dropped), ``statistic`` (V = sum of the ranks of
        the positive differences, as R ``wilcox.test(after, before, paired = TRUE)``), ``z``
        (NaN when exact), ``p_unc`` (two-sided), ``method``, ``effect`` (matched-pairs
        rank-biserial r), ``effect_type``, ``ci_low``, ``ci_high`` (Fisher-z),
        ``conf_level`` (level of the r interval), ``effect_method``, ``hl_estimate``
        (pseudo-median: median of the Walsh averages of the non-zero differences),
        ``hl_ci_low``, ``hl_ci_high`` (±inf where unbounded), ``hl_conf_level`` (the level the
        HL interval has: ``conf_level``, or the lower attained level when the requested one
        is not attainable), ``hl_method``, ``note`` (why the HL level was lowered).

    Notes
    -----
    As R: zero differences are dropped; exact when fewer than 50 non-zero differences with no
    ties and no zeros, otherwise normal approximation with tie and continuity corrections.
    Not computed with fewer than 3 complete pairs or 3 non-zero differences. With few
    non-zero differences the requested HL level cannot be reached; the attained level is
    reported as R does (see :func:`itp_stats.stats.effsize.hodges_lehmann_paired`).

    References
    ----------
    Wilcoxon F. Individual comparisons by ranking methods. Biometrics Bull 1945;1:80–83.
    """
    label = dv or f"{after} - {before}"
    data = data[[before, after] + ([by] if by is not None else [])]
    if by is None:
        parts = [("all", data)]
    else:
        levels = groups if groups is not None else (
            list(data[by].cat.categories)
            if isinstance(data[by].dtype, pd.CategoricalDtype)
            else sorted(data[by].dropna().unique().tolist())
        )  # fmt: skip
        parts = [(lev, data[(data[by] == lev).to_numpy(dtype=bool, na_value=False)])
                 for lev in levels]  # fmt: skip
    rows = []
    for lev, sub in parts:
        d, n_missing = paired_differences(sub, before, after)
        row: dict[str, Any] = {
            "test": "wilcoxon_signed_rank", "dv": label, "before": before, "after": after,
            "group": lev, "n": int(d.size), "n_missing": n_missing,
            "n_zero": int(np.sum(d == 0)), "effect_type": "matched_pairs_rank_biserial",
            "conf_level": conf_level, "note": "",
        }  # fmt: skip
        reason = paired_reason(d)
        if reason:
            nc = not_computed(reason)
            row.update(method=nc, effect_method=nc, hl_method=nc, note=reason,
                       hl_conf_level=conf_level)  # fmt: skip
            rows.append(row)
            continue
        core = signed_rank_core(d, conf_level=conf_level, correct=correct)
        ci = core["hl_ci"]
        row.update(
            statistic=core["v"],
            z=core["z"],
            p_unc=core["p"],
            method=f"Wilcoxon signed-rank, {core['p_method']}",
            effect=core["rbs"],
            ci_low=core["rbs_ci"][0],
            ci_high=core["rbs_ci"][1],
            effect_method="matched-pairs rank-biserial; Fisher-z CI (SE under H0)",
            hl_estimate=core["hl"],
            hl_ci_low=ci.low,
            hl_ci_high=ci.high,
            hl_conf_level=ci.level,
            hl_method=core["hl_method"],
            note=ci.reason,
        )
        rows.append(row)
    return frame(rows, WILCOXON_COLUMNS)
