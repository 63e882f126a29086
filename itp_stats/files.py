"""Permissions of the files the project writes for its users.

Files are written atomically: into a temporary file beside the target, then renamed. The
temporary file of :func:`tempfile.mkstemp` is private (``0600``), and the renamed file keeps
that mode, so a cohort written by ``itp-stats synth``, the suite in ``validation/`` or a
database export would be unreadable to the user's group and colleagues.
:func:`replaced_atomically` writes such a file: the temporary file gets the mode a plain
``open(path, "w")`` would give (:func:`new_file_mode`: ``0666`` less the umask, ``0644``
under the usual ``022``) before it replaces the target.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from itp_stats.errors import WriteError

__all__ = [
    "exclusive_lock",
    "explain_os_error",
    "file_identity",
    "sha256_file",
    "new_file_mode",
    "normal_mode",
    "replaced_atomically",
    "write_failure",
]


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask can only set it)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The permission bits a new file gets from ``open(path, "w")``: ``0o666`` less the umask."""
    return 0o666 & ~_umask()


def normal_mode(path: str | Path) -> None:
    """Give ``path`` (a temporary file about to be renamed into place) :func:`new_file_mode`."""
    os.chmod(path, new_file_mode())


@contextlib.contextmanager
def replaced_atomically(path: str | Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Write ``path`` atomically: yield a temporary file beside it to write into.

    When the block ends normally the temporary file gets :func:`new_file_mode` and replaces
    ``path``; when it raises, the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or Path
        The file to write; its folder is created.
    suffix : str
        Ending of the temporary name (``.<name>.<random><suffix>``); a writer that picks the
        format by the file's suffix wants ``.tmp.xlsx`` and the like.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        normal_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _file_in_the_way(path: Path) -> Path | None:
    """The first existing component of ``path`` (or its folders) that is not a folder."""
    for part in [*reversed(path.parents), path][1:]:
        if part.is_symlink() and not part.exists():
            return part
        if part.exists() and not part.is_dir():
            return part if part != path else None
        if not part.exists():
            return None
    return None


def explain_os_error(exc: OSError, path: str | Path | None = None) -> str:
    """Say in words why writing ``path`` failed with ``exc``.

    Parameters
    ----------
    exc : OSError
        The error of the write (or of creating its folder).
    path : str or Path, optional
        The file or folder being written; defaults to the error's own file name.

    Returns
    -------
    str
        One clause, without a final stop: a file where a folder is needed names that file;
        a folder without write permission, a full disk, a read-only file system and a mount
        point are said as such; anything else is the system's own wording with the file.
    """
    given = path if path is not None else exc.filename
    target = Path(given) if given is not None else None
    named = Path(exc.filename) if exc.filename else target
    system = exc.strerror or type(exc).__name__
    code = exc.errno
    if named is None:
        return system
    if code in (errno.EEXIST, errno.ENOTDIR):
        blocker = _file_in_the_way(named) or (target and _file_in_the_way(target))
        if blocker is None and code == errno.EEXIST and named.exists() and not named.is_dir():
            blocker = named
        if blocker is not None:
            return (
                f"{blocker} is a file, not a folder: move it away (or delete it) so that the "
                "folder can be created"
            )
    folder = named if named.is_dir() else named.parent
    if code in (errno.EACCES, errno.EPERM):
        return f"{folder} is not writable ({system})"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return f"{folder}: {system} (the disk or the quota is full)"
    if code == errno.EROFS:
        return f"{folder} is on a read-only file system"
    if code == errno.EBUSY:
        return f"{named} is in use or is a mount point ({system})"
    return f"{named}: {system}"


def write_failure(exc: OSError, path: str | Path, what: str, consequence: str = "") -> WriteError:
    """The :class:`~itp_stats.errors.WriteError` to raise when ``path`` cannot be written.

    Parameters
    ----------
    exc : OSError
        The error met.
    path : str or Path
        The file that was being written.
    what : str
        What the file is, e.g. ``"the gate result"``.
    consequence : str, optional
        What follows for the user (appended after a semicolon).

    Returns
    -------
    WriteError
        With the message ``cannot write <what> <path>: <reason>[; <consequence>]``.
    """
    message = f"cannot write {what} {path}: {explain_os_error(exc, path)}"
    return WriteError(f"{message}; {consequence}" if consequence else message)


def sha256_file(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes, read in blocks of 1 MiB."""
    import hashlib

    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_identity(path: str | Path | int) -> list[int] | None:
    """A file's device, inode, size, and modification and change times (ns); None when it
    cannot be read.

    Any write to the file, a file renamed over it, or its removal and making again changes
    one of them (the change time cannot be set back by a user): run state recorded with a
    file's identity holds only while the file is the one recorded. ``path`` may be an open
    file descriptor (its file's identity, whatever its name now names).
    """
    try:
        stat = os.fstat(path) if isinstance(path, int) else os.stat(path)
    except OSError:
        return None
    return [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


@contextlib.contextmanager
def exclusive_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created, with its folder, when missing) for the
    block: processes that take it run the block one at a time (``fcntl.flock``)."""
    import fcntl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
