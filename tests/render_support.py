"""Helpers shared by the renderer tests: a working copy of the fixture project or of the
report's project (fresh, or of a rendered one), ``itp-stats`` run in-process, and the text of
rendered documents."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import threading
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "render"


def copy_fixture_project(target: Path) -> Path:
    """Copy the fixture project to ``target`` with the report's bibliography and CSL.

    Returns
    -------
    Path
        The project folder (``target``).
    """
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("_output", ".itp-stats"))
    shutil.copy(ROOT / "report" / "references.bib", target / "references.bib")
    shutil.copy(ROOT / "report" / "vancouver.csl", target / "vancouver.csl")
    return target


def normalise_spaces(text: str) -> str:
    """Collapse runs of whitespace (non-breaking spaces included) to single spaces."""
    return " ".join(text.replace("\u00a0", " ").split())


def copy_report_project(dest: Path) -> Path:
    """Copy the report's project (``_quarto.yml``, ``report/``, ``data/``) to ``dest``."""
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "_quarto.yml", dest / "_quarto.yml")
    shutil.copytree(ROOT / "report", dest / "report", ignore=shutil.ignore_patterns("tables"))
    shutil.copytree(ROOT / "data", dest / "data")
    return dest


def copy_rendered_project(source: Path, dest: Path) -> Path:
    """Copy a rendered project to ``dest``: sources, outputs and run state (``.itp-stats``).

    The copy renders and bundles as the original would: its gate result, study cache and
    conversion cache come along, so a test that changes a rendered project works on its own
    copy of the session's render (``shipped_render`` in ``conftest.py``) instead of rendering
    the project again. Files are copied, not linked: changing one leaves ``source`` as it is.

    Returns
    -------
    Path
        The copied project folder (``dest``).
    """
    shutil.copytree(source, dest, symlinks=True)
    return dest


def tree_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file below ``folder`` (a cheap change check)."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def run_cli(*argv: str, root: Path | None = None) -> tuple[int, str]:
    """Run ``itp-stats`` in-process (``ITP_STATS_ROOT`` = ``root``); status and stderr+stdout."""
    import pytest

    from itp_stats.cli import main

    err, out = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        if root is not None:
            mp.setenv("ITP_STATS_ROOT", str(root))
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            status = main(list(argv))
    return status, err.getvalue() + out.getvalue()


def html_text(path: Path) -> str:
    """The visible text of an HTML page, whitespace collapsed (NNBSP kept)."""
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"[ \t\r\n]+", " ", unescape(page)).replace("\u2019", "'")


def pdf_text(path: Path) -> str:
    """The text of a PDF, pages run on (a page's number in its footer dropped)."""
    import pypdf

    reader = pypdf.PdfReader(path)
    pages = [re.sub(r"\n\d+ ?$", "\n", p.extract_text().rstrip()) for p in reader.pages]
    pages = [re.sub(r"(?m)^\d+ (?=[A-Z])", "", p) for p in pages]
    return re.sub(r"\s+", " ", " ".join(pages)).replace("\u2019", "'")


def docx_text(path: Path) -> str:
    """The text of a Word document: its paragraphs, then its table cells."""
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    return re.sub(r"\s+", " ", " ".join(parts)).replace("\u2019", "'")


class PipeLines:
    """The lines a process writes to a pipe, read in a thread as they come."""

    def __init__(self, pipe) -> None:
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe) -> None:
        for line in pipe:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._lines.append("")  # end of the pipe
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> bool:
        """Whether a line holding ``text`` came before the end of the pipe and ``timeout``."""

        def seen() -> bool:
            return any(text in line for line in self._lines) or self._lines[-1:] == [""]

        with self._changed:
            self._changed.wait_for(seen, timeout)
            return any(text in line for line in self._lines)

    def text(self, timeout: float) -> str:
        """Everything written, once the pipe is closed (within ``timeout``)."""
        self._thread.join(timeout)
        with self._changed:
            return "".join(self._lines)
