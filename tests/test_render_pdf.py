"""Typst source to PDF."""

from __future__ import annotations

import pypdf
import pytest

from itp_stats.render.errors import ToolError
from itp_stats.render.pandoc import TYPST_HEADER
from itp_stats.render.pdf import compile_pdf


def test_compiles_with_the_header_callouts_and_unnumbered_tables(tmp_path):
    source = tmp_path / "doc.typ"
    source.write_text(
        TYPST_HEADER.read_text()
        + '\n#itp-callout(kind: "warning", title: [Heads up])[Callout text.]\n'
        + "#figure(table(columns: 1, [cell]), kind: table)\n",
        encoding="utf-8",
    )
    compile_pdf(source, tmp_path / "doc.pdf", tmp_path)
    text = pypdf.PdfReader(tmp_path / "doc.pdf").pages[0].extract_text()
    assert "Heads up" in text and "Callout text." in text and "cell" in text
    assert "Table 1" not in text


def test_errors_and_files_outside_the_root_are_tool_errors(tmp_path):
    (tmp_path / "root").mkdir()
    source = tmp_path / "root" / "doc.typ"
    source.write_text('#image("../outside.svg")\n')
    with pytest.raises(ToolError, match=r"Typst failed on doc\.typ"):
        compile_pdf(source, tmp_path / "doc.pdf", tmp_path / "root")
