"""Finish a DOCX written by Pandoc: landscape pages for the tables too wide for portrait.

``tables.lua`` puts a table that cannot keep its numbers and words whole on a portrait
page between two empty section breaks (marked ``<!--itp-stats:portrait-->`` and
``<!--itp-stats:landscape-->``). Here each becomes a copy of the document's own section
properties (those of the reference document: page size, margins, footer with the page
number, line numbering), the second turned to landscape, so the table gets a landscape
page of its own and the text around it stays portrait with the same footer.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path

__all__ = ["PORTRAIT_MARKER", "LANDSCAPE_MARKER", "finish_docx", "landscape"]

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


def landscape(section: str) -> str:
    """Return section properties (``<w:sectPr>…</w:sectPr>``) turned to landscape.

    Width and height swap, ``w:orient="landscape"`` is set, and the margins turn with the
    page (the left margin becomes the top one, and so on).
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
        section = section.replace(margins.group(0), _tag("w:pgMar", turned))
    return section


def _finish(document: str) -> str:
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
