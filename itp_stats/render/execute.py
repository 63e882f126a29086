"""Execute a parsed ``.qmd`` document in a kernel, honouring Quarto's execution options.

Order of work, as Quarto and papermill do it: a hidden setup cell; the cells in document
order; right after the cell tagged ``parameters`` (or first, when there is none) a hidden
cell assigning the ``-P`` overrides; the inline expressions of each markdown chunk are
evaluated where the chunk stands, so they see the values computed above them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError

from itp_stats.render.errors import CellExecutionError, ProjectError
from itp_stats.render.kernel import KernelSession
from itp_stats.render.qmd import INLINE_EXPRESSION, CodeCell, MarkdownChunk, QmdDocument

__all__ = [
    "CellOptions",
    "ExecutedCell",
    "ExecutedMarkdown",
    "ExecutedDocument",
    "parameter_code",
    "execute_document",
]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
_INLINE_MIME = "application/json"

# Defined in the kernel before any document cell; evaluates inline expressions and
# returns their text (markdown when the value has a markdown repr, str as is, else the
# plain-text repr) or the error they raise.
_SETUP_CODE = """
def _itp_stats_inline(sources):
    from IPython import get_ipython
    from IPython.display import display
    shell = get_ipython()
    results = []
    for source in sources:
        try:
            value = eval(source, shell.user_ns)
        except Exception as exc:
            results.append({"error": [type(exc).__name__, str(exc)]})
            continue
        if isinstance(value, str):
            text = value
        else:
            data, _ = shell.display_formatter.format(value)
            text = data.get("text/markdown") or data.get("text/plain", "")
        results.append({"value": text})
    display({"application/json": {"results": results}}, raw=True)
""".strip()

_DEFAULTS: dict[str, Any] = {
    "echo": True,
    "eval": True,
    "include": True,
    "output": True,
    "warning": True,
    "error": False,
}


@dataclass(frozen=True)
class CellOptions:
    """Execution options of one cell, after defaults, ``execute:`` and ``#|`` are merged.

    Attributes
    ----------
    echo : bool or "fenced"
        Show the code.
    eval : bool
        Run the code.
    include : bool
        Show anything at all (the code still runs).
    output : bool or "asis"
        Show outputs; ``"asis"`` inserts text outputs as raw markdown.
    warning : bool
        Keep warnings (stderr).
    error : bool
        Show an exception as output and go on, instead of stopping the render.
    """

    echo: bool | str = True
    eval: bool = True
    include: bool = True
    output: bool | str = True
    warning: bool = True
    error: bool = False

    @classmethod
    def resolve(cls, execute: Mapping[str, Any], cell: Mapping[str, Any]) -> CellOptions:
        """Merge defaults, document/project ``execute`` options and a cell's ``#|`` options."""
        merged = dict(_DEFAULTS)
        if execute.get("enabled") is False:
            merged["eval"] = False
        for source in (execute, cell):
            merged.update({k: source[k] for k in _DEFAULTS if k in source})
        return cls(
            echo="fenced" if merged["echo"] == "fenced" else bool(merged["echo"]),
            eval=bool(merged["eval"]),
            include=bool(merged["include"]),
            output="asis" if merged["output"] == "asis" else bool(merged["output"]),
            warning=bool(merged["warning"]),
            error=bool(merged["error"]),
        )


@dataclass(frozen=True)
class ExecutedCell:
    """A cell, its resolved options and its outputs (nbformat output dicts)."""

    cell: CodeCell
    options: CellOptions
    outputs: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ExecutedMarkdown:
    """A markdown chunk with its inline expressions replaced by their values."""

    text: str
    line: int


@dataclass(frozen=True)
class ExecutedDocument:
    """The result of executing a document.

    Attributes
    ----------
    document : QmdDocument
        What was executed.
    chunks : list of ExecutedCell or ExecutedMarkdown
        The body, in order, ready to be assembled.
    kernel_started : bool
        Whether a kernel was needed.
    """

    document: QmdDocument
    chunks: list[ExecutedCell | ExecutedMarkdown]
    kernel_started: bool


def parameter_code(params: Mapping[str, Any]) -> str:
    """Return the code of the injected-parameters cell (one assignment per parameter).

    Raises
    ------
    ProjectError
        When a parameter name is not a Python identifier.
    """
    lines = ["# Injected parameters"]
    for key, value in params.items():
        if not str(key).isidentifier():
            raise ProjectError(f"parameter name {key!r} is not a valid Python name")
        lines.append(f"{key} = {value!r}")
    return "\n".join(lines)


def _error_line(output: Mapping[str, Any]) -> int | None:
    """1-based line within the cell where the error arose, from the kernel's traceback."""
    text = _ANSI.sub("", "\n".join(output.get("traceback") or []))
    match = _CELL_LINE.search(text)
    return int(match.group(1)) if match else None


def _needs_kernel(document: QmdDocument, execute: Mapping[str, Any]) -> bool:
    for chunk in document.chunks:
        if isinstance(chunk, MarkdownChunk) and chunk.inline_expressions():
            return True
        if isinstance(chunk, CodeCell) and CellOptions.resolve(execute, chunk.options).eval:
            return True
    return False


def execute_document(
    document: QmdDocument,
    *,
    name: str,
    execute: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    on_kernel_ready: Callable[[], None] | None = None,
    print_dpi: int | None = None,
) -> ExecutedDocument:
    """Run a document's cells and inline expressions in a fresh kernel.

    Parameters
    ----------
    document : QmdDocument
        The parsed document.
    name : str
        How the document is named in messages (path relative to the project).
    execute : mapping, optional
        Merged ``execute:`` options of the project and document.
    params : mapping, optional
        Parameter overrides, injected after the cell tagged ``parameters``.
    env : mapping, optional
        Extra environment variables of the kernel.
    log : Path, optional
        File for the kernel process's own output.
    on_kernel_ready : callable, optional
        Called once the kernel has started (for progress reporting and timing).
    print_dpi : int, optional
        Also output every figure as a PNG at this resolution (for DOCX; see
        :class:`~itp_stats.render.kernel.KernelSession`).

    Returns
    -------
    ExecutedDocument
        The body with outputs and inline values.

    Raises
    ------
    CellExecutionError
        When a cell without ``error: true``, or an inline expression, raises.
    """
    execute = dict(execute or {})
    params = dict(params or {})
    if not _needs_kernel(document, execute):
        chunks: list[ExecutedCell | ExecutedMarkdown] = [
            ExecutedMarkdown(chunk.text, chunk.line)
            if isinstance(chunk, MarkdownChunk)
            else ExecutedCell(chunk, CellOptions.resolve(execute, chunk.options))
            for chunk in document.chunks
        ]
        return ExecutedDocument(document, chunks, kernel_started=False)

    has_parameters_cell = any("parameters" in cell.tags for cell in document.cells)
    injected = not params
    result: list[ExecutedCell | ExecutedMarkdown] = []
    with KernelSession(document.path.parent, env=env, log=log, print_dpi=print_dpi) as kernel:
        if on_kernel_ready:
            on_kernel_ready()
        _check(kernel.run(_SETUP_CODE), name, 1, "(renderer set-up)")
        for chunk in document.chunks:
            if not injected and not has_parameters_cell:
                _check(kernel.run(parameter_code(params)), name, 1, "(injected parameters)")
                injected = True
            if isinstance(chunk, MarkdownChunk):
                result.append(_run_inline(kernel, chunk, name))
                continue
            options = CellOptions.resolve(execute, chunk.options)
            outputs: list[dict[str, Any]] = []
            if options.eval:
                outputs = _run(kernel, chunk.source, name, chunk.line, chunk.code)
                for output in outputs:
                    if output.get("output_type") == "error" and not options.error:
                        offset = _error_line(output)
                        raise CellExecutionError(
                            name,
                            chunk.line + offset if offset else chunk.line,
                            chunk.line,
                            chunk.code,
                            str(output.get("ename", "Error")),
                            str(output.get("evalue", "")),
                        )
            result.append(ExecutedCell(chunk, options, outputs))
            if not injected and "parameters" in chunk.tags:
                code = parameter_code(params)
                _check(kernel.run(code), name, chunk.line, "(injected parameters)")
                injected = True
    return ExecutedDocument(document, result, kernel_started=True)


def _run(kernel: KernelSession, code: str, name: str, line: int, shown: str) -> list[dict]:
    """Run ``code``; a dead or timed-out kernel becomes a located error."""
    try:
        return kernel.run(code)
    except DeadKernelError:
        raise CellExecutionError(
            name, line, line, shown, "DeadKernelError", "the kernel died while running this cell"
        ) from None
    except CellTimeoutError as exc:
        raise CellExecutionError(
            name, line, line, shown, "CellTimeoutError", str(exc).splitlines()[0]
        ) from None


def _check(outputs: list[dict[str, Any]], name: str, line: int, what: str) -> None:
    for output in outputs:
        if output.get("output_type") == "error":
            raise CellExecutionError(
                name, line, line, what, str(output.get("ename")), str(output.get("evalue"))
            )


def _run_inline(kernel: KernelSession, chunk: MarkdownChunk, name: str) -> ExecutedMarkdown:
    expressions = chunk.inline_expressions()
    if not expressions:
        return ExecutedMarkdown(chunk.text, chunk.line)
    outputs = kernel.run(f"_itp_stats_inline({[source for _, source in expressions]!r})")
    _check(outputs, name, expressions[0][0], "(inline expressions)")
    payload = next(
        (o["data"][_INLINE_MIME] for o in outputs if _INLINE_MIME in o.get("data", {})), None
    )
    if payload is None:
        raise CellExecutionError(
            name, expressions[0][0], expressions[0][0], "(inline expressions)", "RenderError",
            "the kernel returned no value for the inline expressions",
        )  # fmt: skip
    values = []
    for (line, source), item in zip(expressions, payload["results"], strict=True):
        if "error" in item:
            ename, evalue = item["error"]
            raise CellExecutionError(name, line, line, f"`{{python}} {source}`", ename, evalue)
        values.append(item["value"])

    replacements = iter(values)
    lines = chunk.text.splitlines(keepends=True)
    for offset, text in enumerate(lines):
        if chunk.line + offset in chunk.verbatim_lines:
            continue
        lines[offset] = INLINE_EXPRESSION.sub(lambda _m: next(replacements), text)
    return ExecutedMarkdown("".join(lines), chunk.line)
