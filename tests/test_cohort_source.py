"""One cohort source, read once (itp_stats.cohort.source)."""

from __future__ import annotations

import builtins
import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest

import itp_stats.cohort.source as source_module
from itp_stats.cohort.load import read_table
from itp_stats.cohort.source import Source, resolve_data
from itp_stats.errors import CohortReadError


def _cohort(folder: Path, cohort_path: Path, drop: int = 3) -> Path:
    """The shipped cohort less its last ``drop`` rows: bytes of its own (the shipped file,
    hashed to tell whether the data are synthetic, then never has the same digest)."""
    lines = cohort_path.read_text(encoding="utf-8").splitlines(keepends=True)
    path = folder / "cohort.csv"
    path.write_text("".join(lines[: len(lines) - drop]), encoding="utf-8")
    return path


class _Reads:
    """Counts the opens of one file and the SHA-256 digests of its bytes, made anywhere."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
        self.path, self.sha = path.resolve(), hashlib.sha256(path.read_bytes()).hexdigest()
        self.opens = 0
        self.digests = 0
        real_open, real_sha256 = io.open, hashlib.sha256
        reads = self

        def counting_open(file, *args, **kwargs):
            if isinstance(file, str | Path) and Path(file).resolve() == reads.path:
                reads.opens += 1
            return real_open(file, *args, **kwargs)

        class CountingHash:
            def __init__(self, inner):
                self._inner = inner

            def __getattr__(self, name):
                return getattr(self._inner, name)

            def copy(self):
                return CountingHash(self._inner.copy())

            def hexdigest(self):
                text = self._inner.hexdigest()
                reads.digests += text == reads.sha
                return text

            def digest(self):
                raw = self._inner.digest()
                reads.digests += raw.hex() == reads.sha
                return raw

        def counting_sha256(*args, **kwargs):
            return CountingHash(real_sha256(*args, **kwargs))

        monkeypatch.setattr(io, "open", counting_open)
        monkeypatch.setattr(builtins, "open", counting_open)
        monkeypatch.setattr(hashlib, "sha256", counting_sha256)


def test_a_source_knows_its_file(tmp_path, cohort_path):
    path = tmp_path / "semicolons.csv"
    path.write_bytes("patient_id;age_years\nP1;40,5\n".encode("cp1252"))
    source = Source.open(path)
    assert (source.kind, source.path, source.label) == ("file", path, "semicolons.csv")
    assert (source.encoding, source.separator, source.size) == ("utf-8", ";", path.stat().st_size)
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.describe() == () and source.synthetic_mark == ""
    assert Source.open(source) is source
    frame, decimal_comma = source.read_table()
    expected, _ = read_table(path)
    pd.testing.assert_frame_equal(frame, expected)
    assert decimal_comma and source.reads == 1
    assert source.has_bytes_of(path) and not source.has_bytes_of(cohort_path)


def test_a_relative_name_is_resolved_against_the_project_or_the_given_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    monkeypatch.delenv("ITP_STATS_DATA", raising=False)
    assert resolve_data("data/x.csv") == tmp_path / "data" / "x.csv"
    assert resolve_data("x.csv", root=tmp_path / "here") == tmp_path / "here" / "x.csv"
    monkeypatch.setenv("ITP_STATS_DATA", str(tmp_path / "env.csv"))
    assert resolve_data() == tmp_path / "env.csv"


def test_missing_folder_and_empty_files_are_named(tmp_path):
    with pytest.raises(CohortReadError, match=r"nope\.csv: no such file"):
        Source.open(tmp_path / "nope.csv")
    with pytest.raises(CohortReadError, match="is a folder"):
        Source.open(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CohortReadError, match="empty"):
        Source.open(empty).read_table()


def test_a_file_held_in_memory_is_read_once_whatever_is_asked(tmp_path, monkeypatch, cohort_path):
    path = _cohort(tmp_path, cohort_path)
    reads = _Reads(monkeypatch, path)
    source = Source.open(path)
    whole = source.load()
    chunks, _ = source.read_chunks(rows=10)
    assert sum(len(c) for c in chunks) == len(whole) == 69
    assert len(source.read_cohort().data) == 69
    assert (reads.opens, reads.digests, source.reads) == (1, 1, 1)


def test_a_large_file_is_read_again_checked_and_refused_once_changed(
    tmp_path, monkeypatch, cohort_path
):
    monkeypatch.setattr(source_module, "KEEP_BYTES", 0)  # too large to hold
    path = _cohort(tmp_path, cohort_path)
    source = Source.open(path)
    chunks, _ = source.read_chunks(rows=10)
    assert sum(len(c) for c in chunks) == 69 and source.reads == 2
    assert len(source.load()) == 69 and source.reads == 3
    _cohort(tmp_path, cohort_path, drop=5)  # rewritten after it was opened
    with pytest.raises(CohortReadError, match="the file changed while it was read"):
        source.load()
    with pytest.raises(CohortReadError, match="the file changed while it was read"):
        list(source.read_chunks(rows=10)[0])


def test_the_mark_and_the_shipped_bytes_come_from_the_bytes_read(tmp_path, cohort_path):
    from itp_stats.cohort.synth import synthesize, write_cohort

    path = write_cohort(synthesize(12, 3), tmp_path / "synth.csv", seed=3)
    source = Source.open(path)
    assert source.synthetic_mark.startswith("synthetic cohort made by itp-stats synth")
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert source.synthetic_mark  # still of the bytes read, not of the file now
    assert Source.open(path).synthetic_mark == ""  # the sidecar's digest is not of these
    assert Source.open(cohort_path).has_bytes_of(cohort_path)


def test_prepare_study_reads_and_hashes_the_cohort_once_gate_included(
    tmp_path, monkeypatch, cohort_path
):
    from itp_stats.study.prepare import prepare_study

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))  # no stored result: the gate runs
    path = _cohort(tmp_path, cohort_path)
    reads = _Reads(monkeypatch, path)
    study = prepare_study(str(path), n_boot=20)
    assert len(study.cohort) == 69 == study.gate.n_rows
    assert study.sha256 == study.gate.data_sha256 == reads.sha
    assert (reads.opens, reads.digests) == (1, 1)


def test_a_render_setup_reads_and_hashes_the_cohort_once(tmp_path, monkeypatch, cohort_path):
    from itp_stats.report import setup

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    path = _cohort(tmp_path, cohort_path)
    reads = _Reads(monkeypatch, path)
    study = setup(str(path), n_boot=20)
    assert len(study.analysed) > 0 and (tmp_path / ".itp-stats" / "tables").is_dir()
    assert (reads.opens, reads.digests) == (1, 1)


def test_the_pre_render_gate_reads_and_hashes_the_cohort_once(tmp_path, monkeypatch, cohort_path):
    from itp_stats.cli import main

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    path = _cohort(tmp_path, cohort_path)
    reads = _Reads(monkeypatch, path)
    assert main(["gate", "--data", str(path)]) == 0
    assert (reads.opens, reads.digests) == (1, 1)
    assert main(["gate", "--data", str(path)]) == 0  # the stored result: read and hashed once
    assert (reads.opens, reads.digests) == (2, 2)
