"""Run a project's ``pre-render`` commands the way Quarto does.

Each command runs in the project folder: a ``.py`` script with this Python, anything else
split as a command line (no shell). The environment carries Quarto's variables
(``QUARTO_PROJECT_RENDER_ALL``, ``QUARTO_PROJECT_OUTPUT_DIR``,
``QUARTO_PROJECT_INPUT_FILES``), ``ITP_STATS_DATA`` when a data path is given, and this
interpreter's folder first on ``PATH`` (so ``itp-stats`` resolves to this installation).
A command that fails stops the render before any document executes, and the render exits
with the command's status when it is 1 or 2 (``itp-stats gate``: 1 a critical rule failed,
2 the data file cannot be read), else with 1 (see :class:`~itp_stats.render.errors.PreRenderError`).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from itp_stats.render.errors import PreRenderError
from itp_stats.render.progress import Progress

__all__ = [
    "post_render_environment",
    "pre_render_command",
    "pre_render_environment",
    "run_pre_render",
]


def pre_render_environment(
    root: Path,
    inputs: list[Path],
    output_dir: Path | None,
    render_all: bool,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return the environment of the pre-render commands.

    Parameters
    ----------
    root : Path
        Project folder.
    inputs : list of Path
        Documents about to render.
    output_dir : Path, optional
        Output folder (``None``: beside the sources).
    render_all : bool
        Whether the whole project renders (``QUARTO_PROJECT_RENDER_ALL=1``).
    extra : mapping, optional
        More variables (``ITP_STATS_DATA``).
    """
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in (bin_dir, env.get("PATH", "")) if p)

    if render_all:
        env["QUARTO_PROJECT_RENDER_ALL"] = "1"
    else:
        env.pop("QUARTO_PROJECT_RENDER_ALL", None)
    env["QUARTO_PROJECT_OUTPUT_DIR"] = _relative(output_dir, root) if output_dir else "."
    env["QUARTO_PROJECT_INPUT_FILES"] = "\n".join(_relative(p, root) for p in inputs)
    # the steps that stage and publish a `quarto render` leave this renderer's own to it
    env["ITP_STATS_RENDERER"] = "builtin"
    if extra:
        env.update(extra)
    return env


def post_render_environment(
    env: Mapping[str, str], output_dir: Path, outputs: list[Path], root: Path
) -> dict[str, str]:
    """Return the environment of the post-render commands, as Quarto gives it.

    Quarto names the output files written (``QUARTO_PROJECT_OUTPUT_FILES``, relative to the
    project folder) and not the input files, and the output folder the documents are in.

    Parameters
    ----------
    env : mapping
        The pre-render environment (:func:`pre_render_environment`).
    output_dir : Path
        The folder the outputs are in (the staging folder).
    outputs : list of Path
        The output files written there.
    root : Path
        Project folder.
    """

    post = dict(env)
    post.pop("QUARTO_PROJECT_INPUT_FILES", None)
    post["QUARTO_PROJECT_OUTPUT_DIR"] = str(output_dir)
    post["QUARTO_PROJECT_OUTPUT_FILES"] = "\n".join(_relative(p, root) for p in outputs)
    return post


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to the project folder, as Quarto names files to the steps (an
    absolute path when it is outside)."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def pre_render_command(command: str, root: Path) -> list[str]:
    """Return the argument list for one ``pre-render`` entry.

    Raises
    ------
    PreRenderError
        When the entry is empty or cannot be split.
    """
    try:
        parts = shlex.split(command)
    except ValueError as exc:
        raise PreRenderError(f"pre-render command {command!r}: {exc}", command, None) from None
    if not parts:
        raise PreRenderError("empty pre-render command in _quarto.yml", command, None)
    if len(parts) == 1 and parts[0].endswith(".py"):
        return [sys.executable, str(root / parts[0])]
    if parts[0].endswith(".py") and (root / parts[0]).is_file():
        return [sys.executable, str(root / parts[0]), *parts[1:]]
    return parts


def run_pre_render(
    commands: list[str],
    root: Path,
    env: Mapping[str, str],
    progress: Progress,
    stage: str = "pre-render",
) -> None:
    """Run each command in ``root``; echo its output to stderr; stop at the first failure.

    ``stage`` is ``pre-render`` or ``post-render`` (the same contract, after the outputs are
    in place; a failing post-render command leaves the installed outputs as they are).

    Raises
    ------
    PreRenderError
        When a command cannot start or exits non-zero; its ``exit_status`` is the command's
        exit status when that is 1 or 2, else 1.
    """
    for command in commands:
        args = pre_render_command(command, root)
        with progress.step("project", f"{stage} `{command}`"):
            try:
                proc = subprocess.run(
                    args,
                    cwd=root,
                    env=dict(env),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    check=False,
                )
            except OSError as exc:
                raise PreRenderError(
                    f"{stage} command `{command}` could not start: {exc.strerror}",
                    command,
                    None,
                ) from None
        output = proc.stdout.rstrip()
        if output and (proc.returncode != 0 or not progress.quiet):
            stream = progress.stream or sys.stderr
            stream.write(output + "\n")
            stream.flush()
        if proc.returncode != 0:
            consequence = (
                "nothing was rendered and previous outputs are unchanged"
                if stage == "pre-render"
                else "the rendered documents are in place; its own outputs are not"
            )
            raise PreRenderError(
                f"{stage} command `{command}` failed (exit status {proc.returncode}); "
                + consequence,
                command,
                proc.returncode,
            )
