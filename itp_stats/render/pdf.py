"""Compile Typst source to PDF with the ``typst`` Python package (no LaTeX, no Quarto)."""

from __future__ import annotations

from pathlib import Path

import typst

from itp_stats.render.errors import ToolError

__all__ = ["compile_pdf"]


def compile_pdf(source: Path, output: Path, root: Path) -> list[str]:
    """Compile ``source`` (a ``.typ`` file) to the PDF ``output``.

    Parameters
    ----------
    source : Path
        The Typst document.
    output : Path
        The PDF to write.
    root : Path
        Typst's root: every file the document reads (images) must be inside it.

    Returns
    -------
    list of str
        Typst's warnings, one string each.

    Raises
    ------
    ToolError
        When Typst reports an error.
    """
    try:
        if hasattr(typst, "compile_with_warnings"):
            _, warnings = typst.compile_with_warnings(
                str(source), output=str(output), root=str(root)
            )
            return [str(getattr(w, "message", w)) for w in warnings or []]
        typst.compile(str(source), output=str(output), root=str(root))
        return []
    except Exception as exc:  # typst.TypstError and friends carry the diagnostics
        raise ToolError(f"Typst failed on {source.name}: {exc}") from None
