"""Assembling executed cells into Pandoc markdown, per output format."""

from __future__ import annotations

import base64
from pathlib import Path

from itp_stats.render.assemble import assemble_markdown, float_keys
from itp_stats.render.execute import CellOptions, ExecutedCell, ExecutedDocument, ExecutedMarkdown
from itp_stats.render.qmd import CodeCell, QmdDocument

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
SVG = '<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>'


def _cell(code, options=None, outputs=None, execute=None, index=0):
    options = options or {}
    cell = CodeCell(code, code, options, line=1, index=index)
    return ExecutedCell(cell, CellOptions.resolve(execute or {}, options), outputs or [])


def _doc(*chunks):
    return ExecutedDocument(QmdDocument(Path("/p/doc.qmd"), {}, []), list(chunks), True)


def _stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def _display(data):
    return {"output_type": "display_data", "data": data, "metadata": {}}


def test_echo_shows_code_in_a_cell_div(tmp_path):
    md = assemble_markdown(
        _doc(_cell("x = 1", {"echo": True}, [_stream("out\n")])), "html", tmp_path
    )
    assert md.startswith(":::: {.cell}")
    assert "``` {.python .cell-code}\nx = 1\n```" in md
    assert "``` {.cell-output .cell-output-stdout}\nout\n```" in md


def test_echo_false_include_false_and_output_false(tmp_path):
    hidden = _cell("secret = 1", {"echo": False}, [_stream("shown\n")])
    excluded = _cell("y = 2", {"include": False}, [_stream("never\n")])
    silent = _cell("z = 3", {"output": False, "echo": False}, [_stream("quiet\n")])
    md = assemble_markdown(_doc(hidden, excluded, silent), "html", tmp_path)
    assert "secret" not in md and "shown" in md
    assert "never" not in md and "y = 2" not in md
    assert "quiet" not in md


def test_echo_fenced_shows_the_cell_delimiters(tmp_path):
    md = assemble_markdown(_doc(_cell("x = 1", {"echo": "fenced"})), "html", tmp_path)
    assert "````` {.python .cell-code}" not in md  # the fence is just long enough
    assert "```` {.python .cell-code}\n```{python}\nx = 1\n```\n````" in md


def test_warning_false_drops_stderr(tmp_path):
    outputs = [_stream("warned\n", "stderr"), _stream("printed\n")]
    shown = assemble_markdown(_doc(_cell("w", {"warning": True}, outputs)), "html", tmp_path)
    dropped = assemble_markdown(_doc(_cell("w", {"warning": False}, outputs)), "html", tmp_path)
    assert "cell-output-stderr" in shown and "warned" in shown
    assert "warned" not in dropped and "printed" in dropped


def test_asis_output_is_raw_markdown(tmp_path):
    table = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    item = _cell("print(t)", {"output": "asis"}, [_stream(table[:10]), _stream(table[10:])])
    md = assemble_markdown(_doc(item), "html", tmp_path)
    assert table.strip() in md and "cell-output-stdout" not in md


def test_captioned_figure_and_table_cells_become_float_divs(tmp_path):
    figure = _cell(
        "plot", {"label": "fig-a", "fig-cap": "A  figure"}, [_display({"image/png": PNG})]
    )
    table = _cell(
        "t", {"label": "tbl-b", "tbl-cap": "B", "output": "asis"}, [_stream("|x|\n|-|\n|1|\n")]
    )
    plain = _cell("p", {"label": "summary"}, [_stream("hi\n")], index=2)
    md = assemble_markdown(_doc(figure, table, plain), "html", tmp_path)
    assert "::: {#fig-a}\n\n![](doc_files/figure/fig-a-1.png)\n\nA figure\n\n:::" in md
    assert "::: {#tbl-b}\n\n|x|\n|-|\n|1|\n\nB\n\n:::" in md
    assert ":::: {#summary .cell}" in md
    assert (tmp_path / "doc_files" / "figure" / "fig-a-1.png").read_bytes().startswith(b"\x89PNG")


def test_custom_crossref_keys_make_floats():
    keys = float_keys({"custom": [{"kind": "float", "key": "suppfig", "reference-prefix": "S"}]})
    assert keys == {"fig": "fig-cap", "tbl": "tbl-cap", "suppfig": ""}


def test_each_format_gets_its_image_flavour(tmp_path):
    item = _cell("plot", {"label": "fig-p"}, [_display({"image/png": PNG, "image/svg+xml": SVG})])
    assert "fig-p-1.png" in assemble_markdown(_doc(item), "html", tmp_path)
    assert "fig-p-1.svg" in assemble_markdown(_doc(item), "typst", tmp_path)
    assert "fig-p-1.png" in assemble_markdown(_doc(item), "docx", tmp_path)
    assert (tmp_path / "doc_files" / "figure" / "fig-p-1.svg").read_text() == SVG


def test_an_image_is_shown_at_the_size_its_output_metadata_gives(tmp_path):
    # as Quarto writes a Jupyter image with width and height metadata (a 2x PNG at half size)
    output = {
        "output_type": "display_data",
        "data": {"image/png": PNG, "image/svg+xml": SVG},
        "metadata": {"image/png": {"width": 363, "height": 215}},
    }
    item = _cell("plot", {"label": "fig-p", "fig-alt": "A plot"}, [output])
    html = assemble_markdown(_doc(item), "html", tmp_path)
    assert '![](doc_files/figure/fig-p-1.png){fig-alt="A plot" width="363" height="215"}' in html
    # the SVG has no size of its own in the metadata: none is written
    assert "width" not in assemble_markdown(_doc(item), "typst", tmp_path)


def test_docx_takes_the_print_resolution_png_and_html_the_screen_one(tmp_path):
    from itp_stats.render.kernel import PRINT_PNG_MIME

    screen = base64.b64encode(b"\x89PNG\r\n\x1a\nscreen").decode()
    printed = base64.b64encode(b"\x89PNG\r\n\x1a\nprint").decode()
    data = {"image/png": screen, PRINT_PNG_MIME: printed, "image/svg+xml": SVG}
    item = _cell("plot", {"label": "fig-p"}, [_display(data)])
    figures = tmp_path / "doc_files" / "figure"
    assert "fig-p-1.print.png" in assemble_markdown(_doc(item), "docx", tmp_path)
    assert "fig-p-1.png" in assemble_markdown(_doc(item), "html", tmp_path)
    assert (figures / "fig-p-1.print.png").read_bytes().endswith(b"print")
    assert (figures / "fig-p-1.png").read_bytes().endswith(b"screen")


def test_fig_alt_becomes_an_attribute_for_the_filter(tmp_path):
    item = _cell(
        "plot",
        {"label": "fig-a", "fig-cap": "Cap", "fig-alt": 'Bars "CR" and\n PR'},
        [_display({"image/png": PNG})],
    )
    md = assemble_markdown(_doc(item), "html", tmp_path)
    assert '![](doc_files/figure/fig-a-1.png){fig-alt="Bars \\"CR\\" and PR"}' in md


def test_rich_outputs_markdown_html_and_plain(tmp_path):
    rich = _cell("df", {}, [_display({"text/html": "<table></table>", "text/plain": "df repr"})])
    html = assemble_markdown(_doc(rich), "html", tmp_path)
    typst = assemble_markdown(_doc(rich), "typst", tmp_path)
    assert "```{=html}\n<table></table>\n```" in html
    assert "df repr" in typst and "<table>" not in typst
    markdown = _cell("m", {}, [_display({"text/markdown": "**bold**", "text/plain": "x"})])
    assert "**bold**" in assemble_markdown(_doc(markdown), "docx", tmp_path)


def test_error_outputs_are_shown_without_ansi_codes(tmp_path):
    error = {
        "output_type": "error",
        "ename": "ValueError",
        "evalue": "bad",
        "traceback": ["\x1b[31mValueError\x1b[39m: bad"],
    }
    md = assemble_markdown(_doc(_cell("raise", {"error": True}, [error])), "html", tmp_path)
    assert "``` {.cell-output .cell-output-error}\nValueError: bad\n```" in md


def test_markdown_chunks_are_kept_verbatim(tmp_path):
    md = assemble_markdown(
        _doc(ExecutedMarkdown("\n# Title\n\nText *x*.\n\n", 1)), "html", tmp_path
    )
    assert md == "# Title\n\nText *x*.\n"
