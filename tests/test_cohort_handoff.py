"""The gate hands the bytes it validated to the render's documents: the cohort file is read
and hashed once per render, and a record that does not verify is never trusted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from itp_stats.cli import main
from itp_stats.cohort.handoff import RECORD, SNAPSHOTS, hand_over, take_over, withdraw
from itp_stats.cohort.source import Source
from itp_stats.cohort.synth import sidecar_path, synthesize, write_cohort
from itp_stats.errors import CohortReadError
from itp_stats.files import file_identity
from itp_stats.study.prepare import prepare_study

ROOT = Path(__file__).resolve().parents[1]

# --- counting the opens of a file, in this process and in every child process ------------

_OPENED: list[str] = []


def _count_opens(event: str, args: tuple) -> None:
    if event == "open" and args and isinstance(args[0], (str, os.PathLike)):
        _OPENED.append(os.path.realpath(os.fspath(args[0])))


sys.addaudithook(_count_opens)  # an audit hook cannot be removed: it only appends paths


def _opens(path: Path, since: int) -> int:
    return _OPENED[since:].count(os.path.realpath(path))


def _audited(tmp_path: Path, watched: list[Path]) -> tuple[dict[str, str], Path]:
    """An environment whose Python processes (and their kernels) log their opens of
    ``watched`` to the returned file, through the ``sitecustomize`` audit hook of
    ``tests/audit``."""
    from conftest import AUDIT

    log = tmp_path / "opens.log"
    log.touch()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(AUDIT), os.environ.get("PYTHONPATH")])),
        "AUDIT_WATCH": os.pathsep.join(os.path.realpath(p) for p in watched),
        "AUDIT_LOG": str(log),
    }
    return env, log


def _logged(log: Path) -> list[tuple[str, str, str]]:
    return [tuple(line.split("\t")) for line in log.read_text().splitlines()]


# --- the hand-over itself -----------------------------------------------------------------


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with a synthetic cohort (and its provenance sidecar) in it."""
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    monkeypatch.delenv("ITP_STATS_DATA", raising=False)
    path = write_cohort(synthesize(60, 3), tmp_path / "cohort.csv", seed=3)
    return tmp_path, path


def test_handed_over_bytes_are_the_ones_read_and_the_file_is_not_opened(project):
    root, path = project
    source = Source.open(path)
    assert hand_over(source)
    # the copy of the cohort and the record are readable by their owner only
    for written in (root / ".itp-stats" / RECORD, *(root / ".itp-stats" / SNAPSHOTS).iterdir()):
        assert written.stat().st_mode & 0o077 == 0, written
    since = len(_OPENED)
    taken = take_over(path)
    assert taken is not None
    assert (taken.sha256, taken.size, taken.encoding, taken.separator) == (
        source.sha256, source.size, source.encoding, source.separator,
    )  # fmt: skip
    assert taken.sidecar == source.sidecar and taken.synthetic_mark == source.synthetic_mark
    assert taken.load().equals(source.load())
    assert taken.data() == source.data()
    assert taken.reads == 0
    assert _opens(path, since) == 0 and _opens(sidecar_path(path), since) == 0
    # the chunks the in-process gate would read are the cells of the whole file
    chunks, _ = taken.read_chunks(rows=7)
    import pandas as pd

    assert pd.concat(list(chunks), ignore_index=True).equals(source.read_table()[0])


@pytest.mark.parametrize(
    "change",
    ["same bytes written again", "another file renamed over it", "sidecar removed",
     "sidecar written again"],
)  # fmt: skip
def test_a_file_changed_since_the_gate_is_opened_again(project, change):
    root, path = project
    assert hand_over(Source.open(path))
    blob = path.read_bytes()
    if change == "same bytes written again":
        path.write_bytes(blob)  # even the same bytes: the file was written since
    elif change == "another file renamed over it":
        other = root / "other.csv"
        other.write_bytes(blob)
        os.replace(other, path)
    elif change == "sidecar removed":
        sidecar_path(path).unlink()
    else:
        sidecar_path(path).write_bytes(sidecar_path(path).read_bytes())
    assert take_over(path) is None
    since = len(_OPENED)
    opened = Source.open(path, handed_over=True)  # the caller reads the file itself
    assert opened.reads == 1 and _opens(path, since) == 1


def test_another_file_is_not_given_the_handed_over_bytes(project):
    root, path = project
    assert hand_over(Source.open(path))
    other = write_cohort(synthesize(60, 4), root / "other.csv", seed=4)
    assert take_over(other) is None
    assert Source.open(other, handed_over=True).sha256 != Source.open(path).sha256


def _record(root: Path) -> dict:
    return json.loads((root / ".itp-stats" / RECORD).read_text())


def test_a_record_that_does_not_verify_is_not_trusted(project):
    root, path = project
    assert hand_over(Source.open(path))
    sealed = _record(root)
    # a digest edited in the record (the seal no longer holds)
    forged = json.loads(json.dumps(sealed))
    forged["record"]["sha256"] = "0" * 64
    (root / ".itp-stats" / RECORD).write_text(json.dumps(forged))
    assert take_over(path) is None
    # the record restored: trusted again; then the state folder's secret replaced
    (root / ".itp-stats" / RECORD).write_text(json.dumps(sealed))
    assert take_over(path) is not None
    (root / ".itp-stats" / "cache.key").write_bytes(os.urandom(32))
    assert take_over(path) is None
    (root / ".itp-stats" / "cache.key").unlink()
    assert take_over(path) is None
    (root / ".itp-stats" / RECORD).write_text("{not json")
    assert take_over(path) is None


def test_a_copy_written_since_the_gate_is_not_served(project):
    root, path = project
    assert hand_over(Source.open(path))
    copy = next((root / ".itp-stats" / SNAPSHOTS).iterdir())
    blob = copy.read_bytes()
    copy.write_bytes(blob.replace(b"F", b"M", 1))  # as many bytes, one changed
    assert take_over(path) is None
    # written again between the check and the read: the read refuses it
    assert hand_over(Source.open(path))
    taken = take_over(path)
    assert taken is not None
    copy.write_bytes(blob)
    with pytest.raises(CohortReadError, match="validated copy changed since the gate"):
        taken.data()


def test_a_second_gate_on_the_same_file_writes_nothing_again(project):
    """A re-render of unchanged data: the record and the copy an earlier gate left still
    verify, and are kept as they are (not a copy of the cohort per render)."""
    root, path = project
    assert hand_over(Source.open(path))
    written = [root / ".itp-stats" / RECORD, *(root / ".itp-stats" / SNAPSHOTS).iterdir()]
    before = [file_identity(f) for f in written]
    assert hand_over(Source.open(path))
    assert [file_identity(f) for f in written] == before
    path.write_bytes(path.read_bytes())  # the file written since: handed over anew
    assert hand_over(Source.open(path))
    assert file_identity(written[0]) != before[0]
    assert take_over(path) is not None


def test_withdraw_leaves_nothing_to_take(project):
    root, path = project
    assert hand_over(Source.open(path))
    withdraw()
    assert not (root / ".itp-stats" / RECORD).exists()
    assert list((root / ".itp-stats" / SNAPSHOTS).iterdir()) == []
    assert take_over(path) is None


# --- the gate hands over what passed, and withdraws what did not --------------------------


def test_the_gate_hands_over_a_pass_and_withdraws_on_a_failure(project, monkeypatch, capsys):
    from gate_cases import cells, write

    root, path = project
    monkeypatch.setenv("ITP_STATS_DATA", str(path))
    assert main(["gate"]) == 0
    assert _record(root)["record"]["sha256"] == Source.open(path).sha256
    assert take_over(path) is not None
    bad = write(cells().drop(columns=["sex"]), root / "bad.csv")
    monkeypatch.setenv("ITP_STATS_DATA", str(bad))
    assert main(["gate"]) == 1
    assert not (root / ".itp-stats" / RECORD).exists() and take_over(path) is None
    monkeypatch.setenv("ITP_STATS_DATA", str(path))
    assert main(["gate"]) == 0  # its stored result reused: handed over all the same
    assert take_over(path) is not None
    empty = root / "empty.csv"
    empty.write_text("")
    monkeypatch.setenv("ITP_STATS_DATA", str(empty))
    assert main(["gate"]) == 2
    assert take_over(path) is None
    capsys.readouterr()


def test_a_file_overwritten_after_the_gate_is_reported_as_it_is_now(project, monkeypatch):
    """Gate on A, then A overwritten by C before the documents run: the documents open C
    themselves, validate it (in-process) and report C — its numbers, digest and provenance
    (C is not synthetic: no notice) — never A's numbers under C's notice or the reverse."""
    from gate_cases import cells, write

    root, path = project
    monkeypatch.setenv("ITP_STATS_DATA", str(path))
    assert main(["gate"]) == 0
    a = prepare_study(n_boot=20)
    assert a.synthetic
    plain = write(cells().iloc[::-1], root / "plain.csv")  # the shipped rows, other bytes
    shutil.copyfile(plain, path)
    sidecar_path(path).unlink()  # C comes without its provenance sidecar
    c = prepare_study(n_boot=20)
    assert c.sha256 == Source.open(plain).sha256 != a.sha256
    assert c.gate.data_sha256 == c.sha256
    assert len(c.cohort) == 72 and len(a.cohort) == 60
    assert c.synthetic_source == "the rows of the shipped synthetic cohort (data/cohort.csv)"


# --- a render reads the cohort once --------------------------------------------------------


def test_the_gate_and_two_documents_read_the_cohort_once(project, tmp_path):
    """The render's processes, as both engines run them: the gate, then one process per
    document (the report's setup cell, prepare_study). The audit hook sees every open."""
    root, path = project
    watched = [path, sidecar_path(path), ROOT / "data" / "study.yaml"]
    env, log = _audited(tmp_path, watched)
    env.update({"ITP_STATS_ROOT": str(root), "ITP_STATS_DATA": str(path)})
    gate = [sys.executable, "-m", "itp_stats", "gate"]
    assert subprocess.run(gate, env=env, capture_output=True, timeout=300).returncode == 0
    document = "from itp_stats.study.prepare import prepare_study; prepare_study(n_boot=20)"
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", document], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
    opens = _logged(log)
    cohort = [o for o in opens if o[1] == os.path.realpath(path)]
    assert len(cohort) == 1 and "gate" in cohort[0][2]
    # the hook works in the documents' processes: they open the study configuration
    assert len({o[0] for o in opens if o[1].endswith("study.yaml")}) >= 2
    assert len([o for o in opens if o[1] == os.path.realpath(sidecar_path(path))]) == 1


def test_a_whole_render_reads_and_hashes_the_cohort_once(shipped_render):
    """``itp-stats render`` of the report's project (the session's render, whose processes
    log their opens): the gate step opens the cohort file once; the two documents' kernels
    take its validated bytes and never open it."""
    project = shipped_render.project
    cohort = project / "data" / "cohort.csv"
    opens = _logged(shipped_render.opens)
    reads = [o for o in opens if o[1] == os.path.realpath(cohort)]
    assert len(reads) == 1 and "gate" in reads[0][2], opens
    # the hook ran in both documents' kernels too (they open the study configuration)
    assert len({o[0] for o in opens if "ipykernel" in o[2]}) == 2, opens
    html = (project / "_output" / "report" / "index.html").read_text(encoding="utf-8")
    assert Source.open(cohort).sha256 in html  # the Reproducibility table: the bytes read
