"""Result tables as CSV/XLSX, protected against formula injection."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import zipfile

import openpyxl
import pandas as pd
import pytest

from itp_stats import __version__
from itp_stats.cli import main
from itp_stats.errors import ItpStatsError
from itp_stats.report.export import (
    MANIFEST_FILE,
    README_FILE,
    TABLE_DESCRIPTIONS,
    neutralize_formulas,
    number_text,
    plain_text,
    publish_tables,
    read_manifest,
    write_tables,
)

PUBLISHED = ["README.txt", "results.xlsx", "t.csv"]  # what an export of one table "t" writes


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
    assert [p.name for p in paths] == ["table2.csv", "roc.csv", "README.txt", "results.xlsx"]
    csv = pd.read_csv(tmp_path / "table2.csv")
    assert csv["variable"].iloc[3] == "'@SUM(A1)"
    assert csv["p_unc"].iloc[2] == -0.25
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    assert book.sheetnames == ["README", "Table 2", "roc"]
    cells = [c for row in book["Table 2"].iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)  # no formula cell at all
    # the text itself, as a text cell with Excel's quote prefix (shown and edited as text);
    # the table starts on row 3, under its caption and a blank row
    assert book["Table 2"]["A4"].value == '=HYPERLINK("http://x")'
    assert book["Table 2"]["A4"].data_type == "s" and book["Table 2"]["A4"].quotePrefix
    assert book["Table 2"]["B6"].value == -0.25
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_publish_tables_cli(tmp_path, monkeypatch, table, capsys):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    state = tmp_path / ".itp-stats"
    write_tables({"t": table}, state / "tables", source={"data_sha256": "abc"})
    (state / "gate.json").write_text(json.dumps({"data_sha256": "abc"}))
    out = tmp_path / "site"
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_DIR", str(out))
    assert main(["tables"]) == 0
    assert sorted(p.name for p in (out / "tables").iterdir()) == PUBLISHED
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
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([MANIFEST_FILE, *PUBLISHED])


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
    assert sorted(p.name for p in (out / "tables").iterdir()) == PUBLISHED
    assert "wrote 3 files" in capsys.readouterr().out
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

    monkeypatch.setattr(openpyxl.Workbook, "save", killed)
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


# --- workbook: README sheet, sheet names, header, number formats, no formula ------------

HOSTILE = ["=cmd|' /C calc'!A0", "-inf", "+1", "@SUM(A1)", "#N/A", "-2+3"]

REPORT_ORDER = [  # the order result_tables gives them
    "table1",
    "table2",
    "table3",
    "markers_baseline",
    "markers_followup",
    "pairwise",
    "trend",
    "change_markers",
    "missing",
    "sensitivity",
    "dictionary",
    "validation",
]


def _formatted() -> pd.DataFrame:
    """A formatted report table: text cells, as the report prints them."""
    return pd.DataFrame(
        {"Characteristic": ["Age, median [IQR]"], "CR (n = 25)": ["62 [50–68]"], "p": ["0.30"]}
    )


def _tidy() -> pd.DataFrame:
    """Tidy results: counts, estimates, p-values, percentages, an infinity, a gap."""
    return pd.DataFrame(
        {
            "marker": ["nk", "cd3", "cd4"],
            "n": [65, 64, 3],
            "statistic": [455.0, 472.0, float("nan")],  # whole numbers with a gap
            "effect": [-0.09, 0.123456789, 1.5],
            "threshold": [float("-inf"), 21.0, float("inf")],
            "p_unc": [0.5511314020484667, 1e-5, float("nan")],
            "p_fdr": [0.84, 0.01, 1.0],
            "percent": [60.0, 40.0, 12.5],
            "analysed": [True, False, True],
        }
    )


def _xml(path) -> str:
    """Every worksheet's XML of a workbook, joined."""
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        return "".join(archive.read(n).decode("utf-8") for n in names)


def test_workbook_opens_on_a_readme_sheet(tmp_path):
    notice = pd.DataFrame({"notice": ["These results were computed from a SYNTHETIC cohort."]})
    tables = {"notice": notice, "table1": _formatted(), "results_prediction": _tidy()}
    readme = {
        "study": "Rituximab in ITP",
        "title": "Lymphocyte subsets and response",
        "data file": "cohort.csv",
        "data SHA-256": "ab" * 32,
        "synthetic data": "yes (made by itp-stats synth)",
        "parameters": {"alpha": 0.05, "adjust": "holm", "n_boot": 2000},
    }
    write_tables(
        tables,
        tmp_path,
        readme=readme,
        descriptions={"table1": "Baseline characteristics by response."},
    )
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    assert book.sheetnames == ["README", "Table 1", "Results prediction"]  # no notice sheet
    rows = [tuple(v for v in row if v is not None) for row in book["README"].values]
    assert rows[0] == ("Result tables: Lymphocyte subsets and response",)
    assert rows[1] == ("NOTICE", "These results were computed from a SYNTHETIC cohort.")
    items = {r[0]: r[1] for r in rows if len(r) == 2}
    assert items["data SHA-256"] == "ab" * 32
    assert items["synthetic data"] == "yes (made by itp-stats synth)"
    assert items["parameters: alpha"] == 0.05 and items["parameters: n_boot"] == 2000
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", items["date"])
    assert items["itp-stats version"] == __version__
    listing = {r[0]: r[1:] for r in rows if len(r) == 4}
    assert listing["Sheet"] == ("What it holds", "CSV file", "Rows")
    assert listing["Table 1"] == ("Baseline characteristics by response.", "table1.csv", 1)
    assert listing["Results prediction"][1:] == ("results_prediction.csv", 3)
    assert book.properties.title == "Lymphocyte subsets and response"
    assert (tmp_path / "notice.csv").is_file()  # the notice's CSV as before


def test_readme_defaults_to_the_source(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")  # 2025-12-01
    source = {"data": "/x/data/cohort.csv", "data_sha256": "cd" * 32, "alpha": 0.05}
    write_tables({"t": _formatted()}, tmp_path, source=source)
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    items = {r[0]: r[1] for r in book["README"].values if r[0] and r[1] is not None}
    assert items["data file"] == "cohort.csv"  # the name, not the path
    assert items["data SHA-256"] == "cd" * 32
    assert items["parameters: alpha"] == 0.05
    assert items["date"] == "2025-12-01"


def test_sheets_are_named_as_the_report_numbers_them(tmp_path):
    tables = {name: _formatted() for name in REPORT_ORDER}
    tables["results_sensitivity_responders_with_a_long_name"] = _tidy()
    tables["results_sensitivity_responders_with_a_longer_name"] = _tidy()
    tables["results_roc_curve"] = _tidy()
    tables["x"] = _formatted()
    write_tables(tables, tmp_path, sheet_names={"x": "My/own:sheet?"})
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    assert book.sheetnames[:13] == ["README", "Table 1", "Table 2", "Table 3"] + [
        f"Table S{i}" for i in range(1, 10)
    ]
    assert book["Table S6"]["A4"].value == "Age, median [IQR]"  # trend, listed 7th
    rest = book.sheetnames[13:]
    assert rest == [
        "Results sensitivity responders",
        "Results sensitivity respond (2)",
        "Results roc curve",
        "My_own_sheet_",
    ]
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert len({name.lower() for name in book.sheetnames}) == len(book.sheetnames)
    # the CSVs keep the table names
    assert (tmp_path / "markers_baseline.csv").is_file()
    assert (tmp_path / "results_roc_curve.csv").is_file()


def test_table_sheets_have_a_bold_frozen_filtered_header(tmp_path):
    long_text = "The file has exactly the columns of the data dictionary " * 3
    table = _formatted().assign(Rule=[long_text])
    write_tables({"validation": table, "results_x": _tidy()}, tmp_path)
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    for name, columns in (("Table S9", "D"), ("Results x", "I")):
        sheet = book[name]
        header = [cell for cell in sheet[3] if cell.value is not None]
        assert len(header) == len(_formatted().columns) + 1 or name == "Results x"
        assert all(cell.font.bold for cell in header)  # under the caption and a blank row
        assert not any(cell.font.bold for cell in sheet[4])
        assert sheet.freeze_panes == "A4"
        assert sheet.auto_filter.ref == f"A3:{columns}{sheet.max_row}"
    sheet = book["Table S9"]
    widths = {c: sheet.column_dimensions[c].width for c in "ABCD"}
    assert widths["A"] >= len("Age, median [IQR]")  # from the content
    assert widths["C"] < widths["B"]  # "p" and "0.30" are narrow
    assert widths["D"] <= 62  # capped; the text wraps
    assert sheet["D4"].alignment.wrap_text


def test_numbers_are_stored_as_numbers_with_a_display_format(tmp_path):
    write_tables({"table1": _formatted(), "results_roc_curve": _tidy()}, tmp_path)
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    sheet = book["Results roc curve"]
    header = {cell.value: cell.column_letter for cell in sheet[3]}

    def column(name):
        return [sheet[f"{header[name]}{row}"] for row in range(4, 7)]

    p_unc = column("p_unc")
    assert [c.value for c in p_unc[:2]] == [0.5511314020484667, 1e-5]  # never rounded
    assert all(c.data_type == "n" and c.number_format == "0.0000" for c in p_unc[:2])
    assert p_unc[2].value is None  # NaN: an empty cell
    assert all(isinstance(c.value, float) for c in p_unc[:2])
    assert {c.number_format for c in column("p_fdr")} == {"0.0000"}  # 1.0 too
    assert (column("n")[0].value, column("n")[0].number_format) == (65, "0")
    assert isinstance(column("n")[0].value, int)
    assert column("statistic")[0].number_format == "0"  # whole numbers
    assert column("statistic")[2].value is None
    assert {c.number_format for c in column("effect")} == {"0.00"}
    assert {c.number_format for c in column("percent")} == {"0.0"}
    assert [c.value for c in column("analysed")] == [True, False, True]
    threshold = column("threshold")
    assert [c.value for c in threshold] == ["-inf", 21, "inf"]  # infinities as text
    assert threshold[0].data_type == "s" and threshold[1].number_format == "0"
    # formatted report tables stay text as the report prints them, but for plain numbers
    row = book["Table 1"][4][:3]
    assert [c.value for c in row] == ["Age, median [IQR]", "62 [50–68]", 0.3]
    assert [c.data_type for c in row] == ["s", "s", "n"]
    assert book["Table 1"]["C4"].number_format == "0.00"  # the digits the report prints
    assert "<f>" not in _xml(tmp_path / "results.xlsx")


def test_no_formula_cell_anywhere_even_for_hostile_text(tmp_path):
    hostile = pd.DataFrame({text: [text, float("-inf")] for text in HOSTILE})
    hostile["n"] = [float("-inf"), 1.0]
    tables = {"notice": pd.DataFrame({"notice": ["=1+1"]}), "table1": hostile}
    tables["results_x"] = hostile.copy()
    write_tables(
        tables,
        tmp_path,
        readme={"study": "=cmd|' /C calc'!A0", "parameters": {"+1": "@SUM(A1)"}},
        sheet_names={"results_x": "-inf"},
        descriptions={"table1": "=2+2"},
    )
    path = tmp_path / "results.xlsx"
    xml = _xml(path)
    assert "<f>" not in xml and "<f " not in xml  # no formula element in any sheet
    book = openpyxl.load_workbook(path)
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type in ("f", "e")]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert set(HOSTILE) <= texts  # the text itself, headers and cells alike
    assert {"=1+1", "=cmd|' /C calc'!A0", "@SUM(A1)", "=2+2"} <= texts
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
            assert cell.quotePrefix, cell.coordinate
    sheet = book["Table 1"]
    assert sheet["G5"].value == "-inf" and sheet["G6"].value == 1  # under caption and notice


def test_csv_is_utf8_with_bom_and_without_markdown(tmp_path):
    dictionary = pd.DataFrame(
        {
            "Column": ["`patient_id`", "`nk_m0`"],
            "Label": ["Patient identifier", r"NK cells \*CD56\+\*"],
            "Unit": ["", "cells/µL"],
            "Allowed": ["`^[A-Za-z0-9_-]+$`", r"0 to 10\_000"],
        }
    )
    tidy = pd.DataFrame({"path": [r"C:\data\`x`"], "p_unc": [0.5]})
    write_tables({"dictionary": dictionary, "results_x": tidy}, tmp_path)
    raw = (tmp_path / "dictionary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "`" not in text and "\\" not in text
    read = pd.read_csv(tmp_path / "dictionary.csv", encoding="utf-8-sig", keep_default_na=False)
    assert read["Column"].tolist() == ["patient_id", "nk_m0"]
    assert read["Label"].tolist() == ["Patient identifier", "NK cells *CD56+*"]
    assert read["Unit"].tolist() == ["", "cells/µL"]
    assert read["Allowed"].tolist() == ["^[A-Za-z0-9_-]+$", "0 to 10_000"]
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    assert book["Table S8"]["A4"].value == "patient_id"  # the workbook too
    # tidy results are not Markdown: kept as they are
    assert (tmp_path / "results_x.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert pd.read_csv(tmp_path / "results_x.csv")["path"].iloc[0] == r"C:\data\`x`"


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("`patient_id`", "patient_id"),
        (r"`^\d+$` or \[x\]", r"^\d+$ or [x]"),  # a code span's backslashes are kept
        ("`` a`b ``", "a`b"),
        ("one ` backtick", "one ` backtick"),
        (r"C:\data", r"C:\data"),  # not an escape
        ("```x`", "```x`"),
    ],
)
def test_plain_text_removes_code_spans_and_escapes(text, plain):
    assert plain_text(text) == plain


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_files_are_as_readable_as_a_normal_file_write(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_tables({"t": _formatted()}, tmp_path / "state", source={"data_sha256": "abc"})
        published = publish_tables(tmp_path / "state", tmp_path / "site")
    finally:
        os.umask(old)
    files = [*(tmp_path / "state").iterdir(), *published]
    assert {p.name for p in files} == {*PUBLISHED, MANIFEST_FILE}
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: mode for p in files}


# --- numbers as numbers, captions, notes, the synthetic notice, the README file -----------

NNBSP = "\u202f"  # the report's thousands separator
NOTICE = "These results were computed from a SYNTHETIC cohort (made by itp-stats synth)."


@pytest.mark.parametrize(
    ("text", "number", "number_format"),
    [
        ("0", 0, "0"),
        ("22", 22, "0"),
        ("0.30", 0.3, "0.00"),  # the format keeps the printed digits
        ("0.046", 0.046, "0.000"),
        ("725.0", 725.0, "0.0"),
        (f"1{NNBSP}353", 1353, "#,##0"),
        ("12\u2009345.5", 12345.5, "#,##0.0"),  # thin space
        ("1\u00a0048", 1048, "#,##0"),  # no-break space
        ("−0.56", -0.56, "0.00"),  # the report's minus sign
        ("-2", -2, "0"),
        ("−0.00", 0.0, "0.00"),
    ],
)
def test_number_text_reads_a_number_as_the_report_prints_it(text, number, number_format):
    parsed = number_text(text)
    assert parsed == (number, number_format)
    assert type(parsed[0]) is type(number)


@pytest.mark.parametrize(
    "text",
    [
        f"1{NNBSP}353 [1{NNBSP}048–2{NNBSP}795]",
        "p < 0.001",
        "<0.001",
        ">0.99",
        "0.30¹",  # a p with its test's mark
        "62 [50–68]",
        "25 / 15",
        "15 (60%)",
        "007",  # a code: its zeros matter
        "1 353",  # an ASCII space separates two numbers, not thousands
        f"1{NNBSP}35",
        "+1",
        "1e5",
        ".5",
        "inf",
        "NaN",
        "1234567890123456",  # an identifier a spreadsheet would round
        "",
    ],
)
def test_number_text_leaves_other_text_alone(text):
    assert number_text(text) is None


def _table_rows(sheet) -> tuple[int, int]:
    """First and last row of the table on a sheet (header included), from its filter."""
    first, last = sheet.auto_filter.ref.split(":")
    return int(re.sub(r"\D", "", first)), int(re.sub(r"\D", "", last))


def _formatted_numbers() -> pd.DataFrame:
    """A formatted report table whose cells mix plain numbers and display text."""
    return pd.DataFrame(
        {
            "Marker": ["NK cells, cells/µL", "CD3+ T cells, cells/µL", "B cells"],
            "Pairs": ["22", "0", "007"],
            "Median [IQR]": [f"1{NNBSP}353 [1{NNBSP}048–2{NNBSP}795]", "62 [50–68]", ""],
            "JT statistic": [f"1{NNBSP}011.0", "725.0", "—"],
            "z": ["−0.56", "0.14", "−3.46"],
            "p": ["0.046", "<0.001", "p < 0.001"],
        }
    )


def test_formatted_numbers_are_stored_as_numbers(tmp_path):
    table = _formatted_numbers()
    write_tables({"pairwise": table}, tmp_path)
    sheet = openpyxl.load_workbook(tmp_path / "results.xlsx")["Table S3"]
    header, last = _table_rows(sheet)
    assert [c.value for c in sheet[header][:6]] == list(table.columns)
    cells = {
        (r - header - 1, c.column - 1): c for r in range(header + 1, last + 1) for c in sheet[r][:6]
    }
    numbers = {
        (0, 1): (22, "0"),
        (1, 1): (0, "0"),
        (0, 3): (1011, "#,##0.0"),
        (1, 3): (725, "0.0"),
        (0, 4): (-0.56, "0.00"),
        (1, 4): (0.14, "0.00"),
        (2, 4): (-3.46, "0.00"),
        (0, 5): (0.046, "0.000"),
    }
    for key, (value, number_format) in numbers.items():
        cell = cells[key]
        assert (cell.value, cell.data_type, cell.number_format) == (value, "n", number_format)
    texts = {key: cell for key, cell in cells.items() if key not in numbers}
    assert cells[(2, 2)].value is None  # an empty text: an empty cell
    for cell in texts.values():
        assert cell.value is None or cell.data_type == "s"
        # no text that is a plain number (a code such as 007 keeps its zeros as text)
        assert cell.value is None or number_text(cell.value) is None
    assert cells[(2, 1)].value == "007" and cells[(1, 5)].value == "<0.001"
    assert cells[(0, 2)].value == f"1{NNBSP}353 [1{NNBSP}048–2{NNBSP}795]"


def test_csv_reads_into_the_same_frame_as_before(tmp_path):
    table = _formatted_numbers()
    tidy = _tidy()
    write_tables({"notice": pd.DataFrame({"notice": [NOTICE]}), "x": table, "results_x": tidy},
                 tmp_path, notes={"x": "¹ A test"})  # fmt: skip
    for name, frame in (("x", table), ("results_x", tidy)):
        raw = (tmp_path / f"{name}.csv").read_bytes()
        # the same bytes as a plain to_csv of the (formula-safe) table: no comment line
        expected = neutralize_formulas(frame).to_csv(index=False, lineterminator="\n")
        assert raw == b"\xef\xbb\xbf" + expected.encode("utf-8")
        read = pd.read_csv(tmp_path / f"{name}.csv", encoding="utf-8-sig")
        pd.testing.assert_frame_equal(read, pd.read_csv(io.StringIO(expected)))
        assert list(read.columns) == [str(c) for c in frame.columns]
    assert "SYNTHETIC" not in (tmp_path / "x.csv").read_text(encoding="utf-8-sig")


def _tests_table1() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 1 as the report formats it, its p marked by test, and the tests behind it."""
    table1 = pd.DataFrame(
        {
            "Characteristic": ["Age, median [IQR]", "Sex, n (%)", "\u2003Female",
                               "\u2003Male", "Splenectomy, yes, n (%)", "Bleeding, yes, n (%)"],
            "CR (n = 25)": ["62 [50–68]", "", "15 (60%)", "10 (40%)", "1 (4%)", "2 (8%)"],
            "Missing": ["0", "0", "", "", "1", "0"],
            "p": ["0.30¹", "0.86²", "", "", "0.27³", "not computed"],
        }
    )  # fmt: skip
    tests = pd.DataFrame(
        {
            "variable": ["age", "sex", "splenectomy", "bleeding"],
            "p_unc": [0.3, 0.86, 0.27, float("nan")],
            "method": ["Kruskal–Wallis test", "Pearson's chi-square test",
                       "Fisher's exact test", "not computed: one group"],
        }
    )  # fmt: skip
    return table1, tests


def test_every_table_sheet_has_its_caption_above_and_its_notes_below(tmp_path):
    table1, tests = _tests_table1()
    tables = {"table1": table1, "table2": _formatted(), "trend": _formatted(),
              "results_table1_tests": tests}  # fmt: skip
    notes = {
        "table2": "Between groups p: Kruskal–Wallis test (¹ exact; ² normal "
        "approximation); q: Benjamini–Hochberg\nComplete methods: the supplement",
        "trend": "¹ exact p; ² normal approximation",
    }
    write_tables(
        tables,
        tmp_path,
        descriptions={"table1": "Baseline characteristics by `response`.", "table2": "Markers."},
        notes=notes,
    )
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    expected = {
        # Table 1's marks explained from the tests behind it (no note given)
        "Table 1": ("table1", "Table 1. Baseline characteristics by response.", [
            "¹ Kruskal–Wallis test", "² Pearson's chi-square test", "³ Fisher's exact test",
        ]),
        "Table 2": ("table2", "Table 2. Markers.", [  # marks inside an item stay on its line
            "Between groups p: Kruskal–Wallis test (¹ exact; ² normal approximation); q: "
            "Benjamini–Hochberg",
            "Complete methods: the supplement",
        ]),
        "Table S6": ("trend", f"Table S6. {TABLE_DESCRIPTIONS['trend']}", [
            "¹ exact p", "² normal approximation",
        ]),
        "Results table1 tests": ("results_table1_tests", "Results table1 tests. Unrounded "
                                 "tidy results behind the report (table1_tests).", []),
    }  # fmt: skip
    for name, (table, caption, note_lines) in expected.items():
        sheet = book[name]
        header, last = _table_rows(sheet)
        assert sheet["A1"].value == caption and sheet["A1"].font.bold
        assert header == 3 and sheet["A2"].value is None  # no notice: a blank row
        assert sheet.freeze_panes == f"A{header + 1}"
        assert last == header + len(tables[table])
        assert sheet.cell(row=last + 1, column=1).value is None
        below = [sheet.cell(row=r, column=1).value for r in range(last + 2, sheet.max_row + 1)]
        assert below == note_lines
        for r in [1, *range(last + 2, sheet.max_row + 1)]:  # merged across the table, wrapped
            assert any(f"A{r}:" in str(m) for m in sheet.merged_cells.ranges)
            assert sheet.cell(row=r, column=1).alignment.wrap_text
    readme = (tmp_path / README_FILE).read_text(encoding="utf-8")
    assert "Table 1. Baseline characteristics by response." in readme
    assert "\n    ³ Fisher's exact test\n" in readme
    assert "\n    ² normal approximation\n" in readme


def test_a_mark_legend_is_never_guessed(tmp_path):
    table1, tests = _tests_table1()
    tables = {"table1": table1, "results_table1_tests": tests.iloc[:3]}  # a row short
    write_tables(tables, tmp_path)
    sheet = openpyxl.load_workbook(tmp_path / "results.xlsx")["Table 1"]
    assert _table_rows(sheet)[1] == sheet.max_row  # nothing below the table
    twice = tests.assign(method=["A", "B", "C", "not computed"])
    table1.loc[4, "p"] = "0.27¹"  # mark 1 for two tests
    write_tables({"table1": table1, "results_table1_tests": twice}, tmp_path)
    sheet = openpyxl.load_workbook(tmp_path / "results.xlsx")["Table 1"]
    assert _table_rows(sheet)[1] == sheet.max_row
    write_tables({"table1": table1, "results_table1_tests": twice}, tmp_path,
                 notes={"table1": "¹ given; ² also"})  # fmt: skip
    sheet = openpyxl.load_workbook(tmp_path / "results.xlsx")["Table 1"]
    assert sheet.cell(row=sheet.max_row, column=1).value == "² also"  # a given note wins


@pytest.mark.parametrize("synthetic", [True, False])
def test_the_synthetic_notice_is_on_every_sheet_and_in_the_readme_file(tmp_path, synthetic):
    tables = {"table1": _formatted(), "dictionary": _formatted(), "results_x": _tidy()}
    if synthetic:
        tables = {"notice": pd.DataFrame({"notice": [NOTICE]}), **tables}
    write_tables(tables, tmp_path, source={"data": "cohort.csv", "data_sha256": "ab" * 32})
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    assert book.sheetnames == ["README", "Table 1", "Table S8", "Results x"]
    for name in book.sheetnames[1:]:
        sheet = book[name]
        cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        if synthetic:
            assert sheet["A2"].value == NOTICE  # under the caption, above the table
            assert sheet["A2"].font.bold and sheet["A2"].font.color.rgb.endswith("C00000")
            assert _table_rows(sheet)[0] == 4
        else:
            assert not any("SYNTHETIC" in text for text in cells)
            assert _table_rows(sheet)[0] == 3
    readme_sheet = [c.value for row in book["README"].iter_rows() for c in row]
    assert (NOTICE in readme_sheet) is synthetic
    assert (book.properties.description == NOTICE) is synthetic
    text = (tmp_path / README_FILE).read_text(encoding="utf-8")
    assert text.startswith("Result tables\n")
    assert ("NOTICE: These results were computed from a SYNTHETIC cohort" in text) is synthetic
    assert "SYNTHETIC" in text if synthetic else "SYNTHETIC" not in text
    assert ("notice.csv\n" in text) is synthetic
    assert "synthetic data: yes" in text if synthetic else "synthetic data" not in text


def test_the_readme_file_describes_every_csv_and_is_published(tmp_path, monkeypatch):
    table1, tests = _tests_table1()
    tables = {"notice": pd.DataFrame({"notice": [NOTICE]}), "table1": table1,
              "results_table1_tests": tests}  # fmt: skip
    readme = {"title": "Lymphocytes and response", "data SHA-256": "cd" * 32,
              "parameters": {"alpha": 0.05}}  # fmt: skip
    paths = write_tables(tables, tmp_path / "state", readme=readme, source={"data_sha256": "x"})
    assert [p.name for p in paths] == [
        "notice.csv", "table1.csv", "results_table1_tests.csv", README_FILE, "results.xlsx"
    ]  # fmt: skip
    text = paths[3].read_text(encoding="utf-8")
    assert text.startswith("Result tables: Lymphocytes and response\n=====")
    assert text.index("NOTICE:") < text.index("Source\n") < text.index("Files\n")
    assert "data SHA-256: " + "cd" * 32 in text and "parameters: alpha: 0.05" in text
    assert "no comment line" in text  # what a plain CSV is
    for csv in ("notice.csv", "table1.csv", "results_table1_tests.csv"):
        assert f"\n{csv}\n" in text
    entry = text[text.index("\ntable1.csv\n") :]
    assert "    Table 1. Baseline characteristics by group, as in the report.\n" in entry
    assert "    6 rows, 4 columns; sheet 'Table 1' of results.xlsx.\n    Notes:\n" in entry
    assert all(len(line) <= 88 for line in text.splitlines() if "SHA-256" not in line)
    published = publish_tables(tmp_path / "state", tmp_path / "site")
    assert README_FILE in {p.name for p in published}
    assert (tmp_path / "site" / README_FILE).read_text(encoding="utf-8") == text
