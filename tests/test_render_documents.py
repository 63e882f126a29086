"""End-to-end: the study report and its supplement, rendered by the built-in engine.

The project (``_quarto.yml``, ``report/``, ``data/``; the renderer's style files it names come
from the package) is rendered once per session to HTML, PDF and DOCX (``shipped_render`` in
``conftest.py``) and copied for this module, which renders into it again; the checks are the
ones a journal editor and a reader would make: Word pages A4 with page numbers and no
collapsed column, PDF header cells that do not run into each other, HTML images with alt
text and rows with their header cell, and no thin space (a break point) in any number.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from render_support import copy_rendered_project

from itp_stats.cli import main

pytestmark = pytest.mark.slow

DOCUMENTS = ("index", "supplement")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, shipped_render):
    # a copy: the last test renders the index again into the project
    project = copy_rendered_project(
        shipped_render.project, tmp_path_factory.mktemp("study") / "project"
    )
    return project / "_output" / "report"


def test_word_pages_are_a4_with_page_numbers(outputs):
    for name in DOCUMENTS:
        word = docx.Document(str(outputs / f"{name}.docx"))
        for section in word.sections:
            size = sorted((round(section.page_width.cm, 1), round(section.page_height.cm, 1)))
            assert size == [21.0, 29.7]
            assert 'w:instr=" PAGE "' in section.footer._element.xml


def _tables_with_text_width(word) -> list[tuple[object, float]]:
    """Each table of ``word`` with the text width (cm) of the section it stands in."""
    from docx.table import Table

    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    sections = list(word.sections)
    widths = [(s.page_width - s.left_margin - s.right_margin) / 360000 for s in sections]
    found, index = [], 0
    for child in word.element.body.iterchildren():
        if child.tag == f"{ns}tbl":
            found.append((Table(child, word), widths[index]))
        elif child.tag == f"{ns}p" and child.find(f"{ns}pPr/{ns}sectPr") is not None:
            index += 1
    return found


def test_word_tables_have_no_collapsed_column(outputs):
    for name in DOCUMENTS:
        word = docx.Document(str(outputs / f"{name}.docx"))
        tables = _tables_with_text_width(word)
        assert len(tables) == len(word.tables) > 0
        for table, text_width in tables:
            widths = [column.width for column in table.columns]
            header = [cell.text for cell in table.rows[0].cells]
            for title, width in zip(header, widths, strict=True):
                # a column is at least as wide as a short word in bold 9 pt (about 1 cm)
                centimetres = width / sum(widths) * text_width
                assert centimetres >= 0.8 or len(title) <= 2, (name, header, title, centimetres)


def test_html_images_have_alt_text_and_rows_their_header_cell(outputs):
    for name in DOCUMENTS:
        page = (outputs / f"{name}.html").read_text(encoding="utf-8")
        images = re.findall(r"<img\b[^>]*>", page)
        assert images
        assert all(re.search(r'\balt="[^"]+"', image) for image in images)
        assert not re.search(r"<tbody>\s*<tr>\s*<td|</tr>\s*<tr>\s*<td", page)
        assert page.count("<table") == page.count('<div class="table-wrap"')
        assert '<nav id="TOC"' in page


def _pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_no_thin_space_in_any_output(outputs):
    for name in DOCUMENTS:
        assert "\u2009" not in (outputs / f"{name}.html").read_text(encoding="utf-8")
        with zipfile.ZipFile(outputs / f"{name}.docx") as package:
            assert "\u2009" not in package.read("word/document.xml").decode("utf-8")
        assert "\u2009" not in _pdf_text(outputs / f"{name}.pdf")


HEADER_WORDS = {"Severity", "Tested", "Group", "Pairs", "Wilcoxon", "Between", "Mann–Whitney"}


def test_pdf_header_cells_do_not_collide(outputs):
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>'
    checked = 0
    for name in DOCUMENTS:
        boxes = subprocess.run(
            [tool, "-bbox", str(outputs / f"{name}.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for page in boxes.split("<page ")[1:]:
            lines: dict[int, list[tuple[float, float, str]]] = {}
            for x0, y, x1, word in re.findall(pattern, page):
                lines.setdefault(round(float(y)), []).append((float(x0), float(x1), word))
            for line in lines.values():
                if not HEADER_WORDS & {word for *_, word in line}:
                    continue
                checked += 1
                line.sort()
                for (_, end, left), (start, _, right) in itertools.pairwise(line):
                    assert end <= start + 0.1, f"{name}.pdf: {left!r} runs into {right!r}"
    assert checked >= 2


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file()}  # fmt: skip


def test_a_one_document_render_keeps_what_it_did_not_rebuild(outputs):
    # last in this module: it renders the index again into the same project
    out = outputs.parent
    before = _files(out)
    figures = sorted(p for p in before if p.startswith("figures/"))
    # 11 figures (Figure 6: the calibration; Figure 7: the Kaplan–Meier curves of the
    # time-to-event endpoints), two files each
    assert len(figures) == 22 and "figures/Figure S4.png" in figures, figures
    assert "figures/Figure 6.pdf" in figures and "figures/Figure 7.pdf" in figures
    assert main(["render", str(out.parent / "report" / "index.qmd"), "--quiet"]) == 0
    after = _files(out)
    assert sorted(after) == sorted(before)  # nothing removed: Figure S1–S4, the supplement
    for name in before:
        if name.startswith("report/supplement.") or "Figure S" in name:
            assert after[name] == before[name], name  # kept as they were
