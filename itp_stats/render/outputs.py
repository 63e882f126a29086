"""Move rendered files into place atomically, so a failed run never leaves half a report."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["install_file", "install_files"]


def install_file(built: Path, target: Path) -> Path:
    """Copy ``built`` next to ``target`` under a temporary name, then ``os.replace`` it.

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
