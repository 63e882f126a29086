"""Splitting .qmd documents: front matter, markdown chunks, cells, options, inline code."""

from __future__ import annotations

import datetime as dt

import pytest

from itp_stats.render.errors import ProjectError
from itp_stats.render.qmd import CodeCell, MarkdownChunk, parse_qmd, parse_qmd_text

DOC = """\
---
title: "A report"
date: 2024-03-01
---

Intro with `{python} n` patients.

```{python}
#| label: fig-x
#| fig-cap: "A caption"
#| tags: [parameters]
import math
x = 1
```

Text between.

```python
not_run = `{python} n`
```

    indented `{python} nope`

- item

  ```{python}
  y = 2
  ```

End `{python} x + 1` and `{python} "two"`.
"""


def test_front_matter_is_read_with_dates_as_dates():
    doc = parse_qmd_text(DOC)
    assert doc.front_matter == {"title": "A report", "date": dt.date(2024, 3, 1)}


def test_cells_and_markdown_alternate_in_order_with_lines():
    doc = parse_qmd_text(DOC)
    kinds = [type(chunk).__name__ for chunk in doc.chunks]
    assert kinds == ["MarkdownChunk", "CodeCell", "MarkdownChunk", "CodeCell", "MarkdownChunk"]
    first, second = doc.cells
    assert first.line == 8 and first.index == 0
    assert first.options == {"label": "fig-x", "fig-cap": "A caption", "tags": ["parameters"]}
    assert first.label == "fig-x" and first.tags == ["parameters"]
    assert first.code == "import math\nx = 1"
    assert first.source.splitlines()[0] == "#| label: fig-x"  # kept: kernel lines match
    assert second.line == 26 and second.code == "y = 2"
    assert doc.chunks[0].line == 5


def test_inline_expressions_skip_code_blocks():
    doc = parse_qmd_text(DOC)
    chunks = [c for c in doc.chunks if isinstance(c, MarkdownChunk)]
    found = [expr for chunk in chunks for _, expr in chunk.inline_expressions()]
    assert found == ["n", "x + 1", '"two"']
    assert chunks[0].inline_expressions() == [(6, "n")]


def test_a_document_without_front_matter_or_cells():
    doc = parse_qmd_text("# Title\n\nJust text.\n")
    assert doc.front_matter == {} and doc.cells == []
    assert doc.chunks == [MarkdownChunk("# Title\n\nJust text.\n", 1, frozenset())]


def test_cell_without_options():
    doc = parse_qmd_text("```{python}\nprint(1)\n```\n")
    assert doc.chunks == [CodeCell("print(1)", "print(1)", {}, 1, 0)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: x\n", "never closed"),
        ("---\ntitle: [x\n---\n", "front matter is not valid YAML"),
        ("---\n- a\n---\n", "must be a YAML mapping"),
        ("```{python}\n#| label: [x\nx = 1\n```\n", "doc.qmd:1: cell options are not valid YAML"),
        ("```{python}\n#| just text\n```\n", "cell options must be"),
        ("```{r}\nx <- 1\n```\n", "'{r}' cells are not supported"),
        ("```{python}\nx = 1\n", "never closed"),
    ],
)
def test_malformed_documents_raise_located_errors(text, message):
    with pytest.raises(ProjectError, match=message.replace("[", r"\[")):
        parse_qmd_text(text, "doc.qmd")


def test_raw_blocks_are_not_cells():
    doc = parse_qmd_text("```{=html}\n<b>x</b>\n```\n")
    assert doc.cells == []


def test_parse_qmd_reads_files(tmp_path):
    path = tmp_path / "d.qmd"
    path.write_text(DOC, encoding="utf-8")
    assert parse_qmd(path).path == path
    with pytest.raises(ProjectError, match="cannot read"):
        parse_qmd(tmp_path / "missing.qmd")
