"""Narrow batches: which columns of the cohort each expectation of the suite is run against.

Great Expectations' pandas engine copies the whole batch for most expectations (dropping the
rows where a column is empty, the rows where either column of a pair is empty, the rows a
``row_condition`` excludes), so on a wide table the cost of a run grows with rules × columns.
The gate therefore validates each expectation against a DataFrame holding only the columns
that expectation reads. The split is derived from the expectations themselves (their
``column``, ``column_A``/``column_B``, ``column_list`` and ``row_condition`` arguments), never
from a second list: the suite in ``validation/`` stays the one reviewable set of rules.

Each narrow batch costs Great Expectations a fixed amount of work (building the batch
fingerprints every column of the frame and its index), so small column sets are merged while
a merge is cheaper than a separate batch (:func:`plan_batches`). Rows and row labels are those
of the full frame (the narrow frames keep its index), so failing row indexes are unchanged.

This module does not import Great Expectations; it reads expectation configurations as the
plain dictionaries GX serialises them to (``type`` and ``kwargs``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "HEADER_ONLY",
    "ROWS_ONLY",
    "TABLE_LEVEL",
    "UNIQUE",
    "NarrowBatch",
    "expectation_columns",
    "plan_batches",
]

HEADER_ONLY = frozenset({"expect_table_columns_to_match_set"})
"""Expectation types that read the column names only: run against the header (no rows)."""
ROWS_ONLY = frozenset({"expect_table_row_count_to_be_between"})
"""Expectation types that read the number of rows only: run with any narrow batch."""

UNIQUE = "expect_column_values_to_be_unique"
"""The uniqueness expectation: decided by which values of a column are equal."""

TABLE_LEVEL = frozenset({UNIQUE, "expect_column_unique_value_count_to_be_between", *ROWS_ONLY})
"""Expectation types decided over every row at once: when a cohort is validated chunk by
chunk, they run once, on the whole cohort's columns they read (the other expectations decide
each row alone, and their counts add up over the chunks)."""

_COLUMN_ARGUMENTS = ("column", "column_A", "column_B")

# cost model of one narrow batch, in units of "one pass over one column of the cohort":
# a fixed part (GX fingerprints the index, hashes the fingerprint, builds a validator), a part
# per column (fingerprinting it) and a part per column and expectation (GX's copies)
_BATCH_COST = 12.0
_COLUMN_COST = 1.0
_COPY_COST = 0.5


@dataclass(frozen=True)
class NarrowBatch:
    """A group of expectations run together against a few columns of the cohort.

    Attributes
    ----------
    columns : tuple of str or None
        Columns of the batch, in the cohort's order (empty for a batch of row-count rules
        only); None for the header batch (every column, no rows).
    indexes : tuple of int
        Positions, in the suite, of the expectations run against this batch.
    """

    columns: tuple[str, ...] | None
    indexes: tuple[int, ...]

    @property
    def header_only(self) -> bool:
        """True for the batch of expectations that read the column names only."""
        return self.columns is None


def _condition_columns(condition: Any) -> Iterator[str]:
    """Column names a serialised ``row_condition`` refers to (``{"column": {"name": …}}``)."""
    if isinstance(condition, Mapping):
        column = condition.get("column")
        if isinstance(column, Mapping) and isinstance(column.get("name"), str):
            yield column["name"]
        for value in condition.values():
            if isinstance(value, Mapping | list | tuple):
                yield from _condition_columns(value)
    elif isinstance(condition, list | tuple):
        for value in condition:
            if not isinstance(value, str):  # a list of values (is_in, is_not_in) names none
                yield from _condition_columns(value)
    elif isinstance(condition, str) and condition:
        raise ValueError(f"cannot tell the columns of a text row_condition: {condition!r}")


def expectation_columns(kwargs: Mapping[str, Any]) -> frozenset[str]:
    """Columns an expectation reads, from its arguments.

    Parameters
    ----------
    kwargs : mapping
        The expectation configuration's ``kwargs`` (as GX serialises them).

    Returns
    -------
    frozenset of str
        ``column``, ``column_A``, ``column_B``, ``column_list`` and the columns of the
        ``row_condition``; empty for a table-level expectation.

    Raises
    ------
    ValueError
        When the row condition is a text expression (its columns cannot be told apart).
    """
    names = {kwargs[k] for k in _COLUMN_ARGUMENTS if kwargs.get(k) is not None}
    names.update(kwargs.get("column_list") or ())
    names.update(_condition_columns(kwargs.get("row_condition")))
    return frozenset(names)


def _cost(columns: frozenset[str], n_expectations: int) -> float:
    return _BATCH_COST + len(columns) * (_COLUMN_COST + _COPY_COST * n_expectations)


_Group = tuple[frozenset[str], list[int]]


def _merge(groups: list[_Group]) -> list[_Group]:
    """Merge column groups greedily while a merge lowers the total cost."""
    groups = list(groups)
    while len(groups) > 1:
        best: tuple[float, int, int] | None = None
        for i, j in itertools.combinations(range(len(groups)), 2):
            (ci, ei), (cj, ej) = groups[i], groups[j]
            gain = _cost(ci, len(ei)) + _cost(cj, len(ej)) - _cost(ci | cj, len(ei) + len(ej))
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, i, j)
        if best is None:
            break
        _, i, j = best
        groups[i] = (groups[i][0] | groups[j][0], groups[i][1] + groups[j][1])
        del groups[j]
    return groups


def plan_batches(
    expectations: Iterable[Mapping[str, Any]], column_order: Iterable[str]
) -> list[NarrowBatch]:
    """Split a suite into narrow batches.

    Parameters
    ----------
    expectations : iterable of mapping
        The suite's expectation configurations, in suite order, each with ``type`` and
        ``kwargs`` (``ExpectationConfiguration.to_json_dict()``).
    column_order : iterable of str
        Columns of the cohort frame, in order (a batch lists its columns in this order).

    Returns
    -------
    list of NarrowBatch
        Every expectation in exactly one batch. Expectations reading the same columns share a
        batch; small batches are merged while that is cheaper (see the module docstring);
        row-count rules join the narrowest batch; column-set rules get the header batch.
    """
    order = {name: i for i, name in enumerate(column_order)}
    header: list[int] = []
    rows_only: list[int] = []
    by_columns: dict[frozenset[str], list[int]] = {}
    for index, exp in enumerate(expectations):
        kind = exp["type"]
        columns = expectation_columns(exp.get("kwargs") or {})
        if kind in HEADER_ONLY and not columns:
            header.append(index)
        elif kind in ROWS_ONLY and not columns:
            rows_only.append(index)
        else:
            by_columns.setdefault(columns, []).append(index)
    # an expectation reading no named column and not known to read the header or the row
    # count alone sees the whole table
    if frozenset() in by_columns:
        by_columns[frozenset(order)] = by_columns.pop(frozenset()) + by_columns.get(
            frozenset(order), []
        )
    groups = _merge(list(by_columns.items()))
    if rows_only:
        if groups:
            k = min(range(len(groups)), key=lambda i: len(groups[i][0]))
            groups[k] = (groups[k][0], groups[k][1] + rows_only)
        else:
            groups.append((frozenset(), rows_only))

    def ordered(columns: frozenset[str]) -> tuple[str, ...]:
        return tuple(sorted(columns, key=lambda c: (order.get(c, len(order)), c)))

    batches = [NarrowBatch(ordered(c), tuple(sorted(e))) for c, e in groups]
    if header:
        batches.insert(0, NarrowBatch(None, tuple(header)))
    return sorted(batches, key=lambda b: b.indexes[0])
