"""report.lua and tables.lua run the way Quarto runs them, and give what the built-in gives.

Quarto runs report.lua at ``pre-ast`` (before its own parsing) and tables.lua at
``post-render`` (after its renderers); between them its filters parse the document. These
tests run Pandoc on the markdown Quarto's Jupyter engine writes for the documents' cells
(quarto-cli ``src/core/jupyter/jupyter.ts``: a cell div with the notebook cell's id in HTML,
its output div, the float div around it) and check, after report.lua, the contract with
Quarto's parser (``src/resources/filters/quarto-pre/parsefiguredivs.lua``,
``customnodes/callout.lua``): nothing is left that it would turn into a float or a callout
of its own. Then they apply what Quarto's post filters do to plain tables
(``quarto-post/typst.lua``: every table ``typst:no-figure``; ``quarto-post/html.lua``: row
classes) and check that tables.lua then writes the same Typst, DOCX and HTML as the built-in
engine's single run.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from itp_stats.render.formats import PACKAGE_FILTERS
from itp_stats.render.pandoc import READER, pandoc_path

REPORT_LUA, TABLES_LUA = (path for path, _ in PACKAGE_FILTERS)

# A table float and a figure float as Quarto's Jupyter engine writes them (the table cell's
# output is `asis`: raw markdown, no cell div; the figure cell has the notebook id in HTML).
QUARTO_MARKDOWN = """
See @tbl-steps and @fig-flow; [-@tbl-steps] alone.

::: {#tbl-steps}

| Step | Rule | Tested |
|---:|:--|--:|
| 1 | Every cell reads in its column's type | 72 |
| 2 | Identifiers are unique | 72 |

::: {.table-note}
*Methods:* the rules.
:::

Table caption with a citation [@key].
:::

::: {#fig-flow}

::: {#cell-7 .cell execution_count=3}
::: {.cell-output .cell-output-display}
![](figure.png)
:::
:::

Participant flow.
:::

::: {.callout-warning title="Synthetic data"}
Not real patients.
:::
"""

# What Quarto's post-render filters do to a plain table before tables.lua runs.
QUARTO_POST = """
function Table(tbl)
  if FORMAT:match("typst") then tbl.classes:insert("typst:no-figure") end
  if FORMAT:match("html") then
    for _, body in ipairs(tbl.bodies) do
      for i, row in ipairs(body.body) do row.classes:insert(i % 2 == 0 and "even" or "odd") end
    end
  end
  return tbl
end
"""

CROSSREF_PREFIXES = ("fig-", "tbl-")


def _pandoc(args: list[str], text: str, cwd: Path) -> str:
    proc = subprocess.run(
        [pandoc_path(), *args], input=text, capture_output=True, text=True, cwd=cwd, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _walk(node, found: list) -> None:
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            _walk(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk(value, found)


def _elements(ast: dict, kind: str) -> list:
    found: list = []
    _walk(ast["blocks"], found)
    return [n for n in found if n.get("t") == kind]


@pytest.mark.parametrize("fmt", ["html", "typst", "docx"])
def test_after_report_lua_quarto_finds_no_float_or_callout_of_its_own(tmp_path, fmt):
    ast = json.loads(_dumped(tmp_path, fmt))
    # no element with a crossref identifier: Quarto's parser would make it a float
    for kind in ("Div", "Figure", "Table", "Image", "Span"):
        for node in _elements(ast, kind):
            identifier = node["c"][0][0]
            assert not identifier.startswith(CROSSREF_PREFIXES), (kind, identifier)
    # no captioned table (Quarto: a float), no image with a caption alone in a paragraph
    for table in _elements(ast, "Table"):
        assert table["c"][1][1] == [], "a table keeps a caption"
    for para in _elements(ast, "Para"):
        if len(para["c"]) == 1 and para["c"][0]["t"] == "Image":
            assert para["c"][0]["c"][1] == [], "an image keeps a caption"
    # no div with Quarto's callout classes
    for div in _elements(ast, "Div"):
        classes = div["c"][0][1]
        assert not any(c == "callout" or c.startswith("callout-") for c in classes), classes
    # the references are resolved already: no Cite of a crossref key is left for Quarto
    for cite in _elements(ast, "Cite"):
        assert not cite["c"][0][0]["citationId"].startswith(CROSSREF_PREFIXES)
    # and the floats are parked with their numbered captions
    parked = [d for d in _elements(ast, "Div") if "itp-float" in d["c"][0][1]]
    kinds = [dict(d["c"][0][2])["itp-kind"] for d in parked]
    assert kinds == ["table", "figure"]


def _dump_filter(tmp_path: Path) -> Path:
    path = tmp_path / "dump.lua"
    path.write_text(
        "function Pandoc(doc)\n"
        f"  local f = io.open({json.dumps(str(tmp_path / 'ast.json'))}, 'w')\n"
        "  f:write(pandoc.write(doc, 'json'))\n  f:close()\nend\n",
        encoding="utf-8",
    )
    return path


def _dumped(tmp_path: Path, fmt: str) -> str:
    """The AST after report.lua, as the writer of ``fmt`` would get it (FORMAT set)."""
    target = {"html": "html5", "typst": "typst", "docx": "docx"}[fmt]
    subprocess.run(
        [
            pandoc_path(),
            f"--from={READER}",
            f"--to={target}",
            f"--lua-filter={REPORT_LUA}",
            f"--lua-filter={_dump_filter(tmp_path)}",
            "-o",
            str(tmp_path / f"out.{fmt}"),
        ],
        input=QUARTO_MARKDOWN,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    return (tmp_path / "ast.json").read_text(encoding="utf-8")


def _figure(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (40, 30), "white").save(tmp_path / "figure.png")


@pytest.mark.parametrize("fmt", ["typst", "html", "docx"])
def test_quartos_passes_between_the_filters_change_nothing_on_the_page(tmp_path, fmt):
    """report.lua, Quarto's post filters, tables.lua (Quarto) against report.lua then
    tables.lua (built-in): the same document."""
    _figure(tmp_path)
    target = {"html": "html5", "typst": "typst", "docx": "docx"}[fmt]
    post = tmp_path / "quarto-post.lua"
    post.write_text(QUARTO_POST, encoding="utf-8")
    common = ["--metadata-file", str(_references(tmp_path)), "--citeproc"]

    def run(filters: list[Path], name: str) -> Path:
        out = tmp_path / f"{name}.{'typ' if fmt == 'typst' else fmt}"
        args = [f"--from={READER}", f"--to={target}", "--standalone"]
        args += [f"--lua-filter={f}" for f in filters] + common + ["-o", str(out)]
        _pandoc(args, QUARTO_MARKDOWN, tmp_path)
        return out

    quarto = run([REPORT_LUA, post, TABLES_LUA], "quarto")
    builtin = run([REPORT_LUA, TABLES_LUA], "builtin")
    if fmt == "typst":
        text = quarto.read_text(encoding="utf-8")
        assert text == builtin.read_text(encoding="utf-8")
        # a captioned table is a figure again (Quarto had marked it "no figure")
        assert "typst:no-figure" not in text and "kind: table" in text
        assert "Table 1: Table caption with a citation" in text
        assert "Figure 1: Participant flow." in text
    elif fmt == "html":
        strip = lambda s: s.replace(' class="odd"', "").replace(' class="even"', "")  # noqa: E731
        text = quarto.read_text(encoding="utf-8")
        assert strip(text) == strip(builtin.read_text(encoding="utf-8"))
        assert '<table id="tbl-steps"' in text or 'id="tbl-steps"' in text
        assert '<figure id="fig-flow" tabindex="0">' in text and 'alt="Participant flow."' in text
        # the figure takes the focus on a click and report.css shows it over the page
        assert 'title="Click to enlarge"' in text
        css = (Path(REPORT_LUA).parent / "report.css").read_text(encoding="utf-8")
        assert "figure[tabindex]:focus { position: fixed;" in css
        assert 'href="#tbl-steps">Table\u00a01</a>' in text
    else:
        import docx

        for path in (quarto, builtin):
            word = docx.Document(str(path))
            styles = [p.style.name for p in word.paragraphs]
            assert "Table Caption" in styles and "Image Caption" in styles
            assert len(word.tables) == 1  # the data table alone: no layout table around it
            assert len(word.inline_shapes) == 1  # the figure


def _references(tmp_path: Path) -> Path:
    path = tmp_path / "refs.yaml"
    path.write_text(
        "references:\n  - id: key\n    type: book\n    title: A book\n    author:\n"
        "      - family: Author\n        given: A.\n    issued: 2020\n",
        encoding="utf-8",
    )
    return path


ABBREVIATED = """
Summary: [complete response ([CR]{.itp-abbr-short})]{.itp-abbr} and
[no response ([NR]{.itp-abbr-short})]{.itp-abbr}.

::: {#tbl-groups}

| Group | n |
|:--|--:|
| [complete response ([CR]{.itp-abbr-short})]{.itp-abbr} | 25 |
| [no response ([NR]{.itp-abbr-short})]{.itp-abbr} | 30 |

Groups, [partial response ([PR]{.itp-abbr-short})]{.itp-abbr} left out.
:::

Later, the [partial response ([PR]{.itp-abbr-short})]{.itp-abbr} group and
[complete response ([CR]{.itp-abbr-short})]{.itp-abbr} again.
"""


@pytest.mark.parametrize("fmt", ["plain", "html", "typst"])
def test_report_lua_spells_out_each_abbreviation_once_in_document_order(tmp_path, fmt):
    args = ["-f", READER, "-t", fmt, f"--lua-filter={REPORT_LUA}", "--wrap=none"]
    text = _pandoc(args, ABBREVIATED, tmp_path)
    # the first mention is spelled out, every later one shortened; the caption of Table 1
    # (printed above the table) comes before its cells
    assert text.count("complete response (CR)") == 1
    assert text.count("no response (NR)") == 1
    assert text.count("partial response (PR)") == 1
    assert text.index("complete response (CR)") < text.index("no response (NR)")
    assert text.index("partial response (PR)") < text.index("Later, the PR group and CR again.")
    assert "itp-abbr" not in text
    if fmt == "plain":
        assert "Groups, partial response (PR) left out." in text
        rows = [line.split() for line in text.splitlines() if line.strip()[:2] in ("CR", "NR")]
        assert rows == [["CR", "25"], ["NR", "30"]]
