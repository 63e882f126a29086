"""The axis scale of a quantity, one rule for every figure and its caption.

The figures draw a marker on a log axis by :func:`on_log_scale`; the captions say so by the
same function, without importing matplotlib (a warm render draws no figure but writes every
caption).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["on_log_scale"]


def on_log_scale(columns: Sequence[pd.Series], percentage: bool) -> bool:
    """Whether a marker is drawn on a log axis.

    Parameters
    ----------
    columns : sequence of pandas.Series
        The marker's values at every time point the figures show.
    percentage : bool
        Whether the marker is a percentage (bounded: always linear).

    Returns
    -------
    bool
        True for a quantity that is not a percentage and whose every value, at every time
        point, is above 0 (skewed positive values read best on a log scale; a log axis cannot
        show a zero, so a marker with zeros stays linear everywhere).
    """
    if percentage or not columns:
        return False
    values = np.concatenate(
        [pd.to_numeric(c, errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in columns]
    )
    values = values[~np.isnan(values)]
    return bool(len(values)) and bool((values > 0).all())
