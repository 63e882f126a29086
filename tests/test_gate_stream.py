"""The gate chunk by chunk (gate.batch.stream_batch, gate.run.validate_stream) against the
gate on the whole file: the same step table, row for row, on every bad-input case.

The streaming CSV reader is made to cut the file into blocks of a few rows
(``cohort.scan._BLOCK_BYTES``) and the gate into chunks of 9 rows, so that every rule sees
rows of several chunks, failing rows fall in different chunks, and duplicate ids sit in two
(the bad-input cases in chunks of 25 rows: each chunk costs Great Expectations about half a
second).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from gate_cases import BAD_INPUT, cells, corruptions, set_cell, write

import itp_stats.cohort.load as load
import itp_stats.cohort.scan as scan_module
from itp_stats.cohort.dialect import encoding_of
from itp_stats.errors import CohortReadError
from itp_stats.gate.batch import read_batch, stream_batch
from itp_stats.gate.run import validate_batch, validate_path, validate_stream

_ROWS = 9
_CASE_ROWS = 25


@pytest.fixture
def small_blocks(monkeypatch):
    """CSV blocks of about three rows (each row of the shipped cohort is ~330 bytes)."""
    monkeypatch.setattr(scan_module, "_BLOCK_BYTES", 1000)


def _same(streamed, whole) -> None:
    assert streamed.steps == whole.steps
    assert streamed.warnings == whole.warnings
    assert streamed.passed == whole.passed
    assert (streamed.n_rows, streamed.n_columns) == (whole.n_rows, whole.n_columns)
    assert streamed.data_sha256 == whole.data_sha256


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_every_bad_input_case_gives_the_whole_file_result(tmp_path, small_blocks, case):
    make, _, details = BAD_INPUT[case]
    frame = make(cells())
    path = write(frame, tmp_path / "cohort.csv")
    whole = validate_batch(read_batch(path))
    streamed = validate_stream(stream_batch(path, rows=_CASE_ROWS))
    _same(streamed, whole)
    for rule, text in details.items():
        assert text in {s["rule_id"]: s for s in streamed.steps}[rule]["detail"], rule
    assert streamed.passed == (case == "warnings")


def test_failures_in_many_chunks_are_counted_and_listed_in_file_order(tmp_path, small_blocks):
    frame = cells()
    bad = ["P002", "P019", "P033", "P047", "P060", "P071"]
    for pid in bad:
        frame = set_cell(frame, pid, "cd4_m0", "99999")
    frame = set_cell(frame, "P070", "patient_id", "P003")  # a duplicate id 67 rows apart
    path = write(frame, tmp_path / "cohort.csv")
    whole = validate_batch(read_batch(path))
    streamed = validate_stream(stream_batch(path, rows=_ROWS))
    _same(streamed, whole)
    steps = {s["rule_id"]: s for s in streamed.steps}
    assert steps["cd4_m0.range"]["n_failed"] == 6
    assert steps["cd4_m0.range"]["failing_ids"] == bad
    assert steps["patient_id.unique"]["failing_ids"] == ["P003"]
    assert "P003 (row 4); P003 (row 71)" in steps["patient_id.unique"]["detail"]


def test_random_corruption_gives_the_whole_file_result(tmp_path, small_blocks):
    for k, frame in enumerate(corruptions(20261202, 3, 6)):
        path = write(frame, tmp_path / f"random_{k}.csv")
        try:
            whole = validate_batch(read_batch(path))
        except CohortReadError as exc:
            with pytest.raises(CohortReadError) as info:
                validate_stream(stream_batch(path, rows=_ROWS))
            assert str(info.value) == str(exc)
            continue
        _same(validate_stream(stream_batch(path, rows=_ROWS)), whole)


def test_semicolon_file_with_decimal_commas_and_a_sep_line(tmp_path, small_blocks):
    frame = set_cell(cells(), "P040", "cd4_m0", "99999")
    path = tmp_path / "cohort.csv"
    text = frame.to_csv(sep=";", index=False, lineterminator="\r\n").replace(".", ",")
    path.write_bytes(("sep=;\r\n" + text).encode("cp1252"))
    whole = validate_batch(read_batch(path))
    streamed = validate_stream(stream_batch(path, rows=_ROWS))
    _same(streamed, whole)
    assert {s["rule_id"]: s for s in streamed.steps}["cd4_m0.range"]["failing_ids"] == ["P040"]


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_excel_and_parquet_files_are_validated_in_slices(tmp_path, suffix):
    frame = set_cell(cells(), "P050", "cd19_m0", "-3")
    path = tmp_path / f"cohort{suffix}"
    if suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path)
    whole = validate_batch(read_batch(path))
    streamed = validate_stream(stream_batch(path, rows=10))
    _same(streamed, whole)
    assert not streamed.passed


def test_a_short_row_after_the_first_blocks_is_read_as_the_whole_file_reads_it(
    tmp_path, small_blocks
):
    # pyarrow stops at a row with fewer fields than the header; the rest is read by the
    # pandas parser (which fills the row with empty cells), as read_table reads such a file
    text = write(cells(), tmp_path / "full.csv").read_text().splitlines()
    text[60] = ",".join(text[60].split(",")[:5])
    path = tmp_path / "cohort.csv"
    path.write_text("\n".join(text) + "\n")
    whole = validate_batch(read_batch(path))
    streamed = validate_stream(stream_batch(path, rows=_ROWS))
    _same(streamed, whole)
    assert not streamed.passed


def test_a_long_row_far_into_the_file_is_named(tmp_path, small_blocks):
    text = write(cells(), tmp_path / "full.csv").read_text().splitlines()
    text[65] += ",extra"
    path = tmp_path / "cohort.csv"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(CohortReadError) as whole:
        read_batch(path)
    with pytest.raises(CohortReadError) as streamed:
        validate_stream(stream_batch(path, rows=_ROWS))
    assert str(streamed.value) == str(whole.value)
    assert "line 66" in str(streamed.value)


def test_header_only_file(tmp_path):
    path = write(cells().iloc[:0], tmp_path / "cohort.csv")
    _same(validate_stream(stream_batch(path)), validate_batch(read_batch(path)))


def test_validate_path_streams_a_file(tmp_path, monkeypatch, cohort_path):
    import itp_stats.gate.run as run

    def whole(*args, **kwargs):
        raise AssertionError("the whole file was read")

    monkeypatch.setattr(run, "read_batch", whole)
    assert validate_path(cohort_path).passed


def test_a_stream_is_read_once(cohort_path):
    stream = stream_batch(cohort_path)
    assert sum(len(c.frame) for c in stream) == 72
    assert stream._source is None
    with pytest.raises(RuntimeError, match="read once"):
        list(stream)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(CohortReadError, match="no such file"):
        stream_batch(tmp_path / "nope.csv")
    with pytest.raises(CohortReadError, match="is a folder"):
        stream_batch(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CohortReadError, match="empty"):
        list(stream_batch(empty))


def test_chunks_together_are_the_whole_frame(tmp_path, small_blocks, cohort_path):
    batch = read_batch(cohort_path)
    stream = stream_batch(cohort_path, rows=_ROWS)
    chunks = list(stream)
    assert len(chunks) > 3 and [c.start for c in chunks] == sorted(c.start for c in chunks)
    assert [c.last for c in chunks] == [False] * (len(chunks) - 1) + [True]
    got = pd.concat([c.frame for c in chunks], ignore_index=True)
    for name in batch.frame.columns:
        left, right = got[name], batch.frame[name]
        assert left.astype(object).where(left.notna(), None).tolist() == (
            right.astype(object).where(right.notna(), None).tolist()
        ), name
    assert list(stream.labels) == list(batch.labels)
    assert stream.file_columns == batch.file_columns


def test_a_file_too_large_to_hold_changed_after_its_scan_is_refused(
    tmp_path, monkeypatch, small_blocks
):
    import itp_stats.cohort.source as source_module

    monkeypatch.setattr(source_module, "KEEP_BYTES", 0)  # streamed again from the disk
    path = write(cells(), tmp_path / "cohort.csv")
    stream = stream_batch(path, rows=_ROWS)
    write(set_cell(cells(), "P070", "cd4_m0", "99999"), path)  # written after the scan
    with pytest.raises(CohortReadError, match="changed while it was read"):
        validate_stream(stream)


def test_a_file_held_is_validated_as_scanned_whatever_is_written_after(tmp_path, small_blocks):
    path = write(cells(), tmp_path / "cohort.csv")
    scanned = hashlib.sha256(path.read_bytes()).hexdigest()
    stream = stream_batch(path, rows=_ROWS)
    write(set_cell(cells(), "P070", "cd4_m0", "99999"), path)  # written after the scan
    result = validate_stream(stream)
    assert result.passed and result.data_sha256 == scanned


@pytest.mark.parametrize("piece", [7, 64, 1 << 20])
def test_scan_decides_the_encoding_and_layout_as_the_whole_read(tmp_path, monkeypatch, piece):
    # pieces of a few bytes: a multi-byte character, a separator and its spaces, and the
    # byte-order mark fall across the pieces' edges
    monkeypatch.setattr(scan_module, "_CHUNK", piece)
    frame = cells().iloc[:12].copy()
    frame.loc[3, "sex"] = "F"
    text = frame.to_csv(index=False, lineterminator="\n")
    cases = {
        "utf8_bom.csv": b"\xef\xbb\xbf" + text.replace("P004", "P\u00e9004").encode(),
        "cp1252.csv": text.replace("P004", "P\u20ac004").encode("cp1252"),
        "latin1.csv": text.encode("latin-1").replace(b"P004", b"P\x81004"),
        "space_quote.csv": text.replace(",F,", ',  "F",').encode(),
        "semicolon.csv": ("sep=;\n" + text.replace(",", ";")).encode(),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        scan = load.scan_file(path)
        assert scan.sha256 == hashlib.sha256(data).hexdigest() and scan.size == len(data)
        if name == "space_quote.csv":
            assert scan.layout is None  # pyarrow and pandas read ', "F"' differently
        else:
            assert scan.layout is not None
            assert scan.layout.codec == encoding_of(data, path)[0], name
        whole, comma = load.read_table(path)
        chunks, chunked_comma = load.read_table_chunks(path, rows=5, scan=scan)
        assert chunked_comma == comma
        pd.testing.assert_frame_equal(pd.concat(list(chunks), ignore_index=True), whole)


def test_scan_refuses_what_read_table_refuses(tmp_path):
    for name, data in {
        "utf16.csv": "patient_id,age\nP1,40\n".encode("utf-16"),
        "binary.csv": b"\x00\x01\x02" * 100,
        "bad_bom.csv": b"\xef\xbb\xbfpatient_id\n\xff\xfe\n",
        "empty.csv": b"\n\n",
        "dup.csv": b"a,a\n1,2\n",
    }.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CohortReadError) as whole:
            load.read_table(path)
        with pytest.raises(CohortReadError) as scanned:
            load.scan_file(path)
        assert str(scanned.value) == str(whole.value), name
