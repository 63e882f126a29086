"""The cohort as the gate validated it, handed to the documents of the same render.

A render runs the validation gate as its own process (``itp-stats gate``, a pre-render step
under both engines) and then each document in its own kernel. The gate opens the cohort's
:class:`~itp_stats.cohort.source.Source` — its bytes read and hashed once — and, when they
pass, hands them over (:func:`hand_over`): it writes a copy of the bytes it validated into
the state folder (``.itp-stats/validated/<sha256>``) and a record of them
(``.itp-stats/validated.json``). A document's :func:`itp_stats.study.prepare.prepare_study`
then takes them over (:func:`take_over`) instead of opening the file again, so the cohort file
is read and hashed once per render, and every document analyses the bytes the gate validated.

The record is trusted only when it verifies:

- it is sealed with the state folder's secret (:func:`itp_stats.verified.seal`), so it was
  written by this user's itp-stats and names the bytes' SHA-256, size, encoding, separator
  and provenance sidecar as they were read;
- the cohort file is still the file the gate read: same device, inode, size, modification
  and change times (nanoseconds) — any write to it, or a file renamed over it, changes one of
  them (the change time cannot be set back), as does a write to or the removal of its
  provenance sidecar;
- the copy is the file written then (the same identity, so it has not been written since),
  and it holds as many bytes as the record says when it is read.

Otherwise nothing is taken over and the document opens the file itself, as any other caller
does (its gate result is then checked against those bytes, and the gate runs again when it is
not theirs). Only a file whose bytes a :class:`~itp_stats.cohort.source.Source` holds is
handed over (a database table is read in its database, a CSV over
:data:`~itp_stats.cohort.source.KEEP_BYTES` is streamed again); a gate that does not pass
withdraws the record.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
from pathlib import Path
from typing import Any

from itp_stats.cohort.source import Source
from itp_stats.config import state_dir
from itp_stats.files import file_identity
from itp_stats.verified import seal, state_secret, write_private

__all__ = ["RECORD", "SNAPSHOTS", "hand_over", "take_over", "withdraw"]

RECORD = "validated.json"
"""The hand-over record, in the state folder."""
SNAPSHOTS = "validated"
"""The folder of the validated copies, in the state folder (one kept)."""

_SEAL_KEY = "itp-stats/validated/1"


def _sidecar_of(path: Path) -> Path | None:
    from itp_stats.cohort.synth import sidecar_path

    try:
        return sidecar_path(path)
    except (ValueError, TypeError):
        return None


def withdraw(state: Path | None = None) -> None:
    """Remove the hand-over record and copies (a gate that did not pass, or another file)."""
    folder = state or state_dir()
    (folder / RECORD).unlink(missing_ok=True)
    snapshots = folder / SNAPSHOTS
    if snapshots.is_dir():
        for copy in snapshots.iterdir():
            copy.unlink(missing_ok=True)


def hand_over(source: Source, state: Path | None = None) -> bool:
    """Hand the bytes ``source`` read to the later processes of the render.

    Called by the gate once the bytes passed. The copy is written to a temporary file and
    renamed, then the sealed record, likewise; any earlier record and copy are replaced. A
    record that still verifies for these bytes and this file (an earlier render's, the file
    untouched since) is kept as it is: nothing is written.

    Parameters
    ----------
    source : Source
        The cohort as the gate opened it (its bytes held).
    state : Path, optional
        The state folder; defaults to :func:`itp_stats.config.state_dir`.

    Returns
    -------
    bool
        Whether the bytes were handed over: False for a table or a file whose bytes are not
        held, a file that changed since it was opened, or a state folder that cannot be
        written (the documents then open the file themselves).
    """
    folder = state or state_dir()
    held = source.held_bytes
    if source.kind != "file" or held is None or source.opened_identity is None:
        withdraw(folder)
        return False
    standing = take_over(source.path, folder)
    if standing is not None and (standing.sha256, standing.opened_identity) == (
        source.sha256,
        source.opened_identity,
    ):
        return True  # handed over by an earlier run, the file untouched since: nothing to write
    try:
        secret = state_secret(folder, create=True)
        if secret is None:
            return False
        sidecar = _sidecar_of(source.path)
        record: dict[str, Any] = {
            "path": str(source.path),
            "identity": source.opened_identity,
            "sha256": source.sha256,
            "size": source.size,
            "encoding": source.encoding,
            "separator": source.separator,
            "sidecar": None
            if source.sidecar is None
            else base64.b64encode(source.sidecar).decode("ascii"),
            "sidecar_identity": None if sidecar is None else file_identity(sidecar),
        }
        snapshots = folder / SNAPSHOTS
        snapshots.mkdir(parents=True, exist_ok=True)
        copy = snapshots / source.sha256
        write_private(copy, held)
        record["copy"] = copy.name
        record["copy_identity"] = file_identity(copy)
        if record["copy_identity"] is None:
            return False
        payload = json.dumps(record, sort_keys=True).encode("utf-8")
        sealed = {"record": record, "seal": seal(secret, _SEAL_KEY, payload)}
        write_private(folder / RECORD, json.dumps(sealed, indent=1).encode("utf-8"))
        for other in snapshots.iterdir():
            if other.name != copy.name:
                other.unlink(missing_ok=True)
    except OSError:
        return False
    # the file must still be what was read: else the record would name bytes it no longer has
    if file_identity(source.path) != source.opened_identity:
        withdraw(folder)
        return False
    return True


def take_over(path: str | os.PathLike, state: Path | None = None) -> Source | None:
    """The cohort the gate handed over for ``path``, when the record verifies; else None.

    Parameters
    ----------
    path : str or path-like
        The cohort file the caller was about to open (resolved, absolute).
    state : Path, optional
        The state folder; defaults to :func:`itp_stats.config.state_dir`.

    Returns
    -------
    Source or None
        A file :class:`~itp_stats.cohort.source.Source` whose digest, size, encoding,
        separator and sidecar are the record's and whose bytes are read from the copy, once,
        when they are first needed (:attr:`~itp_stats.cohort.source.Source.reads` stays 0:
        the cohort file is not read). None when there is no record, it does not verify, or
        the file, its sidecar or the copy changed since (see the module's notes).
    """
    folder = state or state_dir()
    path = Path(path)
    try:
        sealed = json.loads((folder / RECORD).read_bytes())
        record = sealed["record"]
        secret = state_secret(folder, create=False)
        if secret is None or not isinstance(record, dict):
            return None
        payload = json.dumps(record, sort_keys=True).encode("utf-8")
        if not hmac.compare_digest(str(sealed["seal"]), seal(secret, _SEAL_KEY, payload)):
            return None
        if record["path"] != str(path) or record["identity"] != file_identity(path):
            return None
        sidecar = _sidecar_of(path)
        now = None if sidecar is None else file_identity(sidecar)
        if now != record["sidecar_identity"]:
            return None
        copy = folder / SNAPSHOTS / record["copy"]
        if (
            Path(record["copy"]).name != record["copy"]
            or file_identity(copy) != record["copy_identity"]
        ):
            return None
        return Source.handed_over(
            path=path,
            sha256=str(record["sha256"]),
            size=int(record["size"]),
            encoding=record["encoding"],
            separator=record["separator"],
            sidecar=None if record["sidecar"] is None else base64.b64decode(record["sidecar"]),
            copy=copy,
            copy_identity=record["copy_identity"],
            identity=record["identity"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
