"""Atomic and locked outputs under ``quarto render``: the ``stage`` and ``publish`` steps.

Quarto writes each document into the project's ``output-dir`` as soon as it is converted, so
a render that fails or is killed half-way, or two renders at once, would leave a mix of old
and new files there. The project therefore gives Quarto a *staging* folder as its
``output-dir`` (``.itp-stats/quarto-output``) and names the folder readers use in its own
key, ``itp-stats: publish-dir: _output`` (Quarto passes unknown top-level keys on as
metadata). Two commands of the render's own steps do the rest:

``itp-stats stage`` (the first pre-render step)
    takes the project's render lock for the running ``quarto render`` — the process that runs
    the step, identified by its process id and start time, because the lock has to outlive
    the step — and empties the staging folder. A second render, Quarto's or the built-in
    one, is refused while that process lives; a lock whose process has died (a killed render)
    is taken over and its staging folder emptied.
``itp-stats publish`` (the last post-render step)
    checks that the running render holds the lock, builds the new set beside the publish
    folder (the previous set's files carried over when only some documents were rendered),
    swaps it in with :func:`itp_stats.render.outputs.publish` and releases the lock.

A render that fails or is killed before ``publish`` leaves the publish folder as it was.
The built-in renderer runs the same steps (they are in ``_quarto.yml``) but stages and
publishes itself: under it (``ITP_STATS_RENDERER=builtin``) both commands do nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from itp_stats.errors import ItpStatsError
from itp_stats.render.outputs import (
    OutputError,
    RenderLockedError,
    clean_leftovers,
    publish,
    render_lock,
    stage,
)
from itp_stats.render.plan import PLAN_OUTPUTS

__all__ = [
    "LOCK_RECORD",
    "PUBLISH_DIR_ENV",
    "RENDERER_ENV",
    "Holder",
    "live_quarto_render",
    "publish_staged",
    "refuse_if_quarto_running",
    "register",
    "remove_stale_staging",
    "take_render",
]

RENDERER_ENV = "ITP_STATS_RENDERER"
"""Set to ``builtin`` by the built-in renderer for its pre- and post-render steps."""

PUBLISH_DIR_ENV = "ITP_STATS_PUBLISH_DIR"
"""Overrides the publish folder (``itp-stats render --output-dir`` through Quarto)."""

LOCK_RECORD = "quarto-render.json"
"""The lock record of a running ``quarto render``, in ``.itp-stats``."""


@dataclass(frozen=True)
class Holder:
    """A process that holds (or asks for) the render lock.

    Attributes
    ----------
    pid : int
        Its process id.
    started : str
        Its start time as the kernel records it (``/proc/<pid>/stat``), so that a later
        process given the same id is not taken for it; empty where unknown.
    """

    pid: int
    started: str

    @classmethod
    def of(cls, pid: int) -> Holder:
        """The holder record of process ``pid`` as it is now."""
        return cls(pid, _start_time(pid))

    def alive(self) -> bool:
        """Whether this very process still runs."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # another user's process: it exists
        return not self.started or _start_time(self.pid) == self.started


def _start_time(pid: int) -> str:
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    # the command name (field 2) is in brackets and may hold spaces: count after it
    fields = text[text.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


def _record_path(root: Path) -> Path:
    return root / ".itp-stats" / LOCK_RECORD


def _read_record(root: Path) -> tuple[Holder, str] | None:
    try:
        data = json.loads(_record_path(root).read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data.get("started", ""))), str(data.get("since", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def live_quarto_render(root: Path) -> str | None:
    """Describe the running ``quarto render`` of project ``root`` holding its lock, if any."""
    record = _read_record(root)
    if record is None or not record[0].alive():
        return None
    return f"quarto render, pid {record[0].pid} since {record[1] or 'unknown'}"


def refuse_if_quarto_running(root: Path) -> None:
    """Raise :class:`RenderLockedError` when a ``quarto render`` of ``root`` holds its lock."""
    running = live_quarto_render(root)
    if running:
        raise RenderLockedError(
            f"another render of {root} is running ({running}); this one was refused and "
            "nothing was changed: render again when it has finished"
        )


def _project(root: Path) -> tuple[Path, Path | None]:
    """The publish folder and Quarto's ``output-dir`` (None: outputs beside the sources)."""
    from itp_stats.render.project import load_project

    project = load_project(root)
    publish_dir = os.environ.get(PUBLISH_DIR_ENV)
    target = (root / publish_dir).resolve() if publish_dir else project.output_dir
    quarto = os.environ.get("QUARTO_PROJECT_OUTPUT_DIR")
    written = (root / quarto).resolve() if quarto else project.quarto_output_dir
    if target is None:
        raise OutputError(f"{root / '_quarto.yml'}: no output folder (project.output-dir)")
    return target, written


def _is_staging(folder: Path | None, root: Path, target: Path) -> bool:
    """Whether Quarto writes into a staging folder of the project's state (not ``target``)."""
    if folder is None or folder == target:
        return False
    try:
        folder.relative_to((root / ".itp-stats").resolve())
    except ValueError:
        return False
    return True


def _empty(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def remove_stale_staging(root: Path) -> bool:
    """Remove the lock record and staging folder of a ``quarto render`` that has died.

    Call under :func:`~itp_stats.render.outputs.render_lock`. Returns whether anything was
    removed.
    """
    record = _read_record(root)
    if record is None or record[0].alive():
        return False
    _record_path(root).unlink(missing_ok=True)
    with contextlib.suppress(ItpStatsError):  # a broken _quarto.yml: the render says so
        target, written = _project(root)
        if written is not None and _is_staging(written, root.resolve(), target):
            shutil.rmtree(written, ignore_errors=True)
    return True


def take_render(root: Path, holder: Holder) -> Path | None:
    """Take the render lock of project ``root`` for ``holder`` and empty the staging folder.

    Returns
    -------
    Path or None
        The staging folder Quarto writes into; None when Quarto writes straight into the
        publish folder (a ``--output-dir`` outside the project's state), where nothing is
        staged or locked.

    Raises
    ------
    RenderLockedError
        Another render is running (named in the message); nothing was changed.
    OutputError
        The run state cannot be written.
    """
    root = root.resolve()
    target, written = _project(root)
    if not _is_staging(written, root, target):
        return None
    with render_lock(root, target):  # a built-in render holds it for its whole run
        record = _read_record(root)
        if record is not None and record[0].alive() and record[0] != holder:
            raise RenderLockedError(
                f"another render of {root} is running (quarto render, pid {record[0].pid} "
                f"since {record[1] or 'unknown'}); this one was refused and nothing was "
                "changed: render again when it has finished"
            )
        clean_leftovers(root, target)
        try:
            _empty(written)
            path = _record_path(root)
            temporary = path.with_name(f".{path.name}.tmp")
            since = time.strftime("%Y-%m-%d %H:%M:%S")
            record_text = {"pid": holder.pid, "started": holder.started, "since": since}
            temporary.write_text(json.dumps(record_text) + "\n", encoding="utf-8")
            os.replace(temporary, path)
        except OSError as exc:
            raise OutputError(
                f"cannot prepare the render's staging folder {written} "
                f"({exc.strerror or exc}); nothing was rendered"
            ) from None
    return written


def _move_tree(source: Path, destination: Path) -> int:
    """Move every file of ``source`` into ``destination`` (replacing same-named files)."""
    moved = 0
    for folder, _dirs, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        (destination / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            src, dest = Path(folder) / name, destination / relative / name
            dest.unlink(missing_ok=True)  # a carried-over hard link: never write through it
            try:
                os.replace(src, dest)
            except OSError:  # another file system
                shutil.copy2(src, dest)
            moved += 1
    return moved


def publish_staged(root: Path, holder: Holder, whole: bool) -> tuple[Path, int] | None:
    """Publish what the running ``quarto render`` wrote into the staging folder.

    Parameters
    ----------
    root : Path
        The project folder.
    holder : Holder
        The running render (it must hold the lock).
    whole : bool
        The whole project was rendered: the new set replaces the previous one; otherwise
        the previous set's other files are kept.

    Returns
    -------
    tuple of (Path, int) or None
        The publish folder and the number of files published; None when nothing is staged
        (Quarto wrote straight into the publish folder).

    Raises
    ------
    OutputError
        This render does not hold the lock, or the outputs cannot be published (the previous
        set is unchanged).
    """
    root = root.resolve()
    target, written = _project(root)
    if not _is_staging(written, root, target) or written is None:
        return None
    with render_lock(root, target):
        record = _read_record(root)
        if record is None or record[0] != holder:
            raise OutputError(
                "this render does not hold the project's render lock (its pre-render step "
                "`itp-stats stage` did not run, or its lock was taken over): nothing was "
                f"published and {target} is unchanged"
            )
        staged = stage(target, carry_over=not whole, keep=PLAN_OUTPUTS)
        try:
            moved = _move_tree(written, staged) if written.is_dir() else 0
            publish(staged, target)
        except OSError as exc:
            shutil.rmtree(staged, ignore_errors=True)
            raise OutputError(
                f"cannot publish the outputs to {target} ({exc.strerror or exc}); the "
                "previous outputs are unchanged"
            ) from None
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        with contextlib.suppress(OSError):
            _record_path(root).unlink()
            shutil.rmtree(written)
    return target, moved


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _run_stage(_args: argparse.Namespace) -> int:
    if os.environ.get(RENDERER_ENV) == "builtin":
        return 0  # the built-in renderer stages and locks by itself
    from itp_stats.config import project_root

    root = project_root()
    written = take_render(root, Holder.of(os.getppid()))
    if written is not None:
        print(f"itp-stats stage: rendering into {_shown(written, root.resolve())}")
    return 0


def _run_publish(_args: argparse.Namespace) -> int:
    if os.environ.get(RENDERER_ENV) == "builtin":
        return 0  # the built-in renderer publishes by itself
    from itp_stats.config import project_root

    root = project_root()
    whole = os.environ.get("QUARTO_PROJECT_RENDER_ALL") == "1"
    done = publish_staged(root, Holder.of(os.getppid()), whole)
    if done is not None:
        target, moved = done
        kept = "" if whole else " (the other outputs kept)"
        print(
            f"itp-stats publish: published {moved} files to {_shown(target, root.resolve())}{kept}"
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``stage`` (pre-render) and ``publish`` (post-render) sub-commands."""
    parser = subparsers.add_parser(
        "stage",
        help="take the render lock and prepare the staging folder (quarto render's first step)",
        description="Take the project's render lock for the running `quarto render` and empty "
        "the staging folder it writes into (project.output-dir); refused while another render "
        "runs. Does nothing under the built-in renderer, which stages by itself.",
    )
    parser.set_defaults(func=_run_stage)
    parser = subparsers.add_parser(
        "publish",
        help="publish the staged outputs in one step (quarto render's last step)",
        description="Replace the publish folder (itp-stats: publish-dir in _quarto.yml) with "
        "what the running `quarto render` wrote into its staging folder, in one step, and "
        "release the render lock. Does nothing under the built-in renderer.",
    )
    parser.set_defaults(func=_run_publish)
