"""Pre-render commands: how they are run, their environment, and failures."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from itp_stats.render.errors import PreRenderError
from itp_stats.render.prerender import (
    post_render_environment,
    pre_render_command,
    pre_render_environment,
    run_pre_render,
)
from itp_stats.render.progress import Progress


def test_python_scripts_run_with_this_python_and_others_are_split(tmp_path):
    (tmp_path / "step.py").write_text("")
    assert pre_render_command("step.py", tmp_path) == [sys.executable, str(tmp_path / "step.py")]
    assert pre_render_command("step.py --fast", tmp_path)[2:] == ["--fast"]
    assert pre_render_command("itp-stats gate", tmp_path) == ["itp-stats", "gate"]
    assert pre_render_command("tool 'a b'", tmp_path) == ["tool", "a b"]
    with pytest.raises(PreRenderError):
        pre_render_command("   ", tmp_path)
    with pytest.raises(PreRenderError):
        pre_render_command("tool 'open", tmp_path)


def test_environment_has_quarto_variables_and_this_venv_first(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARTO_PROJECT_RENDER_ALL", "stale")
    docs = [tmp_path / "report" / "a.qmd", tmp_path / "report" / "b.qmd"]
    env = pre_render_environment(
        tmp_path, docs, tmp_path / "_output", True, {"ITP_STATS_DATA": "/d.csv"}
    )
    assert env["QUARTO_PROJECT_RENDER_ALL"] == "1"
    assert env["QUARTO_PROJECT_OUTPUT_DIR"] == "_output"
    assert env["QUARTO_PROJECT_INPUT_FILES"] == "report/a.qmd\nreport/b.qmd"
    assert env["ITP_STATS_DATA"] == "/d.csv"
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)
    partial = pre_render_environment(tmp_path, docs[:1], None, False)
    assert "QUARTO_PROJECT_RENDER_ALL" not in partial
    assert partial["QUARTO_PROJECT_OUTPUT_DIR"] == "."


def test_post_render_environment_names_the_outputs_not_the_inputs(tmp_path):
    """As Quarto's runPostRender: QUARTO_PROJECT_OUTPUT_FILES relative to the project,
    no QUARTO_PROJECT_INPUT_FILES, the output folder the documents are in."""
    docs = [tmp_path / "report" / "a.qmd"]
    pre = pre_render_environment(tmp_path, docs, tmp_path / "_output", False)
    staged = tmp_path / "._output-x"
    outputs = [staged / "report" / "a.html", staged / "report" / "a.pdf"]
    post = post_render_environment(pre, staged, outputs, tmp_path)
    assert "QUARTO_PROJECT_INPUT_FILES" not in post
    assert (
        post["QUARTO_PROJECT_OUTPUT_FILES"] == "._output-x/report/a.html\n._output-x/report/a.pdf"
    )
    assert post["QUARTO_PROJECT_OUTPUT_DIR"] == str(staged)
    assert "QUARTO_PROJECT_RENDER_ALL" not in post and post["PATH"] == pre["PATH"]


def _script(tmp_path, body):
    (tmp_path / "step.py").write_text(body, encoding="utf-8")


def test_commands_run_in_the_project_folder_and_output_is_shown(tmp_path):
    _script(tmp_path, "import json, os\nprint(json.dumps([os.getcwd(), os.environ['X']]))\n")
    stream = io.StringIO()
    run_pre_render(["step.py"], tmp_path, {"X": "1", "PATH": ""}, Progress(stream=stream))
    shown = stream.getvalue()
    assert json.dumps([str(tmp_path), "1"]) in shown
    assert "project: pre-render `step.py`" in shown


def test_a_failing_command_stops_with_its_output(tmp_path):
    _script(tmp_path, "import sys\nprint('critical: bad rows P1, P2')\nsys.exit(3)\n")
    stream = io.StringIO()
    with pytest.raises(PreRenderError, match=r"`step.py` failed \(exit status 3\)") as info:
        run_pre_render(["step.py", "never.py"], tmp_path, {}, Progress(stream=stream, quiet=True))
    assert info.value.returncode == 3
    assert "critical: bad rows P1, P2" in stream.getvalue()  # shown even when quiet


def test_a_missing_command_is_reported(tmp_path):
    with pytest.raises(PreRenderError, match="could not start"):
        run_pre_render(["no-such-tool-xyz"], tmp_path, {"PATH": ""}, Progress(quiet=True))


@pytest.mark.parametrize(("status", "exit_status"), [(1, 1), (2, 2), (3, 1), (70, 1)])
def test_the_gate_exit_status_is_kept_1_and_2_only(tmp_path, status, exit_status):
    # the gate exits 1 when a critical rule failed, 2 when the data file cannot be read
    _script(tmp_path, f"import sys\nprint('gate: exit {status}')\nsys.exit({status})\n")
    with pytest.raises(PreRenderError) as info:
        run_pre_render(["step.py"], tmp_path, {}, Progress(stream=io.StringIO(), quiet=True))
    assert info.value.returncode == status
    assert info.value.exit_status == exit_status


def test_a_command_that_cannot_start_exits_1(tmp_path):
    with pytest.raises(PreRenderError) as info:
        run_pre_render(["no-such-tool-xyz"], tmp_path, {"PATH": ""}, Progress(quiet=True))
    assert info.value.returncode is None and info.value.exit_status == 1
