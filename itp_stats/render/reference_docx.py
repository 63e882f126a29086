"""The Word style reference (``reference.docx``) both engines give Pandoc for DOCX output.

Built from Pandoc's own default reference document with python-docx, then committed beside
this module (``reference.docx`` and ``reference-manuscript.docx``), so that Quarto, which
takes the file from ``_quarto.yml``, and the built-in renderer use the same styles without
python-docx at render time. Regenerate both after changing this module::

    python -m itp_stats.render.reference_docx

What the reference sets (Pandoc copies page set-up, footer and styles from it):

* A4 portrait, 2.5 cm margins, a centred page number (a ``PAGE`` field) in the footer;
* British English (``en-GB``) as the language of every style, so Word checks spelling in it;
* Arial 11 pt text (Liberation Sans, metric-compatible, where Arial is missing) and bold
  Arial headings;
* tables in the ``Table`` style at 9 pt, ruled above, below and under the bold header row,
  with narrow cell margins; ``Table Caption`` kept with its table; ``Table Note`` (the
  ``::: {.table-note}`` divs) at table size; ``Table Keep``, the cells of a table's last rows
  kept with its note (``tables.lua``);
* the manuscript variant adds continuous line numbers and double line spacing of the text
  (tables, captions and notes stay single-spaced), as journals ask of a submission.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from itp_stats.render.formats import MANUSCRIPT_REFERENCE_DOCX, REFERENCE_DOCX

__all__ = [
    "REFERENCE_DOCX",
    "MANUSCRIPT_REFERENCE_DOCX",
    "PAGE_WIDTH_CM",
    "MARGIN_CM",
    "TABLE_FONT_PT",
    "build_reference_docx",
    "main",
]

PAGE_WIDTH_CM, PAGE_HEIGHT_CM = 21.0, 29.7
MARGIN_CM = 2.5
TEXT_FONT, TEXT_PT = "Arial", 11
TABLE_FONT_PT = 9
"""Table text size; ``tables.lua`` sizes DOCX columns for it."""
LANGUAGE = "en-GB"
HEADING_COLOUR = "1F3864"
LINK_COLOUR = "1F4E79"

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _pandoc_default(target: Path) -> None:
    from itp_stats.render.pandoc import pandoc_path

    with open(target, "wb") as handle:
        subprocess.run(
            [pandoc_path(), "--print-default-data-file", "reference.docx"],
            stdout=handle,
            check=True,
        )


def _element(tag: str, **attributes: str):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(tag)
    for key, value in attributes.items():
        element.set(qn(f"w:{key}"), value)
    return element


def _replace(parent, tag: str, **attributes: str):
    """Set child ``tag`` of ``parent`` (replacing an existing one) and return it."""
    from docx.oxml.ns import qn

    for old in parent.findall(qn(tag)):
        parent.remove(old)
    child = _element(tag, **attributes)
    parent.append(child)
    return child


def _fonts(rpr, font: str) -> None:
    _replace(rpr, "w:rFonts", ascii=font, hAnsi=font, cs=font, eastAsia=font)


def _language(rpr) -> None:
    _replace(rpr, "w:lang", val=LANGUAGE, eastAsia="zh-CN", bidi="ar-SA")


def _spacing(style, before: int | None = None, after: int | None = None, line: int | None = None):
    """Paragraph spacing of ``style`` in twentieths of a point (``line`` in 240ths)."""
    from docx.oxml.ns import qn

    ppr = style.element.get_or_add_pPr()
    spacing = ppr.find(qn("w:spacing"))
    if spacing is None:
        spacing = _element("w:spacing")
        ppr.append(spacing)
    for key, value in (("before", before), ("after", after), ("line", line)):
        if value is not None:
            spacing.set(qn(f"w:{key}"), str(value))
    if line is not None:
        spacing.set(qn("w:lineRule"), "auto")


def _paragraph_style(styles, name: str, base: str):
    from docx.enum.style import WD_STYLE_TYPE

    try:
        return styles[name]
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles[base]
        style.quick_style = True
        return style


def _defaults(document) -> None:
    from docx.oxml.ns import qn

    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr, TEXT_FONT)
    # the text size lives here, not in Normal: a table style's size then applies to the
    # paragraphs of its cells (Word lets paragraph styles override table styles)
    _replace(rpr, "w:sz", val=str(TEXT_PT * 2))
    _replace(rpr, "w:szCs", val=str(TEXT_PT * 2))
    _language(rpr)
    for rfonts in document.styles.element.iter(qn("w:rFonts")):
        if any(k.endswith("Theme") for k in rfonts.attrib):
            for key in list(rfonts.attrib):
                del rfonts.attrib[key]
            for key in ("ascii", "hAnsi", "cs", "eastAsia"):
                rfonts.set(qn(f"w:{key}"), TEXT_FONT)
    for lang in document.styles.element.iter(qn("w:lang")):
        lang.set(qn("w:val"), LANGUAGE)


def _text_styles(document, manuscript: bool) -> None:
    from docx.shared import Pt, RGBColor

    styles = document.styles
    line = 480 if manuscript else 264  # double spacing, else 1.1 lines
    _spacing(styles["Normal"], line=line)
    _spacing(styles["Body Text"], before=0, after=160 if not manuscript else 0)
    _spacing(styles["First Paragraph"], before=0)
    # single-spaced, compact: cells of tables, tight lists
    _spacing(styles["Compact"], before=20, after=20, line=240)
    # the cells of a table's last rows before its note (tables.lua): kept with the note
    keep = _paragraph_style(styles, "Table Keep", "Compact")
    keep.paragraph_format.keep_with_next = True
    for name, size in (("Title", 20), ("Subtitle", 14)):
        styles[name].font.size = Pt(size)
        styles[name].font.bold = name == "Title"
        styles[name].font.color.rgb = RGBColor.from_string(HEADING_COLOUR)
    for name in ("Author", "Date"):
        styles[name].font.size = Pt(TEXT_PT)
    sizes = {1: 16, 2: 13, 3: 11.5, 4: 11, 5: 11, 6: 11}
    for level, size in sizes.items():
        style = styles[f"Heading {level}"]
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = level >= 4
        style.font.color.rgb = RGBColor.from_string(HEADING_COLOUR)
        _spacing(style, before=360 if level == 1 else 240, after=120, line=240)
    styles["Hyperlink"].font.color.rgb = RGBColor.from_string(LINK_COLOUR)
    styles["Bibliography"].font.size = Pt(10)
    _spacing(styles["Bibliography"], before=0, after=80, line=240 if not manuscript else 480)


def _caption_styles(document) -> None:
    from docx.shared import Pt

    styles = document.styles
    caption = next(s for s in styles if s.style_id == "Caption")
    caption.font.italic = False
    caption.font.size = Pt(10)
    _spacing(caption, before=120, after=120, line=240)
    _spacing(styles["Table Caption"], before=240, after=80)
    styles["Table Caption"].paragraph_format.keep_with_next = True
    _spacing(styles["Image Caption"], before=60, after=240)
    styles["Captioned Figure"].paragraph_format.keep_with_next = True
    note = _paragraph_style(styles, "Table Note", "Normal")
    note.font.size = Pt(TABLE_FONT_PT)
    _spacing(note, before=60, after=240, line=240)


def _table_style(document) -> None:
    from docx.oxml.ns import qn

    style = document.styles["Table"].element
    tblpr = style.find(qn("w:tblPr"))
    for old in tblpr.findall(qn("w:tblBorders")) + tblpr.findall(qn("w:tblCellMar")):
        tblpr.remove(old)
    borders = _element("w:tblBorders")
    for side in ("top", "bottom"):
        borders.append(_element(f"w:{side}", val="single", sz="8", space="0", color="000000"))
    tblpr.append(borders)
    margins = _element("w:tblCellMar")
    for side, width in (("top", "17"), ("left", "57"), ("bottom", "17"), ("right", "57")):
        margins.append(_element(f"w:{side}", w=width, type="dxa"))
    tblpr.append(margins)
    for old in style.findall(qn("w:rPr")) + style.findall(qn("w:pPr")):
        style.remove(old)
    ppr = _element("w:pPr")
    ppr.append(_element("w:spacing", before="20", after="20", line="240", lineRule="auto"))
    rpr = _element("w:rPr")
    rpr.append(_element("w:sz", val=str(TABLE_FONT_PT * 2)))
    rpr.append(_element("w:szCs", val=str(TABLE_FONT_PT * 2)))
    # the table style's pPr and rPr come before tblPr in the schema's sequence
    tblpr.addprevious(ppr)
    tblpr.addprevious(rpr)
    for old in style.findall(qn("w:tblStylePr")):
        style.remove(old)
    first = _element("w:tblStylePr", type="firstRow")
    first_rpr = _element("w:rPr")
    first_rpr.append(_element("w:b"))
    first_rpr.append(_element("w:bCs"))
    first.append(first_rpr)
    first_trpr = _element("w:trPr")
    first_trpr.append(_element("w:tblHeader"))
    first.append(first_trpr)
    tcpr = _element("w:tcPr")
    cell_borders = _element("w:tcBorders")
    cell_borders.append(_element("w:bottom", val="single", sz="6", space="0", color="000000"))
    tcpr.append(cell_borders)
    tcpr.append(_element("w:vAlign", val="bottom"))
    first.append(tcpr)
    style.append(first)


def _page(document, manuscript: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    section = document.sections[-1]
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    for side in ("left", "right", "top", "bottom"):
        setattr(section, f"{side}_margin", Cm(MARGIN_CM))
    section.header_distance = section.footer_distance = Cm(1.25)
    footer = section.footer
    footer.is_linked_to_previous = False
    style = _paragraph_style(document.styles, "Footer", "Normal")
    style.font.size = Pt(9)
    paragraph = footer.paragraphs[0]
    paragraph.style = style
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # the page number is not a line of the text (LibreOffice would number it)
    paragraph._p.get_or_add_pPr().pStyle.addnext(_element("w:suppressLineNumbers"))
    for run in list(paragraph.runs):
        run._element.getparent().remove(run._element)
    field = _element("w:fldSimple", instr=" PAGE ")
    run = _element("w:r")
    rpr = _element("w:rPr")
    rpr.append(_element("w:sz", val="18"))
    run.append(rpr)
    text = _element("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    sectpr = section._sectPr
    for old in sectpr.findall(qn("w:lnNumType")):
        sectpr.remove(old)
    if manuscript:
        # line numbers: every line, continuous through the document, 0.5 cm from the text
        numbers = _element("w:lnNumType", countBy="1", distance="284", restart="continuous")
        page_margins = sectpr.find(qn("w:pgMar"))
        page_margins.addnext(numbers)


def _sample_body(document) -> None:
    """Replace Pandoc's sample paragraphs with one line naming the file (Pandoc ignores it)."""
    from docx.oxml.ns import qn

    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    paragraph = document.add_paragraph(
        "itp-stats reference document: styles for Pandoc (python -m "
        "itp_stats.render.reference_docx)",
        style="Body Text",
    )
    body.remove(paragraph._p)
    body.insert(0, paragraph._p)


def build_reference_docx(target: Path, *, manuscript: bool = False) -> Path:
    """Write a reference document for Pandoc's DOCX writer.

    Parameters
    ----------
    target : Path
        The ``.docx`` file written.
    manuscript : bool
        Add line numbers and double spacing (for a journal submission).

    Returns
    -------
    Path
        ``target``.

    Notes
    -----
    Needs python-docx (a development dependency); rendering does not, as it reads the
    committed files :data:`REFERENCE_DOCX` and :data:`MANUSCRIPT_REFERENCE_DOCX`.
    """
    import docx

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "pandoc-reference.docx"
        _pandoc_default(source)
        document = docx.Document(str(source))
    _defaults(document)
    _text_styles(document, manuscript)
    _caption_styles(document)
    _table_style(document)
    _page(document, manuscript)
    _sample_body(document)
    properties = document.core_properties
    properties.title = ""
    properties.author = "itp-stats"
    properties.language = LANGUAGE
    properties.comments = ""
    target = Path(target)
    document.save(str(target))
    return target


def main() -> None:
    """Regenerate :data:`REFERENCE_DOCX` and :data:`MANUSCRIPT_REFERENCE_DOCX`."""
    for path, manuscript in ((REFERENCE_DOCX, False), (MANUSCRIPT_REFERENCE_DOCX, True)):
        build_reference_docx(path, manuscript=manuscript)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
