"""The batch the gate validates: the typed cohort plus the columns the gate computes.

The file is read once, as bytes (hashed for the result) and as cells; nothing is written.
Dictionary columns are typed by :mod:`itp_stats.cohort.load`; other columns are kept as read, so the
exact-column-set rule sees them. The gate then adds its own columns (prefix ``gate__``):

- ``gate__unparsed_cells``: per row, how many cells did not parse in their type (``ND`` in
  a count column), 0 when every cell did;
- ``gate__recorded_{timepoint}``: per row, how many cells measured at the time point have a
  value (checked against the follow-up), for the time points of
  :func:`itp_stats.gate.suite.followup_points`;
- ``gate__group_derived``: the group derived by the study's rule, as
  :func:`itp_stats.cohort.load.derive` derives it (:func:`~itp_stats.cohort.load.derive_group`),
  when the study derives its group;
- ``gate__ratio_{parts}_to_{whole}_{timepoint}``: sum of the subsets over the parent count
  (infinite when the parent is 0 and the subsets are not; missing when a count is missing).

This module does not import Great Expectations.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

import numpy as np
import pandas as pd

from itp_stats.cohort.dictionary import Dictionary, load_dictionary
from itp_stats.cohort.load import (
    CHUNK_ROWS,
    PROBLEM_COLUMNS,
    derive_group,
    type_cohort,
)
from itp_stats.cohort.source import Source
from itp_stats.errors import CohortReadError
from itp_stats.gate.suite import (
    CHECK_PREFIX,
    GROUP_CHECK,
    UNPARSED_CHECK,
    check_columns,
    composition_check,
    timepoint_columns,
)

__all__ = [
    "BatchChunk",
    "BatchStream",
    "GateBatch",
    "RowLabels",
    "gate_frame",
    "read_batch",
    "row_labels",
    "stream_batch",
]


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
        File columns plus the gate's columns, indexed 0..n-1; dictionary numbers and yes/no
        values as ``float64`` (yes = 1), texts and unknown columns as ``category``.
    file_columns : tuple of str
        Columns of the file, in file order.
    labels : list of str
        Per row, the patient id, or ``row N`` (line of the file) when it has none.
    problems : pandas.DataFrame
        Cells that did not parse (see :func:`itp_stats.cohort.load.type_cohort`).
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


class RowLabels(Sequence[str]):
    """Per row, the patient id as text, or ``row N`` (line N of a file with a header).

    Made for the rows asked for (a failing row's id), not for every row at once: a million
    rows keep their ids in the column's own compact array, not as a million Python strings.
    Equal to the list of the same labels.
    """

    def __init__(self, ids: pd.Series | None, n: int) -> None:
        self._ids = None if ids is None else ids.reset_index(drop=True)
        self._n = n

    def __len__(self) -> int:
        return self._n

    def _label(self, i: int) -> str:
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        v = None if self._ids is None else self._ids.iloc[i]
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            return f"row {i + 2}"
        return str(v)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self._label(k) for k in range(*i.indices(self._n))]
        return self._label(int(i))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == self._n and all(a == b for a, b in zip(self, other, strict=False))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(repr(v) for v in self[:3])
        return f"RowLabels([{shown}{', …' if self._n > 3 else ''}], n={self._n})"


def row_labels(frame: pd.DataFrame, id_column: str) -> RowLabels:
    """Per row, the patient id as text, or ``row N`` (line N of a file with a header)."""
    return RowLabels(frame[id_column] if id_column in frame else None, len(frame))


def _unparsed(problems: pd.DataFrame | None, n: int) -> pd.Series:
    counts = np.zeros(n)
    if problems is not None and not problems.empty:
        np.add.at(counts, problems["row"].to_numpy(dtype=int), 1)
    return pd.Series(counts, dtype=float)


def _recorded(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    present = [c for c in columns if c in frame]
    if not present:
        return pd.Series(np.zeros(len(frame)), dtype=float)
    return pd.Series(frame[present].notna().sum(axis=1).to_numpy(dtype=float), dtype=float)


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
    *,
    consume: bool = False,
) -> pd.DataFrame:
    """Add the gate's columns to a typed cohort.

    Parameters
    ----------
    typed : pandas.DataFrame
        Cohort as typed by :func:`itp_stats.cohort.load.type_cohort` (or
        :func:`itp_stats.cohort.synth
        .synthesize`), with the file's columns only.
    problems : pandas.DataFrame, optional
        Cells that did not parse (``column``, ``row``, ``value``).
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use (with its design).
    consume : bool
        Convert the columns of ``typed`` itself, releasing each typed column once its plain
        copy exists (``typed`` is left empty), so a large cohort is not held twice.

    Returns
    -------
    pandas.DataFrame
        The file's columns (a file column whose name collides with a gate column is renamed
        ``"<name> (from file)"`` so the column-set rule reports it), then the gate's columns;
        numbers and yes/no values as ``float64`` (yes = 1.0, missing = NaN), texts as
        ``category`` (missing = NaN).
    """
    d = dictionary or load_dictionary()
    if consume:
        frame = typed
        frame.index = pd.RangeIndex(len(frame))
    else:
        frame = typed.reset_index(drop=True)
    clashes = {c: f"{c} (from file)" for c in frame.columns if str(c).startswith(CHECK_PREFIX)}
    if clashes:
        frame = frame.rename(columns=clashes)
    new: dict[str, pd.Series] = {UNPARSED_CHECK: _unparsed(problems, len(frame))}
    names = check_columns(d)
    # every gate column is present, empty when its inputs are missing from the file (the rules
    # reading it are then reported as not evaluated)
    if GROUP_CHECK in names:
        group = derive_group(frame, d)
        if group is not None:
            values = group.astype(object)
            new[GROUP_CHECK] = values.where(values.notna(), None)
        else:
            new[GROUP_CHECK] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    for comp in d.compositions:
        for tp in d.timepoints:
            parts = [d.markers[p].column(tp) for p in comp.parts]
            whole = d.markers[comp.whole].column(tp)
            if all(c in frame for c in [*parts, whole]):
                new[composition_check(comp, tp)] = _ratio(frame, parts, whole)
            else:
                new[composition_check(comp, tp)] = pd.Series(np.nan, index=frame.index)
    for name in names:
        if name.startswith(f"{CHECK_PREFIX}recorded_"):
            tp = name.removeprefix(f"{CHECK_PREFIX}recorded_")
            new[name] = _recorded(frame, timepoint_columns(d, tp))
    columns: dict[str, pd.Series] = {
        c: _plain(frame.pop(c) if consume else frame[c], d) for c in list(frame.columns)
    }
    for name, series in new.items():
        columns[name] = _plain(pd.Series(series.to_numpy(), name=name), d)
    # the recorded and the derived group are compared: they share one category set
    group = d.group_column
    if group in columns and GROUP_CHECK in columns:
        pair = (columns[group], columns[GROUP_CHECK])
        shared = sorted({str(v) for s in pair for v in s.cat.categories})
        for name, series in zip((group, GROUP_CHECK), pair, strict=True):
            columns[name] = series.cat.set_categories(shared)
    return pd.DataFrame(columns)


def _plain(series: pd.Series, dictionary: Dictionary) -> pd.Series:
    """A column as a plain NumPy array for validation.

    Numbers and yes/no values become ``float64`` (missing = NaN; yes = 1.0), texts
    ``category`` of their observed values (missing = NaN). GX copies the whole frame for most
    metrics: NumPy floats and category codes copy fast (a text column of Python strings is
    about as costly as all the numbers together), and behave the same under pandas 2 and 3.
    """
    column = dictionary.columns.get(str(series.name))
    kind = column.type if column is not None else None
    if kind in {"integer", "float", "boolean"} or pd.api.types.is_float_dtype(series.dtype):
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return pd.Series(values, dtype=float)
    if isinstance(series.dtype, pd.StringDtype):  # texts as read: no Python string per cell
        codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
        categories = pd.Index(list(uniques), dtype=object)
        width = np.min_scalar_type(-max(len(categories), 1))  # as pandas sizes its own codes
        return pd.Series(pd.Categorical.from_codes(codes.astype(width), categories=categories))
    values = series.astype(object)
    present = values.notna()
    if column is None:  # a column the dictionary does not know: any cells, shown as text
        values = values.map(str)
    return pd.Series(pd.Categorical(values.where(present, None).to_numpy()))


def read_batch(path: str | Path | Source, dictionary: Dictionary | None = None) -> GateBatch:
    """Read a cohort file (read-only) and prepare it for the gate.

    Parameters
    ----------
    path : str, Path or Source
        CSV, XLSX or Parquet cohort file (a relative path from the current folder), or the
        :class:`~itp_stats.cohort.source.Source` that read it: its bytes are parsed, not the
        file again.
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
    source = Source.open(path, root=Path.cwd())
    raw, decimal_comma = source.read_table()
    if len(raw.columns) == 0:
        raise CohortReadError(f"{source.path}: the file has no columns")
    file_columns, labels = tuple(raw.columns), row_labels(raw, d.id_column)
    # typed in place, then made plain in place: each column is held in one form at a time
    typed, problems = type_cohort(
        raw, d, decimal_comma=decimal_comma, consume=True, arrow_text=True
    )
    del raw
    frame = gate_frame(typed, problems, d, consume=True)
    del typed
    return GateBatch(
        path=source.path,
        sha256=source.sha256,
        frame=frame,
        file_columns=file_columns,
        labels=labels,
        problems=problems,
    )


@dataclass(frozen=True)
class BatchChunk:
    """A slice of a cohort file's rows, prepared for the gate.

    Attributes
    ----------
    start : int
        Position, in the file's rows, of the chunk's first row.
    frame : pandas.DataFrame
        As :attr:`GateBatch.frame`, for these rows, indexed 0..k-1.
    last : bool
        Whether no row of the file comes after the chunk.
    """

    start: int
    frame: pd.DataFrame
    last: bool = True


@dataclass
class BatchStream:
    """A cohort file read and prepared a chunk of rows at a time (:func:`stream_batch`).

    Iterating yields the :class:`BatchChunk` s in file order, once; while it runs, the
    stream gathers what the whole file's step table needs beyond the chunks: the row
    labels, the parse problems (rows numbered in the file) and the file's columns.

    Attributes
    ----------
    path : Path
        The file (absolute).
    sha256 : str
        SHA-256 of the bytes that are parsed.
    file_columns : tuple of str
        Columns of the file, in file order (known once the first chunk is read).
    n_rows : int
        Rows read so far (all of them once the iteration ends).
    """

    path: Path
    sha256: str
    dictionary: Dictionary
    rows: int = CHUNK_ROWS
    file_columns: tuple[str, ...] = ()
    n_rows: int = 0
    _source: Source | None = field(default=None, repr=False)
    _ids: list[pd.Series] = field(default_factory=list, repr=False)
    _problems: list[pd.DataFrame] = field(default_factory=list, repr=False)

    def __iter__(self) -> Iterator[BatchChunk]:
        source, self._source = self._source, None  # the stream reads its source once
        if source is None:
            raise RuntimeError("a BatchStream is read once")
        d = self.dictionary
        chunks, decimal_comma = source.read_chunks(self.rows)
        upcoming = next(chunks, None)
        while upcoming is not None:
            # the next chunk's cells are read first, so that a chunk knows whether it is last
            raw, upcoming = upcoming, next(chunks, None)
            if not self.file_columns:
                if len(raw.columns) == 0:
                    raise CohortReadError(f"{self.path}: the file has no columns")
                self.file_columns = tuple(raw.columns)
            start = self.n_rows
            if d.id_column in raw:
                self._ids.append(raw[d.id_column])
            typed, problems = type_cohort(
                raw, d, decimal_comma=decimal_comma, consume=True, arrow_text=True
            )
            del raw
            frame = gate_frame(typed, problems, d, consume=True)
            del typed
            if not problems.empty:
                problems["row"] += start
                self._problems.append(problems)
            self.n_rows += len(frame)
            yield BatchChunk(start, frame, last=upcoming is None)

    @property
    def labels(self) -> RowLabels:
        """Per row of the file, the patient id or ``row N`` (see :class:`RowLabels`)."""
        if not self._ids:
            return RowLabels(None, self.n_rows)
        ids = self._ids[0] if len(self._ids) == 1 else pd.concat(self._ids, ignore_index=True)
        return RowLabels(ids, self.n_rows)

    @property
    def problems(self) -> pd.DataFrame:
        """Cells that did not parse, rows numbered in the file (as :attr:`GateBatch.problems`)."""
        if not self._problems:
            return pd.DataFrame(columns=list(PROBLEM_COLUMNS))
        return pd.concat(self._problems, ignore_index=True)


def stream_batch(
    path: str | Path | Source, dictionary: Dictionary | None = None, *, rows: int = CHUNK_ROWS
) -> BatchStream:
    """Scan a cohort file (read-only), to be prepared for the gate chunk by chunk.

    The file is hashed and its encoding and layout found by one pass over it
    (:meth:`itp_stats.cohort.source.Source.open`), which keeps its bytes when they are few
    enough; iterating the stream parses those, or a larger file again from the disk,
    checking that the bytes are the ones hashed. The prepared chunks together equal
    :func:`read_batch`'s frame (row by row), while only one chunk's cells and columns are
    held at a time, besides the ids and the parse problems (an Excel or Parquet file is held
    whole while it is read).

    Parameters
    ----------
    path : str, Path or Source
        CSV, XLSX or Parquet cohort file (a relative path from the current folder), or the
        :class:`~itp_stats.cohort.source.Source` that read it.
    dictionary : Dictionary, optional
        Defaults to the project's dictionary.
    rows : int
        Rows per chunk (:data:`itp_stats.cohort.load.CHUNK_ROWS`).

    Returns
    -------
    BatchStream

    Raises
    ------
    CohortReadError
        The file is missing, cannot be read, is empty or in an unread encoding (exit status
        2); what is wrong further in its content, or a change since the scan, is raised while
        the stream is iterated.
    """
    d = dictionary or load_dictionary()
    source = Source.open(path, root=Path.cwd())
    return BatchStream(
        path=source.path, sha256=source.sha256, dictionary=d, rows=rows, _source=source
    )
