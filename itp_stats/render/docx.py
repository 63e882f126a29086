"""Finish a DOCX written by Pandoc: landscape pages for the tables too wide for portrait.

``tables.lua`` puts a table that cannot keep its numbers and words whole on a portrait
page between two empty section breaks (marked ``<!--itp-stats:portrait-->`` and
``<!--itp-stats:landscape-->``). Here each becomes a copy of the document's own section
properties (those of the reference document: page size, margins, footer with the page
number, line numbering), the second turned to landscape, so the table gets a landscape
page of its own (with narrower margins) and the text around it stays portrait with the
same footer. The last rows of every table with a note are kept with it
(:func:`keep_notes_with_tables`), so a note never stands alone on a page.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path

__all__ = [
    "LANDSCAPE_MARGIN_TWIPS",
    "LANDSCAPE_MARKER",
    "PORTRAIT_MARKER",
    "finish_docx",
    "keep_notes_with_tables",
    "landscape",
]

PORTRAIT_MARKER = "<w:sectPr><!--itp-stats:portrait--></w:sectPr>"
LANDSCAPE_MARKER = "<w:sectPr><!--itp-stats:landscape--></w:sectPr>"
_DOCUMENT = "word/document.xml"
_PAGE_SIZE = re.compile(r"<w:pgSz\b[^>]*/>")
_MARGINS = re.compile(r"<w:pgMar\b[^>]*/>")
_ATTRIBUTE = re.compile(r'(w:[A-Za-z]+)="([^"]*)"')


def _attributes(tag: str) -> dict[str, str]:
    return dict(_ATTRIBUTE.findall(tag))


def _tag(name: str, attributes: dict[str, str]) -> str:
    return f"<{name} " + " ".join(f'{k}="{v}"' for k, v in attributes.items()) + " />"


LANDSCAPE_MARGIN_TWIPS = 851
"""Margins of a landscape page (1.5 cm; twentieths of a point): the pages given to wide
tables use more of the sheet, so such a table and its note fit one page. ``tables.lua``
sizes the columns for the text width this leaves (26.7 cm)."""


def landscape(section: str) -> str:
    """Return section properties (``<w:sectPr>…</w:sectPr>``) turned to landscape.

    Width and height swap, ``w:orient="landscape"`` is set, and the margins turn with the
    page (the left margin becomes the top one, and so on), each then narrowed to at most
    :data:`LANDSCAPE_MARGIN_TWIPS` (the header and footer stay inside them).
    """
    size = _PAGE_SIZE.search(section)
    if size:
        values = _attributes(size.group(0))
        width, height = values.get("w:w"), values.get("w:h")
        if width and height and int(width) < int(height):
            values["w:w"], values["w:h"] = height, width
        values["w:orient"] = "landscape"
        section = section.replace(size.group(0), _tag("w:pgSz", values))
    margins = _MARGINS.search(section)
    if margins:
        values = _attributes(margins.group(0))
        turned = dict(values)
        for new, old in (("w:top", "w:left"), ("w:right", "w:top"), ("w:bottom", "w:right"),
                         ("w:left", "w:bottom")):  # fmt: skip
            if old in values:
                turned[new] = values[old]
        for side in ("w:top", "w:right", "w:bottom", "w:left"):
            if side in turned and abs(int(turned[side])) > LANDSCAPE_MARGIN_TWIPS:
                turned[side] = str(LANDSCAPE_MARGIN_TWIPS)
        for edge in ("w:header", "w:footer"):
            if edge in turned and int(turned[edge]) > LANDSCAPE_MARGIN_TWIPS // 2:
                turned[edge] = str(LANDSCAPE_MARGIN_TWIPS // 2)
        section = section.replace(margins.group(0), _tag("w:pgMar", turned))
    return section


_TABLE_THEN_NOTE = re.compile(
    r"<w:tbl>(?:(?!<w:tbl>).)*?</w:tbl>"
    r"(?=(?:\s|<w:bookmark(?:Start|End)\b[^>]*/>)*<w:p>\s*<w:pPr>\s*<w:pStyle w:val=\"TableNote\")",
    re.S,
)
_ROW = re.compile(r"<w:tr\b.*?</w:tr>", re.S)
_KEPT_ROWS = 3
"""Last rows of a table kept on the page of its note."""


def _keep_rows_with_note(table: str) -> str:
    """Mark the paragraphs of a table's last rows "keep with next", so its note is never
    alone at the top of a page (the rows move with it)."""
    rows = list(_ROW.finditer(table))
    if not rows:
        return table
    start = rows[max(0, len(rows) - _KEPT_ROWS)].start()
    tail = re.sub(r"(<w:pStyle w:val=\"[^\"]*\" ?/>)(?!<w:keepNext)", r"\1<w:keepNext />",
                  table[start:])  # fmt: skip
    return table[:start] + tail


def keep_notes_with_tables(document: str) -> str:
    """:func:`_keep_rows_with_note` for every table followed by a ``Table Note``."""
    return _TABLE_THEN_NOTE.sub(lambda m: _keep_rows_with_note(m.group(0)), document)


def _finish(document: str) -> str:
    document = keep_notes_with_tables(document)
    end = document.rfind("</w:body>")
    start = document.rfind("<w:sectPr", 0, end)
    if start < 0 or (PORTRAIT_MARKER not in document and LANDSCAPE_MARKER not in document):
        return document
    stop = document.find("</w:sectPr>", start) + len("</w:sectPr>")
    section = document[start:stop]
    return document.replace(PORTRAIT_MARKER, section).replace(LANDSCAPE_MARKER, landscape(section))


def finish_docx(path: Path) -> Path:
    """Replace the section markers of ``path`` (in place) with real section breaks.

    Parameters
    ----------
    path : Path
        A DOCX written by Pandoc with ``tables.lua``.

    Returns
    -------
    Path
        ``path``; a file without markers is left untouched.
    """
    path = Path(path)
    with zipfile.ZipFile(path) as source:
        document = source.read(_DOCUMENT).decode("utf-8")
        finished = _finish(document)
        if finished == document:
            return path
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(handle)
        try:
            with zipfile.ZipFile(temporary, "w") as target:
                for item in source.infolist():
                    data = finished.encode("utf-8") if item.filename == _DOCUMENT else None
                    target.writestr(item, data if data is not None else source.read(item))
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return path
