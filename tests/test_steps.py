"""Which documents a render renders, as its pre- and post-render steps are told; a render of
the analysis plan alone validates no cohort and publishes no result tables."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from itp_stats.cli import main
from itp_stats.steps import PLAN_DOCUMENT, rendered_documents, renders_only_the_plan

_VARIABLES = (
    "QUARTO_PROJECT_RENDER_ALL",
    "QUARTO_PROJECT_INPUT_FILES",
    "QUARTO_PROJECT_OUTPUT_FILES",
    "QUARTO_PROJECT_OUTPUT_DIR",
    "QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES",
    "QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES",
)


@pytest.fixture
def step(tmp_path, monkeypatch):
    """A project folder, and none of the render's variables set."""
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_pre_render_names_the_input_files(step, monkeypatch):
    assert rendered_documents(step) is None  # not run as a render step
    monkeypatch.setenv("QUARTO_PROJECT_INPUT_FILES", "report/index.qmd\nreport/supplement.qmd")
    assert rendered_documents(step) == [
        step / "report" / "index.qmd",
        step / "report" / "supplement.qmd",
    ]
    monkeypatch.setenv("QUARTO_PROJECT_RENDER_ALL", "1")
    assert rendered_documents(step) is None


def test_post_render_names_the_documents_by_their_outputs(step, monkeypatch):
    """Quarto's post-render steps get the output files (relative to the project), each in
    the output folder at its document's place: several formats give one document."""
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_DIR", ".itp-stats/quarto-output")
    monkeypatch.setenv(
        "QUARTO_PROJECT_OUTPUT_FILES",
        ".itp-stats/quarto-output/report/index.html\n"
        ".itp-stats/quarto-output/report/index.pdf\n"
        ".itp-stats/quarto-output/report/index.docx",
    )
    assert rendered_documents(step) == [step / "report" / "index.qmd"]
    # an absolute output folder (the built-in renderer's staging folder) reads the same
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_DIR", str(step / ".itp-stats" / "quarto-output"))
    assert rendered_documents(step) == [step / "report" / "index.qmd"]


def test_the_lists_may_come_in_files(step, tmp_path, monkeypatch):
    listed = tmp_path / "inputs.txt"
    listed.write_text("report/plan.qmd\n", encoding="utf-8")
    monkeypatch.setenv("QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES", str(listed))
    assert rendered_documents(step) == [step / PLAN_DOCUMENT]
    assert renders_only_the_plan(step)


def test_only_the_plan(step, monkeypatch):
    monkeypatch.setenv("QUARTO_PROJECT_INPUT_FILES", "report/plan.qmd")
    assert renders_only_the_plan(step)
    monkeypatch.setenv("QUARTO_PROJECT_INPUT_FILES", "report/plan.qmd\nreport/index.qmd")
    assert not renders_only_the_plan(step)
    monkeypatch.delenv("QUARTO_PROJECT_INPUT_FILES")
    assert not renders_only_the_plan(step)  # a command run by hand


def test_the_gate_and_the_tables_step_aside_for_the_plan(step, monkeypatch, capsys):
    """`quarto render report/plan.qmd` runs the project's steps: the gate reads no cohort
    (the data named is not even there) and the tables step publishes nothing."""
    monkeypatch.setenv("ITP_STATS_DATA", str(step / "no-such-cohort.csv"))
    monkeypatch.setenv("QUARTO_PROJECT_INPUT_FILES", "report/plan.qmd")
    assert main(["gate"]) == 0
    assert "the analysis plan alone is rendered: no cohort" in capsys.readouterr().err
    assert not (step / ".itp-stats" / "gate.json").exists()
    monkeypatch.delenv("QUARTO_PROJECT_INPUT_FILES")
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_DIR", str(step / "staged"))
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_FILES", "staged/report/plan.html")
    assert main(["tables"]) == 0
    assert "the analysis plan alone was rendered: no result tables" in capsys.readouterr().out
    assert not (step / "staged" / "tables").exists()
    # with the report in the render, the gate does its work (and refuses the missing file)
    monkeypatch.setenv("QUARTO_PROJECT_INPUT_FILES", "report/plan.qmd\nreport/index.qmd")
    assert main(["gate"]) == 2


def test_rendering_the_plan_alone_with_the_project_steps_keeps_the_other_outputs(tmp_path):
    """``itp-stats render report/plan.qmd``: the project's own pre- and post-render steps
    run (as under ``quarto render report/plan.qmd``), and the render succeeds."""
    from render_support import copy_report_project

    project = copy_report_project(tmp_path / "project")
    kept = project / "_output" / "report" / "index.html"
    kept.parent.mkdir(parents=True)
    kept.write_text("the report of an earlier render")
    env = {**os.environ, "ITP_STATS_ROOT": str(project)}
    env.pop("ITP_STATS_DATA", None)
    done = subprocess.run(
        [sys.executable, "-m", "itp_stats", "render", "report/plan.qmd", "--to", "html"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "no cohort" in done.stderr and "no result tables" in done.stderr
    assert "Statistical analysis plan" in (project / "_output/report/plan.html").read_text()
    assert kept.read_text() == "the report of an earlier render"
    assert not (project / ".itp-stats" / "gate.json").exists()
