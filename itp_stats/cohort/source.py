"""One cohort source, read once: the file or table the gate, the study and the report share.

A render names its cohort once (a path, ``$ITP_STATS_DATA``, the shipped ``data/cohort.csv``,
or a database URL ``postgresql://…#table``). :meth:`Source.open` resolves that name — the only
place below ``study/`` that asks whether it is a URL — and reads the bytes once, hashing them
as they are read (:func:`itp_stats.cohort.scan.scan_file`):

- a **file** (CSV, XLSX, Parquet): its SHA-256, size, encoding and separator, and its bytes
  when it is small enough to hold (:data:`KEEP_BYTES`; Excel and Parquet files, which are
  parsed whole anyway, always). Its rows are then parsed from those bytes, whole or in
  chunks. A larger CSV is not held: reading it again streams it from the disk, hashing every
  byte, and refuses it (``the file changed while it was read``) unless the digest is the one
  taken when it was opened;
- a **table** in a database: its source file in the state folder
  (:mod:`itp_stats.cohort.sql`), whose bytes hold the URL (without password) and the snapshot
  the gate validated. Its rows are read from the database only while their in-database
  digest is that snapshot's.

Later processes of a render (the documents' kernels) need not open the file again: the gate
hands the bytes it validated over to them (:mod:`itp_stats.cohort.handoff`), and
:meth:`Source.open` with ``handed_over=True`` takes them when the file is still the one read.

The provenance sidecar ``itp-stats synth`` writes beside a file is read with it, and whether
the data are synthetic (:attr:`Source.synthetic_mark`) is judged from those bytes, never from
the path again. :meth:`Source.describe` gives what the report's Reproducibility table says of
the source. :attr:`Source.reads` counts the passes over the file's bytes (1 for a file held in
memory, whatever is asked of it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from itp_stats.cohort.formats import read_table
from itp_stats.cohort.load import load_cohort, read_cohort
from itp_stats.cohort.scan import (
    CHUNK_ROWS,
    FileScan,
    read_table_chunks,
    scan_file,
    verified_bytes,
)
from itp_stats.config import DEFAULT_COHORT, project_root
from itp_stats.errors import CohortReadError
from itp_stats.files import file_identity, sha256_file

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd

    from itp_stats.cohort.dictionary import Dictionary
    from itp_stats.cohort.load import LoadedCohort
    from itp_stats.cohort.sql import DatabaseSource

__all__ = ["KEEP_BYTES", "Source", "resolve_data"]

KEEP_BYTES = 64 << 20
"""Largest CSV file (bytes) a :class:`Source` holds in memory once read; a larger one is
streamed from the disk again when it is parsed, its bytes checked against the digest."""


def resolve_data(data: str | os.PathLike | None = None, *, root: Path | None = None) -> Path:
    """The path of the cohort a render names.

    Parameters
    ----------
    data : str or path-like, optional
        Explicit path; else ``$ITP_STATS_DATA``; else the project's ``data/cohort.csv`` (the
        shipped one when the project has none). Relative paths are resolved against the
        project root. A database URL (``postgresql://…#table``) gives its source file in the
        state folder (:func:`itp_stats.cohort.sql.resolve_source`, created with a first
        snapshot when missing).
    root : Path, optional
        Resolve a relative path against this folder instead of the project root (``itp-stats
        validate FILE`` names a file from the current folder); the path is then made
        absolute with its links resolved.

    Returns
    -------
    Path
        Absolute path (not checked for existence).
    """
    chosen = data if data not in (None, "") else os.environ.get("ITP_STATS_DATA") or None
    from itp_stats.cohort.sql import is_database_url, resolve_source

    if is_database_url(chosen):  # the one place that asks: a table's source file
        return resolve_source(str(chosen))
    if root is not None and chosen is not None:
        return (root / Path(os.fspath(chosen)).expanduser()).resolve()
    root = project_root()
    if chosen is None:
        default = root / "data" / "cohort.csv"
        return default if default.is_file() else DEFAULT_COHORT
    path = Path(os.fspath(chosen)).expanduser()
    return path if path.is_absolute() else (root / path).resolve()


@dataclass(eq=False)
class Source:
    """A cohort file or database table, opened once (see the module's notes).

    Attributes
    ----------
    kind : {"file", "table"}
        A cohort file, or a table (or query) in a database.
    path : Path
        The file; for a table, its source file (:mod:`itp_stats.cohort.sql`).
    sha256 : str
        SHA-256 of the bytes read when the source was opened (for a table, of its source
        file, which holds the snapshot's in-database digest): what the gate result names.
    size : int
        Their length in bytes.
    encoding, separator : str or None
        A CSV file's codec (``utf-8``, ``cp1252``, ``latin-1``) and separator; None for
        other formats and tables.
    sidecar : bytes or None
        The provenance sidecar's bytes, read with the file (None without one).
    reads : int
        Passes over the file's bytes so far: 1 once opened, and one more each time a file
        too large to hold is parsed again; 0 for bytes handed over by the gate
        (:mod:`itp_stats.cohort.handoff`: the file is not read at all).
    opened_identity : list of int or None
        The file's device, inode, size and modification and change times (ns) when its
        bytes were read, the same before and after (None when they differed, or for a
        table): what :mod:`~itp_stats.cohort.handoff` checks the file against later.
    """

    kind: Literal["file", "table"]
    path: Path
    sha256: str
    size: int
    encoding: str | None = None
    separator: str | None = None
    sidecar: bytes | None = field(default=None, repr=False)
    reads: int = 1
    opened_identity: list[int] | None = field(default=None, repr=False)
    _scan: FileScan | None = field(default=None, repr=False)
    _bytes: bytes | None = field(default=None, repr=False)
    _copy: Path | None = field(default=None, repr=False)
    _copy_identity: list[int] | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls,
        data: str | os.PathLike | Source | None = None,
        *,
        root: Path | None = None,
        handed_over: bool = False,
    ) -> Source:
        """Resolve a cohort's name (:func:`resolve_data`) and read its bytes once.

        Parameters
        ----------
        data : str, path-like or Source, optional
            A path, a database URL or None (see :func:`resolve_data`); a :class:`Source` is
            returned as it is.
        root : Path, optional
            Folder a relative path is resolved against (:func:`resolve_data`).
        handed_over : bool
            Take the bytes the render's gate validated and handed over for this file
            (:func:`itp_stats.cohort.handoff.take_over`) when its record verifies, instead of
            reading the file; else read it.

        Returns
        -------
        Source

        Raises
        ------
        CohortReadError
            The file is missing, a folder, unreadable, empty or in an unread encoding, or its
            header repeats a column name; a database URL is malformed or holds a password
            (:class:`itp_stats.cohort.sql.DatabaseSourceError`).
        """
        if isinstance(data, Source):
            return data
        path = resolve_data(data, root=root)
        from itp_stats.cohort.sql import is_source_file

        if is_source_file(path):
            return cls._table(path)
        if handed_over:
            from itp_stats.cohort.handoff import take_over

            taken = take_over(path)
            if taken is not None:
                return taken
        csv_file = path.suffix.lower() in {".csv", ".txt", ".tsv", ""}
        before = file_identity(path)
        scan = scan_file(path, keep=KEEP_BYTES if csv_file else 1 << 62)
        after = file_identity(path)
        return cls(
            kind="file",
            path=path,
            sha256=scan.sha256,
            size=scan.size,
            encoding=scan.encoding,
            separator=scan.separator,
            sidecar=_sidecar_bytes(path),
            opened_identity=before if before == after else None,
            _scan=scan,
            _bytes=scan.data,
        )

    @classmethod
    def handed_over(
        cls,
        *,
        path: Path,
        sha256: str,
        size: int,
        encoding: str | None,
        separator: str | None,
        sidecar: bytes | None,
        copy: Path,
        copy_identity: list[int],
        identity: list[int],
    ) -> Source:
        """A file's Source as the gate read it, its bytes in the copy ``copy`` of the state
        folder (:func:`itp_stats.cohort.handoff.take_over`, which checked the record); the
        copy is read when the bytes are first needed, and the file not at all."""
        return cls(
            kind="file",
            path=path,
            sha256=sha256,
            size=size,
            encoding=encoding,
            separator=separator,
            sidecar=sidecar,
            reads=0,
            opened_identity=identity,
            _copy=copy,
            _copy_identity=copy_identity,
        )

    @classmethod
    def _table(cls, path: Path) -> Source:
        """A database table, by its source file's bytes (read once, hashed)."""
        import hashlib

        from itp_stats.cohort.sql import DatabaseSourceError, parse_source_file

        try:
            blob = path.read_bytes()
        except OSError as exc:  # as read_source_file says it
            raise DatabaseSourceError(f"{path}: not a readable source file ({exc})") from None
        parse_source_file(blob, path)  # refused now when it is not a source file
        return cls(
            kind="table",
            path=path,
            sha256=hashlib.sha256(blob).hexdigest(),
            size=len(blob),
            _bytes=blob,
        )

    # --- what it is -----------------------------------------------------------------------

    @property
    def held_bytes(self) -> bytes | None:
        """A file's bytes when they are held (or handed over), else None (nothing is read)."""
        if self.kind != "file":
            return None
        return self.data() if self._copy is not None else self._bytes

    @property
    def label(self) -> str:
        """The file's name (for a table, its source file's), as the report names its input."""
        return self.path.name

    @property
    def database(self) -> DatabaseSource:
        """The database source of a table (its URL, table or query).

        Raises
        ------
        CohortReadError
            The source is a file.
        """
        if self.kind != "table":
            raise CohortReadError(f"{self.path}: a cohort file, not a database table")
        from itp_stats.cohort.sql import parse_source_file

        assert self._bytes is not None  # a table's source file is always held
        return parse_source_file(self._bytes, self.path)[0]

    def describe(self) -> tuple[tuple[str, str], ...]:
        """What the report's Reproducibility table says of the source, beyond its name and
        SHA-256: for a table, its URL (without password), table or query and the snapshot
        validated (:func:`itp_stats.cohort.sql.source_provenance`); nothing more for a file.
        """
        if self.kind != "table":
            return ()
        from itp_stats.cohort.sql import source_provenance

        assert self._bytes is not None
        return tuple(source_provenance(self._bytes))

    @property
    def synthetic_mark(self) -> str:
        """The provenance mark of the bytes read (``""`` for none).

        From the sidecar read with them while its digest is :attr:`sha256`, else from a mark
        inside the bytes (a CSV's first ``#`` line, an XLSX's description, a Parquet file's
        metadata, a table's comment): :func:`itp_stats.cohort.synth.synthetic_mark_of`.
        """
        from itp_stats.cohort.synth import synthetic_mark_of

        if self.kind == "table":
            held = self._bytes or b""  # its source file: the snapshot, with the table's comment
        else:
            held = self.held_bytes
            if held is None:  # a file too large to hold: its first bytes
                held = self._scan.head if self._scan else b""
        return synthetic_mark_of(held, self.path.name, sidecar=self.sidecar, sha256=self.sha256)

    def has_bytes_of(self, other: str | os.PathLike) -> bool:
        """Whether the file ``other`` holds the bytes read (the same file: no second read)."""
        other = Path(other)
        try:
            if self.kind == "file" and self.path.samefile(other):
                return True
            return other.is_file() and sha256_file(other) == self.sha256
        except OSError:
            return False

    # --- reading its rows -----------------------------------------------------------------

    def data(self) -> bytes:
        """The file's bytes as hashed: those held, else read again and checked.

        Raises
        ------
        CohortReadError
            The file changed since it was opened.
        """
        if self._bytes is not None:
            return self._bytes
        if self._copy is not None:
            assert self._copy_identity is not None
            self._bytes = _read_copy(self._copy, self._copy_identity)
            return self._bytes
        assert self._scan is not None
        self.reads += 1
        return verified_bytes(self._scan)

    def read_table(self) -> tuple[pd.DataFrame, bool]:
        """A file's cells, untyped (:func:`itp_stats.cohort.formats.read_table`) from its bytes."""
        self._file_only()
        return read_table(self.path, self.data())

    def read_chunks(self, rows: int = CHUNK_ROWS) -> tuple[Iterator[pd.DataFrame], bool]:
        """A file's cells, untyped, a slice of rows at a time
        (:func:`itp_stats.cohort.scan.read_table_chunks`): from the bytes held, or streamed
        from the disk with every byte hashed and checked against :attr:`sha256`."""
        self._file_only()
        if self._scan is None:  # handed over: parsed whole from the bytes, then sliced
            data = self.data()
            scan = FileScan(
                self.path, self.sha256, self.size, None, self.encoding, self.separator,
                data[:1 << 20], data,
            )  # fmt: skip
            return read_table_chunks(self.path, rows=rows, scan=scan)
        if self._scan.data is None:
            self.reads += 1
        return read_table_chunks(self.path, rows=rows, scan=self._scan)

    def read_cohort(self, dictionary: Dictionary | None = None) -> LoadedCohort:
        """A file read, typed and derived, with its parse problems
        (:func:`itp_stats.cohort.load.read_cohort`)."""
        self._file_only()
        return read_cohort(self.path, dictionary, data=self.data())

    def load(self, dictionary: Dictionary | None = None) -> pd.DataFrame:
        """The cohort for analysis: a file's bytes parsed
        (:func:`itp_stats.cohort.load.load_cohort`), or a table's rows while they are the
        snapshot its source file holds (:func:`itp_stats.cohort.sql.load_source`).

        Raises
        ------
        CohortReadError, CohortParseError
            As :func:`~itp_stats.cohort.load.load_cohort`.
        SourceChangedError
            A table's rows are not the snapshot its source file holds.
        """
        if self.kind == "table":
            from itp_stats.cohort.sql import load_source

            return load_source(self.path, dictionary, source_bytes=self._bytes)
        return load_cohort(self.path, dictionary, data=self.data())

    def _file_only(self) -> None:
        if self.kind != "file":
            raise CohortReadError(
                f"{self.path}: a database table is read in the database, not as a file"
            )


def _read_copy(copy: Path, identity: list[int]) -> bytes:
    """The bytes of a handed-over copy, refused unless the file opened is the copy written
    (its identity, :func:`itp_stats.files.file_identity`) and all of it was read."""
    try:
        with copy.open("rb") as handle:
            same = file_identity(handle.fileno()) == identity
            data = handle.read() if same else b""
    except OSError as exc:
        raise CohortReadError(
            f"{copy}: the validated copy cannot be read ({exc.strerror}); render again"
        ) from None
    if not same or len(data) != identity[2]:
        raise CohortReadError(
            f"{copy}: the validated copy changed since the gate wrote it; render again"
        )
    return data


def _sidecar_bytes(path: Path) -> bytes | None:
    """The bytes of a file's provenance sidecar (None without one)."""
    from itp_stats.cohort.synth import sidecar_path

    try:
        return sidecar_path(path).read_bytes()
    except (OSError, ValueError, TypeError):
        return None
