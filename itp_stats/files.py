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
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["new_file_mode", "normal_mode", "replaced_atomically"]


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
