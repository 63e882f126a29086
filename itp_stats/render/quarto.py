"""The Quarto engine: hand the render to the Quarto CLI when it is installed.

``quarto render`` runs in a process group of its own, so that its whole tree — Quarto, the
pre- and post-render steps, its Jupyter kernels, pandoc and Typst — can be stopped together.
On Ctrl-C (the :class:`KeyboardInterrupt` of ``itp-stats render``; a terminal's Ctrl-C reaches
only ``itp-stats``, whose group is the terminal's foreground group) the group is asked to stop
(``SIGINT``); once Quarto has ended, or :data:`STOP_GRACE` seconds later, what is left of
the group is killed; further Ctrl-C are ignored meanwhile. Quarto writes into the project's
staging folder and publishes only in its last post-render step
(:mod:`itp_stats.render.staging`), so the previous outputs stay whole, and the next render
takes the dead render's lock over.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from itp_stats.render.errors import RenderError
from itp_stats.render.progress import Progress

__all__ = ["STOP_GRACE", "find_quarto", "quarto_commands", "render_with_quarto", "run_stoppable"]

STOP_GRACE = 1.5
"""Seconds a stopped ``quarto render`` is given to end on ``SIGINT`` before it is killed."""


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
        status = run_stoppable(command, cwd=root, env=environment)
        if status != 0:
            raise RenderError(f"quarto render failed (exit status {status})")


def run_stoppable(command: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> int:
    """Run ``command`` in a process group of its own and return its exit status.

    Raises
    ------
    KeyboardInterrupt
        On Ctrl-C, once the whole group has stopped (:func:`_stop_group`).
    """
    proc = subprocess.Popen(list(command), cwd=cwd, env=dict(env), process_group=0)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # one stop at a time
        try:
            _stop_group(proc)
        finally:
            signal.signal(signal.SIGINT, previous)
        raise


def _stop_group(proc: subprocess.Popen) -> None:
    """Ask the process group of ``proc`` to stop, then kill what is left of it."""
    group = proc.pid
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=STOP_GRACE)  # Quarto's own clean-up, at most this long
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)  # and whatever of its tree outlived it
    proc.wait()
