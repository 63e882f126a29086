"""Executing documents: option resolution, parameter injection, inline values, errors."""

from __future__ import annotations

import pytest

from itp_stats.render.errors import CellExecutionError, ProjectError
from itp_stats.render.execute import (
    CellOptions,
    ExecutedCell,
    ExecutedMarkdown,
    execute_document,
    parameter_code,
)
from itp_stats.render.qmd import parse_qmd_text


def test_cell_options_resolve_defaults_execute_and_cell():
    assert CellOptions.resolve({}, {}) == CellOptions()
    options = CellOptions.resolve({"echo": False, "warning": False}, {"echo": True})
    assert options.echo is True and options.warning is False
    assert CellOptions.resolve({}, {"echo": "fenced", "output": "asis"}).echo == "fenced"
    assert CellOptions.resolve({}, {"output": "asis"}).output == "asis"
    assert CellOptions.resolve({"enabled": False}, {}).eval is False


def test_parameter_code_assigns_python_literals():
    code = parameter_code({"alpha": 0.1, "name": "x'y", "flag": True, "n": 3})
    namespace: dict = {}
    exec(code, namespace)
    assert (namespace["alpha"], namespace["name"], namespace["flag"], namespace["n"]) == (
        0.1,
        "x'y",
        True,
        3,
    )
    with pytest.raises(ProjectError, match="not a valid Python name"):
        parameter_code({"bad-name": 1})


def test_documents_without_code_need_no_kernel(tmp_path):
    doc = parse_qmd_text(
        "Text only.\n\n```{python}\n#| eval: false\nx = 1\n```\n", tmp_path / "d.qmd"
    )
    executed = execute_document(doc, name="d.qmd")
    assert executed.kernel_started is False
    assert isinstance(executed.chunks[1], ExecutedCell) and executed.chunks[1].outputs == []


DOC = """\
Before: `{python} value`.

```{python}
value = 21 * 2
word = "plain"
```

After: `{python} value`, `{python} word`, `{python} [1, 2]`, `{python} Markdown("**b**")`.
Param: `{python} injected`.

```{python}
#| error: true
raise KeyError("shown")
```
"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exec")
    text = "```{python}\nfrom IPython.display import Markdown\nvalue = 1\n```\n\n" + DOC
    doc = parse_qmd_text(text, folder / "d.qmd")
    return execute_document(doc, name="d.qmd", params={"injected": "from -P"})


def test_inline_values_are_taken_where_the_text_stands(executed):
    markdown = [c.text for c in executed.chunks if isinstance(c, ExecutedMarkdown)]
    assert "Before: 1." in markdown[0]
    assert "After: 42, plain, [1, 2], **b**." in markdown[1]


def test_parameters_are_injected_first_without_a_parameters_cell(executed):
    markdown = [c.text for c in executed.chunks if isinstance(c, ExecutedMarkdown)]
    assert "Param: from -P." in markdown[1]


def test_error_true_keeps_the_error_as_output(executed):
    last = executed.chunks[-1]
    assert isinstance(last, ExecutedCell)
    assert [o["output_type"] for o in last.outputs] == ["error"]
    assert last.outputs[0]["ename"] == "KeyError"


def test_inline_expression_errors_are_located(tmp_path):
    doc = parse_qmd_text("---\ntitle: x\n---\n\nLine five `{python} 1 / 0`.\n", tmp_path / "d.qmd")
    with pytest.raises(CellExecutionError) as info:
        execute_document(doc, name="d.qmd")
    error = info.value
    assert (error.line, error.ename, error.evalue) == (5, "ZeroDivisionError", "division by zero")
    assert str(error).startswith("d.qmd:5: ZeroDivisionError: division by zero")
    assert "| `{python} 1 / 0`" in str(error)


def test_a_dying_kernel_is_a_located_error(tmp_path):
    text = "Text.\n\n```{python}\nimport os\nos._exit(3)\n```\n"
    doc = parse_qmd_text(text, tmp_path / "d.qmd")
    with pytest.raises(CellExecutionError) as info:
        execute_document(doc, name="d.qmd")
    assert (info.value.line, info.value.ename) == (3, "DeadKernelError")
    assert "| os._exit(3)" in str(info.value)
