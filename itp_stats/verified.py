"""Run state that is verified before it is trusted.

- Files stored with their SHA-256 beside them and read back only when it holds
  (:func:`write_verified`, :func:`read_verified`): the figure cache
  (:mod:`itp_stats.report.figcache`) and the converted-document cache
  (:mod:`itp_stats.render.convcache`) keep their files this way, ``name`` and
  ``name.sha256``, each written to a temporary file and renamed, so a half-written or damaged
  file is never served.
- Records sealed with the state folder's secret (:func:`state_secret`, :func:`seal`): a random
  key readable by its owner only (``.itp-stats/cache.key``), so a record that carries the
  HMAC-SHA256 of its content under that key was written by this user's itp-stats. The cached
  study (:mod:`itp_stats.study.prepare`) and the cohort the gate hands to the documents
  (:mod:`itp_stats.cohort.handoff`) are sealed this way.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

__all__ = [
    "SECRET_FILE",
    "read_verified",
    "seal",
    "state_secret",
    "write_private",
    "write_verified",
]

SECRET_FILE = "cache.key"
"""The state folder's random HMAC key (its name in ``.itp-stats``)."""
_SECRET_BYTES = 32


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
        try:
            write_private(target, content)
        except OSError:
            return False
    return True


def write_private(path: Path, data: bytes, *, sync: bool = False) -> None:
    """Write ``data`` to ``path`` atomically, readable by its owner only.

    The bytes go to a temporary file beside ``path`` (mode ``0600``, as
    :func:`tempfile.mkstemp` makes it), flushed to the disk with ``sync``, then renamed over
    ``path``: a reader sees the old file or the new one, never a part. Run state that may hold
    the cohort's data or a key is written this way.

    Raises
    ------
    OSError
        The folder cannot be written (the temporary file is removed).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def state_secret(folder: Path, *, create: bool) -> bytes | None:
    """The state folder's random HMAC key (created with ``create``); None when unavailable.

    The key is readable by its owner only, so a sealed record cannot be forged by anyone who
    cannot read it; one of the wrong length is replaced (the records sealed with it then fail
    to verify and are made again). Two processes that create it at once leave one key: what
    the other sealed then fails to verify and is made again, never trusted.

    Parameters
    ----------
    folder : Path
        The state folder (``.itp-stats``).
    create : bool
        Create the key (and the folder) when there is none.
    """
    path = folder / SECRET_FILE
    try:
        secret = path.read_bytes()
        if len(secret) == _SECRET_BYTES:
            return secret
    except OSError:
        pass
    if not create:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_bytes(_SECRET_BYTES)
        write_private(path, secret, sync=True)
    except OSError:
        return None
    return secret


def seal(secret: bytes, key: str, payload: bytes) -> str:
    """The HMAC-SHA256 (hex) of ``key`` and ``payload`` under the state folder's ``secret``;
    compare with :func:`hmac.compare_digest`."""
    return hmac.new(secret, key.encode("utf-8") + b"\0" + payload, hashlib.sha256).hexdigest()
