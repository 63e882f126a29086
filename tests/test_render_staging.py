"""``itp-stats stage`` and ``itp-stats publish``: atomic, locked outputs under ``quarto render``.

Quarto cannot run here, so a small stand-in does what Quarto does around the steps
(quarto-cli ``src/command/render/project.ts``: ``runPreRender`` / ``runPostRender`` run each
step as a child process of ``quarto`` with ``QUARTO_PROJECT_OUTPUT_DIR`` and, for a whole
render, ``QUARTO_PROJECT_RENDER_ALL=1``; the documents are written into ``output-dir``
between them). Killing the stand-in is killing ``quarto render``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from itp_stats.render.builtin import RenderJob, render_project
from itp_stats.render.outputs import RenderLockedError
from itp_stats.render.project import load_project
from itp_stats.render.staging import LOCK_RECORD, Holder, live_quarto_render

PROJECT = """\
project:
  output-dir: .itp-stats/quarto-output
  pre-render: [itp-stats stage]
  post-render: [itp-stats publish]
itp-stats:
  publish-dir: _output
"""

# what quarto render does around the project's steps; argv: root, text, mode
FAKE_QUARTO = r"""
import os, pathlib, subprocess, sys, time
root, text, mode = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
staging = root / ".itp-stats" / "quarto-output"
env = dict(os.environ, QUARTO_PROJECT_OUTPUT_DIR=str(staging), ITP_STATS_ROOT=str(root))
env.pop("ITP_STATS_RENDERER", None)
if mode != "partial":
    env["QUARTO_PROJECT_RENDER_ALL"] = "1"
def step(name):
    proc = subprocess.run([sys.executable, "-m", "itp_stats", name], env=env, cwd=root,
                          capture_output=True, text=True)
    sys.stdout.write(proc.stdout); sys.stderr.write(proc.stderr)
    if proc.returncode:
        sys.exit(proc.returncode)
if mode != "no-stage":
    step("stage")
(staging / "report").mkdir(parents=True, exist_ok=True)
(staging / "report" / "index.html").write_text(text)
if mode == "hold":
    (root / "holding").write_text("")
    while not (root / "release").exists():
        time.sleep(0.05)
if mode == "killed":
    os.kill(os.getpid(), 9)
(staging / "report" / "index.pdf").write_text(text)
step("publish")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "_quarto.yml").write_text(PROJECT, encoding="utf-8")
    previous = root / "_output" / "report"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("A")
    (previous / "index.pdf").write_text("A")
    (previous / "supplement.html").write_text("A")
    return root


def quarto(root: Path, text: str, mode: str = "whole", wait: bool = True):
    command = [sys.executable, "-c", FAKE_QUARTO, str(root), text, mode]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return proc
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def outputs(root: Path) -> dict[str, str]:
    folder = root / "_output"
    return {
        p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()
    }


def test_a_whole_render_replaces_the_outputs_and_releases_the_lock(project):
    status, out, err = quarto(project, "B")
    assert status == 0, err
    assert outputs(project) == {"report/index.html": "B", "report/index.pdf": "B"}
    assert "published 2 files to _output" in out
    assert not (project / ".itp-stats" / LOCK_RECORD).exists()
    assert not (project / ".itp-stats" / "quarto-output").exists()
    assert live_quarto_render(project) is None


def test_a_partial_render_keeps_the_other_outputs(project):
    status, out, err = quarto(project, "B", mode="partial")
    assert status == 0, err
    assert outputs(project) == {
        "report/index.html": "B",
        "report/index.pdf": "B",
        "report/supplement.html": "A",
    }
    assert "the other outputs kept" in out


def test_a_killed_render_leaves_the_previous_outputs_whole(project):
    status, _, _ = quarto(project, "B", mode="killed")
    assert status == -signal.SIGKILL
    assert set(outputs(project).values()) == {"A"}  # nothing of B
    assert (project / ".itp-stats" / "quarto-output" / "report" / "index.html").exists()
    assert live_quarto_render(project) is None  # its process is gone
    # the next render takes the dead render's lock over and starts from an empty staging
    status, _, err = quarto(project, "C")
    assert status == 0, err
    assert outputs(project) == {"report/index.html": "C", "report/index.pdf": "C"}


def test_a_second_render_is_refused_while_the_first_runs(project):
    first = quarto(project, "B", mode="hold", wait=False)
    try:
        deadline = time.monotonic() + 60
        while not (project / "holding").exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        status, out, err = quarto(project, "C")
        assert status != 0 and "published" not in out
        assert f"quarto render, pid {first.pid}" in err
        assert "refused and nothing was changed" in err
        assert "Traceback" not in err
        assert f"pid {first.pid}" in (live_quarto_render(project) or "")
        # the built-in renderer is refused too, before it does anything
        document = project / "index.qmd"
        document.write_text("Text.\n")
        job = RenderJob(project=load_project(project), documents=[document])
        with pytest.raises(RenderLockedError, match=f"quarto render, pid {first.pid}"):
            render_project(job)
        assert set(outputs(project).values()) == {"A"}
    finally:
        (project / "release").write_text("")
        status = first.wait(timeout=120)
    assert status == 0, first.stderr.read()
    assert outputs(project) == {"report/index.html": "B", "report/index.pdf": "B"}


def test_publish_without_the_lock_publishes_nothing(project):
    status, _, err = quarto(project, "B", mode="no-stage")
    assert status != 0
    assert "does not hold the project's render lock" in err
    assert "Traceback" not in err
    assert set(outputs(project).values()) == {"A"}


def test_a_reused_process_id_does_not_hold_the_lock(project):
    """A record naming a live process id whose start time differs (the id was reused) is a
    dead render's."""
    record = project / ".itp-stats" / LOCK_RECORD
    record.parent.mkdir()
    record.write_text(json.dumps({"pid": os.getpid(), "started": "1", "since": "then"}))
    assert Holder.of(os.getpid()).alive()
    assert not Holder(os.getpid(), "1").alive()
    assert live_quarto_render(project) is None
    status, _, err = quarto(project, "B")
    assert status == 0, err


def test_the_steps_do_nothing_under_the_builtin_renderer(project):
    env = dict(os.environ, ITP_STATS_ROOT=str(project), ITP_STATS_RENDERER="builtin")
    env["QUARTO_PROJECT_OUTPUT_DIR"] = str(project / ".itp-stats" / "quarto-output")
    for step in ("stage", "publish"):
        proc = subprocess.run(
            [sys.executable, "-m", "itp_stats", step], env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == ""
    assert not (project / ".itp-stats").exists()


def test_project_output_dir_is_the_publish_folder(project):
    loaded = load_project(project)
    assert loaded.output_dir == (project / "_output").resolve()
    assert loaded.quarto_output_dir == (project / ".itp-stats" / "quarto-output").resolve()
    shipped = load_project(Path(__file__).resolve().parents[1])
    assert shipped.output_dir.name == "_output"
    assert ".itp-stats" in shipped.quarto_output_dir.parts


def test_a_whole_render_keeps_the_plan(project):
    """The analysis plan is not a document of the project render: its outputs stay."""
    (project / "_output" / "report" / "plan.pdf").write_text("P")
    status, out, err = quarto(project, "B")
    assert "published 2 files" in out
    assert status == 0, err
    assert outputs(project) == {
        "report/index.html": "B",
        "report/index.pdf": "B",
        "report/plan.pdf": "P",
    }
