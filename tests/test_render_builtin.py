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
import os
import re
import shutil
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

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
    assert re.search(r'<th[^>]*scope="row"[^>]*>UNCAPTIONED-CELL</th>', html)
    assert "Table 2" not in html_text


def test_html_table_cells_are_real_cells_with_row_headers(html):
    for cell in ("Complete response", "Partial response", "No response"):
        assert re.search(rf'<th style="text-align: left;" scope="row">{cell}</th>', html)
    assert re.search(r'<td class="number" style="text-align: right;">2</td>', html)
    # every body row starts with its header cell; tables scroll in a labelled box
    assert not re.search(r"<tbody>\s*<tr>\s*<td|</tr>\s*<tr>\s*<td", html)
    assert html.count('<div class="table-wrap"') == 2


def test_every_html_image_has_an_alt_text(rendered):
    for name in ("main", "supp"):
        page = (rendered["project"] / "_output" / "docs" / f"{name}.html").read_text()
        images = re.findall(r"<img\b[^>]*>", page)
        assert images
        for image in images:
            assert re.search(r'\balt="[^"]+"', image), image[:200]
    main = (rendered["project"] / "_output" / "docs" / "main.html").read_text()
    assert 'alt="Platelet counts at 6 months by response group."' in main


def test_no_thin_space_in_any_output(rendered):
    import zipfile

    out = rendered["project"] / "_output" / "docs"
    for name in ("main", "supp"):
        assert "\u2009" not in (out / f"{name}.html").read_text()
        assert (
            "\u2009" not in zipfile.ZipFile(out / f"{name}.docx").read("word/document.xml").decode()
        )
        reader = pypdf.PdfReader(out / f"{name}.pdf")
        assert "\u2009" not in " ".join(page.extract_text() for page in reader.pages)


def test_docx_is_a4_with_page_numbers_sized_columns_and_print_figures(rendered, word):
    import zipfile

    from docx.enum.section import WD_ORIENT
    from PIL import Image

    from itp_stats.render.kernel import PRINT_DPI

    for section in word.sections:
        assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
        assert section.orientation == WD_ORIENT.PORTRAIT
        assert 'w:instr=" PAGE "' in section.footer._element.xml
    for table in word.tables:
        widths = [column.width for column in table.columns]
        assert min(widths) / sum(widths) > 0.1  # two short columns each
    path = rendered["project"] / "_output" / "docs" / "main.docx"
    with zipfile.ZipFile(path) as package:
        media = [n for n in package.namelist() if n.startswith("word/media/")]
        assert len(media) == 1
        image = Image.open(io.BytesIO(package.read(media[0])))
    assert round(image.info["dpi"][0]) == PRINT_DPI
    assert image.size[0] >= 5 * PRINT_DPI * 0.8  # the 5-inch figure at print resolution


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
    assert 'class="itp-callout itp-callout-note"' in html
    assert 'class="itp-callout itp-callout-warning"' in html
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


# -- one publish per render: kills, post-render failures, a second render, hostile text ---

TABLES_STEP = """\
import os, sys
from pathlib import Path
out = Path(os.environ["QUARTO_PROJECT_OUTPUT_DIR"])
data = Path(os.environ.get("ITP_STATS_DATA", "data/cohort.csv"))
rows = len(data.read_text(encoding="utf-8").splitlines()) - 1
(out / "tables").mkdir(parents=True, exist_ok=True)
(out / "tables" / "rows.csv").write_text(f"rows\\n{rows}\\n", encoding="utf-8")
print(f"tables: wrote {rows} rows")
sys.exit(int(os.environ.get("FAIL_TABLES", "0")))
"""

SLOW_GATE = """\
import os, time
from pathlib import Path
Path("gate-started").write_text(str(os.getpid()))
for _ in range(600):
    if Path("go").exists():
        break
    time.sleep(0.1)
exec(Path("gate.py").read_text())
"""


def _cohort(folder, rows: int):
    path = folder / f"cohort-{rows}.csv"
    lines = ["patient_id,response_m6,platelets_m6"]
    lines += [f"P{i:02d},CR,{100 + i}" for i in range(1, rows + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def publishing(tmp_path):
    """The fixture project with a post-render step that writes a table from the data."""
    project = copy_fixture_project(tmp_path / "project")
    (project / "tables.py").write_text(TABLES_STEP, encoding="utf-8")
    config = project / "_quarto.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "  pre-render: gate.py\n", "  pre-render: gate.py\n  post-render: tables.py\n"
        ),
        encoding="utf-8",
    )
    return project


def _render_process(project, *args, **env):
    return subprocess.run(
        [sys.executable, "-m", "itp_stats", "render", str(project), "--engine", "builtin",
         "--to", "html", *args],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _rows_shown(project) -> tuple[str, str]:
    """Rows the document and the table of the published set say the data had."""
    out = project / "_output"
    page = _html_text((out / "docs" / "main.html").read_text(encoding="utf-8"))
    seen = re.search(r"gate saw (\d+) rows", page).group(1)
    table = (out / "tables" / "rows.csv").read_text(encoding="utf-8").split()[1]
    return seen, table


def _tree(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _leftovers(project):
    builds = project / ".itp-stats" / "builds"
    siblings = [p.name for p in project.iterdir() if p.name.startswith("._output")]
    return siblings + [p.name for p in builds.iterdir()] if builds.is_dir() else siblings


def test_documents_and_tables_are_published_together_and_kills_leave_the_previous_set(
    publishing, tmp_path
):
    four, five, six = (_cohort(tmp_path, n) for n in (4, 5, 6))
    first = _render_process(publishing, "-P", f"data={four}")
    assert first.returncode == 0, first.stderr
    assert _rows_shown(publishing) == ("4", "4")
    assert "tables: wrote 4 rows" in first.stderr
    before = _tree(publishing / "_output")

    for point in ("staged", "post-rendered"):
        killed = _render_process(publishing, "-P", f"data={five}", ITP_STATS_TEST_KILL_AT=point)
        assert killed.returncode == -9, killed.stderr
        assert _tree(publishing / "_output") == before  # the previous set, whole
        assert _rows_shown(publishing) == ("4", "4")

    again = _render_process(publishing, "-P", f"data={six}")
    assert again.returncode == 0, again.stderr
    assert "leftover(s) of an interrupted render" in again.stderr
    assert _rows_shown(publishing) == ("6", "6")  # documents and tables of one render
    assert _leftovers(publishing) == []
    assert "Traceback" not in first.stderr + again.stderr


def test_a_failed_post_render_step_publishes_nothing(publishing, tmp_path, capsys):
    assert main(["render", str(publishing), "--engine", "builtin", "--to", "html"]) == 0
    before = _tree(publishing / "_output")
    capsys.readouterr()
    failed = _render_process(publishing, "-P", f"data={_cohort(tmp_path, 3)}", FAIL_TABLES="3")
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1] == (
        "itp-stats render: error: post-render command `tables.py` failed (exit status 3); "
        "nothing was published and the previous outputs are unchanged"
    )
    assert "Traceback" not in failed.stderr
    assert _tree(publishing / "_output") == before
    assert _leftovers(publishing) == []


def test_two_renders_at_once_the_second_is_refused(publishing, tmp_path, capsys):
    (publishing / "slow_gate.py").write_text(SLOW_GATE, encoding="utf-8")
    config = publishing / "_quarto.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "pre-render: gate.py", "pre-render: slow_gate.py"
        ),
        encoding="utf-8",
    )
    first = subprocess.Popen(
        [sys.executable, "-m", "itp_stats", "render", str(publishing), "--engine", "builtin",
         "--to", "html", "-P", f"data={_cohort(tmp_path, 4)}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(600):
            if (publishing / "gate-started").exists() or first.poll() is not None:
                break
            time.sleep(0.1)
        assert (publishing / "gate-started").exists()
        status = main(
            ["render", str(publishing), "--engine", "builtin", "-P", f"data={_cohort(tmp_path, 7)}"]
        )
        err = capsys.readouterr().err
        assert status == 1
        assert err.strip() == (
            f"itp-stats render: error: another render of {publishing} is running (pid "
            f"{first.pid} since {err.split(' since ')[1].split(')')[0]}); this one was refused "
            "and nothing was changed: render again when it has finished"
        )
        assert "wrote" not in err
    finally:
        (publishing / "go").write_text("")
        _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    assert _rows_shown(publishing) == ("4", "4")  # the first render's set, whole
    assert "main.html" in first_err and "tables: wrote 4 rows" in first_err


def test_hostile_text_shows_as_literal_text_in_every_format(tmp_path):
    project = copy_fixture_project(tmp_path / "project")
    hostile = (
        '<script>alert(1)</script> <b>bold</b> <div onclick="x">div</div> '
        "<img src=x onerror=alert(2)> \\newpage"
    )
    status = main(
        ["render", str(project / "docs" / "main.qmd"), "--engine", "builtin",
         "-P", f"label_text={hostile}"]
    )  # fmt: skip
    assert status == 0
    out = project / "_output" / "docs"
    page = (out / "main.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<b>bold" not in page and "<img src=x" not in page
    assert not re.search(r"<[a-z]+ [^>]*(onclick|onerror)=", page)  # no element has them
    text = _html_text(page)
    assert "<script>alert(1)</script> <b>bold</b>" in text and "onerror=alert(2)> \\newpage" in text
    pdf = normalise_spaces(
        " ".join(p.extract_text() for p in pypdf.PdfReader(out / "main.pdf").pages)
    )
    assert "<script>alert(1)</script> <b>bold</b>" in pdf
    word = normalise_spaces(
        " ".join(p.text for p in docx.Document(str(out / "main.docx")).paragraphs)
    )
    assert "<script>alert(1)</script> <b>bold</b>" in word and "\\newpage" in word


def test_a_render_leaves_nothing_in_tmpdir(publishing, tmp_path):
    private = tmp_path / "tmp"
    private.mkdir()
    done = _render_process(publishing, TMPDIR=str(private))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in private.iterdir()) == []  # no kernel connection file
    assert _leftovers(publishing) == []


# -- Ctrl-C ------------------------------------------------------------------------------------


def _descendants(pid: int) -> set[int]:
    """Process ids of every live process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":  # a zombie is dead
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] != "Z":
                    alive.add(pid)
        except OSError:
            pass
    return alive


INTERRUPTS = (
    # (the progress line that starts the moment, seconds after it, -P seed=): another seed
    # than the shipped render's, so its study is computed again, until the conversions, whose
    # render takes the study the shipped render computed (its cells run, quicker)
    ("pre-render `itp-stats stage`", 0.5, 1),  # the gate (it takes seconds)
    ("pre-render `itp-stats metadata`", 0.2, 2),  # the kernels' start-up
    (": kernel start ", 2.0, 3),  # the cells' execution
    (": execute (", 0.3, None),  # the conversions (pandoc, Typst), maybe the other's cells
)
"""When the Ctrl-C test interrupts a render: after a line of its progress on stderr (see
:mod:`itp_stats.render.progress`), not at fixed delays, so each moment is hit on a slow
machine and none is waited for longer than it needs on a fast one."""


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process tree from /proc")
def test_ctrl_c_stops_the_kernels_and_converters_at_once_and_keeps_the_outputs(
    tmp_path, shipped_render
):
    import signal

    from render_support import PipeLines, copy_rendered_project

    # a copy of the session's render: the previous outputs a Ctrl-C must leave as they are
    project = copy_rendered_project(shipped_render.project, tmp_path / "project")
    env = {**os.environ, "ITP_STATS_ROOT": str(project)}
    command = [sys.executable, "-m", "itp_stats", "render", str(project), "--engine", "builtin"]
    before = _tree(project / "_output")
    # during the gate, kernel start-up, execution, conversion: no conversion kept, so none
    # is reused and every step runs
    interrupted = 0
    for line, pause, seed in INTERRUPTS:
        shutil.rmtree(project / ".itp-stats" / "converted", ignore_errors=True)
        params = ["-P", f"seed={seed}"] if seed is not None else []
        render = subprocess.Popen(
            [*command, *params], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        lines = PipeLines(render.stderr)
        try:
            reached = lines.wait_for(line, timeout=300)
            time.sleep(pause if reached else 0)
            started = _descendants(render.pid)
            sent = time.monotonic()
            render.send_signal(signal.SIGINT)
            render.wait(timeout=120)
            stderr = lines.text(timeout=120)
            took = time.monotonic() - sent
        finally:
            if render.poll() is None:  # a failed assertion above: no render left behind
                render.kill()
                render.wait()
        if render.returncode == 0:  # finished before the signal (a fast machine): no case
            before = _tree(project / "_output")
            continue
        interrupted += 1
        # a correctness bound (it does not wait for the documents), not a benchmark
        assert took < 10, (line, took, stderr)
        assert render.returncode == 130, stderr
        assert "Traceback" not in stderr, stderr
        assert stderr.strip().splitlines()[-1] == (
            "itp-stats render: interrupted; the render was stopped and nothing of it was "
            "published: the previous outputs are unchanged"
        )
        time.sleep(0.5)
        left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:200] for pid in _alive(started)}
        assert left == {}, (line, stderr)  # no kernel, pandoc or gate left
        assert _tree(project / "_output") == before  # the previous outputs, whole
    assert interrupted >= 2  # the render takes longer than the last moment but one
    assert not [p for p in project.iterdir() if p.name.startswith("._output")]
