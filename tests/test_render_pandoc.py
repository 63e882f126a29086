"""Pandoc command lines and the Lua filter (numbering, cross-references, callouts)."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest
from render_support import normalise_spaces

from itp_stats.render.errors import ToolError
from itp_stats.render.pandoc import (
    HTML_CSS,
    LUA_FILTER,
    TYPST_HEADER,
    TYPST_TYPOGRAPHY,
    pandoc_arguments,
    pandoc_metadata,
    run_pandoc,
)


def _args(meta, fmt):
    return pandoc_arguments(meta, fmt, Path("in.md"), Path("m.yaml"), Path("/b/out"), [Path("/b")])


def test_html_is_standalone_embedded_mathml_and_filter_runs_before_citeproc():
    args = _args({"bibliography": "refs.bib", "toc": True, "toc-depth": 2}, "html")
    assert {"--standalone", "--embed-resources", "--mathml", "--toc", "--toc-depth=2"} <= set(args)
    assert f"--css={HTML_CSS}" in args
    assert args.index(f"--lua-filter={LUA_FILTER}") < args.index("--citeproc")
    assert "--citeproc" not in _args({}, "html")
    assert "--citeproc" not in _args({"bibliography": "r.bib", "citeproc": False}, "html")


def test_typst_and_docx_arguments():
    typst = _args({"number-sections": True}, "typst")
    assert "--to=typst" in typst and f"--include-in-header={TYPST_HEADER}" in typst
    assert "--number-sections" in typst and "--extract-media=out_media" in typst
    docx = _args({"reference-doc": "/r.docx"}, "docx")
    assert "--to=docx" in docx and "--reference-doc=/r.docx" in docx


def test_metadata_serialises_dates_and_drops_quarto_only_keys():
    import datetime as dt

    meta = {
        "title": "T",
        "date": dt.date(2024, 5, 6),
        "execute": {"echo": False},
        "format": {},
        "toc": True,
        "author": [{"name": "A. Author", "affiliations": "X"}, "B. Author"],
    }
    html = pandoc_metadata(meta, "html", "doc")
    assert html == {"title": "T", "date": "2024-05-06", "author": ["A. Author", "B. Author"]}
    assert pandoc_metadata(meta, "typst", "doc")["author"][0]["name"] == "A. Author"
    assert pandoc_metadata({}, "html", "doc") == {"pagetitle": "doc"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", pandoc_metadata({"date": "today"}, "docx", "d")["date"])


BODY = """\
See @fig-one, @Tbl-two, [-@fig-two] and [see @tbl-two; @fig-one]; missing @fig-none.

::: {#fig-one}
![](img.png)

First figure.
:::

::: {#fig-two}
![](img.png)

Second figure.
:::

| a | b |
|---|---|
| 1 | 2 |

: Second table caption {#tbl-two}

| c | d |
|---|---|
| 3 | 4 |

::: {.callout-tip title="Custom title"}
Tip body.
:::

::: {.callout-important}
## Header title

Important body.
:::
"""


def _render(tmp_path, meta, fmt="html", body=BODY):
    (tmp_path / "img.png").write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
        )
    )
    output, warnings = run_pandoc(meta, fmt, body, tmp_path, "doc", [], "doc")
    return output, warnings


def _text(html: str) -> str:
    return normalise_spaces(re.sub(r"<[^>]+>", "", html))


def test_numbers_references_and_warnings(tmp_path):
    output, warnings = _render(tmp_path, {})
    html = output.read_text()
    text = _text(html)
    assert "Figure 1: First figure." in text and "Figure 2: Second figure." in text
    assert "Table 1: Second table caption" in text
    assert "See Figure 1, Table 1, 2 and see Table 1, Figure 1; missing ?@fig-none." in text
    assert '<a href="#tbl-two">Table\u00a01</a>' in html
    assert "unresolved cross-reference @fig-none" in warnings
    # the uncaptioned table is not numbered
    assert "Table 2" not in text


def test_left_out_floats_and_sections_are_not_numbered(tmp_path):
    body = """\
# Results

See @fig-one and @fig-three.

::: {#fig-one}
![](img.png)

First figure.
:::

::: {#fig-two}
:::: {.cell}
::: {.itp-left-out}
No second figure: nothing to show.
:::
::::

Second figure.
:::

## Change

::: {.itp-left-out-section}
:::

A paragraph of the change section.

::: {#fig-gone}
![](img.png)

Gone figure.
:::

## Prediction

::: {#fig-three}
![](img.png)

Third figure.
:::
"""
    output, warnings = _render(tmp_path, {}, body=body)
    text = _text(output.read_text())
    # the left-out figure: its one line, no caption, no number; the next one is Figure 2
    assert "No second figure: nothing to show." in text and "Second figure." not in text
    assert "Figure 2: Third figure." in text and "See Figure 1 and Figure 2." in text
    # the left-out section: no heading, no text, no float
    for gone in ("Change", "A paragraph of the change section", "Gone figure"):
        assert gone not in text, gone
    assert "Prediction" in text and "unresolved" not in warnings


def test_crossref_titles_prefixes_labels_and_delimiter(tmp_path):
    meta = {
        "crossref": {
            "fig-title": "Fig.",
            "fig-prefix": "fig.",
            "tbl-title": "Tab.",
            "title-delim": "—",
            "fig-labels": "roman",
            "tbl-labels": "alpha A",
            "ref-hyperlink": False,
        }
    }
    output, _ = _render(tmp_path, meta)
    text = _text(output.read_text())
    # Quarto writes title, space, number, delimiter, space
    assert "Fig. I— First figure." in text and "Fig. II— Second figure." in text
    assert "Tab. A— Second table caption" in text
    assert "See fig. I, Table A, II" in text
    assert '<a href="#fig-one"' not in output.read_text()


def test_custom_float_types_number_s1_without_a_space(tmp_path):
    meta = {
        "crossref": {
            "custom": [
                {"kind": "float", "key": "suppfig", "reference-prefix": "Figure S",
                 "space-before-numbering": False},
                {"kind": "float", "key": "supptbl", "reference-prefix": "Table S",
                 "caption-prefix": "Supplementary Table S", "space-before-numbering": False},
            ]
        }
    }  # fmt: skip
    body = (
        "@suppfig-a, @supptbl-b.\n\n::: {#suppfig-a}\n![](img.png)\n\nCap A.\n:::\n\n"
        "::: {#supptbl-b}\n\n| x |\n|---|\n| 1 |\n\nCap B.\n:::\n"
    )
    output, _ = _render(tmp_path, meta, body=body)
    html = output.read_text()
    text = _text(html)
    assert "Figure S1, Table S1." in text
    assert "Figure S1: Cap A." in text and "Supplementary Table S1: Cap B." in text
    assert '<table id="supptbl-b"' in html and '<figure id="suppfig-a"' in html


def test_callouts_in_html(tmp_path):
    html = _render(tmp_path, {})[0].read_text()
    assert '<div class="itp-callout itp-callout-tip">' in html
    assert "Custom title" in html and "Tip body." in html
    assert "Header title" in html and "<h2" not in html.split("callout-important")[1]


def test_callouts_and_numbers_in_typst_and_docx(tmp_path):
    typst = _render(tmp_path, {}, "typst")[0].read_text()
    assert '#itp-callout(kind: "tip", title: [Custom title])[' in typst
    assert "Figure 1: First figure." in typst and "#link(<fig-one>)" in typst
    docx = _render(tmp_path, {}, "docx")[0]
    import docx as python_docx

    paragraphs = [p.text for p in python_docx.Document(str(docx)).paragraphs]
    assert "Custom title" in paragraphs and "Tip body." in paragraphs
    assert "Figure 2: Second figure." in paragraphs


def test_pandoc_failure_is_a_tool_error(tmp_path):
    with pytest.raises(ToolError, match="pandoc failed writing docx"):
        run_pandoc(
            {"reference-doc": str(tmp_path / "missing.docx")}, "docx", "x", tmp_path, "d", [], "d"
        )


def test_pandoc_is_the_bundled_one_even_with_an_older_pandoc_on_path(tmp_path, monkeypatch):
    import subprocess

    from itp_stats.render.pandoc import pandoc_path

    fake = tmp_path / "pandoc"
    fake.write_text("#!/bin/sh\necho 'pandoc 2.17.1.1'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    pandoc_path.cache_clear()
    try:
        path = pandoc_path()
    finally:
        pandoc_path.cache_clear()
    assert path.endswith("pypandoc/files/pandoc")
    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    assert int(version.split()[1].split(".")[0]) >= 3  # the Lua filter needs pandoc 3


# -- table typography, Word page set-up, manuscript, alt text, Quarto options ------------

NNBSP = "\u202f"


def _validation_table(rows: int = 6) -> str:
    """A step table like the gate's: long rule text, short numbers, headers that crowd."""
    lines = [
        "| Step | Rule | Columns | Severity | Tested | Failed | % failed "
        "| Failing patient ids | Status |",
        "|---:|:----------------------------------------------|:-------------------------"
        "|:--|--:|--:|--:|:-------------------------|:--|",
    ]
    for i in range(1, rows + 1):
        lines.append(
            f"| {i} | Every cell reads in its column's type: whole numbers in count columns, "
            f"yes/no in yes/no columns | cd3_m0, cd4_m0, cd8_m0 | critical | 72 | 0 | 0.0 "
            f"| P{i:02d}, P{i + 10:02d} | pass |"
        )
    return "\n".join(lines) + "\n"


def _wide_numeric_table() -> str:
    """Nine columns of medians with intervals: too wide for a portrait A4 page at 9 pt."""
    header = "| Marker | " + " | ".join(f"Group {g} (n{NNBSP}={NNBSP}25)" for g in "ABCDEFGH")
    cell = f"1{NNBSP}796 [1{NNBSP}398–2{NNBSP}049] (n{NNBSP}={NNBSP}25)"
    lines = [header + " |", "|:--" + "|--:" * 8 + "|"]
    for marker in ("Total lymphocytes, cells/µL", "CD3+ T cells, cells/µL"):
        lines.append(f"| {marker} | " + " | ".join([cell] * 8) + " |")
    return "\n".join(lines) + "\n\n::: {.table-note}\n*Methods:* a note.\n:::\n"


def _docx(tmp_path, body, meta=None, params=None):
    import docx as python_docx

    output, _ = run_pandoc(meta or {}, "docx", body, tmp_path, "doc", [], "doc", params=params)
    return python_docx.Document(str(output)), output


def test_docx_reference_gives_a4_margins_page_numbers_and_en_gb(tmp_path):
    from docx.shared import Cm

    word, _ = _docx(tmp_path, "Text.\n", {"lang": "en-GB"})
    section = word.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert all(
        abs(getattr(section, f"{side}_margin") - Cm(2.5)) < Cm(0.01)
        for side in ("left", "right", "top", "bottom")
    )
    footer = section.footer._element.xml
    assert 'w:instr=" PAGE "' in footer
    styles = word.styles.element.xml
    assert 'w:val="en-GB"' in styles and 'w:val="en-US"' not in styles
    assert (
        word.sections[0]._sectPr.find(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}lnNumType"
        )
        is None
    )


def test_manuscript_parameter_numbers_lines_and_double_spaces(tmp_path):
    word, _ = _docx(tmp_path, "Text.\n", params={"manuscript": True})
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    numbers = word.sections[0]._sectPr.find(f"{ns}lnNumType")
    assert numbers is not None and numbers.get(f"{ns}countBy") == "1"
    assert word.styles["Normal"].paragraph_format.line_spacing == 2.0
    assert word.styles["Compact"].paragraph_format.line_spacing == 1.0  # table cells
    assert 'w:instr=" PAGE "' in word.sections[0].footer._element.xml


def test_manuscript_needs_a_variant_of_the_projects_reference_doc(tmp_path):
    import shutil

    from itp_stats.render.errors import ProjectError
    from itp_stats.render.formats import REFERENCE_DOCX, format_options

    house = tmp_path / "house.docx"
    shutil.copy(REFERENCE_DOCX, house)
    with pytest.raises(ProjectError, match=r"house-manuscript\.docx"):
        format_options({"reference-doc": str(house)}, "docx", {"manuscript": "true"})
    (tmp_path / "house-manuscript.docx").write_bytes(house.read_bytes())
    chosen = format_options({"reference-doc": str(house)}, "docx", {"manuscript": "yes"})
    assert chosen["reference-doc"] == str(tmp_path / "house-manuscript.docx")
    assert format_options({}, "docx", {"manuscript": False})["reference-doc"] == str(REFERENCE_DOCX)
    assert "reference-doc" not in format_options({}, "html", {"manuscript": True})


def test_typst_table_too_wide_for_portrait_gets_a_turned_page(tmp_path):
    """As in Word: the wide table and its note on landscape pages (#page(flipped: true)), the
    text around it portrait; its columns sized for the turned page's 25.7 cm."""
    from itp_stats.render.pdf import compile_pdf

    body = "Before.\n\n" + _wide_numeric_table() + "\nAfter.\n"
    typ, _ = run_pandoc({}, "typst", body, tmp_path, "wide", [], "wide")
    text = typ.read_text(encoding="utf-8")
    opened = text.index("#page(flipped: true)[")
    assert text.index("Before.") < opened < text.index("#table(") < text.index("After.")
    assert (
        opened
        < text.index("a note.")
        < text.index("]", text.index("a note."))
        < text.index("After.")
    )
    narrow, _ = run_pandoc({}, "typst", _validation_table(3), tmp_path, "narrow", [], "narrow")
    assert "#page(flipped: true)" not in narrow.read_text(encoding="utf-8")
    pdf = tmp_path / "wide.pdf"
    compile_pdf(typ, pdf, tmp_path)
    import pypdf

    sizes = [
        (float(p.mediabox.width), float(p.mediabox.height)) for p in pypdf.PdfReader(pdf).pages
    ]
    assert sizes[0][0] < sizes[0][1] and sizes[1][0] > sizes[1][1] and sizes[-1][0] < sizes[-1][1]


def test_docx_columns_are_sized_from_their_content(tmp_path):
    word, _ = _docx(tmp_path, _validation_table())
    table = word.tables[0]
    assert "w:tblLayout" in table._tbl.xml  # fixed widths: Word and LibreOffice keep them
    widths = [column.width for column in table.columns]
    shares = [w / sum(widths) for w in widths]
    header = [cell.text for cell in table.rows[0].cells]
    assert min(shares) >= 0.045, dict(zip(header, shares, strict=True))  # no column collapses
    assert shares[header.index("Rule")] == max(shares)
    # "Severity" (bold) and "% failed" need about 4.5 em of 9 pt: 4 % of a 16 cm line each
    assert shares[header.index("Severity")] > 0.07
    # dashes would have given "Step" and "Tested" 1 % (pandoc: relative dash counts)


def test_docx_table_too_wide_for_portrait_gets_a_landscape_page(tmp_path):
    from docx.enum.section import WD_ORIENT

    body = "Before.\n\n" + _wide_numeric_table() + "\nAfter.\n"
    word, _ = _docx(tmp_path, body)
    orientations = [section.orientation for section in word.sections]
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    landscape = word.sections[1]
    assert landscape.page_width > landscape.page_height
    # narrower margins on the landscape page (more room for the table and its note); the
    # footer with the page number stays inside the bottom margin
    portrait = word.sections[0]
    assert portrait.left_margin.cm == pytest.approx(2.5, abs=0.01)
    for margin in ("top_margin", "right_margin", "bottom_margin", "left_margin"):
        assert getattr(landscape, margin).cm == pytest.approx(1.5, abs=0.01), margin
    assert landscape.footer_distance < landscape.bottom_margin
    text_width = landscape.page_width - landscape.left_margin - landscape.right_margin
    assert text_width / 360000 == pytest.approx(26.7, abs=0.01)  # cm, as tables.lua sizes
    for section in word.sections:
        assert 'w:instr=" PAGE "' in section.footer._element.xml
    texts = [p.text for p in word.paragraphs]
    assert texts.index("Methods: a note.") < texts.index("After.")
    assert "itp-stats:" not in word.element.xml  # every marker replaced
    # numbers and ranges keep together: no break after the en dash of a range
    assert "2\u2013\u20602" not in word.element.xml and "8\u2013\u20602" in word.element.xml


def test_table_notes_at_table_size_in_every_format(tmp_path):
    from docx.shared import Pt

    body = _validation_table(2) + "\n::: {.table-note}\n*Methods:* the rules.\n:::\n"
    word, _ = _docx(tmp_path, body)
    note = next(p for p in word.paragraphs if p.text == "Methods: the rules.")
    assert note.style.name == "Table Note" and note.style.font.size == Pt(9)
    typst = run_pandoc({}, "typst", body, tmp_path, "doc", [], "doc")[0].read_text()
    assert "#itp-table-note[\n#emph[Methods:] the rules." in typst
    html = run_pandoc({}, "html", body, tmp_path, "doc", [], "doc")[0].read_text()
    assert '<div class="table-note">' in html


def test_typst_long_tables_may_break_short_ones_stay_whole(tmp_path):
    def typst(rows: int, name: str) -> str:
        body = f"::: {{#tbl-{name}}}\n\n{_validation_table(rows)}\nSteps.\n\n:::\n"
        return run_pandoc({}, "typst", body, tmp_path, name, [], name)[0].read_text()

    short, long = typst(3, "s"), typst(61, "l")
    assert "#itp-long-table[" not in short and "#itp-long-table[" in long
    assert "kind: table" in short and "Table 1: Steps." in short  # a captioned figure
    # an uncaptioned table is no figure: it breaks across pages like text
    plain = run_pandoc({}, "typst", _validation_table(3), tmp_path, "p", [], "p")[0].read_text()
    assert "#itp-long-table[" not in plain and "#figure(" not in plain
    assert "#show figure.where(kind: table): set block(breakable: false)" in (
        Path(TYPST_TYPOGRAPHY).read_text()
    )


def _pdf_words(pdf: Path) -> list[tuple[float, float, float, str]]:
    """Words of a PDF with their boxes (poppler's pdftotext): (y, x_min, x_max, text)."""
    import shutil
    import subprocess

    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    html = subprocess.run(
        [tool, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>'
    return [(float(y), float(x0), float(x1), w) for x0, y, x1, w in re.findall(pattern, html)]


def test_typst_header_cells_wrap_instead_of_colliding(tmp_path):
    from itp_stats.render.pdf import compile_pdf

    body = (
        "| Marker | Group | Pairs | Rituximab start | 6 months | HL change (95% CI) "
        "| r (95% CI) | Wilcoxon p (q) | Between groups p | Severity | Tested |\n"
        "|:--|:--|--:|--:|--:|--:|--:|--:|--:|:--|--:|\n"
        f"| CD3+ T cells, % of total lymphocytes | CR | 22 | 70.8 [68.3–73.5] "
        f"| 79.3 [75.0–83.4] | 8.6 (5.5 to 11.4) | 0.79 (0.54 to 0.92) | <0.001 (0.001) "
        f"| 0.38 | critical | 1{NNBSP}234 |\n"
    )
    typ, _ = run_pandoc({}, "typst", body, tmp_path, "doc", [], "doc")
    assert re.search(r"columns: \((\d+(\.\d+)?%, ){10}\d+(\.\d+)?%\)", typ.read_text())
    pdf = tmp_path / "doc.pdf"
    compile_pdf(typ, pdf, tmp_path)
    words = _pdf_words(pdf)
    texts = [w for *_, w in words]
    for word in ("Severity", "Tested", "Group", "Pairs", "Between", "Wilcoxon"):
        assert word in texts, texts
    assert not any(a + b in texts for a, b in (("Severity", "Tested"), ("Group", "Pairs")))
    lines: dict[float, list[tuple[float, float, str]]] = {}
    for y, x0, x1, word in words:
        lines.setdefault(round(y), []).append((x0, x1, word))
    for line in lines.values():
        line.sort()
        for (_, end, left), (start, _, right) in itertools.pairwise(line):
            assert end <= start + 0.1, f"{left!r} runs into {right!r}"


def test_html_row_headers_scrolling_tables_and_alt_text(tmp_path):
    body = (
        BODY + '\n![](img.png)\n\n::: {#fig-three}\n![](img.png){fig-alt="Bars by group"}\n\n'
        "Third figure.\n:::\n\n" + _validation_table(2)
    )
    html = _render(tmp_path, {}, body=body)[0].read_text()
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) == 4
    alts = [re.search(r'alt="([^"]*)"', img).group(1) for img in images]
    assert alts == ["First figure.", "Second figure.", "Figure", "Bars by group"]
    assert "fig-alt" not in html
    assert re.search(r'<th class="number" style="text-align: right;" scope="row">1</th>', html)
    assert '<th class="number" scope="row">3</th>' in html  # the uncaptioned table of BODY
    assert not re.search(r"<tbody>\s*<tr>\s*<td", html)  # every row starts with its header
    assert '<th style="text-align: left;" scope="col">Rule</th>' in html
    assert html.count('<div class="table-wrap"') == 3
    assert 'aria-label="Table 1: Second table caption"' in html
    assert '<td class="number" style="text-align: right;">72</td>' in html
    assert "<colgroup>" not in html  # the browser sizes the columns


def test_narrow_no_break_spaces_survive_in_every_format(tmp_path):
    body = f"A count of 2{NNBSP}000 cells and (n{NNBSP}={NNBSP}25).\n\n" + _wide_numeric_table()
    html = _render(tmp_path, {}, body=body)[0].read_text()
    typst = run_pandoc({}, "typst", body, tmp_path, "doc", [], "doc")[0].read_text()
    word, _ = _docx(tmp_path, body)
    for text in (html, typst, word.element.xml):
        assert f"2{NNBSP}000" in text and f"(n{NNBSP}={NNBSP}25)" in text
        assert "\u2009" not in text


def test_document_filters_and_header_includes_follow_the_packages(tmp_path):
    from itp_stats.render.pandoc import TABLE_FILTER

    other = tmp_path / "other.lua"
    meta = {
        "filters": [str(TABLE_FILTER), "quarto", {"type": "citeproc"}, str(other)],
        "include-in-header": [str(TYPST_TYPOGRAPHY), str(tmp_path / "extra.typ")],
        "bibliography": "refs.bib",
    }
    args = _args(meta, "typst")
    filters = [a for a in args if a.startswith("--lua-filter=")]
    assert filters == [f"--lua-filter={p}" for p in (LUA_FILTER, TABLE_FILTER, other)]
    assert args.index(filters[-1]) < args.index("--citeproc")
    includes = [a.split("=", 1)[1] for a in args if a.startswith("--include-in-header=")]
    assert includes == [str(TYPST_HEADER), str(TYPST_TYPOGRAPHY), str(tmp_path / "extra.typ")]
    assert [a for a in _args(meta, "docx") if a.startswith("--include")] == []


def test_citeproc_true_and_date_format_as_quarto_reads_them():
    import datetime as dt

    day = dt.date(2026, 12, 1)
    assert "--citeproc" in _args({"citeproc": True}, "typst")
    assert pandoc_metadata({"date": day, "date-format": "iso"}, "html", "d")["date"] == (
        "2026-12-01"
    )
    assert pandoc_metadata({"date": day, "date-format": "long"}, "html", "d")["date"] == (
        "1 December 2026"
    )
    us = {"date": "2026-12-01", "date-format": "long", "lang": "en-US"}
    assert pandoc_metadata(us, "docx", "d")["date"] == "December 1, 2026"
    custom = {"date": day, "date-format": "ddd D MMM YYYY [week]"}
    assert pandoc_metadata(custom, "typst", "d")["date"] == "Tue 1 Dec 2026 week"
    for key in ("citeproc", "date-format", "filters", "reference-doc", "include-in-header"):
        assert key not in pandoc_metadata({key: "x", "date": day}, "typst", "d")


def test_quarto_typst_custom_floats_read_table_s1(tmp_path):
    """Quarto writes custom floats as figures of kind quarto-float-<key>: "Table S1"."""
    import pypdf

    from itp_stats.render.pdf import compile_pdf

    source = tmp_path / "quarto.typ"
    source.write_text(
        Path(TYPST_TYPOGRAPHY).read_text() + "\nSee @supptbl-a and @tbl-b.\n\n"
        "#figure([#table(columns: 2, [a], [b])], caption: figure.caption(position: top, "
        '[Groups.]), kind: "quarto-float-supptbl", supplement: "Table S")\n<supptbl-a>\n\n'
        '#figure([#table(columns: 1, [c])], caption: [Main.], kind: "quarto-float-tbl", '
        'supplement: "Table")\n<tbl-b>\n',
        encoding="utf-8",
    )
    compile_pdf(source, tmp_path / "quarto.pdf", tmp_path)
    text = normalise_spaces(pypdf.PdfReader(tmp_path / "quarto.pdf").pages[0].extract_text())
    assert "See Table S1 and Table 1." in text
    assert "Table S1: Groups." in text and "Table 1: Main." in text


def test_committed_reference_documents_match_their_builder(tmp_path):
    import zipfile

    from itp_stats.render.formats import MANUSCRIPT_REFERENCE_DOCX, REFERENCE_DOCX
    from itp_stats.render.reference_docx import build_reference_docx

    for committed, manuscript in ((REFERENCE_DOCX, False), (MANUSCRIPT_REFERENCE_DOCX, True)):
        built = build_reference_docx(tmp_path / committed.name, manuscript=manuscript)
        with zipfile.ZipFile(committed) as old, zipfile.ZipFile(built) as new:
            for part in ("word/styles.xml", "word/document.xml", "word/footer1.xml"):
                assert old.read(part) == new.read(part), (
                    f"{committed.name}: {part} is stale; run python -m "
                    "itp_stats.render.reference_docx"
                )


def test_docx_table_note_keeps_the_last_rows_with_it(tmp_path):
    body = (
        "Before.\n\n" + _validation_table(15) + "\n::: {.table-note}\n*Methods:* the rules.\n:::\n"
        "\n" + _validation_table(2) + "\nAfter.\n"  # a short table, without a note
    )
    word, _ = _docx(tmp_path, body)
    noted, short = word.tables

    def kept(row) -> bool:
        # "keep with next" through the reference document's paragraph style "Table Keep"
        return all(
            p.style.name == "Table Keep" and p.style.paragraph_format.keep_with_next
            for c in row.cells
            for p in c.paragraphs
        )

    n = len(noted.rows)
    assert [kept(r) for r in noted.rows] == [False] * (n - 3) + [True] * 3  # the last 3
    # a short table (12 rows or fewer) is kept whole, its header included: it never starts
    # at a page foot with one row
    assert len(short.rows) >= 2 and all(kept(r) for r in short.rows)


def test_a_figure_after_landscape_pages_fills_the_portrait_page_before_them(tmp_path):
    """No half-empty portrait page before a landscape table when the figure after it fits
    there: tables.lua sets that figure before the turned pages (Typst and Word alike)."""
    (tmp_path / "img.png").write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
        )
    )
    figure = "::: {#fig-after}\n![](img.png)\n\nThe figure after the table.\n:::\n\n"
    body = "Before.\n\n" + _wide_numeric_table() + "\n" + figure + "After.\n"
    typ, _ = run_pandoc({}, "typst", body, tmp_path, "moved", [], "moved")
    text = typ.read_text(encoding="utf-8")
    opened = text.index("#page(flipped: true)[")
    caption = text.index("Figure 1: The figure after the table.")
    assert text.index("Before.") < caption < opened < text.index("#table(")
    assert text.index("a note.") < text.index("After.")
    word, _ = _docx(tmp_path, body)
    paragraphs = [p.text for p in word.paragraphs]
    assert paragraphs.index("Figure 1: The figure after the table.") < paragraphs.index(
        "Methods: a note."
    )
    # the figure is on the portrait page before the table's landscape section
    assert [s.orientation for s in word.sections][:2] == [0, 1]


def test_typst_a_table_that_does_not_break_keeps_its_note_on_its_page(tmp_path):
    """Filler text pushes a captioned table (which does not break) towards the page foot,
    one line further each time (at one of them, the note alone would fall to the next page):
    wherever the page breaks, the note is printed on the page of
    the table's last row, never alone at the top of the next (as Word keeps it)."""
    import pypdf

    from itp_stats.render.pdf import compile_pdf

    table = (
        "::: {#tbl-kept}\n\n" + _validation_table(6) + "\nSteps.\n\n:::\n\n"
        "::: {.table-note}\n*Methods:* the notekeeper rule.\n:::\n\nAfter.\n"
    )
    split_seen = set()
    for lines in range(8, 34, 1):
        body = "".join(f"Line {k} of the filler text.\n\n" for k in range(lines)) + table
        name = f"kept{lines}"
        typ, _ = run_pandoc({}, "typst", body, tmp_path, name, [], name)
        assert "#itp-table-with-note[" in typ.read_text(encoding="utf-8")
        pdf = tmp_path / f"{name}.pdf"
        compile_pdf(typ, pdf, tmp_path)
        pages = [p.extract_text() for p in pypdf.PdfReader(pdf).pages]
        last_row = next(i for i, t in enumerate(pages) if "P16" in t)
        note = next(i for i, t in enumerate(pages) if "notekeeper" in t)
        first_row = next(i for i, t in enumerate(pages) if "P11" in t)
        assert note == last_row == first_row, (lines, pages)
        split_seen.add(note)
    assert split_seen == {0, 1}  # the filler did push the table and its note over the break
    # a table of more than a quarter of the page still breaks across pages, its note after it
    body = (
        "::: {#tbl-long}\n\n"
        + _validation_table(61)
        + "\nSteps.\n\n:::\n\n"
        + ("::: {.table-note}\n*Methods:* the notekeeper rule.\n:::\n")
    )
    typ, _ = run_pandoc({}, "typst", body, tmp_path, "long", [], "long")
    compile_pdf(typ, tmp_path / "long.pdf", tmp_path)
    pages = [p.extract_text() for p in pypdf.PdfReader(tmp_path / "long.pdf").pages]
    assert len(pages) >= 3 and "P01" in pages[0] and "notekeeper" in pages[-1]
    assert "P61" in pages[-1]  # the note with the last rows
