"""Rank machinery shared by the tests and effect sizes (private).

Exact null distributions of the Wilcoxon rank-sum, signed-rank and Jonckheere–Terpstra
statistics (integer counts, as R's ``dwilcox``/``dsignrank``), the quantile rules of R's
``qwilcox``/``qsignrank``, tie sums, and the selection of order statistics of pairwise
differences and Walsh averages in O(n log n) per selection (Monahan 1984; Johnson & Mizoguchi
1978) so that Hodges–Lehmann estimates never materialise all pairs on large samples; the
Hodges–Lehmann limits with the level they attain (:class:`HLInterval`), and DeLong's
placement variance shared by the AUC and the rank-biserial correlation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from scipy import stats

_EPS = np.finfo(float).eps
MATERIALISE_MAX = 2_000_000
"""Up to this many pairs, order statistics come from a full sort of all pairs."""


@lru_cache(maxsize=512)
def wilcox_counts(m: int, n: int) -> np.ndarray:
    """Counts of the Mann–Whitney U = 0..m*n over all C(m+n, m) arrangements (object ints).

    Coefficients of the Gaussian binomial [m+n choose m]_q = prod_i (1-q^(n+i)) / (1-q^i).
    """
    size = m * n + 1
    poly = np.zeros(size, dtype=object)
    poly[:] = 0
    poly[0] = 1
    for i in range(1, m + 1):
        a = n + i
        if a < size:
            poly[a:] = poly[a:] - poly[: size - a]
        for r in range(i):
            poly[r::i] = np.cumsum(poly[r::i])
    return poly


@lru_cache(maxsize=512)
def signrank_counts(n: int) -> np.ndarray:
    """Counts of the signed-rank statistic V = 0..n(n+1)/2 over the 2^n sign patterns."""
    size = n * (n + 1) // 2 + 1
    poly = np.zeros(size, dtype=object)
    poly[:] = 0
    poly[0] = 1
    for i in range(1, n + 1):
        shifted = poly.copy()
        shifted[i:] = shifted[i:] + poly[: size - i]
        poly = shifted
    return poly


def _cdf(counts: np.ndarray) -> np.ndarray:
    total = int(counts.sum())
    return np.array([int(c) for c in np.cumsum(counts)], dtype=object) / total


def exact_two_sided_p(counts: np.ndarray, statistic: float) -> float:
    """Two-sided exact p as R: ``min(1, 2 * P(S <= s))`` below the centre, upper tail above."""
    total = int(counts.sum())
    top = len(counts) - 1
    s = round(statistic)
    if statistic > top / 2:
        tail = int(counts[s:].sum())
    else:
        tail = int(counts[: s + 1].sum())
    return float(min(1.0, 2 * tail / total))


def lower_quantile(counts: np.ndarray, p: float) -> int:
    """R's ``qwilcox``/``qsignrank`` for ``p <= 0.5``: smallest q with P(S <= q) >= p - 10 eps."""
    cdf = _cdf(counts)
    target = p - 10 * _EPS
    return int(np.argmax(np.asarray(cdf, dtype=float) >= target))


def midranks(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Mid-ranks of ``values`` (as ``scipy.stats.rankdata``) and Σ(t³ − t) over tie groups.

    One sort (``np.unique``); no NaN check, so the caller passes finite values only.
    """
    _, inv, t = np.unique(values, return_inverse=True, return_counts=True)
    t = t.astype(float)
    return (np.cumsum(t) - (t - 1) / 2)[inv.ravel()], float(np.sum(t**3 - t))


def tie_sum(values: np.ndarray) -> float:
    """Sum of t^3 - t over the groups of tied values."""
    _, t = np.unique(values, return_counts=True)
    t = t.astype(float)
    return float(np.sum(t**3 - t))


def has_ties(values: np.ndarray) -> bool:
    return np.unique(values).size != values.size


def jt_distribution(sizes: list[int]) -> np.ndarray:
    """Exact null probabilities of the Jonckheere–Terpstra J = 0..sum_{i<j} n_i n_j.

    The generating function is the q-multinomial coefficient, the product of the Gaussian
    binomials of group ``i`` against the union of the groups before it.
    """
    dist = np.array([1.0])
    before = sizes[0]
    for n_i in sizes[1:]:
        c = wilcox_counts(before, n_i)
        p = np.asarray([int(v) for v in c], dtype=float)
        p /= p.sum()
        dist = np.convolve(dist, p)
        before += n_i
    return dist


# --------------------------------------------------------------------------------------------
# Order statistics of pairwise sums
# --------------------------------------------------------------------------------------------


def _pairs_materialised(a: np.ndarray, b: np.ndarray, walsh: bool) -> np.ndarray:
    if walsh:
        i, j = np.triu_indices(a.size)
        return np.sort(a[i] + a[j])
    return np.sort(np.add.outer(a, b).ravel())


def _select(a: np.ndarray, b: np.ndarray, start: np.ndarray, k: int, rng) -> float:
    """k-th smallest (0-based) of a_i + b_j over j in [start_i, len(b)); a, b sorted.

    Randomised selection with per-row candidate windows (Floyd–Rivest style): each round
    draws a random sample of the remaining candidate pairs, takes two sample quantiles that
    bracket the k-th value with high probability, counts the pairs below each with one
    vectorised ``searchsorted`` (O(n log n)) and shrinks the windows to the bracket. A round
    keeps about 2·6/√s of the candidates (s sampled pairs), so a few rounds reach a set small
    enough to partition directly; when ties keep most pairs inside the bracket, the round
    splits three ways at one sampled pivot instead (below, equal: done, above). The result
    does not depend on the random draws.
    """
    lo = start.astype(np.int64).copy()
    hi = np.full(a.size, b.size, dtype=np.int64)
    n_sample = 20_000
    for _ in range(200):
        sizes = hi - lo
        ends = np.cumsum(sizes)
        total = int(ends[-1])
        if total <= max(4 * a.size, 10 * n_sample):
            rows = np.repeat(np.arange(a.size), sizes)
            offs = np.arange(total) - np.repeat(ends - sizes, sizes)
            vals = a[rows] + b[lo[rows] + offs]
            return float(np.partition(vals, k)[k])
        pick = rng.integers(total, size=n_sample)
        row = np.searchsorted(ends, pick, side="right")
        col = lo[row] + (pick - (ends[row] - sizes[row]))
        sample = np.sort(a[row] + b[col])
        q = k / total * n_sample
        spread = 3 * np.sqrt(n_sample)
        p_lo = sample[max(0, int(q - spread))]
        p_hi = sample[min(n_sample - 1, int(q + spread))]
        below = np.clip(np.searchsorted(b, p_lo - a, side="left"), lo, hi)
        upto = np.clip(np.searchsorted(b, p_hi - a, side="right"), lo, hi)
        n_below = int((below - lo).sum())
        n_upto = int((upto - lo).sum())
        if k < n_below:  # the k-th value is below the bracket
            hi = below
        elif k >= n_upto:  # above it
            k -= n_upto
            lo = upto
        elif p_lo == p_hi:
            return float(p_lo)
        elif 2 * (n_upto - n_below) <= total:
            k -= n_below
            lo, hi = below, upto
        else:  # heavy ties: the bracket kept most pairs; split three ways at one pivot
            pivot = sample[min(n_sample - 1, int(q))]
            below = np.clip(np.searchsorted(b, pivot - a, side="left"), lo, hi)
            upto = np.clip(np.searchsorted(b, pivot - a, side="right"), lo, hi)
            n_below = int((below - lo).sum())
            n_upto = int((upto - lo).sum())
            if k < n_below:
                hi = below
            elif k < n_upto:
                return float(pivot)
            else:
                k -= n_upto
                lo = upto
    raise RuntimeError("pairwise selection did not converge")  # pragma: no cover


class PairOrder:
    """Order statistics of x_i - y_j (two samples) or Walsh sums x_i + x_j, i <= j (one sample).

    Values are returned on the natural scale: differences, or Walsh averages (sums / 2).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray | None = None) -> None:
        self.walsh = y is None
        a = np.sort(np.asarray(x, dtype=float))
        if self.walsh:
            b = a
            self.n_pairs = a.size * (a.size + 1) // 2
            self._start = np.arange(a.size)
        else:
            b = np.sort(-np.asarray(y, dtype=float))
            self.n_pairs = a.size * b.size
            self._start = np.zeros(a.size, dtype=np.int64)
        self._a, self._b = a, b
        self.materialised = self.n_pairs <= MATERIALISE_MAX
        self._all = _pairs_materialised(a, b, self.walsh) if self.materialised else None
        self._rng = np.random.default_rng(0)  # pivots only: the result does not depend on it

    def sorted_values(self) -> np.ndarray:
        """Every pair value in order, on the natural scale (materialised orders only)."""
        return self._all / 2 if self.walsh else self._all

    def kth(self, k: int) -> float:
        """k-th smallest value, 0-based."""
        if self._all is not None:
            v = float(self._all[k])
        else:
            v = _select(self._a, self._b, self._start, int(k), self._rng)
        return v / 2 if self.walsh else v

    def median(self) -> float:
        m = self.n_pairs
        if m % 2:
            return self.kth(m // 2)
        return (self.kth(m // 2 - 1) + self.kth(m // 2)) / 2


class HLInterval(NamedTuple):
    """Limits of a Hodges–Lehmann interval and the confidence level they have."""

    low: float
    high: float
    level: float
    """The level of [low, high]: the requested one, or the attained one when it is lower."""
    requested: float
    reason: str
    """Empty when the requested level was reached; otherwise why it was not (one clause)."""

    @property
    def lowered(self) -> bool:
        return self.level < self.requested


def signed_rank_z_at(x: np.ndarray, d: float, correct: bool) -> float:
    """R's ``W(d)`` of ``wilcox.test`` (one sample, asymptotic CI): the normal statistic of x − d.

    Zeros of x − d are dropped, the absolute values ranked with ties, the signed-rank sum
    centred and divided by its tie-corrected SD, with a continuity correction of
    ``0.5 * sign`` if ``correct``. NaN where that SD is 0 (R stops there).
    """
    xd = x - d
    xd = xd[xd != 0]
    nx = xd.size
    if nx == 0:
        return 0.0
    dr, ties = midranks(np.abs(xd))
    zd = float(dr[xd > 0].sum() - nx * (nx + 1) / 4)
    var = nx * (nx + 1) * (2 * nx + 1) / 24 - ties / 48
    if var <= 0:
        return float("nan")
    cc = 0.5 * np.sign(zd) if correct else 0.0
    return (zd - cc) / float(np.sqrt(var))


def rank_sum_z_at(x: np.ndarray, y: np.ndarray, d: float, correct: bool) -> float:
    """R's ``W(d)`` of ``wilcox.test`` (two samples, asymptotic CI): the statistic of x − d vs y."""
    nx, ny = x.size, y.size
    dr, ties = midranks(np.concatenate([x - d, y]))
    zd = float(dr[:nx].sum() - nx * (nx + 1) / 2 - nx * ny / 2)
    n = nx + ny
    var = nx * ny / 12 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return float("nan")
    cc = 0.5 * np.sign(zd) if correct else 0.0
    return (zd - cc) / float(np.sqrt(var))


def attainable_alpha(w_low: float, w_high: float, alpha: float) -> float:
    """Smallest alpha·2^j whose two-sided normal limits lie inside the data range (as R).

    R ``wilcox.test`` (one sample, asymptotic CI) doubles alpha while the statistic at the
    lower end of the data range is below ``qnorm(1 − alpha/2)`` or the one at the upper end is
    above ``qnorm(alpha/2)``, i.e. while a limit would lie outside the range. Returns ``inf``
    when no alpha below 1 works (or a statistic is undefined). Kept as the reference of R's
    rule; :func:`hl_interval` inverts the test directly instead.
    """
    if not (np.isfinite(w_low) and np.isfinite(w_high)):
        return float("inf")
    while alpha < 1:
        z = float(stats.norm.isf(alpha / 2))
        if w_low - z < 0 or w_high + z > 0:
            alpha *= 2
        else:
            return alpha
    return float("inf")


def _gap_statistics(order: PairOrder, sigma: float, correct: bool) -> tuple[np.ndarray, ...]:
    """The distinct pair values and the test statistic on the gaps between them.

    Between two neighbouring distinct values u[i−1] < d < u[i] the rank statistic counts the
    pairs above d (U of x − d against y; V of the Walsh averages of x − d) and its variance
    has only the ties within the samples (``sigma``); gap i = 0 lies below every value,
    gap m above them all.
    """
    values = order.sorted_values()
    unique, counts = np.unique(values, return_counts=True)
    above = np.concatenate([np.cumsum(counts[::-1])[::-1], [0]]).astype(float)
    dz = above - order.n_pairs / 2
    cc = 0.5 * np.sign(dz) if correct else 0.0
    return unique, (dz - cc) / sigma


def _inverted(
    order: PairOrder,
    z: float,
    sigma: float,
    correct: bool,
    point_statistic: Callable[[float], float] | None,
    points: np.ndarray | None,
) -> tuple[float, float] | None:
    """The smallest interval holding every shift the test does not reject at ``z``.

    Materialised orders: the statistic on every gap between distinct pair values, and at
    each of ``points`` (the shifts where the statistic is not the one of a neighbouring gap
    in a way that could matter: one sample, a difference becoming 0 and dropped). Larger
    orders: the gap statistic is monotone in the count of pairs above d, so the limits are
    found by bisection on the order statistics. ±inf where a gap beyond the data range is
    not rejected; None when no shift is accepted.
    """
    if order.materialised:
        unique, w = _gap_statistics(order, sigma, correct)
        accepted = np.flatnonzero(np.abs(w) <= z)
        ends_low = np.concatenate([[-np.inf], unique])
        ends_high = np.concatenate([unique, [np.inf]])
        low = float(ends_low[accepted].min()) if accepted.size else np.inf
        high = float(ends_high[accepted].max()) if accepted.size else -np.inf
        if point_statistic is not None and points is not None:
            for d in np.unique(points):
                if not (low <= d <= high) and abs(point_statistic(float(d))) <= z:
                    low, high = min(low, float(d)), max(high, float(d))
        return (low, high) if low <= high else None
    n_pairs = order.n_pairs

    def w_below(k: int) -> float:  # statistic just below the k-th order statistic (1-based)
        dz = n_pairs - (k - 1) - n_pairs / 2
        cc = 0.5 * np.sign(dz) if correct else 0.0
        return (dz - cc) / sigma

    def first_accepted_from_low() -> int:  # smallest k in 1..n_pairs+1 with w <= z
        lo, hi = 1, n_pairs + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if w_below(mid) <= z:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def last_accepted_from_high() -> int:  # largest k with w >= -z
        lo, hi = 1, n_pairs + 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if w_below(mid) >= -z:
                lo = mid
            else:
                hi = mid - 1
        return lo

    k_low, k_high = first_accepted_from_low(), last_accepted_from_high()
    if k_low > k_high:
        return None
    low = -np.inf if k_low == 1 else order.kth(k_low - 2)
    high = np.inf if k_high == n_pairs + 1 else order.kth(k_high - 1)
    return low, high


def hl_interval(
    order: PairOrder,
    *,
    exact: bool,
    conf_level: float,
    sigma: float,
    correct: bool,
    counts: np.ndarray | None = None,
    point_statistic: Callable[[float], float] | None = None,
    points: np.ndarray | None = None,
) -> HLInterval:
    """Confidence limits of the Hodges–Lehmann estimate: the inverted Wilcoxon test.

    Exact (no ties, as R ``wilcox.test``): order statistics at ``qwilcox``/``qsignrank`` of
    ``alpha/2`` (``counts`` is the exact null distribution). When ``qwilcox(alpha/2) = 0``
    (too few arrangements, e.g. 4 non-zero paired differences or 3 vs 3 values) no finite
    interval has the requested level: the extreme order statistics are used and their level
    1 − 2·P(S = 0) is returned, as R does.

    Asymptotic: the set of shifts d that the stated test (normal approximation with tie and
    continuity corrections, computed on x − d) does not reject, inverted directly: the
    statistic is evaluated on every gap between distinct pair values and at the shifts given
    in ``points`` with ``point_statistic`` (one sample: the data values, where a difference
    becomes 0 and is dropped), and the interval is the smallest one holding every accepted
    shift. The level is lowered only when no finite interval exists at the requested one (a
    shift beyond the data range is not rejected: too few values): alpha is then doubled
    until the interval is finite and the attained level returned with the reason. Unlike R's
    one-sample rule, which lowers the level when its statistic *at* the end of the data
    range is accepted, and R's two-sample ``uniroot``, which can stop anywhere on a flat
    stretch, the limits here are the exact ends of the accepted set. When no level gives a
    finite interval, it is (−inf, inf) at the requested level.
    """
    alpha = 1 - conf_level
    n_pairs = order.n_pairs
    if exact:
        qu = lower_quantile(counts, alpha / 2)
        level, reason = conf_level, ""
        if qu == 0:
            qu = 1
            total = int(counts.sum())
            attained = 1 - 2 * int(counts[0]) / total
            if attained < conf_level - 1e-12:
                level = attained
                reason = (
                    f"requested {conf_level:.4g} not attainable: the exact null distribution "
                    f"has {total:,} equally likely outcomes; interval between the extreme "
                    f"{'Walsh averages' if order.walsh else 'differences'}, level "
                    f"1 − 2/{total:,} = {attained:.4g}"
                )
        ql = n_pairs - qu
        return HLInterval(order.kth(qu - 1), order.kth(ql), level, conf_level, reason)
    used = alpha
    while used < 1:
        z = float(stats.norm.isf(used / 2))
        limits = _inverted(order, z, sigma, correct, point_statistic, points)
        if limits is None:  # every shift rejected: the estimate's own value at most
            estimate = order.median()
            return HLInterval(estimate, estimate, conf_level, conf_level, "")
        if np.isfinite(limits[0]) and np.isfinite(limits[1]):
            if used == alpha:
                return HLInterval(limits[0], limits[1], conf_level, conf_level, "")
            level = round(1 - used, 12)  # 1 − 4·0.05 is 0.7999999999999998 in binary
            reason = (
                f"requested {conf_level:.4g} not attainable: the test rejects no shift beyond "
                f"the data range at that level (too few values); level lowered to "
                f"{level:.4g} by doubling alpha"
            )
            return HLInterval(limits[0], limits[1], level, conf_level, reason)
        used *= 2
    reason = (
        "no finite interval at any level (the normal-approximation test rejects no shift "
        "beyond the data range): unbounded"
    )
    return HLInterval(-np.inf, np.inf, conf_level, conf_level, reason)


def delong_placements(cases: np.ndarray, controls: np.ndarray) -> tuple[float, float]:
    """AUC = P(case > control) + ½ P(tie) and its DeLong variance (DeLong et al. 1988).

    ``cases`` are the values expected to be larger. The placement values come from mid-ranks
    (pooled minus within-sample), so ties count one half, as ``pROC``. O(n log n).
    """
    m, n = cases.size, controls.size
    pooled = midranks(np.concatenate([cases, controls]))[0]
    v10 = (pooled[:m] - midranks(cases)[0]) / n  # placements of cases
    v01 = 1 - (pooled[m:] - midranks(controls)[0]) / m  # placements of controls
    auc = float(v10.mean())
    var = float(v10.var(ddof=1) / m + v01.var(ddof=1) / n)
    return auc, var


def delong_ci(auc: float, var: float, conf_level: float) -> tuple[float, float]:
    """auc ± z·sqrt(var), clipped to [0, 1] as ``pROC::ci.auc(method = "delong")``."""
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    se = np.sqrt(var)
    return float(np.clip(auc - z * se, 0, 1)), float(np.clip(auc + z * se, 0, 1))


def resample_counts(codes: np.ndarray, n_u: int, size: int, rng) -> np.ndarray:
    """Multiplicities of the distinct values in ``size`` bootstrap resamples of one sample.

    ``codes`` are the sample's values as indices into the sorted distinct values (0..n_u-1).
    Returns a (size, n_u) float array whose rows sum to ``len(codes)``. With few distinct
    values one multinomial draw per resample is cheapest (O(n_u)); otherwise indices are drawn
    and counted (O(n)). Either way there is no Python loop over patients or resamples.
    """
    n = codes.size
    present = np.bincount(codes, minlength=n_u)
    if 8 * np.count_nonzero(present) < n:
        return rng.multinomial(n, present / n, size=size).astype(float)
    idx = codes[rng.integers(0, n, size=(size, n))]
    idx += (np.arange(size) * n_u)[:, None]
    return np.bincount(idx.ravel(), minlength=size * n_u).reshape(size, n_u).astype(float)
