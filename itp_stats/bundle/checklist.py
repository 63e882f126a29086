"""The STROBE checklist with pages: each pointer checked against the rendered PDF.

:func:`locate_pages` reads the PDF's outline (its bookmarks: every heading with its page)
and its text with pypdf, and gives each place of :func:`itp_stats.report.strobe.checklist`
the page its phrase is printed on, inside the pointed section (from its heading to the next
heading of the same or a higher level). A section that does not exist, or that does not hold
its phrase, is refused with the item named. :func:`checklist_files` writes the result as the
bundle's ``checklist/strobe.csv`` and ``checklist/strobe.docx`` (pandoc, with the project's
Word reference document).
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from itp_stats.bundle.contents import BundleError

__all__ = ["ChecklistError", "checklist_files", "checklist_table", "locate_pages", "pdf_sections"]


class ChecklistError(BundleError):
    """A checklist pointer names a section the PDF lacks, or one without its phrase."""


def _compact(text: str) -> str:
    """Text with every space, line break and soft hyphen removed (PDF text runs on)."""
    text = text.replace("\u2019", "'").replace("\u00ad", "")
    return re.sub(r"\s+", "", text)


def pdf_sections(reader) -> list[tuple[tuple[str, ...], int]]:
    """Every heading of the PDF's outline as (path of titles, 0-based page), in order."""
    out: list[tuple[tuple[str, ...], int]] = []

    def walk(items, parents: tuple[str, ...]) -> None:
        last: tuple[str, ...] = parents
        for entry in items:
            if isinstance(entry, list):
                walk(entry, last)
                continue
            last = (*parents, str(entry.title).strip())
            out.append((last, reader.get_destination_page_number(entry)))

    walk(reader.outline, ())
    return out


def _section_pages(
    sections, path: tuple[str, ...], n_pages: int
) -> tuple[int, int, str | None] | None:
    """First and last page of a section, and the title of the heading that ends it."""
    for i, (found, start) in enumerate(sections):
        if found != path:
            continue
        end, after = n_pages - 1, None
        for other, page in sections[i + 1 :]:
            if len(other) <= len(path):
                end, after = page, other[-1]
                break
        return start, end, after
    return None


def _phrase_page(
    texts: list[list[str]], span: tuple[int, int, str | None], title: str, phrase: str
) -> int | None:
    """The 0-based page ``phrase`` is printed on between the heading ``title`` (a line of its
    own) and the heading that ends the section; None when it is not there."""
    start, end, after = span
    lines = [(page, line.strip()) for page in range(start, end + 1) for line in texts[page]]
    begin = next((i for i, (_, line) in enumerate(lines) if line == title), None)
    if begin is None:  # a heading broken over lines: from the section's first page
        begin = -1
    stop = next(
        (i for i, (_, line) in enumerate(lines) if i > begin and after and line == after),
        len(lines),
    )
    joined, offsets = "", []
    for page, line in lines[begin + 1 : stop]:
        offsets.append((len(joined), page))
        joined += _compact(line)
    found = joined.find(_compact(phrase))
    if found < 0:
        return None
    return max(page for offset, page in offsets if offset <= found)


def locate_pages(checklist: pd.DataFrame, pdfs: Mapping[str, str | Path]) -> pd.DataFrame:
    """Add the PDF page of each place of ``checklist``, checking it says what the item asks.

    Parameters
    ----------
    checklist : pandas.DataFrame
        :func:`itp_stats.report.strobe.checklist`.
    pdfs : mapping of str to path
        Document (``index``, ``supplement``) → its rendered PDF.

    Returns
    -------
    pandas.DataFrame
        ``checklist`` with ``page`` (1-based page of the PDF the phrase is printed on; empty
        for an item the authors complete).

    Raises
    ------
    ChecklistError
        A PDF that cannot be read, a section it has no heading for, or a section whose
        pages do not hold the phrase.
    """
    import pypdf

    readers = {}
    out = checklist.copy()
    pages: list[str] = []
    for row in checklist.itertuples():
        if not row.document:
            pages.append("")
            continue
        if row.document not in readers:
            path = pdfs[row.document]
            try:
                reader = pypdf.PdfReader(str(path))
                texts = [(p.extract_text() or "").splitlines() for p in reader.pages]
                readers[row.document] = (pdf_sections(reader), texts)
            except (OSError, pypdf.errors.PyPdfError) as exc:
                raise ChecklistError(f"{path}: cannot read the PDF ({exc})") from None
        sections, texts = readers[row.document]
        path = tuple(row.section.split(" › "))
        span = _section_pages(sections, path, len(texts))
        where = f"item {row.item} ({row.topic}): {row.document}.pdf"
        if span is None:
            raise ChecklistError(f"{where} has no section {row.section!r}")
        page = _phrase_page(texts, span, path[-1], row.evidence)
        if page is None:
            raise ChecklistError(f"{where}: section {row.section!r} does not say {row.evidence!r}")
        pages.append(str(page + 1))
    out["page"] = pages
    return out


def checklist_table(located: pd.DataFrame) -> pd.DataFrame:
    """One row per item, as printed: where it is reported (document, section, table, page);
    see :func:`itp_stats.report.strobe.checklist_rows`."""
    from itp_stats.report.strobe import checklist_rows

    return checklist_rows(located)


_WIDTHS = (6, 18, 42, 34)
"""Relative widths of the Word table's columns (item, topic, recommendation, place)."""


def _with_widths(pipe: str, widths: tuple[int, ...]) -> str:
    """A pipe table whose separator row gives pandoc the columns' relative widths."""
    lines = pipe.splitlines()
    cells = lines[1].strip("|").split("|")
    lines[1] = (
        "|"
        + "|".join(
            (":" if c.startswith(":") else "") + "-" * w + (":" if c.endswith(":") else "")
            for c, w in zip(cells, widths, strict=True)
        )
        + "|"
    )
    return "\n".join(lines) + "\n"


def checklist_files(located: pd.DataFrame, title: str) -> dict[str, bytes]:
    """``checklist/strobe.csv`` and ``checklist/strobe.docx`` of a located checklist.

    Parameters
    ----------
    located : pandas.DataFrame
        :func:`locate_pages`'s result.
    title : str
        The study's title (the Word document's heading).

    Returns
    -------
    dict of str to bytes
        The CSV (UTF-8, one header row) and the Word document.
    """
    from itp_stats.render.pandoc import RESOURCE_DIR, pandoc_path
    from itp_stats.report.format import escape_markdown, to_pipe_table

    table = checklist_table(located)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    markdown = (
        f"# STROBE checklist: {escape_markdown(title)}\n\n"
        "Cohort-study checklist (von Elm et al., 2007), filled from the rendered report: each "
        "item with the document, section and PDF page it is reported in, or marked to be "
        "completed by the authors.\n\n"
        + _with_widths(to_pipe_table(table.map(escape_markdown)), _WIDTHS)
    )
    reference = Path(RESOURCE_DIR) / "reference.docx"
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "strobe.docx"
        try:
            subprocess.run(
                [pandoc_path(), "-f", "markdown", "-t", "docx", "-o", str(target),
                 f"--reference-doc={reference}"],
                input=markdown.encode("utf-8"), capture_output=True, check=True, timeout=120,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            raise BundleError(f"cannot write the checklist as Word (pandoc: {exc})") from None
        docx = target.read_bytes()
    return {
        "checklist/strobe.csv": buffer.getvalue().encode("utf-8"),
        "checklist/strobe.docx": docx,
    }
