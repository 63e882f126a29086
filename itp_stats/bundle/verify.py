"""Check a submission bundle: every digest, and optionally that it was built from a cohort.

:func:`verify_bundle` stops at the first difference and names it: a member that is missing,
damaged (its ZIP checksum), changed (its SHA-256 differs from the manifest's) or not listed;
a manifest changed since it was written (its own seal, :func:`~itp_stats.bundle.manifest.
check_seal`); a validation record of another cohort than the manifest's; and, given the data,
a cohort whose SHA-256 is not the one the bundle was built from.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from itp_stats.bundle.manifest import MANIFEST_NAME, SCHEMA, check_seal
from itp_stats.errors import CohortReadError, ItpStatsError
from itp_stats.files import sha256_file

__all__ = ["BundleDifference", "BundleReadError", "Verified", "verify_bundle"]


class BundleDifference(ItpStatsError):
    """The bundle (or the data) differs from what its manifest records: exit status 1."""


class BundleReadError(ItpStatsError):
    """The bundle cannot be read as a ZIP: exit status 2."""

    exit_status = 2


@dataclass(frozen=True)
class Verified:
    """A bundle that verified: its members checked and, when given, the data."""

    n_files: int
    data_sha256: str
    data_checked: bool


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise BundleDifference(f"{name}: listed in the manifest but not in the bundle") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:  # bad CRC, truncation
        raise BundleDifference(f"{name}: damaged in the ZIP ({exc})") from None


def _entry_ok(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("path"), str)
        and isinstance(entry.get("sha256"), str)
    )


def verify_bundle(bundle: str | Path, data: str | Path | None = None) -> Verified:
    """Check every digest of ``bundle``; with ``data``, that the bundle was built from it.

    Parameters
    ----------
    bundle : str or Path
        A ZIP written by ``itp-stats bundle``.
    data : str or Path, optional
        A cohort file: its SHA-256 must be the manifest's data digest. Or a database URL
        (``postgresql://…#table``): the source file this project's gate keeps for it
        (``.itp-stats/sources/``: the URL and the snapshot validated) must be the one the
        bundle names, and the table's rows must still be that snapshot (one query).

    Returns
    -------
    Verified

    Raises
    ------
    BundleReadError
        Not a readable ZIP.
    BundleDifference
        The first difference, named (see the module docstring).
    CohortReadError
        ``data`` cannot be read.
    """
    path = Path(bundle)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BundleReadError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleReadError(f"{path}: not a readable ZIP ({exc})") from None
    with archive:
        names = archive.namelist()
        if MANIFEST_NAME not in names:
            raise BundleDifference(f"{MANIFEST_NAME}: not in the bundle (not a bundle?)")
        manifest = check_seal(_member(archive, MANIFEST_NAME))
        if manifest is None:
            raise BundleDifference(
                f"{MANIFEST_NAME}: changed since the bundle was written (its own SHA-256 differs)"
            )
        if manifest.get("schema") != SCHEMA:
            raise BundleDifference(f"{MANIFEST_NAME}: not a manifest of schema {SCHEMA}")
        entries = manifest.get("files")
        if not isinstance(entries, list) or not all(_entry_ok(e) for e in entries):
            raise BundleDifference(f"{MANIFEST_NAME}: its list of files is malformed")
        listed = {}
        for entry in entries:
            listed[entry["path"]] = entry
            got = hashlib.sha256(_member(archive, entry["path"])).hexdigest()
            if got != entry["sha256"]:
                raise BundleDifference(
                    f"{entry['path']}: SHA-256 {got[:12]}… differs from the manifest's "
                    f"{entry['sha256'][:12]}…"
                )
        for name in names:
            if name != MANIFEST_NAME and name not in listed:
                raise BundleDifference(f"{name}: in the bundle but not listed in the manifest")
        if len(names) != len(set(names)):
            raise BundleDifference("the ZIP holds a member twice")
        expected = (manifest.get("data") or {}).get("sha256")
        if "validation/gate.json" in listed:
            import json

            try:
                record = json.loads(archive.read("validation/gate.json"))
            except ValueError:
                record = None
            if not isinstance(record, dict) or record.get("data_sha256") != expected:
                raise BundleDifference(
                    "validation/gate.json: the validation record is of another cohort than "
                    "the manifest's data"
                )
    checked = False
    if data is not None:
        table = _table_source(str(data))
        try:
            got = sha256_file(table or data)
        except OSError as exc:
            raise CohortReadError(f"{data}: cannot read the data ({exc.strerror})") from None
        if got != expected:
            raise BundleDifference(
                f"{data}: not the cohort the bundle was built from (SHA-256 {got[:12]}…, the "
                f"bundle's {str(expected)[:12]}…)"
            )
        if table is not None:
            from itp_stats.cohort.sql import source_unchanged

            if not source_unchanged(table):
                raise BundleDifference(
                    f"{data}: the table's rows are no longer the snapshot the bundle was built "
                    "from (or the database cannot be reached)"
                )
        checked = True
    return Verified(len(listed), str(expected), checked)


def _table_source(data: str) -> Path | None:
    """The source file of a database URL, as this project's gate keeps it; None for a file.

    Raises
    ------
    CohortReadError
        The gate of this project has never validated that table (no source file).
    """
    from itp_stats.cohort.sql import is_database_url, parse_source, source_path

    if not is_database_url(data):
        return None
    source = parse_source(data)
    path = source_path(source)
    if not path.is_file():
        raise CohortReadError(
            f"{source.url}: this project's gate has not validated that table "
            f"(no {path.name} in {path.parent}); verify in the project the bundle was made in"
        )
    return path
