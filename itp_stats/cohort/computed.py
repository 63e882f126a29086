"""Markers computed from recorded markers: a ratio, a sum or a difference, per time point.

A marker of the data dictionary may be declared as computed instead of recorded::

    markers:
      kappa: {label: Free kappa light chain, parent: null}
      lambda: {label: Free lambda light chain, parent: null}
      kl_ratio:
        label: Kappa/lambda ratio
        compute: {ratio: [kappa, lambda]}

Its column at each time point (``kl_ratio_m0``) is not read from the file: it is computed from
the recorded columns of its inputs at the same time point (``kappa_m0 / lambda_m0``) after the
validation gate has checked them, and is missing where an input is missing; a ratio whose
denominator is 0 is missing too, and the Methods say how many. The dictionary refuses a
computation whose inputs are not recorded, numeric markers with a column at every time point
where the computed marker is to have one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from itp_stats.errors import DictionaryError

if TYPE_CHECKING:
    from pathlib import Path

    from itp_stats.cohort.dictionary import Dictionary

__all__ = [
    "OPERATIONS",
    "Computation",
    "add_computed",
    "computed_zero_denominators",
    "read_computation",
]

OPERATIONS: dict[str, dict[str, Any]] = {
    "ratio": {"inputs": (2, 2), "symbol": "/", "words": "divided by"},
    "sum": {"inputs": (2, None), "symbol": "+", "words": "plus"},
    "difference": {"inputs": (2, 2), "symbol": "−", "words": "minus"},
}
"""The computations a marker may be declared as: how many inputs each takes (least, most:
None for no limit), its symbol and its words in the Methods."""


@dataclass(frozen=True)
class Computation:
    """How a computed marker is derived from recorded markers.

    Attributes
    ----------
    operation : {"ratio", "sum", "difference"}
        Key of :data:`OPERATIONS`.
    inputs : tuple of str
        Recorded markers, in order (numerator then denominator; minuend then subtrahend).
    """

    operation: str
    inputs: tuple[str, ...]

    def columns(self, timepoint: str) -> tuple[str, ...]:
        """The input columns at ``timepoint`` (``kappa_m0``, ``lambda_m0``)."""
        return tuple(f"{m}_{timepoint}" for m in self.inputs)


def read_computation(path: Path, name: str, raw: Any) -> Computation:
    """A marker's ``compute`` entry, checked for its form (its inputs are checked against the
    dictionary by :func:`itp_stats.cohort.dictionary.load_dictionary`).

    Parameters
    ----------
    path : Path
        The dictionary file (named in messages).
    name : str
        The computed marker.
    raw : Any
        The entry: a mapping of one operation to a list of marker names.

    Returns
    -------
    Computation

    Raises
    ------
    DictionaryError
        Not one known operation, or the wrong number of inputs; the message names the file,
        the marker and the key.
    """
    where = f"{path}: markers: {name!r}: compute"
    known = ", ".join(OPERATIONS)
    if not isinstance(raw, dict) or len(raw) != 1:
        raise DictionaryError(
            f"{where}: expected one operation ({known}) with its markers, e.g. "
            "{ratio: [kappa, lambda]}"
        )
    operation, inputs = next(iter(raw.items()))
    if operation not in OPERATIONS:
        raise DictionaryError(f"{where}: unknown operation {operation!r} (known: {known})")
    if not isinstance(inputs, list) or not all(isinstance(m, str) for m in inputs):
        raise DictionaryError(f"{where}.{operation}: expected a list of marker names")
    least, most = OPERATIONS[operation]["inputs"]
    if len(inputs) < least or (most is not None and len(inputs) > most):
        count = f"exactly {least}" if most == least else f"at least {least}"
        raise DictionaryError(f"{where}.{operation}: takes {count} markers, not {len(inputs)}")
    if len(set(inputs)) != len(inputs):
        raise DictionaryError(f"{where}.{operation}: a marker is listed twice")
    if name in inputs:
        raise DictionaryError(f"{where}.{operation}: a marker cannot be computed from itself")
    return Computation(str(operation), tuple(inputs))


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce").astype("Float64")


def add_computed(frame: pd.DataFrame, dictionary: Dictionary) -> pd.DataFrame:
    """Add the computed markers' columns (:attr:`Dictionary.computed`) to a validated cohort.

    Parameters
    ----------
    frame : pandas.DataFrame
        Typed cohort, after the gate has validated its recorded columns.
    dictionary : Dictionary
        The data dictionary declaring the computed markers.

    Returns
    -------
    pandas.DataFrame
        A copy with one ``Float64`` column per computed marker and time point: the ratio,
        sum or difference of its inputs' columns, missing where an input is missing and, for
        a ratio, where the denominator is 0 (:func:`computed_zero_denominators` counts those).
        The frame itself when the dictionary declares none.
    """
    if not dictionary.computed:
        return frame
    out = frame.copy()
    for column, (marker, timepoint) in dictionary.computed_sources.items():
        computation = dictionary.markers[marker].compute
        values = [_numbers(out, c) for c in computation.columns(timepoint)]
        if computation.operation == "ratio":
            den = values[1].mask(values[1] == 0)
            result = values[0] / den
        elif computation.operation == "difference":
            result = values[0] - values[1]
        else:
            result = values[0]
            for v in values[1:]:
                result = result + v
        result = result.astype("Float64")
        out[column] = result.mask(~np.isfinite(result.to_numpy(dtype=float, na_value=np.nan)))
    return out


def computed_zero_denominators(frame: pd.DataFrame, dictionary: Dictionary) -> dict[str, int]:
    """Per computed ratio column, the rows left missing because the denominator is 0 while
    the numerator is recorded.

    Parameters
    ----------
    frame : pandas.DataFrame
        Cohort with the inputs' columns.
    dictionary : Dictionary

    Returns
    -------
    dict of str to int
        Computed column → count, for the ratio columns with at least one such row.
    """
    out = {}
    for column, (marker, timepoint) in dictionary.computed_sources.items():
        computation = dictionary.markers[marker].compute
        if computation.operation != "ratio":
            continue
        num, den = (_numbers(frame, c) for c in computation.columns(timepoint))
        zero = int((num.notna() & (den == 0).fillna(False)).sum())
        if zero:
            out[column] = zero
    return out
