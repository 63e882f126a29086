"""Files written for users get the mode of a plain file write (itp_stats.files)."""

from __future__ import annotations

import os
import stat
import tempfile

import pytest

from itp_stats.files import new_file_mode, normal_mode


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_mode_follows_the_umask(umask_027, tmp_path):
    assert new_file_mode() == 0o640
    fd, tmp = tempfile.mkstemp(dir=tmp_path)
    os.close(fd)
    assert stat.S_IMODE(os.stat(tmp).st_mode) == 0o600  # what mkstemp gives
    normal_mode(tmp)
    plain = tmp_path / "plain"
    plain.write_text("x")  # what open() gives under the same umask
    assert stat.S_IMODE(os.stat(tmp).st_mode) == stat.S_IMODE(plain.stat().st_mode) == 0o640


def test_a_synthetic_cohort_and_the_stored_suite_are_readable_by_others(tmp_path):
    from itp_stats.cohort.design import load_data_model
    from itp_stats.cohort.synth import synthesize, write_cohort
    from itp_stats.gate.suite import write_project

    old = os.umask(0o022)
    try:
        cohort = write_cohort(synthesize(20, 1), tmp_path / "c.csv", seed=1)
        written = write_project(tmp_path / "validation", load_data_model(None))
    finally:
        os.umask(old)
    for path in [cohort, *written]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_a_failed_write_leaves_the_file_and_no_temporary(tmp_path):
    from itp_stats.files import replaced_atomically

    target = tmp_path / "c.csv"
    target.write_text("before")
    with pytest.raises(RuntimeError), replaced_atomically(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "before" and sorted(tmp_path.iterdir()) == [target]
    with replaced_atomically(target, suffix=".tmp.csv") as tmp:
        assert tmp.name.startswith(".c.csv.") and tmp.name.endswith(".tmp.csv")
        tmp.write_text("after")
    assert target.read_text() == "after" and sorted(tmp_path.iterdir()) == [target]


def test_explain_names_the_file_in_the_way(tmp_path):
    import errno

    from itp_stats.files import explain_os_error, write_failure

    (tmp_path / "state").write_text("x")
    target = tmp_path / "state" / "gate.json"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        error = exc
    assert f"{tmp_path / 'state'} is a file, not a folder" in explain_os_error(error, target)
    denied = PermissionError(errno.EACCES, "Permission denied", str(target))
    assert explain_os_error(denied) == f"{target.parent} is not writable (Permission denied)"
    full = OSError(errno.ENOSPC, "No space left on device", str(target))
    assert explain_os_error(full) == (
        f"{target.parent}: No space left on device (the disk or the quota is full)"
    )
    assert explain_os_error(OSError(errno.ENOSPC, "No space left on device")) == (
        "No space left on device"
    )
    busy = OSError(errno.EBUSY, "Device or resource busy", str(tmp_path))
    assert "mount point" in explain_os_error(busy)
    message = str(write_failure(full, target, "the gate result", "stop"))
    assert message.startswith(f"cannot write the gate result {target}: {target.parent}: No space")
    assert message.endswith("; stop")
