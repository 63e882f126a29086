"""Stopping a render: work in daemon threads, kernels and processes killed on Ctrl-C."""

from __future__ import annotations

import _thread
import subprocess
import sys
import threading
import time

import pytest

from itp_stats.render import cancel


def test_run_all_keeps_the_order_and_raises_the_first_failure():
    assert cancel.run_all(lambda x: x * 2, [3, 1, 2]) == [6, 2, 4]

    def work(x):
        time.sleep(0.05 * (3 - x))
        if x:
            raise ValueError(x)
        return x

    with pytest.raises(ValueError, match="1"):  # the first in order, not the first to fail
        cancel.run_all(work, [0, 1, 2])


def test_run_all_limits_the_workers():
    running, most = [0], [0]
    lock = threading.Lock()

    def work(_):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    cancel.run_all(work, range(6), max_workers=2)
    assert most[0] == 2


def test_an_interrupt_kills_what_runs_and_does_not_wait():
    started = threading.Event()
    procs = []

    def work(_):
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        procs.append(proc)
        with cancel.tracked(proc):
            started.set()
            proc.wait()

    def interrupt():
        started.wait(10)
        _thread.interrupt_main()  # Ctrl-C, as the main thread receives it

    threading.Thread(target=interrupt, daemon=True).start()
    begun = time.monotonic()
    with pytest.raises(KeyboardInterrupt), cancel.interruptible():
        cancel.run_all(work, [1])
    assert time.monotonic() - begun < 5
    assert procs[0].wait(5) is not None  # killed, not left sleeping
    assert cancel.stopping()
    with pytest.raises(KeyboardInterrupt):  # work starting after the stop does not start
        with cancel.tracked(subprocess.Popen([sys.executable, "-c", "pass"])):
            pass
    with cancel.interruptible():  # the next render starts afresh
        assert not cancel.stopping()


def test_a_terminals_ctrl_c_reaches_the_whole_group_and_the_render_still_ends_cleanly(tmp_path):
    """A terminal sends Ctrl-C to the foreground process group: the render, its kernels (busy
    in a cell) and its pandoc processes all get SIGINT at once. The render ends with its one
    line and status 130, nothing of the group is left, and nothing is published."""
    import os
    import signal

    from render_support import PipeLines, copy_report_project

    project = copy_report_project(tmp_path / "project")
    env = {**os.environ, "ITP_STATS_ROOT": str(project)}
    render = subprocess.Popen(
        [sys.executable, "-m", "itp_stats", "render", str(project), "--engine", "builtin"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own group, as a terminal's foreground job
    )  # fmt: skip
    lines = PipeLines(render.stderr)
    assert lines.wait_for("kernel start", timeout=120)  # the documents are executing
    time.sleep(1.0)  # into the setup cell's computation
    os.killpg(render.pid, signal.SIGINT)
    render.wait(timeout=30)
    stderr = lines.text(timeout=10)
    assert render.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "itp-stats render: interrupted; the render was stopped and nothing of it was "
        "published: the previous outputs are unchanged"
    )
    time.sleep(0.3)
    assert _group_members(render.pid) == []  # no kernel, pandoc or gate left in the group
    assert not (project / "_output").exists()


def _group_members(group: int) -> list[int]:
    """The live processes of a process group (from ``/proc``: no procps needed)."""
    from pathlib import Path

    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":  # pgrp; zombies have ended
            members.append(int(stat.parent.name))
    return members
