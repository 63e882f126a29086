"""Rank-based effect sizes with confidence intervals.

* ε² (epsilon squared) of the Kruskal–Wallis test, H/(n − 1), which is exactly the η² of the
  one-way ANOVA on the mid-ranks, with a one-sided interval [lower, 1] from the noncentral F
  distribution of that ANOVA (Steiger 2004; one-sided as R effectsize reports η² and ε²), so
  the interval contains 0 when the data are compatible with no effect; a
  seeded, stratified percentile bootstrap (vectorised, no Python loop over resamples or
  patients) remains available on request;
* rank-biserial correlation: two-sample r = 2·AUC − 1 with the DeLong interval of that AUC
  (the interval ``pROC`` gives the AUC of the same contrast, so both agree), matched-pairs r
  with a Fisher-z CI (as the R package effectsize);
* Hodges–Lehmann shift (two samples) and pseudo-median (paired differences): the median of
  the pairwise differences / Walsh averages, with the CI of R ``wilcox.test(conf.int =
  TRUE)``: exact when the test is exact, asymptotic otherwise, at the level it attains when
  the requested one cannot be reached.

Every public function takes the data first (long format for between-group quantities, wide
``before``/``after`` columns for paired ones) and returns a one-row tidy DataFrame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from itp_stats.provenance import uses
from itp_stats.stats._common import (
    DEFAULT_SEED,
    MIN_GROUP_SIZE,
    decimal_difference,
    frame,
    not_computed,
    small_group_reason,
    split_groups,
)
from itp_stats.stats._ranks import (
    HLInterval,
    PairOrder,
    delong_ci,
    delong_placements,
    exact_two_sided_p,
    has_ties,
    hl_interval,
    midranks,
    resample_counts,
    signed_rank_z_at,
    signrank_counts,
    tie_sum,
    wilcox_counts,
)

__all__ = [
    "EFFECT_COLUMNS",
    "EPSILON_CI_METHODS",
    "epsilon_squared",
    "hodges_lehmann",
    "hodges_lehmann_paired",
    "rank_biserial",
    "rank_biserial_paired",
]

EFFECT_COLUMNS = [
    "dv",
    "between",
    "group1",
    "group2",
    "n",
    "effect",
    "effect_type",
    "ci_low",
    "ci_high",
    "conf_level",
    "method",
    "note",
]
"""Columns of every effect-size table of this module."""

EPSILON_CI_METHODS = ("noncentral_f", "percentile_bootstrap")
"""Interval methods of ε²: the one-sided noncentral-F interval (default) or the percentile
bootstrap."""

EXACT_MAX_N = 50
"""Exact rank tests and exact HL intervals need every sample size below this (R's default)."""

NORMAL_BOOT_MIN_N = 20_000
"""From this many values (and every group at least :data:`NORMAL_BOOT_MIN_GROUP`), the ε²
interval uses the large-sample approximation of the bootstrap
(:func:`normal_bootstrap_epsilon_squared`) instead of resampling patients."""

NORMAL_BOOT_MIN_GROUP = 1_000
"""Smallest group for which the large-sample approximation of the ε² bootstrap is used."""


# --------------------------------------------------------------------------------------------
# array-level computations (shared with ``nonparametric``)
# --------------------------------------------------------------------------------------------


def kruskal_h(samples: Sequence[np.ndarray]) -> float:
    """Tie-corrected Kruskal–Wallis H (as R ``kruskal.test`` and ``scipy.stats.kruskal``)."""
    sizes = np.array([len(s) for s in samples], dtype=float)
    ranks, ties = midranks(np.concatenate(samples))
    n = sizes.sum()
    sums = np.bincount(np.repeat(np.arange(sizes.size), sizes.astype(int)), weights=ranks,
                       minlength=sizes.size)  # fmt: skip
    h = 12 / (n * (n + 1)) * np.sum(sums**2 / sizes) - 3 * (n + 1)
    return float(h / (1 - ties / (n**3 - n)))


def epsilon_squared_value(h: float, n: int) -> float:
    """ε² = H / ((n² − 1) / (n + 1)) = H / (n − 1) (Tomczak & Tomczak 2014)."""
    return h / (n - 1)


CHUNK_ELEMENTS = 1_000_000
"""Resamples are processed in chunks of about this many multiplicities (8 MB of floats), small
enough to be reused by the allocator and stay in cache; the 72-patient bootstrap is one
chunk."""


def use_normal_bootstrap(sizes: Sequence[int]) -> bool:
    """Whether the ε² interval of groups of these sizes uses the large-sample approximation."""
    return sum(sizes) >= NORMAL_BOOT_MIN_N and min(sizes) >= NORMAL_BOOT_MIN_GROUP


def _pooled_codes(samples: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Sorted distinct pooled values and each sample as indices into them (one sort)."""
    uvals = np.unique(np.concatenate(samples))
    return uvals, [np.searchsorted(uvals, s) for s in samples]


def epsilon_squared_from_counts(counts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """ε² of resamples given as multiplicities of the sorted distinct pooled values.

    Parameters
    ----------
    counts : ndarray, shape (resamples, groups, distinct values)
        ``counts[b, g, u]``: how often the u-th smallest distinct value is in group g of
        resample b (each row of group g sums to that group's size).
    sizes : ndarray, shape (groups,)
        Group sizes.

    Returns
    -------
    ndarray, shape (resamples,)
        ε² = H/(n − 1) with the tie-corrected H of each resample; NaN where every value of
        the resample is tied.

    Notes
    -----
    No resample is sorted: the mid-rank of the u-th distinct value is ``cumsum(T)[u] −
    (T[u] − 1)/2`` with ``T`` the multiplicities summed over groups, the group rank sums are
    ``counts @ midrank`` and the tie correction is ``1 − Σ(T³ − T)/(n³ − n)``. O(groups ×
    distinct values) per resample.
    """
    sizes = np.asarray(sizes, dtype=float)
    n = sizes.sum()
    tot = counts.sum(axis=1)
    midrank = np.cumsum(tot, axis=1)
    midrank -= (tot - 1) / 2
    rank_sums = np.einsum("bgu,bu->bg", counts, midrank)
    h = 12 / (n * (n + 1)) * np.sum(rank_sums**2 / sizes, axis=1) - 3 * (n + 1)
    # Σ(T³ − T) = Σ T³ − n; integer-valued floats, exact below 2**53
    denom = 1 - (np.einsum("bu,bu,bu->b", tot, tot, tot) - n) / (n**3 - n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, h / denom, np.nan) / (n - 1)


def bootstrap_epsilon_squared(
    samples: Sequence[np.ndarray], n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """ε² of ``n_boot`` resamples drawn with replacement within each group (exact bootstrap).

    Vectorised: a resample is represented by the multiplicity of each distinct value in each
    group (:func:`itp_stats.stats._ranks.resample_counts`: one multinomial draw, or drawn indices
    counted with ``bincount``, per group for a chunk of resamples) and ε² follows from those
    multiplicities (:func:`epsilon_squared_from_counts`), so no resample is sorted and there
    is no Python loop over patients or resamples. The pooled sample is sorted once
    (O(n log n)); each resample costs O(n). Chunks of resamples bound the memory. Resamples
    where every value is tied give NaN.
    """
    uvals, codes = _pooled_codes(samples)
    n_u = uvals.size
    sizes = np.array([len(s) for s in samples], dtype=float)
    chunk = max(1, int(CHUNK_ELEMENTS // max(len(samples) * n_u, int(sizes.sum()))))
    out = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        counts = np.stack([resample_counts(c, n_u, b, rng) for c in codes], axis=1)
        out[start : start + b] = epsilon_squared_from_counts(counts, sizes)
    return out


def normal_bootstrap_epsilon_squared(
    samples: Sequence[np.ndarray], n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """ε² of ``n_boot`` draws from the large-sample approximation of the stratified bootstrap.

    For large groups: the group mean ranks and the tie correction of a stratified resample
    are, to first order, sums of independent per-patient contributions (their influence
    values), hence jointly normal with a covariance computed exactly from the data in
    O(n log n). ``n_boot`` vectors are drawn from that normal distribution and ε² is computed
    from each with the exact (quadratic) Kruskal–Wallis formula, so the skewness of ε² near 0
    is kept. O(n log n + n_boot); no resample of patients is formed.

    Notes
    -----
    With ``F_h`` the mid-distribution function of group h (``P(X < x) + P(X = x)/2``) and
    ``w_h = n_h/n``, the mean rank of group g is ``n·A_g + 1/2`` with
    ``A_g = Σ_h w_h mean_{i in g} F_h(x_i)``; ε² = 12 n/((n + 1)(n − 1) D) Σ_g n_g
    (A_g − 1/2)², D = 1 − Σ(t³ − t)/(n³ − n). Under resampling within groups, the linear
    (Hájek) part of A*_g − A_g is the resample sum of: ``Σ_{h≠g} w_h F_h(x)/n_g`` for a
    patient of group g, ``−F_g(x)/n`` for a patient of another group; of D* − D:
    ``−(3 t_x² − 1)/(n³ − n)`` (t_x: pooled multiplicity of the patient's value). The
    bootstrap means are exactly A and D; the covariance is the sum over groups of n_k times
    the (divisor n_k) covariance of those contributions. The neglected remainder is smaller
    than the linear part by a factor O(n^−1/2); use only when every group is large.
    """
    sizes = np.array([len(s) for s in samples], dtype=float)
    n_groups = sizes.size
    n = sizes.sum()
    pooled = np.concatenate(samples)
    grp = np.repeat(np.arange(n_groups), sizes.astype(int))
    idx = np.arange(pooled.size)
    # one sort: F_h at each distinct value from cumulative multiplicities of group h
    uvals, inv, t = np.unique(pooled, return_inverse=True, return_counts=True)
    mid_cdf = np.empty((n_groups, pooled.size))
    for g in range(n_groups):
        c = np.bincount(inv[grp == g], minlength=uvals.size).astype(float)
        mid_cdf[g] = ((np.cumsum(c) - c / 2) / sizes[g])[inv]
    w = sizes / n
    weighted = w[:, None] * mid_cdf
    # A_g = Σ_h w_h · mean over group g of F_h
    a = np.array([weighted[:, grp == g].sum() / sizes[g] for g in range(n_groups)])
    t = t.astype(float)
    d = 1 - np.sum(t**3 - t) / (n**3 - n)
    infl = np.empty((n_groups + 1, pooled.size))
    infl[:n_groups] = -mid_cdf / n
    own = (weighted.sum(axis=0) - weighted[grp, idx]) / sizes[grp]
    infl[grp, idx] = own
    infl[n_groups] = -(3 * t[inv] ** 2 - 1) / (n**3 - n)
    cov = np.zeros((n_groups + 1, n_groups + 1))
    for g in range(n_groups):
        c = infl[:, grp == g]
        c = c - c.mean(axis=1, keepdims=True)
        cov += c @ c.T
    lam, vec = np.linalg.eigh(cov)
    root = vec * np.sqrt(np.clip(lam, 0, None))
    z = rng.standard_normal((n_boot, n_groups + 1)) @ root.T
    a_b = a + z[:, :n_groups]
    d_b = d + z[:, n_groups]
    h_raw = 12 * n / (n + 1) * np.sum(sizes * (a_b - 0.5) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d_b > 0, h_raw / d_b, np.nan) / (n - 1)


def percentile_ci(values: np.ndarray, conf_level: float) -> tuple[float, float]:
    """Percentile interval of the finite bootstrap values (linear interpolation, R type 7)."""
    v = values[np.isfinite(values)]
    alpha = 1 - conf_level
    lo, hi = np.quantile(v, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def epsilon_squared_ci(h: float, n: int, k: int, conf_level: float) -> tuple[float, float]:
    """One-sided interval [lower, 1] for ε² from the noncentral F of the ANOVA on mid-ranks.

    Parameters
    ----------
    h : float
        Tie-corrected Kruskal–Wallis H.
    n, k : int
        Number of values and of groups.
    conf_level : float
        Level of the one-sided interval.

    Returns
    -------
    (lower, upper) : tuple of float
        ``upper`` is 1. ``lower`` = λ/(λ + n), where λ is the noncentrality at which the
        observed F is the ``conf_level`` quantile of F'(k − 1, n − k, λ); 0 when the F test on
        ranks does not reject at 1 − ``conf_level``. NaN, NaN when the ranks do not vary
        within groups (H = n − 1, F infinite).

    Notes
    -----
    H/(n − 1) = SS_between/SS_total of the mid-ranks, the η² of the one-way ANOVA on ranks,
    whose F statistic is F = (H/(k − 1)) / ((n − 1 − H)/(n − k)) (Conover & Iman 1981). The
    lower limit inverts its noncentral F distribution (Steiger 2004): λ solves
    P(F'(k − 1, n − k, λ) ≥ F) = 1 − ``conf_level`` (the noncentrality limit
    ``effectsize::F_to_eta2(alternative = "greater")`` finds) and is converted with the
    population relation η² = λ/(λ + n) of Steiger (2004) and MBESS. (effectsize 0.8.3 converts
    with λ/(λ + n − k), a higher limit that under-covers in the simulation of
    ``tests/test_effsize.py``.) The limit lies below the point estimate, and is 0 exactly when
    that F test gives p ≥ 1 − ``conf_level``.
    """
    df1, df2 = k - 1, n - k
    alpha = 1 - conf_level
    if n - 1 - h <= 1e-12 * n:  # no variation of the ranks within groups: F infinite
        return float("nan"), float("nan")
    f_obs = (h / df1) / ((n - 1 - h) / df2)
    if stats.f.sf(f_obs, df1, df2) >= alpha:
        return 0.0, 1.0

    def excess(lam: float) -> float:
        return float(stats.ncf.sf(f_obs, df1, df2, lam)) - alpha

    hi = max(10.0, 2 * f_obs * df1)
    while excess(hi) < 0:
        hi *= 2
    lam = optimize.brentq(excess, 0.0, hi, xtol=1e-10, rtol=1e-12)
    return float(lam / (lam + n)), 1.0


def rank_biserial_delong(
    x: np.ndarray, y: np.ndarray, conf_level: float
) -> tuple[float, tuple[float, float], str]:
    """Two-sample rank-biserial r = 2·AUC − 1 with the DeLong interval of the AUC, mapped.

    AUC = P(X > Y) + ½ P(X = Y) = U/(n1·n2), so r is the rank-biserial 2U/(n1·n2) − 1, and its
    interval is 2·(DeLong interval of the AUC) − 1, clipped to [−1, 1] as ``pROC`` clips the
    AUC. Returns r, the interval, and a note ("" unless the variance is 0).
    """
    auc, var = delong_placements(x, y)
    lo, hi = delong_ci(auc, var, conf_level)
    note = ""
    if var <= 0:
        note = "DeLong variance 0 (no overlap between the groups): degenerate interval"
    return 2 * auc - 1, (2 * lo - 1, 2 * hi - 1), note


RBS_DELONG_METHOD = (
    "rank-biserial r = 2U/(n1·n2) − 1 = 2·AUC − 1; CI 2·(DeLong CI of the AUC) − 1, as the "
    "AUC of the same contrast"
)
"""``effect_method`` of the two-sample rank-biserial correlation."""


def mann_whitney_u(x: np.ndarray, y: np.ndarray) -> float:
    """U of ``x`` (R's W): rank sum of ``x`` in the pooled sample minus n_x(n_x+1)/2."""
    ranks = midranks(np.concatenate([x, y]))[0]
    return float(ranks[: x.size].sum() - x.size * (x.size + 1) / 2)


def rank_biserial_value(u: float, n1: int, n2: int) -> float:
    """Two-sample rank-biserial correlation 2U/(n1 n2) − 1 (> 0: first group larger)."""
    return 2 * u / (n1 * n2) - 1


def fisher_z_ci(r: float, se: float, conf_level: float) -> tuple[float, float]:
    """tanh(atanh(r) ± z·se), as effectsize::rank_biserial."""
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    with np.errstate(divide="ignore"):
        rf = np.arctanh(np.clip(r, -1, 1))
    return float(np.tanh(rf - z * se)), float(np.tanh(rf + z * se))


HL_LOWERED = "; attained level reported where no finite interval has the requested level"
"""Suffix of ``hl_method`` on a row whose HL interval has a lower level than requested."""


def _hl_method(base: str, ci: HLInterval, materialised: bool, what: str) -> str:
    method = base
    if not materialised:
        method += f"; order statistics of {what} by O(n log n) selection"
    if ci.reason:
        method += HL_LOWERED if ci.lowered else "; unbounded where no finite interval exists"
    return method


def two_sample_core(
    x: np.ndarray, y: np.ndarray, *, conf_level: float, correct: bool = True
) -> dict[str, Any]:
    """Everything the two-sample Wilcoxon/Mann–Whitney analysis needs, as R ``wilcox.test``.

    Exact p and exact HL interval when both samples have fewer than 50 values and there are
    no ties; normal approximation with tie correction (and continuity correction if
    ``correct``) otherwise. Two-sided only. ``hl_ci`` is an :class:`HLInterval` (limits and the
    level they attain); ``rbs_ci`` the DeLong-derived interval of r.
    """
    n1, n2 = x.size, y.size
    pooled = np.concatenate([x, y])
    u = mann_whitney_u(x, y)
    ties = has_ties(pooled)
    exact = n1 < EXACT_MAX_N and n2 < EXACT_MAX_N and not ties
    out: dict[str, Any] = {"u": u, "n1": n1, "n2": n2, "exact": exact}
    order = PairOrder(x, y)
    if exact:
        counts = wilcox_counts(n1, n2)
        out["p"] = exact_two_sided_p(counts, u)
        out["z"] = np.nan
        out["p_method"] = "exact"
        ci = hl_interval(
            order, exact=True, conf_level=conf_level, sigma=np.nan, correct=False, counts=counts
        )
        base = "Hodges–Lehmann shift (median of the pairwise differences), exact CI (Bauer 1972)"
    else:
        ts = tie_sum(pooled)
        n = n1 + n2
        sigma = np.sqrt(n1 * n2 / 12 * ((n + 1) - ts / (n * (n - 1))))
        dz = u - n1 * n2 / 2
        cc = 0.5 * np.sign(dz) if correct else 0.0
        z = (dz - cc) / sigma
        out["z"] = float(z)
        out["p"] = float(2 * stats.norm.sf(abs(z)))
        out["p_method"] = "normal approximation with tie correction" + (
            " and continuity correction" if correct else ""
        )
        # CI: the step function's jumps use only within-sample ties (see hl_interval)
        sigma0 = np.sqrt(n1 * n2 / 12 * ((n + 1) - (tie_sum(x) + tie_sum(y)) / (n * (n - 1))))
        ci = hl_interval(order, exact=False, conf_level=conf_level, sigma=sigma0, correct=correct)
        base = (
            "Hodges–Lehmann shift (median of the pairwise differences; not R's uniroot "
            "estimate), asymptotic CI (inverted normal-approximation test)"
        )
    out["hl_method"] = _hl_method(base, ci, order.materialised, "pairs")
    out["hl"] = order.median()
    out["hl_ci"] = ci
    r, rci, rnote = rank_biserial_delong(x, y, conf_level)
    out["rbs"] = r
    out["rbs_ci"] = rci
    out["rbs_note"] = rnote
    return out


def signed_rank_core(d: np.ndarray, *, conf_level: float, correct: bool = True) -> dict[str, Any]:
    """Wilcoxon signed-rank analysis of paired differences ``d``, as R ``wilcox.test``.

    Zero differences are dropped first (R's behaviour, also for the CI and the pseudo-median).
    Exact when fewer than 50 non-zero differences, no ties and no zeros; normal approximation
    with tie correction (and continuity correction if ``correct``) otherwise. Two-sided only.
    ``hl_ci`` is an :class:`HLInterval` (limits and the level they attain).
    """
    n_zero = int(np.sum(d == 0))
    dn = d[d != 0]
    n = dn.size
    out: dict[str, Any] = {"n_zero": n_zero, "n_nonzero": n}
    if n == 0:
        out["reason"] = "all differences are zero"
        return out
    ranks = midranks(np.abs(dn))[0]
    v = float(ranks[dn > 0].sum())
    out["v"] = v
    exact = n < EXACT_MAX_N and not has_ties(np.abs(dn)) and n_zero == 0
    out["exact"] = exact
    order = PairOrder(dn)
    if exact:
        counts = signrank_counts(n)
        out["p"] = exact_two_sided_p(counts, v)
        out["z"] = np.nan
        out["p_method"] = "exact"
        ci = hl_interval(
            order, exact=True, conf_level=conf_level, sigma=np.nan, correct=False, counts=counts
        )
        base = "Hodges–Lehmann pseudo-median (median of the Walsh averages), exact CI"
    else:
        ts = tie_sum(np.abs(dn))
        sigma = np.sqrt(n * (n + 1) * (2 * n + 1) / 24 - ts / 48)
        dz = v - n * (n + 1) / 4
        cc = 0.5 * np.sign(dz) if correct else 0.0
        z = (dz - cc) / sigma if sigma > 0 else np.nan
        out["z"] = float(z)
        out["p"] = float(2 * stats.norm.sf(abs(z)))
        out["p_method"] = (
            "normal approximation with tie correction"
            + (" and continuity correction" if correct else "")
            + (f"; {n_zero} zero difference(s) dropped" if n_zero else "")
        )
        sigma0 = np.sqrt(n * (n + 1) * (2 * n + 1) / 24 - tie_sum(dn) / 48)
        # at a data value one difference becomes 0 and is dropped: the statistic there is
        # not bracketed by its neighbouring gaps', so those shifts are tested one by one
        ci = hl_interval(
            order, exact=False, conf_level=conf_level, sigma=sigma0, correct=correct,
            point_statistic=lambda d: signed_rank_z_at(dn, d, correct), points=dn,
        )  # fmt: skip
        base = (
            "Hodges–Lehmann pseudo-median (median of the Walsh averages; not R's uniroot "
            "estimate), asymptotic CI (inverted normal-approximation test)"
        )
    out["hl_method"] = _hl_method(base, ci, order.materialised, "Walsh averages")
    out["hl"] = order.median()
    out["hl_ci"] = ci
    maxw = n * (n + 1) / 2
    r = 2 * v / maxw - 1
    out["rbs"] = r
    se = np.sqrt((2 * n**3 + 3 * n**2 + n) / 6) / maxw
    out["rbs_ci"] = fisher_z_ci(r, se, conf_level)
    return out


def paired_differences(data: pd.DataFrame, before: str, after: str) -> tuple[np.ndarray, int]:
    """``after − before`` on complete pairs (in the decimals the values are recorded with,
    :func:`~itp_stats.stats._common.decimal_difference`), and the number of rows dropped as
    incomplete."""
    b = pd.to_numeric(data[before], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    a = pd.to_numeric(data[after], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(a) & np.isfinite(b)
    return decimal_difference(a[ok], b[ok]), int((~ok).sum())


def paired_reason(d: np.ndarray) -> str | None:
    """Why a paired analysis cannot run on differences ``d``, or ``None``."""
    if d.size == 0:
        return "no complete pairs"
    if d.size < MIN_GROUP_SIZE:
        return f"fewer than {MIN_GROUP_SIZE} complete pairs (n={d.size})"
    if np.all(d == 0):
        return "all differences are zero"
    nz = d[d != 0]
    if nz.size < MIN_GROUP_SIZE:
        return f"fewer than {MIN_GROUP_SIZE} non-zero differences (n={nz.size})"
    return None


def _two_groups(data, dv, between, groups):
    labels, samples, _ = split_groups(data, dv, between, groups)
    if len(labels) != 2:
        return labels, samples, f"needs exactly two groups, got {len(labels)}"
    return labels, samples, small_group_reason(labels, samples)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


@uses(("scipy", "the ε² interval"))
def epsilon_squared(
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
    """ε² of the Kruskal–Wallis test with a one-sided CI that can contain 0.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per patient.
    dv : str
        Numeric column.
    between : str
        Grouping column.
    groups : sequence, optional
        Groups to compare, in order; default: categories of ``between`` (or sorted values).
    conf_level : float
        Confidence level of the interval.
    ci_method : {"noncentral_f", "percentile_bootstrap"}
        "noncentral_f" (default): one-sided interval [lower, 1] by inverting the noncentral F
        of the ANOVA on ranks (:func:`epsilon_squared_ci`). "percentile_bootstrap": two-sided
        percentile bootstrap (kept for comparison; see Notes).
    n_boot : int
        Bootstrap resamples of "percentile_bootstrap"; 0 gives no interval (stated in
        ``method``). Not used by "noncentral_f".
    seed : int
        Seed of ``numpy.random.default_rng`` for the bootstrap; the same seed gives the same
        interval.

    Returns
    -------
    DataFrame
        One row with columns ``dv``, ``between``, ``group1``, ``group2`` (None here), ``n``
        (values used), ``effect`` (ε²), ``effect_type`` ("epsilon_squared"), ``ci_low``,
        ``ci_high`` (1 for the one-sided interval), ``conf_level``, ``method`` (how the CI
        was obtained, "one-sided" when it is, or "not computed: <reason>") and ``note``.

    Notes
    -----
    ε² = H / ((n² − 1)/(n + 1)) = H/(n − 1) with the tie-corrected H, in [0, 1]; it equals the
    η² (SS_between/SS_total) of the one-way ANOVA on the mid-ranks. Its default interval is
    one-sided, [lower, 1], as R effectsize reports ε² and η² (``alternative = "greater"``),
    since a quantity bounded at 0 has no informative upper tail to test and a two-sided
    interval of it cannot have the stated level near 0 (Steiger 2004). The lower limit inverts
    the noncentral F of the rank ANOVA (:func:`epsilon_squared_ci`), so it is 0 exactly when
    the F test on ranks gives p ≥ 1 − ``conf_level`` (in a narrow band near alpha that test
    and the chi-square approximation of H can disagree), and it never exceeds the estimate.
    Coverage of the population ε² (12 Σ p_g (θ_g − ½)², θ_g the relative effect of group g)
    at n = 72 (29/14/29), 95%, normal location alternatives: 0.955 under the null, 0.94–0.95
    for ε² up to 0.2, 0.93 at 0.47, 0.99 at 0.77 (2,000 replicates each); the null and one
    alternative are checked in ``tests/test_effsize.py``.

    The percentile bootstrap (resampling within each group, ``n_boot`` resamples, exact and
    vectorised, :func:`bootstrap_epsilon_squared`; from :data:`NORMAL_BOOT_MIN_N` values with
    every group at least :data:`NORMAL_BOOT_MIN_GROUP`, draws from its large-sample normal
    approximation, :func:`normal_bootstrap_epsilon_squared`) practically never contains 0 and
    can miss the estimate when ε² is near 0; it is not for inference on "no effect".

    Complete cases only. A group with fewer than 3 values, all values tied, all missing or a
    single group give a "not computed" row.

    References
    ----------
    Tomczak M, Tomczak E. The need to report effect size estimates revisited. Trends Sport
    Sci 2014;21:19–25. Conover WJ, Iman RL. Rank transformations as a bridge between
    parametric and nonparametric statistics. Am Stat 1981;35:124–129. Steiger JH. Beyond the
    F test: effect size confidence intervals and tests of close fit in the analysis of
    variance and contrast analysis. Psychol Methods 2004;9:164–182. Ben-Shachar MS, Lüdecke D,
    Makowski D. effectsize: estimation of effect size indices and standardized parameters.
    JOSS 2020;5:2815.
    """
    labels, samples, _ = split_groups(data, dv, between, groups)
    n = int(sum(len(s) for s in samples))
    row = {
        "dv": dv,
        "between": between,
        "group1": None,
        "group2": None,
        "n": n,
        "effect_type": "epsilon_squared",
        "conf_level": conf_level,
        "note": "",
    }
    reason = small_group_reason(labels, samples)
    if reason:
        row.update(method=not_computed(reason), note=reason)
        return frame([row], EFFECT_COLUMNS)
    row.update(
        _epsilon_with_ci(samples, conf_level, ci_method, n_boot, np.random.default_rng(seed))
    )
    return frame([row], EFFECT_COLUMNS)


def _epsilon_with_ci(samples, conf_level, ci_method, n_boot, rng) -> dict[str, Any]:
    if ci_method not in EPSILON_CI_METHODS:
        raise ValueError(f"ci_method must be one of {EPSILON_CI_METHODS}, got {ci_method!r}")
    n = int(sum(len(s) for s in samples))
    h = kruskal_h(samples)
    eps = epsilon_squared_value(h, n)
    out = {"effect": eps, "ci_low": np.nan, "ci_high": np.nan, "note": ""}
    if ci_method == "noncentral_f":
        lo, hi = epsilon_squared_ci(h, n, len(samples), conf_level)
        out.update(ci_low=lo, ci_high=hi)
        out["method"] = (
            "ε² = H/(n−1) (η² of the ANOVA on mid-ranks); one-sided CI [lower, 1] inverting "
            "the noncentral F of that ANOVA, η² = λ/(λ + n) (Steiger 2004)"
        )
        if not np.isfinite(lo):
            out["method"] = "ε² = H/(n−1); CI not computed: the ranks do not vary within groups"
        return out
    if n_boot <= 0:
        out["method"] = "ε² = H/(n−1); CI not requested (n_boot = 0)"
        return out
    large = use_normal_bootstrap([len(s) for s in samples])
    if large:
        boot = normal_bootstrap_epsilon_squared(samples, n_boot, rng)
    else:
        boot = bootstrap_epsilon_squared(samples, n_boot, rng)
    n_ok = int(np.isfinite(boot).sum())
    if n_ok < max(10, n_boot // 2):
        out["method"] = "ε² = H/(n−1); CI not computed: too many degenerate resamples"
        return out
    lo, hi = percentile_ci(boot, conf_level)
    out.update(ci_low=lo, ci_high=hi)
    if large:
        out["method"] = (
            f"ε² = H/(n−1); percentile CI of {n_boot} draws from the large-sample normal "
            "approximation of the bootstrap stratified by group (used from "
            f"n = {NORMAL_BOOT_MIN_N:,} with every group ≥ {NORMAL_BOOT_MIN_GROUP:,})"
        )
    else:
        out["method"] = (
            f"ε² = H/(n−1); percentile bootstrap CI, {n_boot} resamples stratified by group"
        )
    if n_ok < n_boot:
        out["note"] = f"{n_boot - n_ok} all-tied resamples skipped"
    return out


@uses(("scipy", "rank-biserial intervals (normal quantiles)"))
def rank_biserial(
    data: pd.DataFrame,
    dv: str,
    between: str,
    *,
    groups: Sequence[Any] | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Two-sample rank-biserial correlation r = 2·AUC − 1 with the DeLong-derived CI.

    Parameters
    ----------
    data, dv, between : see :func:`epsilon_squared`
    groups : sequence of two labels, optional
        (group1, group2); default: the two categories of ``between``.
    conf_level : float
        Confidence level.

    Returns
    -------
    DataFrame
        One row with the columns of :data:`EFFECT_COLUMNS`: ``dv``, ``between``, ``group1``,
        ``group2``, ``n``, ``effect`` (r = 2U/(n1 n2) − 1 where U is the Mann–Whitney U of
        ``group1``; r > 0: group1 tends to have larger values), ``effect_type``
        ("rank_biserial"), ``ci_low``, ``ci_high``, ``conf_level``, ``method``, ``note``.

    Notes
    -----
    U/(n1 n2) = P(X1 > X2) + ½ P(X1 = X2) is the AUC of group1 against group2, so r = 2·AUC − 1
    and its CI is 2·(DeLong CI of that AUC) − 1, clipped to [−1, 1] as ``pROC`` clips the
    AUC: the interval of r and the interval ``pROC::ci.auc(method = "delong")`` gives the
    AUC of the same contrast (:func:`itp_stats.stats.prediction.roc_auc`) are one interval.
    DeLong's variance is estimated without assuming H0 (the Fisher-z interval with the
    variance under H0, as ``effectsize::rank_biserial``, undercovers away from r = 0). Its
    coverage at n = 72 is checked by simulation in ``tests/test_effsize.py``. No overlap
    between the groups (r = ±1) gives variance 0 and a degenerate interval (stated in
    ``note``).

    References
    ----------
    Kerby DS. The simple difference formula. Compr Psychol 2014;3:11.IT.3.1. DeLong ER,
    DeLong DM, Clarke-Pearson DL. Biometrics 1988;44:837–845.
    """
    labels, samples, reason = _two_groups(data, dv, between, groups)
    row = _two_group_row(dv, between, labels, samples, "rank_biserial", conf_level)
    if reason:
        row.update(method=not_computed(reason), note=reason)
        return frame([row], EFFECT_COLUMNS)
    x, y = samples
    r, (lo, hi), note = rank_biserial_delong(x, y, conf_level)
    row.update(effect=r, ci_low=lo, ci_high=hi, method=RBS_DELONG_METHOD, note=note)
    return frame([row], EFFECT_COLUMNS)


def _two_group_row(dv, between, labels, samples, effect_type, conf_level):
    return {
        "dv": dv,
        "between": between,
        "group1": labels[0] if labels else None,
        "group2": labels[1] if len(labels) > 1 else None,
        "n": int(sum(len(s) for s in samples)),
        "effect_type": effect_type,
        "conf_level": conf_level,
        "note": "",
    }


@uses(("scipy", "Hodges–Lehmann intervals (normal quantiles)"))
def hodges_lehmann(
    data: pd.DataFrame,
    dv: str,
    between: str,
    *,
    groups: Sequence[Any] | None = None,
    conf_level: float = 0.95,
    correct: bool = True,
) -> pd.DataFrame:
    """Hodges–Lehmann shift (group1 − group2) with the CI of R ``wilcox.test(conf.int=TRUE)``.

    Parameters
    ----------
    data, dv, between, groups, conf_level : see :func:`rank_biserial`
    correct : bool
        Continuity correction of the asymptotic interval (R's ``correct``).

    Returns
    -------
    DataFrame
        One row with the columns of :data:`EFFECT_COLUMNS`: ``dv``, ``between``, ``group1``,
        ``group2``, ``n``, ``effect`` (median of all differences x_i − y_j, x in group1),
        ``effect_type`` ("hodges_lehmann_shift"), ``ci_low``, ``ci_high``, ``conf_level``
        (the level the interval has: the requested one, or the lower attained one, see
        Notes), ``method``, ``note`` (why the requested level was not attainable, if so).

    Notes
    -----
    Exact CI (order statistics at ``qwilcox(alpha/2)``) when both groups have fewer than 50
    values and there are no ties, as R; otherwise the asymptotic CI that R finds with
    ``uniroot`` — here its jump points are located exactly. The estimate is the median of the
    pairwise differences in both cases (R's asymptotic branch reports a ``uniroot`` zero of a
    step function, which may lie anywhere between the two central differences).

    Attained level: with very small groups the requested level cannot be reached. Exact
    branch, as R: when ``qwilcox(alpha/2) = 0`` the interval is [min, max] of the differences,
    whose level 1 − 2/C(n1 + n2, n1) is reported (3 vs 3: 0.90) — also when it is only
    slightly below the requested one, where R keeps the requested label. Asymptotic branch:
    R's one-sample rule (double alpha until both limits lie inside the data range) is applied
    to the two-sample interval too, where R itself would return the range of the differences
    labelled with the requested level; if no level works, (−inf, inf) at the requested level.
    ``method`` says so and ``note`` gives the details. Above
    2,000,000 pairs, order statistics are found by randomised selection in O(n log n) per
    statistic, never by materialising the pairs.

    References
    ----------
    Hodges JL, Lehmann EL. Estimates of location based on rank tests. Ann Math Stat
    1963;34:598–611. Bauer DF. Constructing confidence sets using rank statistics. JASA
    1972;67:687–690. Monahan JF. Fast computation of the Hodges-Lehmann location estimator.
    ACM TOMS 1984;10:265–270.
    """
    labels, samples, reason = _two_groups(data, dv, between, groups)
    row = _two_group_row(dv, between, labels, samples, "hodges_lehmann_shift", conf_level)
    if reason:
        row.update(method=not_computed(reason), note=reason)
        return frame([row], EFFECT_COLUMNS)
    core = two_sample_core(samples[0], samples[1], conf_level=conf_level, correct=correct)
    ci = core["hl_ci"]
    row.update(
        effect=core["hl"],
        ci_low=ci.low,
        ci_high=ci.high,
        conf_level=ci.level,
        method=core["hl_method"],
        note=ci.reason,
    )
    return frame([row], EFFECT_COLUMNS)


def _paired_row(before, after, d, effect_type, conf_level):
    return {
        "dv": f"{after} - {before}",
        "between": None,
        "group1": after,
        "group2": before,
        "n": int(d.size),
        "effect_type": effect_type,
        "conf_level": conf_level,
        "note": "",
    }


@uses(("scipy", "rank-biserial intervals (normal quantiles)"))
def rank_biserial_paired(
    data: pd.DataFrame, before: str, after: str, *, conf_level: float = 0.95
) -> pd.DataFrame:
    """Matched-pairs rank-biserial correlation of ``after − before`` with a Fisher-z CI.

    Parameters
    ----------
    data : DataFrame
        Wide data, one row per patient.
    before, after : str
        Columns of the two time points (e.g. ``"nk_m0"``, ``"nk_m6"``).
    conf_level : float
        Confidence level.

    Returns
    -------
    DataFrame
        One row with the columns of :data:`EFFECT_COLUMNS`: ``dv`` = "after - before",
        ``group1`` = after, ``group2`` = before, ``n`` = complete pairs, ``effect`` =
        (T+ − T−)/(T+ + T−) over non-zero differences, ``effect_type`` =
        "matched_pairs_rank_biserial".

    Notes
    -----
    Zero differences are dropped (as R ``wilcox.test`` and ``effectsize``). CI:
    tanh(atanh(r) ± z·SE), SE = sqrt((2n³ + 3n² + n)/6)/(n(n + 1)/2), n non-zero differences.

    References
    ----------
    Kerby DS. The simple difference formula. Compr Psychol 2014;3:11.IT.3.1.
    """
    d, _ = paired_differences(data, before, after)
    row = _paired_row(before, after, d, "matched_pairs_rank_biserial", conf_level)
    reason = paired_reason(d)
    if reason:
        row.update(method=not_computed(reason), note=reason)
        return frame([row], EFFECT_COLUMNS)
    core = signed_rank_core(d, conf_level=conf_level)
    row.update(
        effect=core["rbs"],
        ci_low=core["rbs_ci"][0],
        ci_high=core["rbs_ci"][1],
        method="matched-pairs rank-biserial (T+ − T−)/(T+ + T−); Fisher-z CI (SE under H0)",
    )
    if core["n_zero"]:
        row["note"] = f"{core['n_zero']} zero difference(s) dropped"
    return frame([row], EFFECT_COLUMNS)


@uses(("scipy", "Hodges–Lehmann intervals (normal quantiles)"))
def hodges_lehmann_paired(
    data: pd.DataFrame,
    before: str,
    after: str,
    *,
    conf_level: float = 0.95,
    correct: bool = True,
) -> pd.DataFrame:
    """Hodges–Lehmann pseudo-median of ``after − before`` with R's ``wilcox.test`` CI.

    Parameters
    ----------
    data, before, after, conf_level : see :func:`rank_biserial_paired`
    correct : bool
        Continuity correction of the asymptotic interval.

    Returns
    -------
    DataFrame
        One row with the columns of :data:`EFFECT_COLUMNS`: ``dv`` ("after - before"),
        ``between`` (None), ``group1`` (after), ``group2`` (before), ``n`` (complete pairs),
        ``effect`` (median of the Walsh averages of the non-zero differences),
        ``effect_type`` ("hodges_lehmann_pseudomedian"), ``ci_low``, ``ci_high``,
        ``conf_level`` (the level the interval has: requested or attained, see Notes),
        ``method``, ``note`` (zero differences dropped; why the level was lowered).

    Notes
    -----
    As R: zero differences are dropped; exact CI (``qsignrank``) when fewer than 50 non-zero
    differences without ties or zeros, asymptotic CI otherwise (jump points located exactly).
    The estimate is the median of the Walsh averages in both branches (R's asymptotic branch
    reports a ``uniroot`` zero instead).

    Attained level, as R ``wilcox.test``: exact branch, when ``qsignrank(alpha/2) = 0`` (fewer
    than 6 non-zero differences at 95%) the interval is [min, max] of the differences with
    level 1 − 2/2^n (4 differences: 0.875, which R prints as 0.88; with 5, 0.9375, which R
    still labels 0.95); asymptotic branch, alpha is doubled until both limits lie inside the
    data range (5 non-zero differences after zeros: 0.80) and that level is reported; if no
    level works, (−inf, inf) at the requested level.

    References
    ----------
    Hodges JL, Lehmann EL. Ann Math Stat 1963;34:598–611.
    """
    d, _ = paired_differences(data, before, after)
    row = _paired_row(before, after, d, "hodges_lehmann_pseudomedian", conf_level)
    reason = paired_reason(d)
    if reason:
        row.update(method=not_computed(reason), note=reason)
        return frame([row], EFFECT_COLUMNS)
    core = signed_rank_core(d, conf_level=conf_level, correct=correct)
    ci = core["hl_ci"]
    row.update(
        effect=core["hl"],
        ci_low=ci.low,
        ci_high=ci.high,
        conf_level=ci.level,
        method=core["hl_method"],
    )
    notes = [f"{core['n_zero']} zero difference(s) dropped"] if core["n_zero"] else []
    row["note"] = "; ".join([*notes, *([ci.reason] if ci.reason else [])])
    return frame([row], EFFECT_COLUMNS)
