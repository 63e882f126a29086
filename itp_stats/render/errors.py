"""Errors of the report renderer, shown to the user as short messages."""

from __future__ import annotations

from itp_stats.errors import ItpStatsError

__all__ = [
    "RenderError",
    "ProjectError",
    "PreRenderError",
    "KEPT_EXIT_STATUSES",
    "CellExecutionError",
    "ToolError",
]


class RenderError(ItpStatsError):
    """A render cannot complete; previous outputs are left untouched."""


class ProjectError(RenderError):
    """The Quarto project or a document is malformed (bad ``_quarto.yml``, front matter, file)."""

    exit_status = 2


KEPT_EXIT_STATUSES = (1, 2)
"""Exit statuses of a pre- or post-render command that the render exits with in turn: the
gate's 1 (a critical rule failed) and 2 (the data file cannot be read). Any other failure
of a command ends the render with 1."""


class PreRenderError(RenderError):
    """A ``pre-render`` (or ``post-render``) command failed or could not be started.

    Attributes
    ----------
    command : str
        The command as written in ``_quarto.yml``.
    returncode : int or None
        Its exit status (``None`` when it could not be started).
    exit_status : int
        Exit status of ``itp-stats render``: the command's own when it is one of
        :data:`KEPT_EXIT_STATUSES` (so ``itp-stats render`` exits 2 when the gate found the
        data file unreadable, 1 when a critical rule failed), else 1.
    """

    def __init__(self, message: str, command: str, returncode: int | None) -> None:
        super().__init__(message)
        self.command = command
        self.returncode = returncode
        self.exit_status = returncode if returncode in KEPT_EXIT_STATUSES else 1


class CellExecutionError(RenderError):
    """A code cell (or inline expression) raised while the document executed.

    Attributes
    ----------
    document : str
        The document, relative to the project root.
    line : int
        1-based line in the ``.qmd`` file where the error arose.
    cell_line : int
        1-based line of the cell's opening fence (or of the inline expression).
    source : str
        Source of the failing cell or inline expression.
    ename, evalue : str
        Python exception type and message.
    """

    def __init__(
        self, document: str, line: int, cell_line: int, source: str, ename: str, evalue: str
    ) -> None:
        self.document = document
        self.line = line
        self.cell_line = cell_line
        self.source = source
        self.ename = ename
        self.evalue = evalue
        shown = "\n".join(f"    | {text}" for text in source.rstrip("\n").splitlines())
        super().__init__(
            f"{document}:{line}: {ename}: {evalue}\n"
            f"  in the cell at line {cell_line} of {document}:\n{shown}"
        )


class ToolError(RenderError):
    """pandoc or Typst failed on the assembled document."""
