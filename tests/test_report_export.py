"""Result tables as CSV/XLSX, protected against formula injection."""

from __future__ import annotations

import hashlib
import json

import openpyxl
import pandas as pd
import pytest

from itp_stats.cli import main
from itp_stats.errors import ItpStatsError
from itp_stats.report.export import (
    MANIFEST_FILE,
    neutralize_formulas,
    publish_tables,
    read_manifest,
    write_tables,
)


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variable": ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "NK cells"],
            "p_unc": [0.5, 0.01, -0.25, 1e-5, 0.2],
            "label": ["a", "\tb", "c", "d", "=1+1"],
        }
    )


def test_neutralize_formulas_prefixes_text_only(table):
    out = neutralize_formulas(table)
    assert out["variable"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "NK cells",
    ]
    assert out["label"].tolist()[1] == "'\tb"
    assert out["p_unc"].tolist() == [0.5, 0.01, -0.25, 1e-5, 0.2]  # numbers untouched
    assert table["variable"].iloc[0].startswith("=")  # input not modified


def test_written_csv_and_xlsx_hold_no_formula(tmp_path, table):
    paths = write_tables({"table2": table, "roc": table.head(2)}, tmp_path)
    assert [p.name for p in paths] == ["table2.csv", "roc.csv", "results.xlsx"]
    csv = pd.read_csv(tmp_path / "table2.csv")
    assert csv["variable"].iloc[3] == "'@SUM(A1)"
    assert csv["p_unc"].iloc[2] == -0.25
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    assert book.sheetnames == ["table2", "roc"]
    cells = [c for row in book["table2"].iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)  # no formula cell at all
    assert book["table2"]["A2"].value == '\'=HYPERLINK("http://x")'
    assert book["table2"]["B4"].value == -0.25
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_publish_tables_cli(tmp_path, monkeypatch, table, capsys):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    state = tmp_path / ".itp-stats"
    write_tables({"t": table}, state / "tables", source={"data_sha256": "abc"})
    (state / "gate.json").write_text(json.dumps({"data_sha256": "abc"}))
    out = tmp_path / "site"
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_DIR", str(out))
    assert main(["tables"]) == 0
    assert sorted(p.name for p in (out / "tables").iterdir()) == ["results.xlsx", "t.csv"]
    # tables computed from other data than the gate's are not published
    (state / "gate.json").write_text(json.dumps({"data_sha256": "other"}))
    assert main(["tables", "--output-dir", str(tmp_path / "site2")]) == 1
    assert "not computed from the data of this render" in capsys.readouterr().err
    assert not (tmp_path / "site2").exists()


def test_publish_without_tables_is_a_clear_error(tmp_path):
    with pytest.raises(ItpStatsError, match="no result tables"):
        publish_tables(tmp_path / "none", tmp_path / "out")


def _export(tmp_path, table, monkeypatch):
    """A project folder with one export of ``table`` and a gate result of the same data."""
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    state = tmp_path / ".itp-stats"
    write_tables({"t": table}, state / "tables", source={"data_sha256": "abc"})
    (state / "gate.json").write_text(json.dumps({"data_sha256": "abc"}))
    return state / "tables"


def test_manifest_lists_what_the_export_wrote_with_hashes(tmp_path, table):
    paths = write_tables({"t": table}, tmp_path, source={"data_sha256": "abc"})
    manifest = read_manifest(tmp_path)
    assert [f["name"] for f in manifest["files"]] == [p.name for p in paths]
    for entry, path in zip(manifest["files"], paths, strict=True):
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["bytes"] == path.stat().st_size
    assert manifest["source"] == {"data_sha256": "abc"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_FILE, "results.xlsx", "t.csv"]


def test_stale_temporary_files_are_never_published_and_are_removed(
    tmp_path, table, monkeypatch, capsys
):
    # what a render killed while writing the workbook left behind (earlier versions kept the
    # real suffix on temporary files), and one of the current naming
    tables = tmp_path / ".itp-stats" / "tables"
    tables.mkdir(parents=True)
    stale = [".results.cm7qt2t2.xlsx", ".t.csv.k3j2h1g0.tmp", ".t.ab12cd34.csv"]
    for name in stale:
        (tables / name).write_bytes(b"PK\x03\x04 half-written")
    out = tmp_path / "site"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / ".results.zz9yy8xx.xlsx").write_bytes(b"published by an old version")
    _export(tmp_path, table, monkeypatch)
    assert not any((tables / name).exists() for name in stale)  # removed by the export
    (tables / ".results.q1w2e3r4.xlsx").write_bytes(b"PK half")  # a stale one after it
    assert main(["tables", "--output-dir", str(out)]) == 0
    assert sorted(p.name for p in (out / "tables").iterdir()) == ["results.xlsx", "t.csv"]
    assert "wrote 2 files" in capsys.readouterr().out
    assert not (tables / ".results.q1w2e3r4.xlsx").exists()


def test_an_interrupted_export_publishes_nothing(tmp_path, table, monkeypatch, capsys):
    tables = _export(tmp_path, table, monkeypatch)
    out = tmp_path / "site"
    assert main(["tables", "--output-dir", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in (out / "tables").iterdir()}

    class Killed(BaseException):
        pass

    def killed(*args, **kwargs):
        raise Killed  # the render killed while the workbook is written

    monkeypatch.setattr(pd, "ExcelWriter", killed)
    with pytest.raises(Killed):
        write_tables({"t": table.head(1)}, tables, source={"data_sha256": "abc"})
    assert not (tables / MANIFEST_FILE).exists()
    assert not [p for p in tables.iterdir() if p.name.startswith(".")]
    assert main(["tables", "--output-dir", str(out)]) == 1
    err = capsys.readouterr().err
    assert "no result tables to publish" in err and "\n" not in err.strip()
    assert {p.name: p.read_bytes() for p in (out / "tables").iterdir()} == before


def test_a_table_changed_after_the_export_is_refused(tmp_path, table, monkeypatch, capsys):
    tables = _export(tmp_path, table, monkeypatch)
    (tables / "t.csv").write_text("variable\nedited by hand\n")
    assert main(["tables", "--output-dir", str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err.strip()
    assert "t.csv: differs from what the last export wrote" in err and "\n" not in err
    assert not (tmp_path / "site" / "tables" / "t.csv").exists()
    (tables / "t.csv").unlink()
    with pytest.raises(ItpStatsError, match=r"listed in manifest\.json but missing"):
        publish_tables(tables, tmp_path / "site")
    (tables / MANIFEST_FILE).write_text('{"files": [{"name": "../x.csv"}]}')
    with pytest.raises(ItpStatsError, match="not a valid manifest"):
        publish_tables(tables, tmp_path / "site")
    (tables / MANIFEST_FILE).write_text(
        json.dumps({"files": [{"name": "../x.csv", "sha256": "0", "bytes": 1}]})
    )
    with pytest.raises(ItpStatsError, match="not a result table name"):
        publish_tables(tables, tmp_path / "site")
