"""Reading a cohort file into a DataFrame typed by the data dictionary.

Typical hospital exports are accepted: CSV separated by ``,`` or ``;`` (a ``;`` file uses the
decimal comma, as French spreadsheets write it), UTF-8 with or without a byte-order mark or
Latin-1, XLSX (first sheet) and Parquet. The file is only ever read.

Reading is done in three steps, each usable on its own and each in a module of its own:

1. :func:`read_table` reads the cells as they are (text, or numbers for XLSX/Parquet):
   :mod:`itp_stats.cohort.formats`, after :mod:`itp_stats.cohort.dialect` has found a CSV's
   encoding, separator and header; :mod:`itp_stats.cohort.scan` reads a file once by pieces
   (:func:`scan_file`) and its cells a chunk of rows at a time (:func:`read_table_chunks`);
2. :func:`type_cohort` types each dictionary column, collecting the cells that do not parse
   (``ND``, ``<5``, ``12,5`` in a count column, …) as problems instead of failing
   (:mod:`itp_stats.cohort.coerce`);
3. :func:`derive` computes the derived columns, in one place: each marker as % of its parent,
   the dictionary's binned columns and the study's derived group
   (:mod:`itp_stats.cohort.derive`).

:func:`load_cohort` chains them for the analysis and refuses a file with unparseable cells.
The validation gate uses :func:`read_cohort` and reports the problems as a rule. This module
re-exports the public names of the steps, where callers import them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from itp_stats.cohort.coerce import (
    EXPECTED,
    PROBLEM_COLUMNS,
    CohortParseError,
    describe_problems,
    type_cohort,
)
from itp_stats.cohort.derive import derive, derive_group
from itp_stats.cohort.dictionary import Dictionary, load_dictionary
from itp_stats.cohort.formats import MISSING_TOKENS, read_table, use_returning_memory_pool
from itp_stats.cohort.scan import (
    CHUNK_ROWS,
    FileScan,
    read_table_chunks,
    scan_file,
    verified_bytes,
)
from itp_stats.errors import CohortReadError

__all__ = [
    "EXPECTED",
    "MISSING_TOKENS",
    "PROBLEM_COLUMNS",
    "CohortParseError",
    "FileScan",
    "LoadedCohort",
    "derive",
    "derive_group",
    "describe_problems",
    "load_cohort",
    "read_cohort",
    "CHUNK_ROWS",
    "read_table",
    "read_table_chunks",
    "scan_file",
    "type_cohort",
    "use_returning_memory_pool",
    "verified_bytes",
]


@dataclass(frozen=True)
class LoadedCohort:
    """A cohort file read and typed, with the cells that did not parse.

    Attributes
    ----------
    path : Path
        The file read.
    raw : pandas.DataFrame
        Cells as read, before typing (object dtype; missing cells are ``None``).
    data : pandas.DataFrame
        Dictionary columns typed (cells that did not parse are missing), other columns as
        read, plus the derived columns.
    problems : pandas.DataFrame
        One row per cell that did not parse: ``column``, ``row`` (0-based row in the file
        body), ``patient_id``, ``value``, ``expected``.
    decimal_comma : bool
        Whether numbers were read with a decimal comma.
    """

    path: Path
    raw: pd.DataFrame
    data: pd.DataFrame
    problems: pd.DataFrame
    decimal_comma: bool


def read_cohort(
    path: str | Path, dictionary: Dictionary | None = None, *, data: bytes | None = None
) -> LoadedCohort:
    """Read, type and derive a cohort file, keeping the cells that did not parse.

    Parameters
    ----------
    path : str or Path
        Cohort file (see :func:`read_table`).
    dictionary : Dictionary, optional
        Defaults to the project's dictionary.
    data : bytes, optional
        The file's bytes, already read (see :func:`read_table`).

    Returns
    -------
    LoadedCohort
        Raw cells, typed and derived data, and the parse problems.

    Raises
    ------
    CohortReadError
        The file cannot be read at all.
    """
    dictionary = dictionary or load_dictionary()
    raw, decimal_comma = read_table(path, data)
    if raw.empty and len(raw.columns) == 0:
        raise CohortReadError(f"{path}: the file has no columns")
    typed, problems = type_cohort(raw, dictionary, decimal_comma=decimal_comma)
    data = derive(typed, dictionary)
    return LoadedCohort(Path(path), raw, data, problems, decimal_comma)


def load_cohort(
    path: str | Path, dictionary: Dictionary | None = None, *, data: bytes | None = None
) -> pd.DataFrame:
    """Load a cohort file for analysis.

    Parameters
    ----------
    path : str or Path
        CSV (``,`` or ``;`` with decimal comma; UTF-8, UTF-8 with BOM or Latin-1), XLSX or
        Parquet file, one row per patient, columns as in the data dictionary.
    dictionary : Dictionary, optional
        Defaults to the project's ``data/dictionary.yaml``.
    data : bytes, optional
        The file's bytes, already read and hashed by the caller: parsed instead of reading
        ``path`` again (see :func:`read_table`).

    Returns
    -------
    pandas.DataFrame
        Dictionary columns typed (integers ``Int64``, numbers ``Float64``, yes/no
        ``boolean``, categories as ordered ``Categorical`` in dictionary order, strings as
        ``str`` objects), followed by the derived columns of :func:`derive`.

    Raises
    ------
    CohortReadError
        The file cannot be read (exit status 2).
    CohortParseError
        Cells do not parse in their column's type (exit status 1); the message names the
        column, the patient ids and the values.

    Notes
    -----
    Loading does not validate ranges, categories or cross-column rules: that is the
    validation gate's job (:mod:`itp_stats.gate`), which runs before any analysis.
    """
    dictionary = dictionary or load_dictionary()
    cohort = read_cohort(path, dictionary, data=data)
    if not cohort.problems.empty:
        raise CohortParseError(f"{path}: {describe_problems(cohort.problems)}")
    data = cohort.data
    for name, column in dictionary.columns.items():
        if column.type == "category" and name in data:
            data[name] = pd.Categorical(
                data[name], categories=list(column.categories), ordered=True
            )
    return data
