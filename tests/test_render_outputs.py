"""Installing outputs: atomic replacement, nothing left behind."""

from __future__ import annotations

import os

import pytest

from itp_stats.render import outputs
from itp_stats.render.outputs import install_file, install_files


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
