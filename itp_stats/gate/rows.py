"""The rows a step table shows: a few rows of a cohort too large, or too far, to keep.

The step builder of :mod:`itp_stats.gate.run` reads a frame in three ways only: whether it
has a column (``column in frame``), a cell of a failing row (``frame[column].iloc[row]``) and
the distinct values of a column (``frame[column].dropna().unique()``). :class:`KeptRows`
offers these for the rows kept (the first failing rows of each rule, by their position in the
whole cohort) and a function giving a column's distinct values, so that neither a cohort
validated chunk by chunk nor one validated in its database is held whole to write its steps.

This module imports neither pandas nor Great Expectations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["KeptColumn", "KeptRows"]


class KeptColumn:
    """One column of the rows kept: ``.iloc[row]``, ``.dropna().unique()``."""

    def __init__(self, values: dict[int, Any], distinct: Callable[[], list[Any]]) -> None:
        self._values, self._distinct = values, distinct

    @property
    def iloc(self) -> KeptColumn:
        """Positional access, as on a pandas Series: ``column.iloc[row]``."""
        return self

    def __getitem__(self, row: int) -> Any:
        return self._values.get(int(row))

    def dropna(self) -> KeptColumn:
        """The column (the distinct values given are without missing values)."""
        return self

    def unique(self) -> list[Any]:
        """The column's distinct values, over every row of the cohort."""
        return self._distinct()


class KeptRows:
    """Some rows of a cohort, by position, read as the step builder reads a frame.

    Parameters
    ----------
    columns : iterable of str
        The cohort's columns.
    distinct : callable, optional
        Given a column, its distinct values over the whole cohort (missing ones left out);
        it may be set once they are known (default: none).

    Attributes
    ----------
    values : dict of str to dict of int to object
        Per column, the kept cells by row position.
    distinct : callable
        As the parameter.
    """

    def __init__(
        self, columns: Iterable[str], distinct: Callable[[str], list[Any]] | None = None
    ) -> None:
        self.columns = tuple(columns)
        self.values: dict[str, dict[int, Any]] = {c: {} for c in self.columns}
        self.distinct = distinct or (lambda column: [])

    def __contains__(self, column: object) -> bool:
        return column in self.values

    def __getitem__(self, column: str) -> KeptColumn:
        return KeptColumn(self.values[column], lambda: self.distinct(column))
