"""Split a Quarto ``.qmd`` document into front matter, markdown chunks and Python cells.

markdown-it-py locates the fenced code blocks (so fences inside lists, block quotes or
other fences are found the way a CommonMark reader finds them) and PyYAML reads the front
matter and the ``#|`` cell options. Markdown text is kept verbatim: Pandoc, not
markdown-it, reads it later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt

from itp_stats.render.errors import ProjectError

__all__ = [
    "CodeCell",
    "MarkdownChunk",
    "QmdDocument",
    "INLINE_EXPRESSION",
    "parse_qmd",
    "parse_qmd_text",
    "split_front_matter",
]

INLINE_EXPRESSION = re.compile(r"`\{python\}\s+([^`]+?)\s*`")
"""An inline expression `` `{python} expr` ``; group 1 is the expression."""

_OPTION_LINE = re.compile(r"^#\|\s?(.*)$")
_EXEC_INFO = re.compile(r"^\{([A-Za-z][\w-]*)([^}]*)\}\s*$")
_FRONT_MATTER_END = ("---", "...")


@dataclass(frozen=True)
class CodeCell:
    """One executable ` ```{python} ` cell.

    Attributes
    ----------
    source : str
        The cell's text as sent to the kernel, ``#|`` option lines included (they are
        comments, and keeping them keeps kernel line numbers aligned with the file).
    code : str
        The code without the option lines (what ``echo`` shows).
    options : dict
        The ``#|`` options, parsed as YAML.
    line : int
        1-based line of the opening fence in the ``.qmd`` file.
    index : int
        0-based position among the document's cells.
    """

    source: str
    code: str
    options: dict[str, Any]
    line: int
    index: int

    @property
    def label(self) -> str | None:
        """The cell's ``label`` option, if any."""
        value = self.options.get("label")
        return str(value) if value is not None else None

    @property
    def tags(self) -> list[str]:
        """The cell's ``tags`` option as a list of strings."""
        tags = self.options.get("tags") or []
        if isinstance(tags, str):
            tags = [tags]
        return [str(tag) for tag in tags]


@dataclass(frozen=True)
class MarkdownChunk:
    """Markdown text between cells.

    Attributes
    ----------
    text : str
        The markdown, verbatim (ending with a newline).
    line : int
        1-based line of its first line in the ``.qmd`` file.
    verbatim_lines : frozenset of int
        1-based lines inside non-executable code (fenced or indented), where inline
        expressions are not evaluated.
    """

    text: str
    line: int
    verbatim_lines: frozenset[int] = field(default_factory=frozenset)

    def inline_expressions(self) -> list[tuple[int, str]]:
        """Return ``(line, expression)`` for each inline expression, in order."""
        found = []
        for offset, text in enumerate(self.text.splitlines()):
            lineno = self.line + offset
            if lineno in self.verbatim_lines:
                continue
            found.extend((lineno, m.group(1)) for m in INLINE_EXPRESSION.finditer(text))
        return found


@dataclass(frozen=True)
class QmdDocument:
    """A parsed ``.qmd`` document.

    Attributes
    ----------
    path : Path
        The file it was read from.
    front_matter : dict
        The YAML front matter (empty when there is none).
    chunks : list of MarkdownChunk or CodeCell
        The body, in document order.
    """

    path: Path
    front_matter: dict[str, Any]
    chunks: list[MarkdownChunk | CodeCell]

    @property
    def cells(self) -> list[CodeCell]:
        """The code cells, in order."""
        return [chunk for chunk in self.chunks if isinstance(chunk, CodeCell)]


def split_front_matter(text: str, name: str = "<document>") -> tuple[dict[str, Any], int]:
    """Read the YAML front matter at the top of a document.

    Parameters
    ----------
    text : str
        The whole document.
    name : str
        Name used in error messages.

    Returns
    -------
    tuple of (dict, int)
        The front matter (empty dict when absent) and the number of lines it spans,
        delimiters included (0 when absent).

    Raises
    ------
    ProjectError
        When the front matter is not closed, is not valid YAML, or is not a mapping.
    """
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].rstrip() in _FRONT_MATTER_END:
            break
    else:
        raise ProjectError(f"{name}:1: front matter opened with '---' is never closed")
    try:
        data = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 2}" if mark is not None else f"{name}:1"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProjectError(f"{where}: front matter is not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{name}:1: front matter must be a YAML mapping")
    return data, end + 1


def _cell_options(lines: list[str], line: int, name: str) -> tuple[dict[str, Any], int]:
    """Parse the leading ``#|`` lines of a cell; return options and how many lines they span."""
    option_lines = []
    for text in lines:
        match = _OPTION_LINE.match(text)
        if not match:
            break
        option_lines.append(match.group(1))
    if not option_lines:
        return {}, 0
    try:
        options = yaml.safe_load("\n".join(option_lines)) or {}
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProjectError(f"{name}:{line}: cell options are not valid YAML: {problem}") from None
    if not isinstance(options, dict):
        raise ProjectError(f"{name}:{line}: cell options must be 'key: value' lines")
    return options, len(option_lines)


def parse_qmd_text(text: str, path: Path | str = "<document>") -> QmdDocument:
    """Parse the text of a ``.qmd`` document.

    Parameters
    ----------
    text : str
        The document.
    path : Path or str
        Where it comes from (used in messages and kept on the result).

    Returns
    -------
    QmdDocument
        Front matter and body chunks.

    Raises
    ------
    ProjectError
        On malformed front matter or cell options, an unclosed cell, or a cell in a
        language other than Python.
    """
    path = Path(path)
    name = str(path)
    front_matter, skip = split_front_matter(text, name)
    lines = text.splitlines()
    # blank the front matter out so markdown-it's line numbers stay those of the file
    body = "\n".join([""] * skip + lines[skip:]) + "\n"
    tokens = MarkdownIt("commonmark").parse(body)

    verbatim: set[int] = set()
    cells: list[tuple[int, int, str]] = []  # (start, end) 0-based half-open, content
    for token in tokens:
        if token.type not in ("fence", "code_block") or token.map is None:
            continue
        start, end = token.map
        match = _EXEC_INFO.match(token.info.strip()) if token.type == "fence" else None
        if match and not match.group(1).startswith("="):
            language = match.group(1)
            if language != "python":
                raise ProjectError(
                    f"{name}:{start + 1}: '{{{language}}}' cells are not supported; "
                    "only '{python}' cells run"
                )
            closed = end - start >= 2 and lines[end - 1].strip().startswith(token.markup)
            if not closed:
                raise ProjectError(f"{name}:{start + 1}: code cell is never closed")
            cells.append((start, end, token.content))
        else:
            verbatim.update(range(start + 1, end + 1))

    chunks: list[MarkdownChunk | CodeCell] = []
    position = skip
    for index, (start, end, text) in enumerate(cells):
        if start > position:
            chunks.append(_markdown(lines, position, start, verbatim))
        # markdown-it strips the indentation of an enclosing list item or quote
        content = text.splitlines()
        options, n_options = _cell_options(content, start + 1, name)
        chunks.append(
            CodeCell(
                source="\n".join(content),
                code="\n".join(content[n_options:]).strip("\n"),
                options=options,
                line=start + 1,
                index=index,
            )
        )
        position = end
    if position < len(lines):
        chunks.append(_markdown(lines, position, len(lines), verbatim))
    return QmdDocument(path=path, front_matter=front_matter, chunks=chunks)


def _markdown(lines: list[str], start: int, end: int, verbatim: set[int]) -> MarkdownChunk:
    return MarkdownChunk(
        text="\n".join(lines[start:end]) + "\n",
        line=start + 1,
        verbatim_lines=frozenset(n for n in verbatim if start < n <= end),
    )


def parse_qmd(path: Path) -> QmdDocument:
    """Read and parse a ``.qmd`` file (UTF-8).

    Parameters
    ----------
    path : Path
        The document.

    Returns
    -------
    QmdDocument
        Front matter and body chunks.

    Raises
    ------
    ProjectError
        When the file cannot be read or is malformed.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read {path}: {exc}") from None
    return parse_qmd_text(text, path)
