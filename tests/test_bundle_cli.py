"""``itp-stats bundle`` and ``itp-stats verify`` end to end, on a copy of the session's render
of the report project (``shipped_render``) with the analysis plan rendered into it."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest
from render_support import copy_rendered_project, copy_report_project, html_text, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory, shipped_render):
    # a copy: the bundles are written into the project and a test moves the plan's PDF away
    folder = tmp_path_factory.mktemp("bundle")
    root = copy_rendered_project(shipped_render.project, folder / "project")
    status, text = run_cli("plan", "--quiet", root=root)
    assert status == 0, text
    return root


@pytest.fixture(scope="module")
def bundle(project):
    status, text = run_cli("bundle", root=project)
    assert status == 0, text
    path = project / "itp-rituximab-submission.zip"
    assert str(path) in text
    return path


def test_bundle_holds_every_output_and_verifies(project, bundle, tmp_path):
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
    for doc in ("index", "supplement"):
        for fmt in ("html", "pdf", "docx"):
            assert f"report/{doc}.{fmt}" in names
    assert "figures/Figure 1.pdf" in names and "figures/Figure 1.png" in names
    assert "tables/table1.csv" in names and "tables/results.xlsx" in names
    assert "validation/gate.json" in names and names[-1] == "manifest.json"
    for fmt in ("html", "pdf", "docx"):
        assert f"report/plan.{fmt}" in names
    assert "checklist/strobe.csv" in names and "checklist/strobe.docx" in names
    with zipfile.ZipFile(bundle) as z:
        record = json.loads(z.read("plan/sap.json"))
        manifest = json.loads(z.read("manifest.json"))
        (tmp_path / "index.html").write_bytes(z.read("report/index.html"))
    report = html_text(tmp_path / "index.html")
    assert manifest["plan_sha256"] == record["sha256"]
    assert record["sha256"][:12] in report and "Deviations from the plan: none." in report
    status, text = run_cli("verify", str(bundle), str(project / "data" / "cohort.csv"))
    assert status == 0 and "verified and was built from" in text, text


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("\u2019", "'"))


def test_checklist_points_at_pages_that_hold_what_each_item_asks(project, bundle, monkeypatch):
    """Every filled item: its section exists in the PDF and in the HTML, and the page the
    checklist gives lies inside that section and prints what the item asks."""
    import pypdf

    from itp_stats import report as R
    from itp_stats.bundle.checklist import pdf_sections
    from itp_stats.report.strobe import AUTHORS, ITEMS, checklist, place_text

    with zipfile.ZipFile(bundle) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("checklist/strobe.csv").decode("utf-8"))))
    assert [r["Item"] for r in rows] == [n for n, _, _ in ITEMS]
    authors = {r["Item"] for r in rows if r["Reported in"] == AUTHORS}
    assert authors == {"1", "2", "3", "18", "20", "21", "22"}
    monkeypatch.setenv("ITP_STATS_ROOT", str(project))
    study = R.setup(
        str(project / "data" / "cohort.csv"), study=str(project / "data" / "study.yaml"),
        export=False,
    )  # fmt: skip
    places = checklist(study)
    places = places[places["document"] != ""]
    reported = {r["Item"]: r["Reported in"] for r in rows}
    for place in places.itertuples():
        prefix = place_text(place.document, place.section, place.table)
        found = re.findall(rf"{re.escape(prefix)} \(PDF p\. (\d+)\)", reported[place.item])
        assert found, (place.item, prefix, reported[place.item])
        reader = pypdf.PdfReader(project / "_output" / "report" / f"{place.document}.pdf")
        path = tuple(place.section.split(" › "))
        sections = pdf_sections(reader)
        start = next(p for s, p in sections if s == path)
        index = [s for s, _ in sections].index(path)
        end = next((p for s, p in sections[index + 1 :] if len(s) <= len(path)), 10_000)
        pages = [int(page) - 1 for page in found]
        assert any(
            start <= page <= end
            and _compact(place.evidence) in _compact(reader.pages[page].extract_text())
            for page in pages
        ), (place.item, place.section, place.evidence, found)
        html = (project / "_output" / "report" / f"{place.document}.html").read_text("utf-8")
        title = r"\s+".join(re.escape(word) for word in path[-1].split())
        assert re.search(rf"<h[1-4][^>]*>\s*{title}\s*</h[1-4]>", html), path
        assert place.evidence in html_text(
            project / "_output" / "report" / f"{place.document}.html"
        )


def test_verify_names_a_changed_member(project, bundle, tmp_path):
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(changed, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "tables/table2.csv":
                data = data[:-1] + bytes([data[-1] ^ 0x01])
            dst.writestr(info, data)
    status, text = run_cli("verify", str(changed))
    assert status == 1 and text.startswith("itp-stats verify: error: tables/table2.csv: "), text
    assert "Traceback" not in text


def test_verify_refuses_another_cohort(project, bundle, tmp_path):
    other = tmp_path / "cohort.csv"
    other.write_bytes((project / "data" / "cohort.csv").read_bytes() + b"\n")
    status, text = run_cli("verify", str(bundle), str(other))
    assert status == 1 and "not the cohort the bundle was built from" in text, text


def test_meca_bundle_has_the_meca_manifest_first(project):
    status, text = run_cli("bundle", "--meca", root=project)
    assert status == 0, text
    with zipfile.ZipFile(project / "itp-rituximab-meca.zip") as z:
        names = z.namelist()
    assert names[:2] == ["manifest.xml", "article.xml"]
    status, text = run_cli("verify", str(project / "itp-rituximab-meca.zip"))
    assert status == 0, text


def test_bundle_without_the_plan_says_what_to_do(project, tmp_path):
    moved = project / "_output" / "report" / "plan.pdf"
    moved.rename(tmp_path / "plan.pdf")
    try:
        status, text = run_cli("bundle", "--out", str(tmp_path / "b.zip"), root=project)
    finally:
        (tmp_path / "plan.pdf").rename(moved)
    assert status == 1 and "itp-stats plan --study" in text and "Traceback" not in text, text


def test_bundle_without_a_render_says_what_to_do(tmp_path):
    root = copy_report_project(tmp_path / "fresh")
    status, text = run_cli("bundle", root=root)
    assert status == 1 and "make report" in text and "Traceback" not in text, text
