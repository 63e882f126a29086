"""Pandoc command lines and the Lua filter (numbering, cross-references, callouts)."""

from __future__ import annotations

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
    assert '<div class="callout callout-tip">' in html
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
