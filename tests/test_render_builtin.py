"""End-to-end: the fixture project rendered by the built-in engine to HTML, PDF and DOCX.

The project is rendered once per module (``itp-stats render DIR --engine builtin`` with a
parameter override and another data file) and many assertions read the outputs back:
HTML as text, PDF with pypdf, DOCX with python-docx.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import shutil
from html import unescape

import docx
import pypdf
import pytest
from render_support import FIXTURE, copy_fixture_project, normalise_spaces

from itp_stats.cli import main
from itp_stats.render.builtin import RenderJob, render_project
from itp_stats.render.errors import PreRenderError, RenderError
from itp_stats.render.progress import Progress
from itp_stats.render.project import load_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Render the fixture project once; return its folder, exit status and stderr."""
    project = copy_fixture_project(tmp_path_factory.mktemp("render") / "project")
    other = tmp_path_factory.mktemp("data") / "other-cohort.csv"
    shutil.copy(project / "data" / "cohort.csv", other)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        status = main(
            [
                "render",
                str(project),
                "--engine",
                "builtin",
                "-P",
                "label_text=overridden-label",
                "-P",
                f"data={other}",
            ]
        )
    return {"project": project, "status": status, "stderr": stderr.getvalue(), "data": other}


@pytest.fixture(scope="module")
def html(rendered):
    return (rendered["project"] / "_output" / "docs" / "main.html").read_text(encoding="utf-8")


def _html_text(page: str) -> str:
    """Visible text of an HTML page: block tags become spaces, inline tags vanish."""
    body = page[page.index("<body") :]
    blocks = r"</?(p|div|h\d|li|ul|ol|td|th|tr|table|caption|figcaption|figure|pre|br|nav)\b[^>]*>"
    return normalise_spaces(unescape(re.sub(r"<[^>]+>", "", re.sub(blocks, " ", body))))


@pytest.fixture(scope="module")
def html_text(html):
    return _html_text(html)


@pytest.fixture(scope="module")
def pdf_text(rendered):
    reader = pypdf.PdfReader(rendered["project"] / "_output" / "docs" / "main.pdf")
    return normalise_spaces(" ".join(page.extract_text() for page in reader.pages))


@pytest.fixture(scope="module")
def word(rendered):
    return docx.Document(str(rendered["project"] / "_output" / "docs" / "main.docx"))


@pytest.fixture(scope="module")
def word_text(word):
    return normalise_spaces(" ".join(p.text for p in word.paragraphs))


def test_render_succeeds_and_mirrors_the_source_layout(rendered):
    assert rendered["status"] == 0, rendered["stderr"]
    out = rendered["project"] / "_output" / "docs"
    for stem in ("main", "supp"):
        for ext in ("html", "pdf", "docx"):
            assert (out / f"{stem}.{ext}").stat().st_size > 1000
    # nothing else is left beside the outputs (no temp files)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{s}.{e}" for s in ("main", "supp") for e in ("html", "pdf", "docx")
    )


def test_progress_is_reported_per_document_and_step(rendered):
    err = rendered["stderr"]
    for step in ("pre-render `gate.py`", "kernel start", "execute", "pandoc html", "typst pdf"):
        assert step in err
    assert "docs/main.qmd: execute" in err and "docs/supp.qmd: pandoc docx" in err
    assert "gate: 4 rows passed" in err  # the pre-render command's own output


def test_pre_render_gets_quarto_environment_and_data_path(rendered):
    gate = json.loads((rendered["project"] / ".itp-stats" / "gate.json").read_text())
    assert gate["data"] == str(rendered["data"])
    assert gate["render_all"] == "1"
    assert gate["output_dir"] == "_output"
    assert gate["input_files"] == ["docs/main.qmd", "docs/supp.qmd"]


def test_sources_are_not_modified(rendered):
    project = rendered["project"]
    for name in ("docs/main.qmd", "docs/supp.qmd", "_quarto.yml", "data/cohort.csv"):
        assert (project / name).read_bytes() == (FIXTURE / name).read_bytes()


def test_html_embeds_the_figure_and_has_no_network_resources(html):
    images = re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)
    assert base64.b64decode(images[0].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?:', html)
    assert "<math" in html  # MathML, no MathJax from a CDN


def test_html_figure_and_tables_are_numbered_and_referenced(html, html_text):
    assert '<figure id="fig-counts"' in html
    assert "Figure 1: Platelet counts at 6 months by response group." in html_text
    assert '<table id="tbl-summary"' in html
    assert re.search(r"<caption>\s*Table 1: Patients by response group.\s*</caption>", html)
    assert "See Figure 1 for counts and Table 1 for the summary; 1 is its number." in html_text
    assert '<a href="#fig-counts">Figure\u00a01</a>' in html
    # the uncaptioned table is a real table, without a number
    assert re.search(r"<td[^>]*>UNCAPTIONED-CELL</td>", html)
    assert "Table 2" not in html_text


def test_html_table_cells_are_real_cells(html):
    for cell in ("Complete response", "Partial response", "No response"):
        assert re.search(rf"<td[^>]*>{cell}</td>", html)


def test_code_is_shown_only_where_echo_is_true(html_text, pdf_text, word_text):
    for text in (html_text, pdf_text, word_text):
        assert "shown_marker = 40 + 2" in text  # echo: true
        assert "shown output 42" in text
        assert "visible output of a hidden cell" in text  # output of an echo: false cell
        assert "HIDDEN-CODE-MARKER" not in text  # its code is hidden
        assert "never_run_marker = 1 / 0" in text  # eval: false, echo: true
        assert "#| echo" not in text.split("Traceback")[0]  # option lines are not echoed


def test_include_output_warning_and_error_options(html_text):
    assert "INCLUDE-FALSE-MARKER" not in html_text
    assert "OUTPUT-FALSE-MARKER" not in html_text
    assert "WARNING-HIDDEN-MARKER" not in html_text
    assert "WARNING-SHOWN-MARKER" in html_text
    assert "ValueError: ERROR-SHOWN-MARKER" in html_text


def test_parameters_inline_values_and_data_override(html_text, pdf_text, word_text):
    for text in (html_text, pdf_text, word_text):
        assert "The significance level is 0.05 and the label reads overridden-label." in text
        assert "default-label" not in text
        assert "Data file: other-cohort.csv; gate saw 4 rows." in text


def test_citations_and_bibliography(html_text, pdf_text, word_text):
    for text in (html_text, pdf_text, word_text):
        assert "We follow the IWG definitions [1] and the study of [2]." in text
        assert "Rodeghiero F, Stasi R, Gernsheimer T, et al." in text
        assert "Blood 2009;113(11):2386–93" in text
        assert "Rivière E, Thiébaut R, Lazaro E, et al." in text
        assert "doi:10.1111/bjh.18818" in text


def test_callouts_in_every_format(html, html_text, pdf_text, word_text):
    assert 'class="callout callout-note"' in html
    assert 'class="callout callout-warning"' in html
    for text in (html_text, pdf_text, word_text):
        assert "Synthetic data CALLOUT-NOTE-BODY" in text
        assert "Warning CALLOUT-WARNING-BODY without a title." in text


def test_pdf_has_numbered_captions_references_and_the_vector_figure(rendered, pdf_text):
    assert "Figure 1: Platelet counts at 6 months by response group." in pdf_text
    assert "Table 1: Patients by response group." in pdf_text
    assert "See Figure 1 for counts and Table 1 for the summary" in pdf_text
    assert "UNCAPTIONED-CELL" in pdf_text and "Table 2" not in pdf_text
    # the figure is drawn from SVG: its axis label is real text, its bars real paths
    assert "Platelets" in pdf_text
    reader = pypdf.PdfReader(rendered["project"] / "_output" / "docs" / "main.pdf")
    drawing = b"".join(page.get_contents().get_data() for page in reader.pages)
    assert drawing.count(b" re") + drawing.count(b" l\n") > 10
    assert reader.metadata.title == "Fixture report"


def test_docx_has_the_image_tables_and_numbered_captions(word, word_text):
    assert len(word.inline_shapes) == 1
    blobs = [rel.target_part.blob for rel in word.part.rels.values() if "image" in rel.reltype]
    assert blobs and blobs[0][:8] == b"\x89PNG\r\n\x1a\n"
    cells = [[cell.text for cell in table._cells] for table in word.tables]
    assert ["Group", "Patients", "Complete response", "2"] == cells[0][:4]
    assert "UNCAPTIONED-CELL" in cells[1]
    assert "Figure 1: Platelet counts at 6 months by response group." in word_text
    assert "Table 1: Patients by response group." in word_text
    assert "See Figure 1 for counts and Table 1 for the summary" in word_text


def test_supplement_numbers_tables_and_figures_with_s_prefix(rendered):
    out = rendered["project"] / "_output" / "docs"
    html = _html_text((out / "supp.html").read_text())
    reader = pypdf.PdfReader(out / "supp.pdf")
    pdf = normalise_spaces(" ".join(page.extract_text() for page in reader.pages))
    paragraphs = docx.Document(str(out / "supp.docx")).paragraphs
    word = normalise_spaces(" ".join(p.text for p in paragraphs))
    for text in (html, pdf, word):
        assert "Table S1 lists the groups and Figure S1 shows NK counts; Table S2 follows." in text
        assert "Table S1: Response groups." in text
        assert "Figure S1: NK cell counts at baseline." in text
        assert "Table S2: A second supplementary table." in text
        assert "Table 1" not in text and "Figure 1" not in text
    assert '<table id="supptbl-groups"' in (out / "supp.html").read_text()


# -- failures: short located errors, previous outputs untouched ----------------------------


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_failing_cell_reports_location_and_keeps_previous_outputs(rendered, capsys):
    project = rendered["project"]
    out = project / "_output" / "docs"
    before = _snapshot(out)
    broken = project / "docs" / "broken.qmd"
    broken.write_text(
        "---\ntitle: Broken\n---\n\nText.\n\n```{python}\nx = 1\n```\n\n"
        "```{python}\n#| label: bad\ny = 2\nz = y / (x - 1)\n```\n",
        encoding="utf-8",
    )
    (out / "broken.html").write_text("previous output", encoding="utf-8")
    try:
        status = main(["render", str(broken), "--engine", "builtin", "--to", "html"])
        err = capsys.readouterr().err
    finally:
        broken.unlink()
    assert status == 1
    message = err[err.index("itp-stats render: error:") :]
    assert message.splitlines()[0] == (
        "itp-stats render: error: docs/broken.qmd:14: ZeroDivisionError: division by zero"
    )
    assert "in the cell at line 11 of docs/broken.qmd" in message
    assert "    | z = y / (x - 1)" in message
    assert "#| label" not in message
    assert "Traceback" not in err
    assert (out / "broken.html").read_text() == "previous output"
    (out / "broken.html").unlink()
    assert _snapshot(out) == before


def test_failing_pre_render_stops_before_any_document(rendered, tmp_path, capsys):
    project = rendered["project"]
    out = project / "_output" / "docs"
    before = _snapshot(out)
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,response_m6,platelets_m6\nP09,INVALID,3\n", encoding="utf-8")
    status = main(["render", str(project), "--engine", "builtin", "-P", f"data={bad}"])
    err = capsys.readouterr().err
    assert status == 1
    assert "gate: critical failure: invalid rows for patients P09" in err
    assert "pre-render command `gate.py` failed (exit status 1)" in err
    assert "kernel start" not in err and "execute" not in err
    assert _snapshot(out) == before


def test_render_project_api_raises_the_render_errors(rendered, tmp_path):
    project = load_project(rendered["project"])
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id\nP01 INVALID\n", encoding="utf-8")
    job = RenderJob(project, project.inputs(), ["html"], env={"ITP_STATS_DATA": str(bad)})
    with pytest.raises(PreRenderError) as info:
        render_project(job, Progress(quiet=True))
    assert info.value.returncode == 1
    assert isinstance(info.value, RenderError)
