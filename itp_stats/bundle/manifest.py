"""The bundle's manifest: what it holds, with digests, and a digest of the manifest itself.

The manifest is JSON (:data:`MANIFEST_NAME` at the root of the ZIP). Its ``manifest_sha256``
is the SHA-256 of the manifest's own bytes with that value written as 64 zeros
(:func:`seal`), so one changed byte anywhere in the manifest is seen as surely as one in a
file it lists (:func:`check_seal`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MANIFEST_NAME",
    "SCHEMA",
    "check_seal",
    "file_entry",
    "package_versions",
    "seal",
]

MANIFEST_NAME = "manifest.json"
"""Name of the manifest at the root of the bundle."""

SCHEMA = "itp-stats/bundle/1"
"""Schema name written in (and required of) every manifest."""

_ZEROS = "0" * 64
_SEAL = re.compile(rb'"manifest_sha256": "([0-9a-f]{64})"')


def file_entry(name: str, data: bytes) -> dict[str, Any]:
    """One file of the manifest: its path in the bundle, size and SHA-256."""
    return {"path": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def package_versions(distribution: str = "itp-stats") -> dict[str, str]:
    """Python and the installed version of ``distribution`` and of each of its dependencies.

    Parameters
    ----------
    distribution : str
        The distribution whose requirements are listed (the project itself).

    Returns
    -------
    dict of str to str
        ``python``, the distribution, then each requirement without extras (sorted); a
        requirement that is not installed is "not installed".
    """
    out = {"python": platform.python_version()}
    try:
        out[distribution] = importlib.metadata.version(distribution)
        required = importlib.metadata.requires(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return out | {distribution: "not installed"}
    names = set()
    for requirement in required:
        if "extra ==" in requirement:
            continue
        names.add(re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0])
    for name in sorted(names, key=str.lower):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def seal(manifest: Mapping[str, Any]) -> bytes:
    """The manifest as JSON bytes, with ``manifest_sha256`` the digest of those bytes.

    Parameters
    ----------
    manifest : mapping
        The manifest without ``manifest_sha256`` (it is added last).

    Returns
    -------
    bytes
        UTF-8 JSON, indented, keys in the given order, ending with a newline.
    """
    body = dict(manifest) | {"manifest_sha256": _ZEROS}
    text = (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    digest = hashlib.sha256(text).hexdigest()
    return text.replace(f'"manifest_sha256": "{_ZEROS}"'.encode(), _seal_field(digest), 1)


def _seal_field(digest: str) -> bytes:
    return f'"manifest_sha256": "{digest}"'.encode()


def check_seal(data: bytes) -> dict[str, Any] | None:
    """The manifest read from ``data`` when its seal holds; None when it does not.

    Parameters
    ----------
    data : bytes
        The manifest file's bytes.

    Returns
    -------
    dict or None
        The parsed manifest; None when the bytes are not JSON, have no seal, or differ from
        the bytes the seal was computed on.
    """
    found = _SEAL.findall(data)
    if len(found) != 1:
        return None
    digest = found[0].decode()
    blank = data.replace(_seal_field(digest), _seal_field(_ZEROS), 1)
    if hashlib.sha256(blank).hexdigest() != digest:
        return None
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return manifest if isinstance(manifest, dict) else None
