"""The fixture project rendered by the real Quarto CLI (skipped where it is not installed).

The same fixture and the same expectations as the built-in engine's end-to-end test: both
engines must agree on numbering ("Figure 1", "Table S1"), parameters and the pre-render gate.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pypdf
import pytest
from render_support import copy_fixture_project, normalise_spaces

pytestmark = [
    pytest.mark.quarto,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("quarto") is None, reason="Quarto CLI not on PATH"),
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    project = copy_fixture_project(tmp_path_factory.mktemp("quarto") / "project")
    proc = subprocess.run(
        ["quarto", "render", "-P", "label_text:overridden-label"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    return project, proc


def _html_text(path):
    return normalise_spaces(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def test_quarto_renders_every_format(rendered):
    project, proc = rendered
    assert proc.returncode == 0, proc.stderr
    for stem in ("main", "supp"):
        for ext in ("html", "pdf", "docx"):
            assert (project / "_output" / "docs" / f"{stem}.{ext}").is_file()


def test_quarto_agrees_on_numbers_parameters_and_callouts(rendered):
    project, _ = rendered
    text = _html_text(project / "_output" / "docs" / "main.html")
    assert "Figure 1" in text and "Table 1" in text
    assert "overridden-label" in text and "default-label" not in text
    assert "CALLOUT-NOTE-BODY" in text
    assert "HIDDEN-CODE-MARKER" not in text


def test_quarto_supplement_numbers_with_s_prefix(rendered):
    project, _ = rendered
    reader = pypdf.PdfReader(project / "_output" / "docs" / "supp.pdf")
    pdf = normalise_spaces(" ".join(page.extract_text() for page in reader.pages))
    html = _html_text(project / "_output" / "docs" / "supp.html")
    for text in (pdf, html):
        assert "Table S1" in text and "Figure S1" in text and "Table S2" in text


@pytest.fixture(scope="module")
def report_project(tmp_path_factory):
    """The study report itself, copied (tracked files only) and rendered by Quarto."""
    from render_support import ROOT

    target = tmp_path_factory.mktemp("report") / "project"
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    before = (target / ".gitignore").read_text(encoding="utf-8")
    proc = subprocess.run(
        ["quarto", "render"], cwd=target, capture_output=True, text=True, check=False
    )
    return target, proc, before


def test_quarto_report_pages_match_the_builtin_engine(report_project):
    """Issue 20: Word figures as PNG, no pandoc warning, the study's title in the metadata,
    the working tree unchanged."""
    import zipfile

    target, proc, before = report_project
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr and "rsvg-convert" not in proc.stderr
    out = target / "_output" / "report"
    with zipfile.ZipFile(out / "index.docx") as word:
        media = [n for n in word.namelist() if n.startswith("word/media/")]
        core = word.read("docProps/core.xml").decode()
    assert media and all(n.endswith(".png") for n in media)
    assert "Circulating lymphocyte subsets" in core
    assert "Circulating lymphocyte subsets" in (pypdf.PdfReader(out / "index.pdf").metadata.title)
    assert (target / ".gitignore").read_text(encoding="utf-8") == before
