"""The Quarto engine: hand the render to the Quarto CLI when it is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from itp_stats.render.errors import RenderError
from itp_stats.render.progress import Progress

__all__ = ["find_quarto", "quarto_commands", "render_with_quarto"]


def find_quarto() -> str | None:
    """Path of the ``quarto`` executable on PATH, if any."""
    return shutil.which("quarto")


def _param_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def quarto_commands(
    quarto: str,
    targets: Sequence[Path | None],
    formats: Sequence[str] | None,
    params: Mapping[str, Any],
    output_dir: Path | None,
) -> list[list[str]]:
    """Return the ``quarto render`` command lines for a render.

    Parameters
    ----------
    quarto : str
        The Quarto executable.
    targets : sequence of Path or None
        Documents to render (Quarto takes one per call); ``[None]`` renders the project.
    formats : sequence of str, optional
        Formats (``--to``, comma-separated; ``typst`` is Quarto's PDF-through-Typst).
    params : mapping
        Parameters, passed as ``-P key:value``.
    output_dir : Path, optional
        ``--output-dir``.

    Returns
    -------
    list of list of str
        One command per target.
    """
    options: list[str] = []
    if formats:
        options += ["--to", ",".join(formats)]
    if output_dir is not None:
        options += ["--output-dir", str(output_dir)]
    for key, value in params.items():
        options += ["-P", f"{key}:{_param_value(value)}"]
    return [
        [quarto, "render", *([str(target)] if target is not None else []), *options]
        for target in targets
    ]


def render_with_quarto(
    root: Path,
    targets: Sequence[Path | None],
    formats: Sequence[str] | None,
    params: Mapping[str, Any],
    env: Mapping[str, str],
    output_dir: Path | None,
    progress: Progress,
    quarto: str | None = None,
) -> None:
    """Run ``quarto render`` in the project folder (its output goes straight to the terminal).

    Raises
    ------
    RenderError
        When Quarto is missing or exits non-zero.
    """
    quarto = quarto or find_quarto()
    if quarto is None:
        raise RenderError("the Quarto CLI is not on PATH; use --engine builtin")
    environment = {**os.environ, **env}
    for command in quarto_commands(quarto, targets, formats, params, output_dir):
        progress.message("running " + " ".join(command[1:]))
        proc = subprocess.run(command, cwd=root, env=environment, check=False)
        if proc.returncode != 0:
            raise RenderError(f"quarto render failed (exit status {proc.returncode})")
