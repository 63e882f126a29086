"""Publish the result tables of the last export (``itp-stats tables``, the post-render step).

:func:`~itp_stats.report.export.write_tables` writes the tables of a report run into the run
state (the CSVs, their ``README.txt`` and the workbook), each file atomically (a temporary
``.<name>.<random>.tmp`` renamed into place), and a manifest last (:data:`MANIFEST_FILE`).
:func:`publish_tables` copies exactly the files the manifest lists, after checking their
SHA-256, into ``<output-dir>/tables``; the figures of the same study are published beside
them (:func:`itp_stats.report.figcache.publish_figures`).

This module uses the standard library only: the post-render step of every render starts in
a fraction of a second, without importing pandas or matplotlib.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from itp_stats.config import gate_result_path, output_dir, project_root, state_dir
from itp_stats.errors import ItpStatsError
from itp_stats.files import write_failure

__all__ = [
    "MANIFEST_FILE",
    "atomic_write",
    "file_sha256",
    "folder_lock",
    "publish_tables",
    "read_manifest",
    "register",
    "remove_temporary",
]

MANIFEST_FILE = "manifest.json"
"""Written last beside the tables: the files of the export (name, bytes, SHA-256) and their
source (data file and parameters). Only the files it lists are ever published."""

_PUBLISHED_SUFFIXES = (".csv", ".txt", ".xlsx")  # the tables, their README, the workbook
# temporary files of atomic_write (".results.xlsx.k3j2h1g0.tmp") and of earlier versions,
# which kept the real suffix (".results.cm7qt2t2.xlsx")
_TEMPORARY = re.compile(r"^\..+\.tmp$|^\..+\.[a-z0-9_]{8}\.(csv|xlsx|json)$")


def file_sha256(path: str | Path, *, sync: bool = False) -> tuple[str, int]:
    """SHA-256 and size of a file; ``sync`` also flushes it to disk."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
        if sync:
            os.fsync(handle.fileno())
    return digest.hexdigest(), size


def _temporary(path: Path) -> Path:
    """Create an empty ``.<name>.<random>.tmp`` beside ``path``, as a normal file write does.

    Mode ``0666`` less the umask (``tempfile.mkstemp`` would give ``0600``, and the renamed
    file keeps its temporary file's mode); ``O_EXCL``, so never an existing file or link.
    """
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 1 in 4 billion
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"{path.parent}: no free temporary file name")  # pragma: no cover


def atomic_write(path: Path, write: Callable[[str], object]) -> tuple[str, int]:
    """Write ``path`` through a temporary file renamed into place; return its SHA-256 and size.

    The temporary file (``.<name>.<random>.tmp``) never has a published suffix; it is
    removed when ``write`` fails. ``write`` must write into the existing file (truncating
    it), which keeps its mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = str(_temporary(path))
    try:
        write(tmp)
        digest = file_sha256(tmp, sync=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (``flock`` on the folder itself, where available).

    An export and a publish of the same folder never overlap, so removing stale temporary
    files cannot remove those of a run in progress. Without ``flock`` (Windows, or a file
    system that refuses it) no lock is taken.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - a folder that cannot be opened: no lock
        yield
        return
    try:
        with contextlib.suppress(OSError):  # a file system without locks: go on unlocked
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_temporary(folder: Path) -> list[str]:
    """Remove the temporary files an interrupted write left in ``folder``; return their names."""
    removed = []
    if folder.is_dir():
        for path in folder.iterdir():
            if _TEMPORARY.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path.name)
    return sorted(removed)


def read_manifest(folder: str | Path) -> dict[str, object]:
    """Read and check the manifest of the last export in ``folder``.

    Parameters
    ----------
    folder : str or Path
        Folder :func:`write_tables` wrote into.

    Returns
    -------
    dict
        ``files`` (list of ``{"name", "bytes", "sha256"}``) and ``source`` (mapping or
        ``None``).

    Raises
    ------
    ItpStatsError
        No manifest (no export, or one that did not finish), a malformed one, or a file
        that is missing or differs from what the export wrote.
    """
    folder = Path(folder)
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise ItpStatsError(
            f"{folder}: no result tables to publish (no {MANIFEST_FILE}: the report did not "
            "run, or its export did not finish); render report/index.qmd again"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        entries = [(str(f["name"]), str(f["sha256"]), int(f["bytes"])) for f in files]
    except (OSError, ValueError, KeyError, TypeError):
        raise ItpStatsError(
            f"{path}: not a valid manifest of result tables; render report/index.qmd again"
        ) from None
    if not entries:
        raise ItpStatsError(f"{folder}: no result tables to publish (the manifest lists none)")
    for name, sha256, size in entries:
        if (
            Path(name).name != name
            or name.startswith(".")
            or not name.endswith(_PUBLISHED_SUFFIXES)
        ):
            raise ItpStatsError(f"{path}: {name!r} is not a result table name")
        try:
            actual = file_sha256(folder / name)
        except OSError:
            raise ItpStatsError(
                f"{folder / name}: listed in {MANIFEST_FILE} but missing; render "
                "report/index.qmd again"
            ) from None
        if actual != (sha256, size):
            raise ItpStatsError(
                f"{folder / name}: differs from what the last export wrote (changed or "
                "half-written); render report/index.qmd again"
            )
    return {"files": files, "source": manifest.get("source")}


def publish_tables(
    source: str | Path, destination: str | Path, *, data_sha256: str | None = None
) -> list[Path]:
    """Copy the result tables of the last export into the output folder, atomically.

    Only the files listed in the export's manifest are copied, each after its SHA-256 is
    checked (so temporary files, files of an interrupted export and files changed since are
    never published). Temporary files in either folder are removed.

    Parameters
    ----------
    source : str or Path
        Folder the report wrote its tables into.
    destination : str or Path
        Folder in the output directory (``<output-dir>/tables``).
    data_sha256 : str, optional
        SHA-256 of the data file of this render; tables computed from other bytes are
        refused.

    Returns
    -------
    list of Path
        Files copied, in the manifest's order.

    Raises
    ------
    ItpStatsError
        No complete export (see :func:`read_manifest`), or tables computed from another
        data file.
    """
    source, destination = Path(source), Path(destination)
    if not source.is_dir():
        raise ItpStatsError(f"{source}: no result tables to publish (did the report run?)")
    with folder_lock(source):
        remove_temporary(source)
        manifest = read_manifest(source)
        if data_sha256 is not None:
            origin = manifest["source"] if isinstance(manifest["source"], dict) else {}
            if origin.get("data_sha256") != data_sha256:
                raise ItpStatsError(
                    f"{source}: the result tables were not computed from the data of this "
                    "render; render report/index.qmd to compute them"
                )
        remove_temporary(destination)
        copied = []
        for entry in manifest["files"]:
            src, dest = source / entry["name"], destination / entry["name"]
            digest = atomic_write(dest, lambda tmp, s=src: shutil.copyfile(s, tmp))
            if digest[0] != entry["sha256"]:  # pragma: no cover - changed while copying
                raise ItpStatsError(f"{src}: changed while it was published; render again")
            copied.append(dest)
    return copied


def _run(args: argparse.Namespace) -> int:
    out = Path(args.output_dir or os.environ.get("QUARTO_PROJECT_OUTPUT_DIR") or output_dir())
    try:
        return _publish(out)
    except OSError as exc:
        raise write_failure(
            exc, exc.filename or out, "the result tables and figures to", "nothing more was written"
        ) from None


def _publish(out: Path) -> int:
    from itp_stats.steps import renders_only_the_plan

    if renders_only_the_plan():
        print("itp-stats tables: the analysis plan alone was rendered: no result tables")
        return 0
    try:
        gate = json.loads(gate_result_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        gate = {}
    copied = publish_tables(
        state_dir() / "tables", out / "tables", data_sha256=gate.get("data_sha256")
    )
    names = ", ".join(p.name for p in copied)
    # a render stages its outputs and publishes them together: name where they will be
    shown = Path(os.environ.get("ITP_STATS_PUBLISHED_OUTPUT_DIR") or out)
    print(f"itp-stats tables: wrote {len(copied)} files to {shown / 'tables'}: {names}")
    key = (read_manifest(state_dir() / "tables").get("source") or {}).get("study_key")
    if key:
        from itp_stats.report.figcache import publish_figures

        project, rendered = _documents()
        figures = publish_figures(
            state_dir(), str(key), project or rendered, out / "figures", rendered=rendered
        )
        if figures:
            print(
                f"itp-stats tables: wrote {len(figures)} figure files (vector PDF, "
                f"600-dpi PNG) to {shown / 'figures'}"
            )
    return 0


def _documents() -> tuple[list[Path], list[Path] | None]:
    """The project's documents in render order (``_quarto.yml``'s ``project.render``), and
    the documents this render rebuilt (:func:`itp_stats.steps.rendered_documents`: Quarto
    names them by their output files in a post-render step) when not all of them.

    Figures are numbered over all the project's documents; a render of some documents
    publishes only theirs (see :func:`itp_stats.report.figcache.publish_figures`).
    """
    import yaml

    from itp_stats.steps import rendered_documents

    root = project_root()
    inputs = rendered_documents(root) or []
    try:
        config = yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8")) or {}
        project = [root / str(p) for p in (config.get("project") or {}).get("render") or []]
    except (OSError, yaml.YAMLError, AttributeError):
        project = []
    project = [p for p in project if p.is_file()]
    inputs = [p for p in inputs if p.is_file()]
    named = {p.resolve() for p in project}
    project += [p for p in inputs if p.resolve() not in named]  # a document not listed
    if not project:
        return inputs, None
    whole = not inputs
    if whole or {p.resolve() for p in inputs} >= {p.resolve() for p in project}:
        return project, None
    return project, inputs


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``tables`` sub-command (the render's post-render step)."""
    parser = subparsers.add_parser(
        "tables",
        help="publish the result tables (CSV/XLSX) next to the rendered reports",
        description="Copy the result tables written by the last report run, as listed and "
        "hashed in its manifest, into <output-dir>/tables (run by the render's post-render "
        "step).",
    )
    parser.add_argument(
        "--output-dir",
        help="output folder (default: $QUARTO_PROJECT_OUTPUT_DIR, else _output)",
    )
    parser.set_defaults(func=_run)
