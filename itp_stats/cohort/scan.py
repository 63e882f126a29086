"""Reading a cohort file once, by pieces: its digest and layout, then its rows in chunks.

:func:`scan_file` reads the file once, hashing every byte and deciding the encoding and
layout as :func:`itp_stats.cohort.formats.read_table` decides them (and keeps the bytes when
asked: :class:`itp_stats.cohort.source.Source` holds a small file so that it is read once).
:func:`read_table_chunks` then gives the cells a slice of rows at a time, from those bytes or
streamed from the disk, every byte hashed again and checked against the scan: a file changed
in between is refused.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from itp_stats.cohort.dialect import SNIFF_BYTES, UTF8_BOM, CsvLayout, codec_of, csv_layout
from itp_stats.cohort.formats import (
    arrow_frame,
    arrow_options,
    clean_frame,
    read_csv_pandas,
    read_table,
)
from itp_stats.errors import CohortReadError

__all__ = [
    "CHUNK_ROWS",
    "FileScan",
    "read_table_chunks",
    "scan_file",
    "verified_bytes",
]

_CHUNK = 1 << 20  # bytes read from the disk at a time

CHUNK_ROWS = 50_000
"""Rows per chunk of :func:`read_table_chunks` (the gate's unit of work on a large file)."""

_BLOCK_BYTES = 4 << 20  # pyarrow's streaming reader parses the CSV text in blocks this large


_HEAD_BYTES = 1 << 20  # the first bytes a scan keeps: encoding marks, preamble, header, sniff
_SPACE_QUOTE = re.compile(rb'[;,\t] +"')  # where pandas' skipinitialspace and pyarrow differ


@dataclass(frozen=True)
class FileScan:
    """A cohort file read once, end to end, without being kept (:func:`scan_file`).

    Attributes
    ----------
    path : Path
        The file.
    sha256 : str
        SHA-256 of its bytes.
    size : int
        Its length in bytes.
    layout : CsvLayout or None
        Encoding, header offset, separator and header of a CSV file that pyarrow's streaming
        reader parses as :func:`read_table` does; None when the file is read whole instead
        (Excel, Parquet, a CSV with a space before a quote, or no header in its first bytes).
    encoding : str or None
        Codec of a CSV file (``utf-8``, ``cp1252`` or ``latin-1``; None for Excel, Parquet
        or an empty file).
    separator : str or None
        Separator of a CSV file, as :func:`read_table` finds it in the first rows (None when
        they hold no header, or for Excel and Parquet).
    head : bytes
        The file's first bytes (up to 1 MiB of a CSV; empty for other formats unless
        ``data`` holds them): its provenance mark, when it has one, is there.
    data : bytes or None
        The bytes hashed, when the scan was asked to keep them (:func:`scan_file`'s
        ``keep``): read from these, the file is not read again.
    """

    path: Path
    sha256: str
    size: int
    layout: CsvLayout | None
    encoding: str | None = None
    separator: str | None = None
    head: bytes = field(default=b"", repr=False, compare=False)
    data: bytes | None = field(default=None, repr=False, compare=False)


def scan_file(path: str | Path, *, keep: int = 0) -> FileScan:
    """Hash a cohort file and, for a CSV, find how to stream it, reading it by pieces.

    The encoding is decided as :func:`read_table` decides it (every byte is decoded, one
    piece at a time), and the places where pyarrow's parse could differ from the pandas
    parser's are looked for, so that :func:`read_table_chunks` can parse the file from the
    disk in chunks without holding it.

    Parameters
    ----------
    path : str or Path
        The cohort file.
    keep : int
        Keep the bytes read (:attr:`FileScan.data`) when the file has at most this many:
        they are then parsed from memory, and the file is read once. A larger file is not
        held; reading it again checks its bytes against the digest.

    Raises
    ------
    CohortReadError
        The file is missing, a folder, unreadable, empty, in an unread encoding, or its
        header repeats a column name.
    """
    path = Path(path)
    if not path.exists():
        raise CohortReadError(f"{path}: no such file")
    if path.is_dir():
        raise CohortReadError(f"{path}: is a folder, expected a cohort file")
    csv_file = path.suffix.lower() in {".csv", ".txt", ".tsv", ""}
    digest = hashlib.sha256()
    head = b""
    size = 0
    all_ascii = True
    decoders = {name: codecs.getincrementaldecoder(name)() for name in ("utf-8", "cp1252")}
    decodes = dict.fromkeys(decoders, True)
    spaced: list[tuple[int, int]] = []  # (offset, separator byte) of a separator, spaces, quote
    carry = b""
    kept: list[bytes] | None = [] if keep > 0 else None
    try:
        with path.open("rb") as handle:
            while piece := handle.read(_CHUNK):
                digest.update(piece)
                if kept is not None:
                    kept.append(piece)
                    if size + len(piece) > keep:
                        kept = None  # too large to hold: read again, checked, when parsed
                if csv_file:
                    if len(head) < _HEAD_BYTES:
                        head += piece[: _HEAD_BYTES - len(head)]
                    text = piece
                    if size == 0 and piece.startswith(UTF8_BOM):
                        text = piece[len(UTF8_BOM) :]
                    all_ascii = all_ascii and text.isascii()
                    for name, decoder in decoders.items():
                        if not all_ascii and decodes[name]:
                            try:
                                decoder.decode(text)
                            except UnicodeDecodeError:
                                decodes[name] = False
                    window = carry + piece
                    base = size - len(carry)
                    spaced += [
                        (base + m.start(), window[m.start()]) for m in _SPACE_QUOTE.finditer(window)
                    ]
                    carry = window[max(len(window.rstrip(b" ")) - 1, 0) :]  # a separator, spaces
                size += len(piece)
    except PermissionError:
        raise CohortReadError(f"{path}: permission denied") from None
    except OSError as exc:
        raise CohortReadError(f"{path}: cannot read ({exc.strerror})") from None
    for name, decoder in decoders.items():
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            decodes[name] = False
    layout = None
    encoding = separator = None
    if csv_file and size:
        utf8 = all_ascii or decodes["utf-8"]
        codec = codec_of(head, path, utf8, utf8 or decodes["cp1252"])
        encoding = codec[0]
        layout = csv_layout(path, head, size, codec)
        if layout is not None:
            separator = layout.sep
            sep = layout.sep.encode("latin-1")[0]
            if any(at >= layout.start and byte == sep for at, byte in spaced) or (
                len(head) < size and layout.start + SNIFF_BYTES > len(head)
            ):
                layout = None  # read whole, as read_table reads it
    data = b"".join(kept) if kept is not None else None
    if not head and data is not None:
        head = data[:_HEAD_BYTES]
    return FileScan(path, digest.hexdigest(), size, layout, encoding, separator, head, data)


class _HashingReader(io.RawIOBase):
    """A file read from its start, hashing every byte read (to check against a scan)."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._handle.readinto(buffer)
        if n:
            self.digest.update(memoryview(buffer)[:n])
            self._position += n
        return n or 0

    def tell(self) -> int:
        return self._position

    def finish(self) -> str:
        """Read what is left and return the SHA-256 of every byte."""
        while piece := self._handle.read(_CHUNK):
            self.digest.update(piece)
        return self.digest.hexdigest()


def _changed(path: Path) -> CohortReadError:
    return CohortReadError(
        f"{path}: the file changed while it was read; nothing was validated, try again once "
        "it is written"
    )


def verified_bytes(scan: FileScan) -> bytes:
    """The file's bytes, read whole, refused unless they are the bytes the scan hashed.

    Parameters
    ----------
    scan : FileScan
        The file's :func:`scan_file`; when it kept the bytes, they are returned (nothing is
        read).

    Raises
    ------
    CohortReadError
        The file cannot be read any more, or its bytes changed since the scan.
    """
    if scan.data is not None:
        return scan.data
    try:
        data = scan.path.read_bytes()
    except OSError as exc:
        raise CohortReadError(f"{scan.path}: cannot read ({exc.strerror})") from None
    if hashlib.sha256(data).hexdigest() != scan.sha256:
        raise _changed(scan.path)
    return data


def read_table_chunks(
    path: str | Path, *, rows: int = CHUNK_ROWS, scan: FileScan | None = None
) -> tuple[Iterator[pd.DataFrame], bool]:
    """Read the cells of a cohort file, untyped, a slice of rows at a time.

    The chunks, concatenated, equal :func:`read_table`'s frame. A CSV file is parsed from
    the disk by pyarrow's streaming reader, so that only one chunk's cells are held as
    columns at a time and nothing of the file is held whole; its bytes are hashed as they are
    read and checked against the file's :func:`scan_file` before the last chunk. Where
    pyarrow stops on a row it cannot read, the rest is read as :func:`read_table` reads such
    a file (the pandas parser, or its message). Excel and Parquet files, and CSV files that
    pyarrow would parse otherwise, are read whole (their bytes checked against the scan) and
    sliced. A scan that kept the file's bytes (``scan_file(path, keep=…)``) is read from
    them: the file is not read again.

    Parameters
    ----------
    path : str or Path
        The file (its suffix gives the format).
    rows : int
        Rows per chunk (at least); the last chunk may be shorter.
    scan : FileScan, optional
        The file's :func:`scan_file` (made when missing).

    Returns
    -------
    chunks : iterator of pandas.DataFrame
        Cleaned cells as :func:`read_table` returns them, each chunk indexed from 0; at
        least one chunk, which holds the columns even when the file has no rows.
    decimal_comma : bool
        As for :func:`read_table`.

    Raises
    ------
    CohortReadError
        As :func:`read_table`, or the file changed after its scan; a row that cannot be read
        may be named only when the iteration reaches it.
    """
    path = Path(path)
    scan = scan or scan_file(path)
    if scan.layout is not None:
        return _stream_csv(scan, rows), scan.layout.sep == ";"
    frame, decimal_comma = read_table(path, verified_bytes(scan))
    return _slices(frame, rows, 0), decimal_comma


def _slices(frame: pd.DataFrame, rows: int, done: int) -> Iterator[pd.DataFrame]:
    """``frame`` from row ``done`` on, in slices of ``rows`` (one, maybe empty, at least)."""
    n = len(frame)
    starts = range(done, n, max(rows, 1)) if n > done else [done]
    for start in starts:
        yield frame.iloc[start : start + rows].reset_index(drop=True)


def _stream_csv(scan: FileScan, rows: int) -> Iterator[pd.DataFrame]:
    """The chunks of a CSV file, from pyarrow's streaming reader (see :func:`read_table_chunks`).

    Read from the disk, every byte hashed and checked against ``scan`` before the last chunk
    is given; or from the bytes the scan kept, which are the bytes it hashed.
    """
    path, layout = scan.path, scan.layout
    assert layout is not None  # a scan that found how to stream the file
    width = len(layout.header)
    done = 0  # data rows yielded
    header: list[str] | None = None
    pending: list[Any] = []

    def flush(schema: Any) -> pd.DataFrame:
        table = pa.Table.from_batches(pending, schema=schema)
        pending.clear()
        columns = table.columns
        del table
        return clean_frame(arrow_frame(columns, header or []), path)

    held = scan.data is not None  # the scan's bytes: parsed from memory, not hashed again
    with io.BytesIO(scan.data) if held else path.open("rb") as handle:
        hashing = handle if held else _HashingReader(handle)
        hashing.read(layout.start)  # the byte-order mark and the preamble: hashed too
        try:
            reader = pa_csv.open_csv(
                hashing, **arrow_options(layout.codec, layout.sep, width, _BLOCK_BYTES)
            )
            for batch in reader:
                if batch.num_columns != width:
                    break  # as read_table: the pandas parser reads it
                if header is None:
                    if batch.num_rows == 0:
                        continue
                    header = [batch.column(i)[0].as_py() for i in range(width)]
                    if [h.strip() for h in header] != [n.strip() for n in layout.names]:
                        break
                    batch = batch.slice(1)
                pending.append(batch)
                if sum(b.num_rows for b in pending) >= rows:
                    chunk = flush(reader.schema)
                    done += len(chunk)
                    yield chunk
                    pa.default_memory_pool().release_unused()
            else:
                if header is not None:
                    if not held and hashing.finish() != scan.sha256:
                        raise _changed(path)
                    if sum(b.num_rows for b in pending) or not done:
                        yield flush(reader.schema)
                    return
        except (pa.ArrowException, UnicodeError):
            pass  # the pandas parser reads the rest, or says why
    frame, _ = read_csv_pandas(path, verified_bytes(scan), layout)
    yield from _slices(clean_frame(frame, path), rows, done)
