"""Result tables as CSV/XLSX, protected against formula injection."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from itp_stats.cli import main
from itp_stats.errors import ItpStatsError
from itp_stats.report.export import neutralize_formulas, publish_tables, write_tables


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
