"""The batch the gate validates: the typed cohort plus the columns the gate computes.

The file is read once, as bytes (hashed for the result) and as cells; nothing is written.
Dictionary columns are typed by :mod:`itp_stats.load`; other columns are kept as read, so the
exact-column-set rule sees them. The gate then adds its own columns (prefix ``gate__``):

- ``gate__unparsed_cells``: per row, the cells that did not parse in their type
  (``nk_m0='ND'``), empty when every cell did;
- ``gate__response_iwg``: the IWG 2009 response derived by :func:`itp_stats.load.derive`;
- ``gate__ratio_{parts}_to_{whole}_{timepoint}``: sum of the subsets over the parent count
  (infinite when the parent is 0 and the subsets are not; missing when a count is missing).

This module does not import Great Expectations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from itp_stats.dictionary import Dictionary, load_dictionary
from itp_stats.errors import CohortReadError
from itp_stats.gate.result import sha256_file
from itp_stats.gate.suite import (
    CHECK_PREFIX,
    RESPONSE_CHECK,
    UNPARSED_CHECK,
    composition_check,
)
from itp_stats.load import derive, read_table, type_cohort

__all__ = ["GateBatch", "gate_frame", "read_batch", "row_labels"]


@dataclass(frozen=True)
class GateBatch:
    """A cohort file prepared for validation.

    Attributes
    ----------
    path : Path
        The file (absolute).
    sha256 : str
        SHA-256 of the file's bytes, as read.
    frame : pandas.DataFrame
        Typed file columns plus the gate's columns, indexed 0..n-1.
    file_columns : tuple of str
        Columns of the file, in file order.
    labels : list of str
        Per row, the patient id, or ``row N`` (line of the file) when it has none.
    problems : pandas.DataFrame
        Cells that did not parse (see :func:`itp_stats.load.type_cohort`).
    """

    path: Path
    sha256: str
    frame: pd.DataFrame
    file_columns: tuple[str, ...]
    labels: list[str]
    problems: pd.DataFrame

    @property
    def n_rows(self) -> int:
        """Number of patient rows."""
        return len(self.frame)


def row_labels(frame: pd.DataFrame, id_column: str) -> list[str]:
    """Per row, the patient id as text, or ``row N`` (line N of a file with a header)."""
    n = len(frame)
    if id_column not in frame:
        return [f"row {i + 2}" for i in range(n)]
    ids = frame[id_column].astype(object).to_numpy()
    return [
        f"row {i + 2}" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
        for i, v in enumerate(ids)
    ]


def _unparsed(problems: pd.DataFrame, n: int) -> pd.Series:
    out = pd.Series([None] * n, dtype=object)
    if problems is None or problems.empty:
        return out
    text = problems["column"].astype(str) + "=" + problems["value"].map(repr)
    joined = text.groupby(problems["row"].to_numpy()).agg("; ".join)
    out.iloc[joined.index.to_numpy(dtype=int)] = joined.to_numpy()
    return out


def _ratio(frame: pd.DataFrame, parts: list[str], whole: str) -> pd.Series:
    total = np.zeros(len(frame))
    for p in parts:
        total = total + pd.to_numeric(frame[p], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    denom = pd.to_numeric(frame[whole], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(denom > 0, total / denom, np.where(total > 0, np.inf, np.nan))
    ratio[np.isnan(total) | np.isnan(denom)] = np.nan
    return pd.Series(ratio, index=frame.index, dtype=float)


def gate_frame(
    typed: pd.DataFrame,
    problems: pd.DataFrame | None = None,
    dictionary: Dictionary | None = None,
) -> pd.DataFrame:
    """Add the gate's columns to a typed cohort.

    Parameters
    ----------
    typed : pandas.DataFrame
        Cohort as typed by :func:`itp_stats.load.type_cohort` (or :func:`itp_stats.synth
        .synthesize`), with the file's columns only.
    problems : pandas.DataFrame, optional
        Cells that did not parse (``column``, ``row``, ``value``).
    dictionary : Dictionary, optional
        Defaults to the project's dictionary.

    Returns
    -------
    pandas.DataFrame
        The file's columns (a file column whose name collides with a gate column is renamed
        ``"<name> (from file)"`` so the column-set rule reports it), then the gate's columns.
    """
    d = dictionary or load_dictionary()
    frame = typed.reset_index(drop=True)
    clashes = {c: f"{c} (from file)" for c in frame.columns if str(c).startswith(CHECK_PREFIX)}
    if clashes:
        frame = frame.rename(columns=clashes)
    new: dict[str, pd.Series] = {UNPARSED_CHECK: _unparsed(problems, len(frame))}
    known = [c for c in d.columns if c in frame]
    derived = derive(frame[known], d)
    # every gate column is present, empty when its inputs are missing from the file (the rules
    # reading it are then reported as not evaluated)
    if "response_iwg" in derived:
        iwg = derived["response_iwg"].astype(object)
        new[RESPONSE_CHECK] = iwg.where(iwg.notna(), None)
    else:
        new[RESPONSE_CHECK] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    for comp in d.compositions:
        for tp in d.timepoints:
            parts = [d.markers[p].column(tp) for p in comp.parts]
            whole = d.markers[comp.whole].column(tp)
            if all(c in frame for c in [*parts, whole]):
                new[composition_check(comp, tp)] = _ratio(frame, parts, whole)
            else:
                new[composition_check(comp, tp)] = pd.Series(np.nan, index=frame.index)
    return pd.concat([frame, pd.DataFrame(new, index=frame.index)], axis=1)


def read_batch(path: str | Path, dictionary: Dictionary | None = None) -> GateBatch:
    """Read a cohort file (read-only) and prepare it for the gate.

    Parameters
    ----------
    path : str or Path
        CSV, XLSX or Parquet cohort file.
    dictionary : Dictionary, optional
        Defaults to the project's dictionary.

    Returns
    -------
    GateBatch

    Raises
    ------
    CohortReadError
        The file is missing, empty or cannot be read (exit status 2).
    """
    d = dictionary or load_dictionary()
    path = Path(path).resolve()
    try:
        sha = sha256_file(path) if path.is_file() else ""
    except OSError as exc:
        raise CohortReadError(f"{path}: cannot read ({exc.strerror})") from None
    raw, decimal_comma = read_table(path)
    if len(raw.columns) == 0:
        raise CohortReadError(f"{path}: the file has no columns")
    typed, problems = type_cohort(raw, d, decimal_comma=decimal_comma)
    return GateBatch(
        path=path,
        sha256=sha,
        frame=gate_frame(typed, problems, d),
        file_columns=tuple(raw.columns),
        labels=row_labels(raw, d.id_column),
        problems=problems,
    )
