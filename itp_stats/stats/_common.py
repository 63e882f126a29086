"""Shared helpers of the statistics modules: group splitting and "not computed" rows.

Private module: the public functions live in ``descriptives``, ``nonparametric``,
``effsize``, ``contingency``, ``multiplicity``, ``prediction`` and ``analysis``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

MIN_GROUP_SIZE = 3
"""Smallest number of values a group needs for a test or an effect size to be computed."""

DEFAULT_SEED = 20230601


def decimal_places(values: np.ndarray, cap: int = 10, rel_tol: float = 1e-14) -> int | None:
    """The fewest decimals that print every finite value of ``values`` exactly, or ``None``.

    A value read from text such as ``2.2`` is the binary float nearest to it; it counts as
    having 1 decimal when rounding it to 1 decimal changes it by at most ``rel_tol`` of its
    size (1e-14, a few units in the last place, by default). ``None`` when no number of
    decimals up to ``cap`` prints every value (values that are not recorded decimals, such as
    computed ratios); 0 when there is no finite value.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    tolerance = rel_tol * np.abs(x).clip(min=1.0)
    for places in range(cap + 1):
        if (np.abs(x.round(places) - x) <= tolerance).all():
            return places
    return None


def decimal_difference(after: np.ndarray, before: np.ndarray) -> np.ndarray:
    """``after − before`` in the decimals the values are recorded with.

    Differencing the binary floats nearest to recorded decimals leaves noise in the last
    bits (``2.2 − 2.1`` is not ``3.1 − 3.0``), so that equal changes are not tied when they
    are ranked. The difference is rounded to the decimals of the operands
    (:func:`decimal_places` of both together), which it cannot exceed; values that are not
    recorded decimals are differenced as they are.
    """
    a = np.asarray(after, dtype=float)
    b = np.asarray(before, dtype=float)
    d = a - b
    places = decimal_places(np.r_[a.ravel(), b.ravel()])
    return d if places is None else d.round(places) + 0.0


def not_computed(reason: str) -> str:
    """Return the ``method`` text of a row that was not computed, e.g. ``"not computed: ..."``."""
    return f"not computed: {reason}"


def group_levels(data: pd.DataFrame, between: str, groups: Sequence[Any] | None = None) -> list:
    """Return the group labels in analysis order.

    ``groups`` if given; else the categories of a categorical column (in their order, unused
    categories included); else the sorted distinct non-missing values.
    """
    if groups is not None:
        return list(groups)
    col = data[between]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    return sorted(col.dropna().unique().tolist())


def split_groups(
    data: pd.DataFrame, dv: str, between: str, groups: Sequence[Any] | None = None
) -> tuple[list, list[np.ndarray], int]:
    """Split ``dv`` by ``between`` into float arrays of complete cases.

    Returns
    -------
    labels : list
        Group labels, in analysis order.
    samples : list of ndarray
        Non-missing values of ``dv`` for each label.
    n_missing : int
        Rows of the selected groups (or with a missing group) dropped because ``dv`` or
        ``between`` is missing.
    """
    labels = group_levels(data, between, groups)
    values = pd.to_numeric(data[dv], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    grp = data[between]
    samples = []
    n_missing = 0
    for lab in labels:
        mask = (grp == lab).to_numpy(dtype=bool, na_value=False)
        v = values[mask]
        ok = np.isfinite(v)
        n_missing += int((~ok).sum())
        samples.append(v[ok])
    if groups is None:
        n_missing += int(grp.isna().sum())
    return labels, samples, n_missing


def small_group_reason(labels: Sequence[Any], samples: Sequence[np.ndarray]) -> str | None:
    """Reason why a between-group analysis cannot run, or ``None`` when it can."""
    if len(labels) < 2:
        return "fewer than two groups"
    if all(len(s) == 0 for s in samples):
        return "all values missing"
    small = [f"{lab} (n={len(s)})" for lab, s in zip(labels, samples, strict=True)]
    small = [txt for txt, s in zip(small, samples, strict=True) if len(s) < MIN_GROUP_SIZE]
    if small:
        return f"fewer than {MIN_GROUP_SIZE} values in group " + ", ".join(small)
    pooled = np.concatenate(samples)
    if np.all(pooled == pooled[0]):
        return "all values tied"
    return None


def frame(rows: list[dict], columns: Sequence[str]) -> pd.DataFrame:
    """Build a DataFrame with exactly ``columns`` (missing keys become NaN/None)."""
    return pd.DataFrame([{c: r.get(c, np.nan) for c in columns} for r in rows], columns=columns)
