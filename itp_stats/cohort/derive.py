"""The derived columns of a typed cohort, computed in one place.

Each marker as % of its parent count, the dictionary's binned columns (a disease phase cut
from a duration) and the study's derived group (its rule applied to the named input
columns): :func:`derive`. The gate derives the group as :func:`derive_group` does.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np
import pandas as pd

from itp_stats.cohort.dictionary import Binned, Dictionary, load_dictionary

__all__ = ["derive", "derive_group"]


def _derivation_function(rule: str) -> Callable[..., pd.Series]:
    """The function computing a group derivation rule (``DERIVATION_RULES[rule]["function"]``)."""
    from itp_stats.cohort.design import DERIVATION_RULES

    module, _, name = DERIVATION_RULES[rule]["function"].partition(":")
    return getattr(importlib.import_module(module), name)


def derive_group(data: pd.DataFrame, dictionary: Dictionary) -> pd.Series | None:
    """The study's derived group, computed from its named input columns.

    Parameters
    ----------
    data : pandas.DataFrame
        Typed cohort.
    dictionary : Dictionary
        With its study ``design`` attached.

    Returns
    -------
    pandas.Series or None
        The group by the study's derivation rule, named ``derivation.into`` (ordered
        categorical of the rule's levels; missing where it cannot be decided); None when the
        dictionary has no design, the design no derivation, or an input column is absent.
    """
    design = dictionary.design
    derivation = getattr(design, "derivation", None)
    if derivation is None or not all(c in data for c in derivation.columns):
        return None
    function = _derivation_function(derivation.rule)
    group = function(*(data[c] for c in derivation.columns))
    return pd.Series(group, index=data.index).rename(derivation.into)


def _cut(values: pd.Series, binned: Binned) -> pd.Series:
    """Bin a numeric column: first bin whose upper bound a value satisfies; missing stays."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    labels = np.full(x.shape, None, dtype=object)
    left = ~np.isnan(x)
    for b in binned.bins:
        if b.below is not None:
            fits = left & (x < b.below)
        elif b.at_most is not None:
            fits = left & (x <= b.at_most)
        else:
            fits = left
        labels[fits] = b.label
        left &= ~fits
    return pd.Series(
        pd.Categorical(labels, categories=list(binned.categories), ordered=True),
        index=values.index,
    )


def derive(data: pd.DataFrame, dictionary: Dictionary | None = None) -> pd.DataFrame:
    """Add the derived columns, computed in this one place.

    Parameters
    ----------
    data : pandas.DataFrame
        Typed cohort (see :func:`type_cohort`).
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use (with its design).

    Returns
    -------
    pandas.DataFrame
        A copy with, where their inputs are present:

        - ``pct_{marker}_{timepoint}``: count as % of the marker's parent count (e.g. a
          lymphocyte subset as % of lymphocytes); missing when either count is missing or the
          parent is 0;
        - every binned derived column of the dictionary (``from:`` and ``bins:`` in its
          ``derived`` section, e.g. a disease phase cut from a duration): ordered categorical
          of the bins' labels;
        - the study's derived group (``design.derivation``: its rule applied to the named
          input columns, see :func:`derive_group`), named ``derivation.into``; none without a
          design or a derivation.
    """
    dictionary = dictionary or load_dictionary()
    out = data.copy()
    new: dict[str, pd.Series] = {}
    for marker in dictionary.markers.values():
        if not marker.parent:
            continue
        for tp in dictionary.timepoints:
            num, den = marker.column(tp), dictionary.markers[marker.parent].column(tp)
            if num in out and den in out:
                n = pd.to_numeric(out[num], errors="coerce").astype("Float64")
                d = pd.to_numeric(out[den], errors="coerce").astype("Float64")
                d = d.mask(d == 0)
                new[marker.pct_column(tp)] = (100 * n / d).astype("Float64")
    for name, binned in dictionary.binned.items():
        if binned.source in out:
            new[name] = _cut(out[binned.source], binned)
    group = derive_group(out, dictionary)
    if group is not None:
        new[str(group.name)] = group
    for name, series in new.items():
        out[name] = series
    return out
