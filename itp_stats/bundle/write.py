"""Write a submission bundle: one ZIP, the same bytes for the same files.

Members are stored in the order given, each with the same fixed time stamp and permissions,
so a bundle of the same outputs is the same ZIP byte for byte; the ZIP is written to a
temporary file beside the target and renamed (a failed write leaves no half ZIP).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

from itp_stats.bundle.contents import Contents
from itp_stats.bundle.manifest import MANIFEST_NAME, SCHEMA, file_entry, package_versions, seal
from itp_stats.bundle.meca import jats_stub, meca_files
from itp_stats.files import replaced_atomically

__all__ = ["ZIP_DATE", "bundle_files", "write_bundle"]

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""Time stamp of every member (the earliest a ZIP holds): the bundle depends on content only."""


def bundle_files(contents: Contents, *, meca: bool = False) -> dict[str, bytes]:
    """Every member of the bundle, the sealed manifest last (MECA: its two files first).

    Parameters
    ----------
    contents : Contents
        The gathered files and facts (:func:`itp_stats.bundle.contents.gather`).
    meca : bool
        Add the MECA manifest and the JATS article stub (:mod:`itp_stats.bundle.meca`).

    Returns
    -------
    dict of str to bytes
        Path in the ZIP → bytes; ``manifest.json`` lists every other member with its SHA-256.
    """
    files = dict(contents.files)
    if meca:
        article = jats_stub(
            contents.title, contents.authors, contents.keywords, contents.facts["data"]["sha256"]
        )
        files = meca_files([*files, MANIFEST_NAME], article) | files
    manifest = {
        "schema": SCHEMA,
        "layout": "meca" if meca else "plain",
        **contents.facts,
        "packages": package_versions(),
        "files": [file_entry(name, data) for name, data in files.items()],
    }
    return files | {MANIFEST_NAME: seal(manifest)}


def write_bundle(files: Mapping[str, bytes], path: str | Path) -> Path:
    """Write ``files`` as a ZIP at ``path`` (atomically); return the path.

    Parameters
    ----------
    files : mapping of str to bytes
        Path in the ZIP → bytes (:func:`bundle_files`), written in this order, deflated.
    path : str or Path
        The ZIP to write; its folder is created.
    """
    path = Path(path)
    with replaced_atomically(path, suffix=".tmp.zip") as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
    return path
