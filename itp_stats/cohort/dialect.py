"""How a cohort CSV file is written: its encoding, preamble, separator and header.

A CSV is UTF-8 (with or without byte-order mark), else Windows-1252, else Latin-1 (every byte
is decoded to decide); UTF-16 and UTF-32 text and binary content are refused, named. Blank
lines, leading ``#`` comment lines and Excel's ``sep=X`` line before the header are skipped;
the separator is the one ``sep=`` names, else the one that splits the first rows most
consistently (:func:`csv_layout`). Nothing here parses the table's body
(:mod:`itp_stats.cohort.formats` does).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from itp_stats.errors import CohortReadError

__all__ = [
    "SNIFF_BYTES",
    "UTF8_BOM",
    "CsvLayout",
    "codec_of",
    "csv_layout",
    "encoding_of",
    "skip_preamble",
]

UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 BE"),
    (b"\xff\xfe", "UTF-16 LE"),
    (b"\xfe\xff", "UTF-16 BE"),
)
_SEPARATORS = (";", ",", "\t")
"""Separators guessed from the first rows (``sep=X`` on the first line names any other)."""
SNIFF_BYTES = 64 * 1024
_SNIFF_ROWS = 50
_CHUNK = 1 << 20
_BLANK_LINE = re.compile(rb"[ \t,;]*(?:\r\n|\n|\r)")
_SEP_LINE = re.compile(rb'[ \t]*"?sep=([^\r\n"])"?[ \t,;]*(?:\r\n|\n|\r|\Z)', re.IGNORECASE)


def _wide_encoding(blob: bytes) -> str | None:
    """UTF-16 or UTF-32, recognised by the byte-order mark or by the NUL bytes of ASCII text."""
    for bom, name in _WIDE_BOMS:
        if blob.startswith(bom):
            return name
    head = blob[:4096]
    half = len(head) // 2
    if half < 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    # ASCII text in UTF-16 has a NUL high byte in every other byte: second in LE, first in BE
    if odd >= 0.3 * half and even <= 0.02 * half:
        return "UTF-16 LE"
    if even >= 0.3 * half and odd <= 0.02 * half:
        return "UTF-16 BE"
    return None


def _decodes(blob: bytes, codec: str, start: int = 0) -> bool:
    """Whether ``blob[start:]`` decodes in ``codec`` (checked by chunks: no copy of the file)."""
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(blob)
    try:
        for offset in range(start, len(blob), _CHUNK):
            decoder.decode(view[offset : offset + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def encoding_of(blob: bytes, path: Path) -> tuple[str, int]:
    """Codec of a cohort CSV and the length of its byte-order mark.

    Parameters
    ----------
    blob : bytes
        The file's bytes.
    path : Path
        The file, for messages.

    Returns
    -------
    codec : str
        ``utf-8`` (with or without byte-order mark) when the bytes are UTF-8, else ``cp1252``
        (Windows Latin-1, what Excel writes in France), else ``latin-1``.
    start : int
        Bytes of the byte-order mark (3 or 0).

    Raises
    ------
    CohortReadError
        UTF-16 or UTF-32 text (named, with how to save it as UTF-8), binary content, or a
        UTF-8 byte-order mark followed by other bytes.
    """
    if blob.startswith(UTF8_BOM):
        return codec_of(blob, path, _decodes(blob, "utf-8", len(UTF8_BOM)), True)
    ascii_ = blob.isascii()
    utf8 = ascii_ or _decodes(blob, "utf-8")
    return codec_of(blob, path, utf8, utf8 or _decodes(blob, "cp1252"))


def _check_head(head: bytes, path: Path) -> None:
    """Refuse UTF-16/UTF-32 and binary content, recognised from the file's first bytes."""
    wide = _wide_encoding(head)
    if wide is not None:
        raise CohortReadError(
            f"{path}: the file is {wide} text, which is not read; save it as UTF-8 "
            "(in Excel: Save As, file type 'CSV UTF-8 (Comma delimited)') and try again"
        )
    if b"\x00" in head[:4096]:
        raise CohortReadError(f"{path}: not a text file (binary content); expected CSV")


def codec_of(head: bytes, path: Path, utf8: bool, cp1252: bool) -> tuple[str, int]:
    """:func:`encoding_of`'s answer, from the file's first bytes and whether all of it decodes."""
    _check_head(head, path)
    if head.startswith(UTF8_BOM):
        if not utf8:
            raise CohortReadError(
                f"{path}: starts with a UTF-8 byte-order mark but is not valid UTF-8; "
                "save it as 'CSV UTF-8' again"
            )
        return "utf-8", len(UTF8_BOM)
    if utf8:
        return "utf-8", 0
    if cp1252:
        return "cp1252", 0
    return "latin-1", 0


_COMMENT_LINE = re.compile(rb"#[^\r\n]*(?:\r\n|\n|\r|\Z)")
"""A ``#`` comment line before the header: the provenance mark older versions of
``itp-stats synth`` wrote there (it now writes a sidecar file), or any other comment."""


def skip_preamble(blob: bytes, start: int) -> tuple[int, str | None]:
    """Offset of the header line, after blank and ``#`` comment lines and Excel's ``sep=X`` line.

    Returns
    -------
    offset : int
        Byte offset of the first line that is not blank, a leading ``#`` comment or a
        ``sep=`` line.
    separator : str or None
        The separator a ``sep=X`` line names (Excel writes it as the first line).
    """

    def skip_blank(pos: int) -> int:
        while (match := _BLANK_LINE.match(blob, pos) or _COMMENT_LINE.match(blob, pos)) is not None:
            pos = match.end()
        return pos

    pos = skip_blank(start)
    separator = None
    if (match := _SEP_LINE.match(blob, pos)) is not None:
        separator = match.group(1).decode("latin-1")
        pos = skip_blank(match.end())
    return pos, separator


def _head_rows(head: str, sep: str, truncated: bool) -> list[list[str]]:
    """The first non-blank rows of ``head`` split by ``sep`` (a cut last row is dropped)."""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=sep, skipinitialspace=True)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
            if len(rows) > _SNIFF_ROWS:
                break
    except csv.Error:  # an open quote in the sample: keep the rows read so far
        truncated = True
    if truncated and len(rows) > 1:
        rows.pop()
    return rows[:_SNIFF_ROWS]


def _sniff(head: str, truncated: bool) -> str:
    """The separator that splits the header into most columns, consistently over the rows.

    Each of :data:`_SEPARATORS` is scored by the share of the first rows that have as many
    fields as the header, then by the header's number of fields; a separator that leaves the
    header in one piece is not a candidate. ``,`` when none is.
    """
    best, best_score = ",", (0.0, 0)
    for sep in _SEPARATORS:
        widths = [len(row) for row in _head_rows(head, sep, truncated)]
        if not widths or widths[0] < 2:
            continue
        score = (sum(w == widths[0] for w in widths) / len(widths), widths[0])
        if score > best_score:
            best, best_score = sep, score
    return best


@dataclass(frozen=True)
class CsvLayout:
    """Where a CSV file's table starts and how it is split (see :func:`csv_layout`)."""

    codec: str
    start: int
    sep: str
    names: list[str]
    header: list[str]


def csv_layout(
    path: Path, blob: bytes, size: int | None = None, encoding: tuple[str, int] | None = None
) -> CsvLayout | None:
    """The encoding, header offset, separator and header cells of a CSV file's bytes.

    ``blob`` is the file's bytes, or its first bytes when ``size`` (the file's length) and
    ``encoding`` (:func:`encoding_of` of the whole file) are given. Returns None when the first
    rows hold no header (the pandas parser then says why).

    Raises
    ------
    CohortReadError
        The file is empty, in an unread encoding, or its header repeats a column name.
    """
    codec, start = encoding or encoding_of(blob, path)
    size = len(blob) if size is None else size
    start, named = skip_preamble(blob, start)
    head_bytes = blob[start : start + SNIFF_BYTES]
    truncated = size - start > SNIFF_BYTES
    if not head_bytes.strip() or (not truncated and not head_bytes.strip(b" \t\r\n,;")):
        raise CohortReadError(f"{path}: the file is empty")
    head = head_bytes.decode(codec, errors="replace")
    sep = named or _sniff(head, truncated)
    rows = _head_rows(head, sep, truncated)
    names = [n.strip() for n in (rows[0] if rows else [])]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise CohortReadError(f"{path}: duplicated column names: {', '.join(duplicated)}")
    if not rows:
        return None
    return CsvLayout(codec, start, sep, names, rows[0])
