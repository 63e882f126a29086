"""Publishing a render's outputs: one switch per render, under a project lock.

A render never writes into the output folder. Its documents are copied into a *staged*
folder beside it (``.<output>.staging-<random>``), the post-render commands add their own
outputs there (the result tables), and the staged folder then replaces the output folder in
one step (:func:`publish`): on Linux an atomic exchange of the two folders
(``renameat2(RENAME_EXCHANGE)``), elsewhere two renames with the previous folder kept aside
(``.<output>.previous-<random>``) until the new one is in place. A reader of the output
folder, or a render killed at any point, sees the previous set whole or the new set whole,
never a mix; a full disk or a folder that cannot be written fails the render with one line
and leaves the previous set as it was.

A whole-project render publishes exactly its own outputs (Quarto, too, replaces the output
folder on a full render); a render of some documents carries the other files of the
previous set over (as hard links where the file system allows, else copies).

:func:`render_lock` lets one render at a time run in a project: a second one is refused at
once with a message naming the running one. :func:`clean_leftovers`, called under the lock
at the start of each render, removes what killed renders left: staged and previous folders
(restoring the previous set if a render died between its two renames) and build folders.

The test hook :func:`kill_point` kills the process (``SIGKILL``) at a named point when
``$ITP_STATS_TEST_KILL_AT`` names it, so tests can interrupt a render between its steps.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from itp_stats.files import explain_os_error
from itp_stats.render.errors import RenderError

__all__ = [
    "KILL_ENV",
    "OutputError",
    "RenderLockedError",
    "build_folder",
    "check_output_folder",
    "clean_leftovers",
    "install_file",
    "install_files",
    "kill_point",
    "publish",
    "render_lock",
    "stage",
    "stage_files",
]

KILL_ENV = "ITP_STATS_TEST_KILL_AT"
"""Environment variable of the test hook: the name of the :func:`kill_point` to die at."""

_STAGING = "staging"
_PREVIOUS = "previous"
_BUILDS = "builds"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_STALE_SECONDS = 60
"""Age after which a temporary file of the run state is a leftover (not a write under way)."""


class OutputError(RenderError):
    """The outputs cannot be written or published; the previous outputs are unchanged."""


class RenderLockedError(RenderError):
    """Another render of the same project (or output folder) is running."""


def kill_point(name: str) -> None:
    """Test hook: die here (``SIGKILL``) when ``$ITP_STATS_TEST_KILL_AT`` is ``name``."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _reason(exc: OSError) -> str:
    return explain_os_error(exc)


def install_file(built: Path, target: Path) -> Path:
    """Copy ``built`` next to ``target`` under a temporary name, then ``os.replace`` it.

    Used where outputs have no output folder (written beside their sources); renders with
    an output folder publish the whole set with :func:`publish` instead.

    Parameters
    ----------
    built : Path
        The finished file (usually in a temporary build folder, maybe on another disk).
    target : Path
        Where it belongs; its folder is created when missing.

    Returns
    -------
    Path
        ``target``.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        shutil.copyfile(built, temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def install_files(pairs: list[tuple[Path, Path]]) -> list[Path]:
    """Install each ``(built, target)`` pair with :func:`install_file`; return the targets."""
    return [install_file(built, target) for built, target in pairs]


# -- the project lock ---------------------------------------------------------------------


def _lock_files(root: Path, output_dir: Path | None) -> list[Path]:
    files = [root / ".itp-stats" / "render.lock"]
    if output_dir is not None:
        try:
            output_dir.resolve().relative_to(root.resolve())
        except ValueError:  # an output folder outside the project: lock it too
            files.append(output_dir.parent / f".{output_dir.name}.lock")
    return files


@contextlib.contextmanager
def render_lock(root: Path, output_dir: Path | None = None) -> Iterator[None]:
    """Hold the render lock of project ``root`` (and of ``output_dir`` outside it).

    The lock is an exclusive ``flock`` on ``.itp-stats/render.lock``, which records the
    holder's process id and start time; the kernel releases it when the holder exits, killed
    or not.

    Raises
    ------
    RenderLockedError
        Another render holds it (the message names its process and start time); nothing
        is done.
    OutputError
        The lock file cannot be created (a read-only project).
    """
    handles = []
    try:
        for path in _lock_files(root, output_dir):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                handle = open(path, "a+", encoding="utf-8")  # held until the render ends
            except OSError as exc:
                raise OutputError(
                    f"cannot create the render lock {path} ({_reason(exc)}); nothing was rendered"
                ) from None
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = " ".join(handle.read().split())
                handle.close()
                raise RenderLockedError(
                    f"another render of {root} is running ({holder or 'process unknown'}); "
                    "this one was refused and nothing was changed: render again when it has "
                    "finished"
                ) from None
            except OSError:  # a file system without locks: go on unlocked
                pass
            handle.seek(0)
            handle.truncate()
            started = time.strftime("%Y-%m-%d %H:%M:%S")
            handle.write(f"pid {os.getpid()} since {started}\n")
            handle.flush()
            handles.append(handle)
        yield
    finally:
        for handle in handles:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
            handle.close()  # releases the lock


# -- leftovers of killed renders ----------------------------------------------------------


def _remove_tree(path: Path) -> None:
    """Remove a folder, read-only entries included; what cannot be removed is left."""

    def writable(function, name, _info):  # shutil's error handler
        with contextlib.suppress(OSError):
            parent = os.path.dirname(name)
            os.chmod(parent, os.stat(parent).st_mode | stat.S_IWUSR | stat.S_IXUSR)
            if not os.path.islink(name):
                os.chmod(name, os.stat(name).st_mode | stat.S_IWUSR | stat.S_IXUSR)
            function(name)

    with contextlib.suppress(OSError):
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        elif path.exists():
            if sys.version_info >= (3, 12):
                shutil.rmtree(path, onexc=writable)
            else:  # pragma: no cover - Python 3.11
                shutil.rmtree(path, onerror=writable)


def _siblings(output_dir: Path, kind: str) -> list[Path]:
    parent = output_dir.parent
    if not parent.is_dir():
        return []
    prefix = f".{output_dir.name}.{kind}-"
    return sorted(p for p in parent.iterdir() if p.name.startswith(prefix))


def build_folder(root: Path) -> Path:
    """A new, empty folder for one render's working files (``.itp-stats/builds/<random>``)."""
    builds = root / ".itp-stats" / _BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="render-", dir=builds))


def clean_leftovers(root: Path, output_dir: Path | None) -> list[Path]:
    """Remove what killed renders left; call under :func:`render_lock`.

    A previous set kept aside by a render that died between its two renames is put back
    when the output folder is missing; staged folders, other kept-aside sets, build folders
    and temporary files of the run state older than a minute are removed.

    Returns
    -------
    list of Path
        What was removed or restored.
    """
    cleaned: list[Path] = []
    if output_dir is not None:
        previous = _siblings(output_dir, _PREVIOUS)
        if previous and not output_dir.exists():
            newest = max(previous, key=lambda p: p.stat().st_mtime)
            with contextlib.suppress(OSError):
                os.rename(newest, output_dir)
                cleaned.append(newest)
        for path in [*_siblings(output_dir, _STAGING), *_siblings(output_dir, _PREVIOUS)]:
            _remove_tree(path)
            cleaned.append(path)
    state = root / ".itp-stats"
    builds = state / _BUILDS
    if builds.is_dir():
        for path in builds.iterdir():
            _remove_tree(path)
            cleaned.append(path)
    if state.is_dir():  # temporary files of the run state (gate result, study cache)
        now = time.time()
        for path in state.iterdir():
            name = path.name
            temporary = name.startswith(".") and (
                name.endswith(".tmp") or name.startswith(".study-")
            )
            with contextlib.suppress(OSError):
                if temporary and path.is_file() and now - path.stat().st_mtime > _STALE_SECONDS:
                    path.unlink()
                    cleaned.append(path)
    return cleaned


# -- staging and publishing ---------------------------------------------------------------


def _link_or_copy(src: Path, dest: Path) -> None:
    """``dest`` as a hard link to ``src`` where possible, else a copy."""
    try:
        os.link(src, dest, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dest, follow_symlinks=False)


def _carry_over(source: Path, destination: Path) -> None:
    """Recreate ``source``'s tree in ``destination``: hard links where possible, else copies."""
    for folder, dirs, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        (destination / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            if name.startswith(".") and ".tmp" in name:
                continue  # a temporary file of an interrupted write
            _link_or_copy(Path(folder) / name, destination / relative / name)
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink()]


def stage(output_dir: Path, carry_over: bool, keep: tuple[str, ...] = ()) -> Path:
    """Create the staged folder of a render beside ``output_dir``.

    Parameters
    ----------
    output_dir : Path
        The output folder (it need not exist).
    carry_over : bool
        Start from the files of the previous set (a render of some documents), else empty.
    keep : tuple of str
        Files of the previous set (relative to ``output_dir``) carried over even when
        ``carry_over`` is false: outputs of a document the project render does not build
        (the analysis plan), which a whole render must not lose.

    Returns
    -------
    Path
        The staged folder (``.<output>.staging-<random>``).

    Raises
    ------
    OutputError
        It cannot be created or filled (full disk, read-only folder).
    """
    try:
        output_dir.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(
            tempfile.mkdtemp(prefix=f".{output_dir.name}.{_STAGING}-", dir=output_dir.parent)
        )
    except OSError as exc:
        raise OutputError(
            f"cannot write the outputs beside {output_dir} ({_reason(exc)}); nothing was "
            "published and the previous outputs are unchanged"
        ) from None
    try:
        os.chmod(staged, 0o755)
        if carry_over and output_dir.is_dir():
            _carry_over(output_dir, staged)
        elif output_dir.is_dir():
            for relative in keep:
                src = output_dir / relative
                if src.is_file() and not src.is_symlink():
                    (staged / relative).parent.mkdir(parents=True, exist_ok=True)
                    _link_or_copy(src, staged / relative)
    except OSError as exc:
        _remove_tree(staged)
        raise OutputError(
            f"cannot write the outputs to {staged} ({_reason(exc)}); nothing was published "
            "and the previous outputs are unchanged"
        ) from None
    return staged


def stage_files(pairs: list[tuple[Path, Path]], staged: Path, output_dir: Path) -> list[Path]:
    """Copy each built file into the staged folder, where its target is in ``output_dir``.

    A file carried over from the previous set is unlinked before the copy, so the previous
    set (which shares it as a hard link) is never written through.

    Returns
    -------
    list of Path
        The targets, as they will be once published.

    Raises
    ------
    OutputError
        A target outside ``output_dir``, or a file that cannot be written (the staged folder
        is then removed).
    """
    targets = []
    try:
        for built, target in pairs:
            try:
                relative = target.resolve().relative_to(output_dir.resolve())
            except ValueError:
                raise OutputError(f"{target}: not inside the output folder {output_dir}") from None
            dest = staged / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.unlink(missing_ok=True)
            shutil.copyfile(built, dest)
            os.chmod(dest, 0o644)
            targets.append(target)
    except OSError as exc:
        _remove_tree(staged)
        raise OutputError(
            f"cannot write the outputs to {staged} ({_reason(exc)}); nothing was published "
            "and the previous outputs are unchanged"
        ) from None
    except BaseException:
        _remove_tree(staged)
        raise
    return targets


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    status = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if status == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # a file system or kernel without the exchange: two renames
    raise OSError(code, os.strerror(code), str(second))


def _mount_point_message(output_dir: Path) -> str:
    return (
        f"the output folder {output_dir} is a mount point, which cannot be replaced: a render "
        "publishes its outputs by swapping the whole folder in one step; give --output-dir a "
        f"folder inside it (e.g. --output-dir {output_dir / 'itp-stats'}) or mount its parent "
        "instead"
    )


def check_output_folder(output_dir: Path) -> None:
    """Refuse, before any work, an output folder that :func:`publish` could not replace.

    A mount point cannot be renamed (``EBUSY``), so the staged set could never take its
    place. The outputs are not written into it file by file instead: a reader, or a render
    killed half-way, would then see a mix of two sets.

    Raises
    ------
    OutputError
        ``output_dir`` is a mount point (the message says what to do).
    """
    if output_dir.is_dir() and os.path.ismount(output_dir):
        raise OutputError(f"{_mount_point_message(output_dir)}; nothing was rendered")


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def publish(staged: Path, output_dir: Path) -> None:
    """Make the staged folder the output folder, in one step; remove the previous set.

    Raises
    ------
    OutputError
        The switch failed (the staged folder is removed; the previous set is unchanged).
    """
    kill_point("publish")
    try:
        if output_dir.exists() or output_dir.is_symlink():
            if _exchange(staged, output_dir):
                _fsync_folder(output_dir.parent)
                _remove_tree(staged)  # the previous set, now under the staged name
                return
            aside = output_dir.parent / f".{output_dir.name}.{_PREVIOUS}-{secrets.token_hex(6)}"
            os.rename(output_dir, aside)
            kill_point("between-renames")
            try:
                os.rename(staged, output_dir)
            except OSError:
                os.rename(aside, output_dir)  # the previous set back
                raise
            _fsync_folder(output_dir.parent)
            _remove_tree(aside)
        else:
            os.rename(staged, output_dir)
            _fsync_folder(output_dir.parent)
    except OSError as exc:
        _remove_tree(staged)
        if exc.errno == errno.EBUSY and os.path.ismount(output_dir):
            raise OutputError(
                f"{_mount_point_message(output_dir)}; the previous outputs are unchanged"
            ) from None
        raise OutputError(
            f"cannot publish the outputs to {output_dir} ({_reason(exc)}); the previous "
            "outputs are unchanged"
        ) from None
