"""Installing outputs: atomic replacement, one publish per render, the render lock."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from itp_stats.render import outputs
from itp_stats.render.errors import RenderError
from itp_stats.render.outputs import (
    KILL_ENV,
    OutputError,
    RenderLockedError,
    build_folder,
    check_output_folder,
    clean_leftovers,
    install_file,
    install_files,
    publish,
    render_lock,
    stage,
    stage_files,
)


def test_install_creates_folders_and_replaces_atomically(tmp_path):
    built = tmp_path / "build" / "a.html"
    built.parent.mkdir()
    built.write_text("new")
    target = tmp_path / "out" / "sub" / "a.html"
    assert install_file(built, target) == target
    assert target.read_text() == "new"
    built.write_text("newer")
    install_files([(built, target)])
    assert target.read_text() == "newer"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.html"]


def test_a_failed_copy_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "a.pdf"
    target.write_text("previous")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(outputs.shutil, "copyfile", fail)
    with pytest.raises(OSError, match="disk full"):
        install_file(tmp_path / "missing", target)
    assert target.read_text() == "previous"
    assert os.listdir(tmp_path) == ["a.pdf"]


# -- one publish per render: staged folder, atomic switch, leftovers, lock -----------------


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _siblings(output: Path) -> list[str]:
    return sorted(p.name for p in output.parent.iterdir() if p.name.startswith("."))


@pytest.fixture
def previous(tmp_path):
    """An output folder holding a previous render's set (documents and tables)."""
    out = tmp_path / "project" / "_output"
    (out / "report").mkdir(parents=True)
    (out / "tables").mkdir()
    (out / "report" / "index.html").write_text("old report")
    (out / "report" / "supplement.html").write_text("old supplement")
    (out / "tables" / "table1.csv").write_text("old table")
    return out


def _built(tmp_path: Path, out: Path, files: dict[str, str]) -> list[tuple[Path, Path]]:
    build = tmp_path / "build"
    pairs = []
    for name, text in files.items():
        built = build / name
        built.parent.mkdir(parents=True, exist_ok=True)
        built.write_text(text)
        pairs.append((built, out / name))
    return pairs


def test_a_whole_render_replaces_the_set_in_one_step(tmp_path, previous):
    pairs = _built(tmp_path, previous, {"report/index.html": "new report"})
    staged = stage(previous, carry_over=False)
    assert stage_files(pairs, staged, previous) == [previous / "report" / "index.html"]
    (staged / "tables").mkdir()
    (staged / "tables" / "table1.csv").write_text("new table")  # the post-render step
    assert _tree(previous)["report/index.html"] == "old report"  # nothing shown before
    publish(staged, previous)
    assert _tree(previous) == {"report/index.html": "new report", "tables/table1.csv": "new table"}
    assert _siblings(previous) == []  # no staged or previous folder left


def test_a_partial_render_carries_the_rest_over_without_writing_through(tmp_path, previous):
    old_index = previous / "report" / "index.html"
    pairs = _built(tmp_path, previous, {"report/index.html": "new report"})
    staged = stage(previous, carry_over=True)
    stage_files(pairs, staged, previous)
    # the carried-over files may be hard links: the previous set is not written through
    assert old_index.read_text() == "old report"
    publish(staged, previous)
    assert _tree(previous) == {
        "report/index.html": "new report",
        "report/supplement.html": "old supplement",
        "tables/table1.csv": "old table",
    }


def test_the_fallback_of_two_renames_publishes_the_same(tmp_path, previous, monkeypatch):
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)  # no renameat2 here
    staged = stage(previous, carry_over=False)
    stage_files(_built(tmp_path, previous, {"report/index.html": "new"}), staged, previous)
    publish(staged, previous)
    assert _tree(previous) == {"report/index.html": "new"}
    assert _siblings(previous) == []


def test_a_first_render_creates_the_output_folder(tmp_path):
    out = tmp_path / "fresh" / "_output"
    staged = stage(out, carry_over=True)
    stage_files(_built(tmp_path, out, {"a.html": "a"}), staged, out)
    publish(staged, out)
    assert _tree(out) == {"a.html": "a"}


@pytest.mark.parametrize("where", ["stage", "copy", "publish"])
def test_a_full_disk_fails_in_one_line_and_leaves_the_previous_set(
    tmp_path, previous, monkeypatch, where
):
    before = _tree(previous)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "stage":
        monkeypatch.setattr(outputs.tempfile, "mkdtemp", full)
    elif where == "copy":
        monkeypatch.setattr(outputs.shutil, "copyfile", full)
    else:
        monkeypatch.setattr(outputs, "_exchange", full)
    pairs = _built(tmp_path, previous, {"report/index.html": "new"})
    with pytest.raises(OutputError) as err:
        staged = stage(previous, carry_over=True)
        stage_files(pairs, staged, previous)
        publish(staged, previous)
    message = str(err.value)
    assert "No space left on device" in message and "\n" not in message
    assert "previous outputs are unchanged" in message
    assert isinstance(err.value, RenderError) and err.value.exit_status == 1
    assert _tree(previous) == before
    assert _siblings(previous) == []


def test_a_read_only_folder_in_the_previous_set_does_not_stop_the_publish(tmp_path, previous):
    (previous / "tables").chmod(0o555)
    try:
        staged = stage(previous, carry_over=False)
        stage_files(_built(tmp_path, previous, {"tables/table1.csv": "new"}), staged, previous)
        publish(staged, previous)
    finally:
        for folder in previous.parent.rglob("*"):
            if folder.is_dir():
                folder.chmod(0o755)
    assert _tree(previous) == {"tables/table1.csv": "new"}
    assert _siblings(previous) == []


def test_a_render_killed_between_the_two_renames_is_undone_by_the_next(tmp_path, previous):
    root = previous.parent
    before = _tree(previous)
    aside = root / "._output.previous-0123456789ab"
    previous.rename(aside)  # the state a kill between the two renames leaves
    staged = root / "._output.staging-abc"
    (staged / "report").mkdir(parents=True)
    (staged / "report" / "index.html").write_text("half")
    builds = build_folder(root)
    (builds / "index.md").write_text("working file")
    cleaned = clean_leftovers(root, previous)
    assert aside in cleaned and staged in cleaned and builds in cleaned
    assert _tree(previous) == before  # the previous set back, whole
    assert _siblings(previous) == [".itp-stats"]
    assert list((root / ".itp-stats" / "builds").iterdir()) == []


def test_a_target_outside_the_output_folder_is_refused(tmp_path, previous):
    staged = stage(previous, carry_over=False)
    pairs = _built(tmp_path, tmp_path / "elsewhere", {"a.html": "a"})
    with pytest.raises(OutputError, match="not inside the output folder"):
        stage_files(pairs, staged, previous)
    assert not staged.exists()


HOLD_LOCK = """
import sys, time
from pathlib import Path
from itp_stats.render.outputs import render_lock
with render_lock(Path(sys.argv[1]), Path(sys.argv[1]) / "_output"):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_second_render_is_refused_while_one_holds_the_lock(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLD_LOCK), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RenderLockedError) as err:
            with render_lock(tmp_path, tmp_path / "_output"):
                pytest.fail("two renders held the lock")
        message = str(err.value)
        assert f"another render of {tmp_path} is running (pid {holder.pid} since " in message
        assert "nothing was changed" in message and "\n" not in message
        assert err.value.exit_status == 1
    finally:
        holder.kill()
        holder.wait()
    with render_lock(tmp_path, tmp_path / "_output"):  # released when its holder died
        pass


def test_an_output_folder_outside_the_project_is_locked_too(tmp_path):
    elsewhere = tmp_path / "shared" / "out"
    with render_lock(tmp_path / "project", elsewhere):
        assert (tmp_path / "shared" / ".out.lock").is_file()
        with pytest.raises(RenderLockedError):
            with render_lock(tmp_path / "other-project", elsewhere):
                pass


def test_kill_point_kills_only_at_its_name(tmp_path):
    code = "from itp_stats.render.outputs import kill_point; kill_point('a'); print('alive')"
    env = {**os.environ, KILL_ENV: "b"}
    alive = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert alive.stdout.strip() == "alive"
    env[KILL_ENV] = "a"
    killed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert killed.returncode == -9 and killed.stdout == ""


def test_stale_temporary_files_of_the_run_state_are_removed(tmp_path):
    state = tmp_path / ".itp-stats"
    state.mkdir()
    stale = [state / ".gate.json.k3j2h1.tmp", state / ".study-abc.tmp"]
    fresh = state / ".gate.json.zz9.tmp"  # a write under way
    kept = [state / "gate.json", state / "study-0123.pkl", fresh]
    for path in [*stale, *kept]:
        path.write_text("x")
    for path in stale:
        os.utime(path, (0, 0))
    assert sorted(clean_leftovers(tmp_path, None)) == sorted(stale)
    assert sorted(state.iterdir()) == sorted(kept)


@pytest.fixture
def mounted_output(tmp_path):
    """An output folder that is a mount point (a tmpfs), holding one previous file."""
    import subprocess

    out = tmp_path / "project" / "_output"
    out.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "itp-stats-test", str(out)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs privileges this machine does not give")
    (out / "index.html").write_text("previous")
    yield out
    subprocess.run(["umount", str(out)], check=False)


def test_a_mount_point_output_folder_is_refused_with_what_to_do(tmp_path, mounted_output):
    out = mounted_output
    with pytest.raises(OutputError) as err:
        check_output_folder(out)
    message = str(err.value)
    assert f"the output folder {out} is a mount point, which cannot be replaced" in message
    assert f"--output-dir {out / 'itp-stats'}" in message and "\n" not in message
    # publish says the same when it meets one (EBUSY), and leaves the previous set whole
    staged = stage(out, carry_over=False)
    stage_files(_built(tmp_path, out, {"index.html": "new"}), staged, out)
    with pytest.raises(OutputError, match="is a mount point, which cannot be replaced"):
        publish(staged, out)
    assert _tree(out) == {"index.html": "previous"}
    assert not staged.exists()
    check_output_folder(out / "inside")  # a folder inside it is fine (does not exist yet)


def test_render_into_a_mount_point_is_one_line(tmp_path, mounted_output):
    from render_support import copy_report_project, run_cli

    root = tmp_path / "project"
    for name in ("_quarto.yml", "report", "data"):
        assert not (root / name).exists()
    copy_report_project(tmp_path / "copy")
    for path in (tmp_path / "copy").iterdir():
        path.rename(root / path.name)
    status, text = run_cli("render", "--engine", "builtin", root=root)
    assert status == 1 and "Traceback" not in text, text
    assert "is a mount point, which cannot be replaced" in text
    assert "Device or resource busy" not in text
    assert _tree(mounted_output) == {"index.html": "previous"}
