"""Ctrl-C during ``itp-stats render --engine quarto`` stops Quarto's whole process tree at once.

A stand-in ``quarto`` on PATH starts a child that ignores SIGINT (as a busy kernel or a
converter may) and waits; the render is interrupted as a terminal's Ctrl-C interrupts it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from render_support import copy_fixture_project

from itp_stats.render.quarto import STOP_GRACE

STAND_IN = textwrap.dedent(
    """
    import os, pathlib, signal, subprocess, sys, time
    out = pathlib.Path(os.environ["STAND_IN_DIR"])
    deaf = os.environ.get("STAND_IN_DEAF")
    signal.signal(signal.SIGINT, signal.SIG_IGN if deaf else lambda *_: os._exit(130))
    child = subprocess.Popen([sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(300)"])
    (out / "pids.tmp").write_text(f"{os.getpid()} {child.pid}")
    os.replace(out / "pids.tmp", out / "pids")
    time.sleep(300)
    """
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def stand_in(tmp_path):
    """A folder with a ``quarto`` stand-in, and the environment that puts it on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "quarto"
    script.write_text(f"#!{sys.executable}\n{STAND_IN}", encoding="utf-8")
    script.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "STAND_IN_DIR": str(tmp_path),
    }
    return tmp_path, env


@pytest.mark.parametrize("deaf", [False, True], ids=["quarto-stops", "quarto-ignores-sigint"])
def test_ctrl_c_stops_quarto_and_its_children_within_two_seconds(stand_in, deaf):
    folder, env = stand_in
    if deaf:
        env["STAND_IN_DEAF"] = "1"
    project = copy_fixture_project(folder / "project")
    (project / "_output").mkdir()
    (project / "_output" / "kept.html").write_text("previous")
    env["ITP_STATS_ROOT"] = str(project)
    render = subprocess.Popen(
        [sys.executable, "-m", "itp_stats", "render", str(project), "--engine", "quarto"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    pids = folder / "pids"
    deadline = time.monotonic() + 60
    while not pids.exists() and time.monotonic() < deadline and render.poll() is None:
        time.sleep(0.05)
    assert pids.exists(), render.communicate()
    quarto, child = map(int, pids.read_text().split())
    sent = time.monotonic()
    render.send_signal(signal.SIGINT)  # a terminal's Ctrl-C reaches the foreground group
    _, stderr = render.communicate(timeout=30)
    took = time.monotonic() - sent
    assert took < STOP_GRACE + 0.5 < 2.0 + 0.5, (took, stderr)  # a correctness bound
    assert render.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "itp-stats render: interrupted; the render was stopped and nothing of it was "
        "published: the previous outputs are unchanged"
    )
    time.sleep(0.2)
    assert not _alive(quarto) and not _alive(child)  # the child that ignored SIGINT too
    assert (project / "_output" / "kept.html").read_text() == "previous"
    if not deaf:  # Quarto stopped on SIGINT: its children were killed at once, no grace
        assert took < STOP_GRACE
