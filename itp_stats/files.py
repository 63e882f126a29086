"""Permissions of the files the project writes for its users.

Files are written atomically: into a temporary file beside the target, then renamed. The
temporary file of :func:`tempfile.mkstemp` is private (``0600``), and the renamed file keeps
that mode, so a cohort written by ``itp-stats synth``, the suite in ``validation/`` or a
database export would be unreadable to the user's group and colleagues. :func:`normal_mode`
gives such a file the mode a plain ``open(path, "w")`` would have (``0666`` less the umask:
``0644`` under the usual ``022``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["new_file_mode", "normal_mode"]


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
