"""End to end: the study report and the supplement rendered by the built-in engine.

The project (``_quarto.yml``, ``report/``, ``data/``) is rendered once per session in a
temporary folder (``shipped_render`` in ``conftest.py``) and copied, outputs and state, for this
module, so the repository's own outputs and state and the shared render are not touched.
The assertions compare the rendered HTML and PDF with values computed by ``itp_stats`` from
the same data (never typed into the test).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import openpyxl
import pandas as pd
import pypdf
import pytest
from render_support import copy_rendered_project

from itp_stats import report as R
from itp_stats.cli import main
from itp_stats.cohort.synth import synthesize, write_cohort
from itp_stats.report import sentences as S
from itp_stats.report.format import format_ci, shortened

pytestmark = pytest.mark.slow


def _render(project: Path, *args: str) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        status = main(["render", str(project), "--engine", "builtin", *args])
    return status, err.getvalue() + out.getvalue()


def _text(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"[ \t\r\n]+", " ", unescape(page))  # keeps the no-break spaces


@pytest.fixture(scope="module")
def project(tmp_path_factory, monkeypatch_module, shipped_render):
    # a copy: two tests render into the project's state (another cohort, a failing gate)
    folder = tmp_path_factory.mktemp("report")
    project = copy_rendered_project(shipped_render.project, folder / "project")
    monkeypatch_module.setenv("ITP_STATS_ROOT", str(project))
    return {"dir": project, "out": project / "_output", "log": shipped_render.log}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def study(project, monkeypatch_module):
    # the same computation the documents ran, from the same file and gate result, computed
    # again here (not read from the documents' cached study)
    import itp_stats.study.prepare as study_module

    monkeypatch_module.setattr(study_module, "_load_cached", lambda key: None)
    monkeypatch_module.setattr(study_module, "_store_cached", lambda key, study: None)
    return R.setup(str(project["dir"] / "data" / "cohort.csv"), export=False)


@pytest.fixture(scope="module")
def index_html(project):
    return (project["out"] / "report" / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def index_pdf(project):
    reader = pypdf.PdfReader(project["out"] / "report" / "index.pdf")
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


@pytest.fixture(scope="module")
def supplement_html(project):
    return (project["out"] / "report" / "supplement.html").read_text(encoding="utf-8")


def test_every_output_is_written_and_announced(project):
    out = project["out"]
    for name in ("index", "supplement"):
        for ext in ("html", "pdf", "docx"):
            path = out / "report" / f"{name}.{ext}"
            assert path.stat().st_size > 10_000, path
            assert f"{name}.{ext}" in project["log"]


def test_report_shows_synthetic_notice_and_computed_numbers(index_html, study):
    text = _text(index_html).replace("\u2019", "'")  # pandoc's typographic apostrophe
    assert "Synthetic data" in text and "synthetic" in text
    # every paragraph built from the results is in the page, as the rules built it
    seen: set[str] = set()  # the summary comes first: it spells out the abbreviations
    for name in (
        "summary_methods",
        "summary_results",
        "conclusion",
        "participants",
        "baseline",
        "change",
        "prediction",
        "limitations",
        "cohort",
        "markers",
    ):
        paragraph = shortened(re.sub(r"[ \n]+", " ", R.TEXTS[name](study)), seen)
        paragraph = paragraph.replace("**", "")
        paragraph = re.sub(r"\[@[^\]]+\]", "", paragraph).split("(@fig")[0]
        assert paragraph[:200] in text, name
    flow = study.flow
    assert f"The cohort held {flow['assessed']} " in text
    assert f"{flow['analysed']} were analysed (" in text  # with the reasons of the others
    # Table 2's NK row, as formatted from the results
    table2, _ = R.TABLES["table2"](study)
    nk_row = table2[table2.iloc[:, 0].str.startswith("CD3−CD16+CD56+ NK cells, cells")].iloc[0]
    for cell in nk_row:
        assert cell in text, cell
    # the statistical methods name the tests actually used, in plain words
    from itp_stats.report.methods import method_name

    for method in study.results["baseline_kruskal"]["method"].unique():
        assert method_name(method) in text
    assert study.sha256 in text


def test_html_figures_are_2x_images_that_enlarge(index_html):
    import base64
    import struct

    images = re.findall(r"<img\b[^>]*>", index_html)
    assert len(images) == 7
    for image in images:
        data = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', image)[1])
        pixels = struct.unpack(">II", data[16:24])  # the PNG's IHDR: width, height
        shown = [int(re.search(rf'\b{k}="(\d+)"', image)[1]) for k in ("width", "height")]
        # twice the pixels of the size shown: sharp on a high-density screen and enlarged
        assert [round(p / 2) for p in pixels] == shown
        assert 'title="Click to enlarge"' in image
    assert index_html.count('tabindex="0">') >= 7  # each figure takes the focus on a click
    # palette PNGs: the page with its 2x figures stays well under a megabyte
    assert len(index_html.encode("utf-8")) < 800_000


def test_report_figures_tables_and_references(index_html, study):
    images = re.findall(r'<img[^>]+src="data:image/(png|svg\+xml)', index_html)
    assert len(images) == 7  # flow, NK by group, forest, paired, ROC, calibration, Kaplan–Meier
    text = _text(index_html)
    for k in range(1, 8):
        assert f"Figure {k}" in text
    assert "Figure 8" not in text
    assert "Figure 6: Calibration of the logistic model of CR on the" in text
    # captions are computed from the study: group label and follow-up time point
    assert "Figure 2: CD3−CD16+CD56+ NK cells at baseline by response at 6 months" in text
    # an abbreviation keeps its capitals inside the caption's sentence
    assert "Figure 5: ROC curve of the NK cells (CD3−CD16+CD56+)" in text and "nK" not in text
    for k in range(1, 5):  # Table 4: the time-to-event endpoints
        assert f"Table {k}" in text
    assert "Table 5" not in text
    assert text.count("<table") == 0 and index_html.count("<table") >= 5
    assert "Rodeghiero" in text and "Rivière" in text  # bibliography
    assert "R.setup" not in text and "import" not in text  # code hidden
    # the report summarises the gate; its full step table is Table S9 of the supplement
    steps = R.TABLES["validation"](study)[0]
    assert f"checked {len(steps)} rules" in text and "Table S9 of the supplement" in text
    assert "no critical rule failed; every warning rule passed" in text
    assert "No rule failed." not in text  # said once, not twice
    assert steps["Rule"].iloc[-2] not in text


def test_pdf_carries_the_same_numbers(index_pdf, study):
    compact = re.sub(r"\s", "", index_pdf)
    pred = study.results["prediction"].set_index("effect_type").loc["auc"]
    mw = study.results["baseline_positive"].set_index("marker").loc["nk"]
    for value in (
        format_ci(pred["effect"], pred["ci_low"], pred["ci_high"]),
        format_ci(mw["effect"], mw["ci_low"], mw["ci_high"]),
    ):
        assert re.sub(r"\s", "", value) in compact, value
    assert "Figure 5" in index_pdf and "Table 3" in index_pdf
    assert "Synthetic data" in index_pdf


def test_pdf_figures_are_vector(project):
    reader = pypdf.PdfReader(project["out"] / "report" / "index.pdf")
    raster = sum(len(page.images) for page in reader.pages)
    assert raster == 0  # figures are embedded as vector graphics, not bitmaps


def test_supplement_numbering(supplement_html, project, study):
    text = _text(supplement_html)
    # S10, S11: the prediction model's validation and adjusted model; S12, S13: the Cox
    # models of the time-to-event endpoints and their tests of proportional hazards
    for k in range(1, 14):
        assert f"Table S{k}" in text
    for k in range(1, 5):  # every marker at both time points (the calibration: the report's)
        assert f"Figure S{k}" in text
    assert "Table S14" not in text and "Figure S5" not in text
    steps = R.TABLES["validation"](study)[0]
    plain = text.replace("\u2019", "'").replace("\u2018", "'")
    missing = [rule for rule in steps["Rule"] if rule not in plain]
    assert not missing, missing[:3]
    assert len(re.findall(r'<img[^>]+src="data:image/', supplement_html)) == 4
    reader = pypdf.PdfReader(project["out"] / "report" / "supplement.pdf")
    pdf = " ".join(p.extract_text() for p in reader.pages)
    assert "Table S13" in pdf and "Figure S4" in pdf


def test_result_tables_published_as_csv_and_xlsx(project, study):
    tables = project["out"] / "tables"
    table2 = pd.read_csv(tables / "table2.csv")
    expected, _ = R.TABLES["table2"](study)
    assert table2.iloc[:, 0].tolist() == expected.iloc[:, 0].tolist()
    raw = pd.read_csv(tables / "results_baseline_kruskal.csv")
    assert raw["p_unc"].tolist() == pytest.approx(
        study.results["baseline_kruskal"]["p_unc"].tolist(), rel=1e-12
    )
    notice = pd.read_csv(tables / "notice.csv")["notice"].iloc[0]
    assert notice.startswith("These results were computed from a SYNTHETIC cohort")
    book = openpyxl.load_workbook(tables / "results.xlsx")
    assert book.sheetnames[0] == "README"
    readme = {row[0].value: row[1].value for row in book["README"].iter_rows() if row[0].value}
    assert any("SYNTHETIC" in str(v) for v in readme.values())
    assert readme.get("data SHA-256") == study.sha256
    assert {"Table 1", "Table 2", "Table 3", "Results prediction"} <= set(book.sheetnames)
    assert not any(c.data_type == "f" for ws in book for row in ws.iter_rows() for c in row)


def test_other_cohort_renders_with_its_own_numbers(tmp_path, project, monkeypatch):
    other = write_cohort(synthesize(150, 7), tmp_path / "other.csv")
    out = tmp_path / "out"
    status, log = _render(
        project["dir"] / "report" / "index.qmd", "--to", "html", "--output-dir", str(out),
        "-P", f"data={other}", "-P", "n_boot=200",
    )  # fmt: skip
    assert status == 0, log
    text = _text((out / "report" / "index.html").read_text(encoding="utf-8"))
    import itp_stats.study.prepare as study_module

    monkeypatch.setattr(study_module, "_load_cached", lambda key: None)  # recompute here
    study = R.setup(str(other), n_boot=200, export=False)
    assert "The cohort held 150 " in text
    assert "Synthetic data" in text and "itp-stats synth (n = 150)" in text
    seen: set[str] = set()  # the summary's methods spell the abbreviations out, first
    shortened(S.summary_methods(study), seen)
    results = shortened(re.sub(r"[ \n]+", " ", S.summary_results(study)), seen)
    assert results[:300] in text.replace("\u2019", "'")
    assert "200 resamples" in text


def test_failing_gate_stops_render_and_keeps_previous_outputs(tmp_path, project):
    bad = tmp_path / "bad.csv"
    frame = pd.read_csv(project["dir"] / "data" / "cohort.csv", dtype=str)
    frame.loc[3, "nk_m0"] = "-5"
    frame.loc[7, "cd4_m0"] = "99999"
    frame.to_csv(bad, index=False)
    before_bad = hashlib.sha256(bad.read_bytes()).hexdigest()
    outputs = sorted((project["out"] / "report").iterdir())
    hashes = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in outputs}
    status, log = _render(project["dir"], "--to", "html", "-P", f"data={bad}")
    assert status != 0
    assert "nk_m0" in log and frame.loc[3, "patient_id"] in log
    assert "Traceback" not in log
    assert sorted((project["out"] / "report").iterdir()) == outputs
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in outputs} == hashes
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == before_bad


def test_the_facade_imports_no_plotting_or_workbook_library():
    # a document whose figures come from the run state and whose export is current never
    # draws or writes a workbook: matplotlib and openpyxl are imported on first use only
    code = (
        "import sys\n"
        "from itp_stats import report as R\n"
        "R.facade\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    imported = set(proc.stdout.split())
    assert "pandas" in imported  # the study's results are data frames
    assert not {"matplotlib", "openpyxl", "great_expectations"} & imported
