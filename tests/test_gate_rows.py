"""gate.rows: the kept rows read as the step builder reads a frame."""

from itp_stats.gate.rows import KeptRows


def test_kept_rows_read_like_a_frame():
    rows = KeptRows(["a", "b"], lambda c: {"a": ["x", "y"], "b": []}[c])
    rows.values["a"][1_000_000] = "x"
    assert "a" in rows and "c" not in rows
    assert rows["a"].iloc[1_000_000] == "x"
    assert rows["a"].iloc[5] is None  # a row not kept
    assert rows["a"].dropna().unique() == ["x", "y"]
    assert rows["b"].dropna().unique() == []
    assert rows.columns == ("a", "b")
