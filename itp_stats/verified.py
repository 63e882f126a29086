"""Files of the run state stored with their SHA-256 beside them, and read back only when it holds.

The figure cache (:mod:`itp_stats.report.figcache`) and the converted-document cache
(:mod:`itp_stats.render.convcache`) keep their files this way: ``name`` and ``name.sha256``,
each written to a temporary file and renamed, so a half-written or damaged file is never
served.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["read_verified", "write_verified"]


def read_verified(path: Path) -> bytes | None:
    """The bytes of ``path`` when they match the SHA-256 in ``path.sha256``; None otherwise."""
    try:
        data = path.read_bytes()
        expected = path.with_name(path.name + ".sha256").read_text(encoding="ascii").strip()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == expected else None


def write_verified(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` and its SHA-256 beside it, atomically; False when it failed
    (the cache then simply misses)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for target, content in (
        (path, data),
        (path.with_name(path.name + ".sha256"), hashlib.sha256(data).hexdigest().encode()),
    ):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, target)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            return False
    return True
