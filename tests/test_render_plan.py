"""``itp-stats plan``: the analysis plan rendered from the study alone, and cited by the
report, whose deviations paragraph follows the render's parameters."""

from __future__ import annotations

import pytest
from render_support import (
    copy_rendered_project,
    copy_report_project,
    html_text,
    pdf_text,
    run_cli,
)

from itp_stats.report.sap import plan_sha256

pytestmark = pytest.mark.slow


def test_plan_renders_without_a_cohort(tmp_path):
    root = copy_report_project(tmp_path / "project")
    study = root / "data" / "study.yaml"
    for cohort in (root / "data").glob("cohort.csv*"):
        cohort.unlink()
    status, text = run_cli("plan", "--study", str(study), "--quiet", root=root)
    assert status == 0, text
    out = root / "_output" / "report"
    assert sorted(p.name for p in out.iterdir()) == ["plan.docx", "plan.html", "plan.pdf"]
    digest = plan_sha256(study)
    assert digest in html_text(out / "plan.html")
    pdf = pdf_text(out / "plan.pdf")
    assert "Statistical analysis plan" in pdf and digest[:12] in pdf.replace(" ", "")
    assert not (root / ".itp-stats" / "gate.json").exists()  # no gate ran


def test_plan_refuses_a_bad_study(tmp_path):
    root = copy_report_project(tmp_path / "project")
    bad = root / "data" / "study.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("positive: CR", "positive: XX"))
    status, text = run_cli("plan", "--study", str(bad), root=root)
    assert status == 2 and "group.positive" in text and "Traceback" not in text, text


def test_a_render_at_another_alpha_lists_the_deviation(tmp_path):
    root = copy_report_project(tmp_path / "project")
    index = str(root / "report" / "index.qmd")
    status, text = run_cli(
        "render", index, "--engine", "builtin", "--to", "html", "--quiet", "-P", "alpha=0.01",
        root=root,
    )  # fmt: skip
    assert status == 0, text
    page = html_text(root / "_output" / "report" / "index.html")
    assert plan_sha256(root / "data" / "study.yaml")[:12] in page
    assert "Deviations from the plan: alpha was 0.01 instead of the planned 0.05." in page


def test_a_whole_render_keeps_the_plan(tmp_path, shipped_render):
    """The plan is rendered when the study is planned; a later whole-project render replaces
    the report's outputs and keeps the plan's (render.plan.PLAN_OUTPUTS)."""
    # a copy of the session's render (its caches make the render here quicker); the report's
    # PDF and Word files it holds are outputs the render here does not write, so must remove
    root = copy_rendered_project(shipped_render.project, tmp_path / "project")
    status, text = run_cli("plan", "--to", "html", "--quiet", root=root)
    assert status == 0, text
    plan = root / "_output" / "report" / "plan.html"
    before = plan.read_bytes()
    (root / "_output" / "report" / "stale.html").write_text("a file no render wrote")
    status, text = run_cli("render", "--engine", "builtin", "--to", "html", "--quiet", root=root)
    assert status == 0, text
    out = root / "_output" / "report"
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "plan.html", "supplement.html"]
    assert plan.read_bytes() == before  # kept as it was; what no render wrote is gone
