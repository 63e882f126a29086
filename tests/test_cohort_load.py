"""Loading cohort files of every accepted format into equal, typed DataFrames."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import (
    copy_study,
    recorded_group_dictionary,
    recorded_group_study,
    twelve_month_dictionary,
    twelve_month_study,
)

from itp_stats.cohort.design import load_data_model
from itp_stats.cohort.dictionary import load_dictionary
from itp_stats.cohort.iwg import iwg_response
from itp_stats.cohort.load import (
    CohortParseError,
    derive,
    derive_group,
    load_cohort,
    read_cohort,
    read_table,
    type_cohort,
)
from itp_stats.cohort.synth import write_cohort
from itp_stats.errors import CohortReadError


@pytest.fixture(scope="module")
def shipped(cohort_path) -> pd.DataFrame:
    return load_cohort(cohort_path)


def _semicolon_decimal_comma(src, dest, encoding):
    """Rewrite a ,-CSV as a French spreadsheet would: ; separators, decimal commas."""
    frame = pd.read_csv(src, dtype=str, keep_default_na=False)
    for col in ("itp_duration_months", "followup_months"):
        frame[col] = frame[col].str.replace(".", ",", regex=False)
    dest.write_bytes(frame.to_csv(sep=";", index=False).encode(encoding))


def test_every_format_loads_equal(tmp_path, cohort_path, shipped):
    raw = pd.read_csv(cohort_path, dtype=str, keep_default_na=False)
    assert raw["itp_duration_months"].str.contains(r"\.").any()  # decimals are exercised

    fr_latin1 = tmp_path / "export_fr.csv"
    _semicolon_decimal_comma(cohort_path, fr_latin1, "latin-1")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + cohort_path.read_bytes())
    typed = pd.read_csv(cohort_path, dtype=str, keep_default_na=False)
    xlsx = write_cohort(_as_native(shipped, typed), tmp_path / "cohort.xlsx")
    parquet = write_cohort(_as_native(shipped, typed), tmp_path / "cohort.parquet")

    for path in (fr_latin1, bom, xlsx, parquet):
        pd.testing.assert_frame_equal(load_cohort(path), shipped, obj=path.name)


def _as_native(shipped: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """The shipped cohort as native types (the columns of the file only)."""
    out = shipped[list(raw.columns)].copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def test_types_follow_dictionary(shipped):
    assert shipped["nk_m0"].dtype == "Int64"
    assert shipped["itp_duration_months"].dtype == "Float64"
    assert shipped["bleeding_m0"].dtype == "boolean"
    assert list(shipped["response_m6"].cat.categories) == ["CR", "PR", "NR"]
    assert list(shipped["sex"].cat.categories) == ["F", "M"]
    assert shipped["patient_id"].map(type).eq(str).all()


def test_derived_columns_computed_once_and_right(shipped):
    row = shipped.dropna(subset=["nk_m0", "lymphocytes_m0", "cd8_act_m0", "cd8_m0"]).iloc[0]
    assert row["pct_nk_m0"] == pytest.approx(100 * row["nk_m0"] / row["lymphocytes_m0"])
    assert row["pct_cd8_act_m0"] == pytest.approx(100 * row["cd8_act_m0"] / row["cd8_m0"])
    assert "pct_lymphocytes_m0" not in shipped


@pytest.mark.parametrize(
    ("months", "phase"),
    [
        (0.5, "newly diagnosed"),
        (2.99, "newly diagnosed"),
        (3.0, "persistent"),
        (12.0, "persistent"),
        (12.1, "chronic"),
        (None, None),
    ],
)
def test_itp_phase_boundaries(months, phase):
    frame = pd.DataFrame({"itp_duration_months": pd.array([months], dtype="Float64")})
    got = derive(frame)["itp_phase"].iloc[0]
    assert (pd.isna(got) and phase is None) or got == phase


def test_itp_phase_of_the_shipped_cohort_is_unchanged(shipped):
    """The binned derivation gives what the former hard-coded cut gave."""
    months = shipped["itp_duration_months"].astype(float)
    phases = ["newly diagnosed", "persistent", "chronic"]
    cut = pd.cut(months, bins=[-np.inf, 3, 12, np.inf], right=False, labels=phases)
    expected = cut.astype(object).where(~(months == 12), "persistent")
    assert shipped["itp_phase"].astype(object).tolist() == expected.tolist()
    assert shipped["itp_phase"].cat.ordered
    assert list(shipped["itp_phase"].cat.categories) == phases


def test_derived_group_follows_the_study(shipped):
    d = load_dictionary()
    expected = iwg_response(*(shipped[c] for c in d.design.derivation.columns))
    assert shipped["response_iwg"].astype(object).tolist() == expected.astype(object).tolist()
    assert list(shipped["response_iwg"].cat.categories) == ["CR", "PR", "NR"]


def test_no_derived_group_without_a_design(cohort_path):
    bare = load_dictionary(Path(cohort_path).parent / "dictionary.yaml")
    data = load_cohort(cohort_path, bare)
    assert "response_iwg" not in data
    assert "itp_phase" in data and "pct_nk_m0" in data
    assert derive_group(data, bare) is None


def test_derived_group_of_a_twelve_month_study(tmp_path, shipped):
    d = load_data_model(copy_study(tmp_path, twelve_month_dictionary, twelve_month_study))
    frame = shipped.rename(columns=lambda c: c.replace("_m6", "_m12"))
    out = derive(frame[[c for c in d.columns if c in frame]], d)
    assert "response_12m_derived" in out and "response_iwg" not in out
    assert out["response_12m_derived"].astype(object).tolist() == (
        shipped["response_iwg"].astype(object).tolist()
    )
    # an input missing from the data: no derived group (the gate reports its rule)
    assert "response_12m_derived" not in derive(frame.drop(columns=["bleeding_m12"]), d)


def test_recorded_group_study_derives_no_group(tmp_path, shipped):
    d = load_data_model(copy_study(tmp_path, recorded_group_dictionary, recorded_group_study))
    out = derive(shipped[list(d.columns)], d)
    assert "response_iwg" not in out
    assert derive_group(out, d) is None


def test_any_binned_derivation_is_applied(tmp_path, shipped):
    raw = yaml.safe_load((Path(__file__).parents[1] / "data" / "dictionary.yaml").read_text())
    raw["derived"]["age_group"] = {
        "label": "Age group",
        "from": "age_years",
        "bins": [
            {"label": "under 40", "below": 40},
            {"label": "40–65", "at_most": 65},
            {"label": "over 65"},
        ],
    }
    path = tmp_path / "dictionary.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    frame = pd.DataFrame({"age_years": pd.array([18, 39.9, 40, 65, 65.5, None], dtype="Float64")})
    got = derive(frame, load_dictionary(path))["age_group"]
    assert got.astype(object).where(got.notna(), None).tolist() == [
        "under 40",
        "under 40",
        "40–65",
        "40–65",
        "over 65",
        None,
    ]
    assert list(got.cat.categories) == ["under 40", "40–65", "over 65"]


def test_unparseable_cells_are_collected_with_patient_ids(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "patient_id,nk_m0,itp_duration_months,bleeding_m0\n"
        'P1,ND,1.5,yes\nP2,<5,2,no\nP3,"12,5",x,maybe\nP4,,NA,\n'
    )
    frame, _ = read_table(path)
    data, problems = type_cohort(frame)
    got = sorted(problems[["column", "patient_id", "value"]].to_numpy().tolist())
    assert got == [
        ["bleeding_m0", "P3", "maybe"],
        ["itp_duration_months", "P3", "x"],
        ["nk_m0", "P1", "ND"],
        ["nk_m0", "P2", "<5"],
        ["nk_m0", "P3", "12,5"],
    ]
    assert data["nk_m0"].isna().all()
    assert data["itp_duration_months"].tolist()[:2] == [1.5, 2.0]
    with pytest.raises(CohortParseError) as err:
        load_cohort(path)
    message = str(err.value)
    assert "column nk_m0" in message and "P1 ('ND')" in message and "P3 ('12,5')" in message


def test_decimal_comma_only_in_semicolon_files(tmp_path):
    fr = tmp_path / "fr.csv"
    fr.write_text("patient_id;itp_duration_months;nk_m0\nP1;12,5;130\n")
    data = read_cohort(fr).data
    assert data["itp_duration_months"].iloc[0] == 12.5
    assert read_cohort(fr).problems.empty
    # in a ;-file a decimal comma in a count column is still not a whole number
    fr.write_text("patient_id;nk_m0\nP1;12,5\n")
    assert read_cohort(fr).problems["value"].tolist() == ["12,5"]


def test_latin1_export_decodes(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("patient_id;commentaire\nP1;hémorragie\n".encode("latin-1"))
    assert read_table(path)[0]["commentaire"].iloc[0] == "hémorragie"


FRENCH_ROWS = "patient_id;itp_duration_months;nk_m0\nP1;12,5;130\nP2;3;\n"


@pytest.mark.parametrize(
    "preamble",
    [
        "\n",  # a blank first line
        "\r\n \r\n",  # blank lines, CRLF, one with a space
        ";;;\n",  # an empty spreadsheet row
        "sep=;\n",  # Excel's separator line
        '"sep=;"\r\n',  # quoted, as some tools write it
        "sep=;;;\n\n",  # padded with separators, then a blank line
    ],
)
def test_semicolon_file_with_a_preamble_reads_like_without(tmp_path, preamble):
    plain, odd = tmp_path / "plain.csv", tmp_path / "odd.csv"
    plain.write_text(FRENCH_ROWS, encoding="utf-8")
    odd.write_bytes(b"\xef\xbb\xbf" + (preamble + FRENCH_ROWS).encode("utf-8"))
    frame, decimal_comma = read_table(odd)
    assert decimal_comma
    assert list(frame.columns) == ["patient_id", "itp_duration_months", "nk_m0"]
    pd.testing.assert_frame_equal(frame, read_table(plain)[0])
    data = read_cohort(odd).data
    assert data["itp_duration_months"].tolist() == [12.5, 3.0]
    assert read_cohort(odd).problems.empty


def test_separator_is_sniffed_from_the_data_rows_and_sep_line_wins(tmp_path):
    # a header whose name holds a comma: the rows show ';' splits every line alike
    path = tmp_path / "fr.csv"
    path.write_text("patient_id;Age, years\nP1;45\nP2;51\n", encoding="utf-8")
    frame, decimal_comma = read_table(path)
    assert list(frame.columns) == ["patient_id", "Age, years"] and decimal_comma
    # a comma file whose texts hold semicolons stays a comma file
    path.write_text('patient_id,note\nP1,"a; b"\nP2,c;d\n', encoding="utf-8")
    frame, decimal_comma = read_table(path)
    assert frame["note"].tolist() == ["a; b", "c;d"] and not decimal_comma
    # Excel's sep= line names the separator, even one the sniffer would not choose
    path.write_text("sep=|\npatient_id|nk_m0\nP1|130\n", encoding="utf-8")
    assert read_table(path)[0].to_dict("list") == {"patient_id": ["P1"], "nk_m0": ["130"]}


def test_a_file_of_blank_lines_or_only_a_sep_line_is_empty(tmp_path):
    for content in ("sep=;\n", "\n\n;;;\n", "sep=;\n\n  \n"):
        path = tmp_path / "empty.csv"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(CohortReadError, match="the file is empty"):
            read_table(path)


def _utf16(text: str, codec: str, bom: bool) -> bytes:
    boms = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}
    return (boms[codec] if bom else b"") + text.encode(codec)


@pytest.mark.parametrize(
    ("codec", "bom", "name"),
    [
        ("utf-16-le", True, "UTF-16 LE"),  # Excel's "Unicode Text"
        ("utf-16-be", True, "UTF-16 BE"),
        ("utf-16-le", False, "UTF-16 LE"),  # no byte-order mark: told by the NUL bytes
        ("utf-16-be", False, "UTF-16 BE"),
    ],
)
def test_utf16_file_is_named_with_how_to_save_it_as_utf8(tmp_path, codec, bom, name):
    path = tmp_path / "unicode.csv"
    path.write_bytes(_utf16("patient_id\tnk_m0\r\nP1\t130\r\nP2\t95\r\n", codec, bom))
    with pytest.raises(CohortReadError) as err:
        load_cohort(path)
    text = str(err.value)
    assert text.startswith(f"{path}: ") and name in text and "CSV UTF-8" in text
    assert "binary" not in text and "\n" not in text
    assert err.value.exit_status == 2


def test_rows_pyarrow_cannot_read_are_read_as_pandas_reads_them(tmp_path):
    path = tmp_path / "odd.csv"
    # a short row (missing trailing cells), a quoted cell after a space, a quoted newline
    path.write_text(
        'patient_id,note,nk_m0\nP1, "a, b",130\nP2,"two\nlines",95\nP3,x\n', encoding="utf-8"
    )
    frame, _ = read_table(path)
    assert frame["note"].tolist() == ["a, b", "two\nlines", "x"]
    assert frame["nk_m0"].tolist()[:2] == ["130", "95"] and pd.isna(frame["nk_m0"].iloc[2])
    assert all(isinstance(frame[c].dtype, pd.StringDtype) for c in frame.columns)


def test_quoted_cells_and_unnamed_columns_read_alike_by_both_parsers(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('patient_id,note,\n"P1","say ""hi""",\nP2,,\n', encoding="utf-8")
    frame, _ = read_table(path)
    assert list(frame.columns) == ["patient_id", "note", "Unnamed: 2"]
    assert frame["note"].tolist()[0] == 'say "hi"' and pd.isna(frame["note"].iloc[1])
    short = tmp_path / "short.csv"  # the same cells, read by the pandas fallback
    short.write_text('patient_id,note,\n"P1","say ""hi""",\nP2\n', encoding="utf-8")
    pd.testing.assert_frame_equal(read_table(short)[0], frame)


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        (b"", ".csv", "the file is empty"),
        (b"   \n\n", ".csv", "the file is empty"),
        (b"\x00\x01\x02binary", ".csv", "not a text file"),
        (b"a,b\n1,2\n", ".sav", "unknown file type '.sav'"),
        (b"not an excel file", ".xlsx", "cannot read as .xlsx"),
        (b"not parquet", ".parquet", "cannot read as .parquet"),
        (b'a,b\n"1,2\n', ".csv", "not a well-formed CSV file"),
        (b"a,b,a\n1,2,3\n", ".csv", "duplicated column names: a"),
    ],
)
def test_unreadable_files_give_one_line_naming_the_file(tmp_path, content, suffix, message):
    path = tmp_path / f"cohort{suffix}"
    path.write_bytes(content)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(CohortReadError) as err:
        load_cohort(path)
    text = str(err.value)
    assert str(path) in text and message in text and "\n" not in text
    assert err.value.exit_status == 2
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(CohortReadError, match="no such file"):
        load_cohort(tmp_path / "nope.csv")
    with pytest.raises(CohortReadError, match="is a folder"):
        load_cohort(tmp_path)


# -- inputs that used to be read silently wrong, or end in a traceback ---------------------


def _shipped_cells(cohort_path) -> pd.DataFrame:
    return pd.read_csv(cohort_path, dtype=str, keep_default_na=False)


def test_bytes_already_read_are_parsed_instead_of_the_file(tmp_path, cohort_path):
    blob = cohort_path.read_bytes()
    path = tmp_path / "cohort.csv"
    path.write_text("patient_id\nP1\n")  # what is on disk now does not matter
    pd.testing.assert_frame_equal(load_cohort(path, data=blob), load_cohort(cohort_path))
    for suffix in (".xlsx", ".parquet"):
        other = tmp_path / f"cohort{suffix}"
        write_cohort(load_cohort(cohort_path), other)
        frame, _ = read_table(tmp_path / f"gone{suffix}", data=other.read_bytes())
        assert len(frame) == 72


def test_xlsx_formulas_without_a_saved_result_name_the_cells(tmp_path, cohort_path):
    import openpyxl

    path = tmp_path / "formulas.xlsx"
    _shipped_cells(cohort_path).to_excel(path, index=False)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    column = [c.value for c in sheet[1]].index("nk_m6") + 1
    letter = openpyxl.utils.get_column_letter(column)
    for row in range(2, 67):  # 65 formulas, as a program writes them: no cached result
        sheet.cell(row=row, column=column).value = f"=B{row}*2"
    book.save(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(CohortReadError) as err:
        read_cohort(path)
    message = str(err.value)
    assert message == (
        f"{path}: 65 cell(s) hold a formula whose result was never saved, so they would read "
        f"as empty: nk_m6 (65 cells, {letter}2 to {letter}66); open the file in Excel or "
        "LibreOffice, let it calculate and save it (or save the results as values), then try "
        "again"
    )
    assert err.value.exit_status == 2
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_xlsx_empty_cells_without_formulas_stay_missing(tmp_path, cohort_path):
    cells = _shipped_cells(cohort_path)
    path = tmp_path / "plain.xlsx"
    cells.to_excel(path, index=False)
    data = read_cohort(path).data
    assert data["nk_m6"].isna().sum() == (cells["nk_m6"] == "").sum()


def test_a_parquet_year_stored_as_a_timestamp_is_a_clear_problem(tmp_path, cohort_path):
    raw = _shipped_cells(cohort_path)
    raw["rtx_year"] = pd.to_datetime(raw["rtx_year"], format="%Y")
    path = tmp_path / "dates.parquet"
    raw.to_parquet(path)
    problems = read_cohort(path).problems
    assert set(problems["column"]) == {"rtx_year"} and len(problems) == 72
    assert problems["value"].iloc[0].endswith("-01-01 00:00:00")
    with pytest.raises(CohortParseError) as err:
        load_cohort(path)
    assert (
        "cells that are not a whole number (the file stores a date or time here; store the "
        "number itself) in column rtx_year: P001 ("
    ) in str(err.value)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_full_width_digits_are_a_clear_problem(tmp_path, cohort_path, suffix):
    raw = _shipped_cells(cohort_path)
    raw.loc[0, "rtx_year"] = "２０１２"
    raw.loc[1, "itp_duration_months"] = "１２"
    path = tmp_path / f"wide{suffix}"
    raw.to_csv(path, index=False) if suffix == ".csv" else raw.to_excel(path, index=False)
    with pytest.raises(CohortParseError) as err:
        load_cohort(path)
    message = str(err.value)
    assert "written with the digits 0-9 (full-width or other digits)" in message
    assert "column rtx_year: P001 ('２０１２')" in message
    assert "column itp_duration_months: P002 ('１２')" in message


def _csv_lines(cohort_path) -> list[str]:
    return cohort_path.read_text(encoding="utf-8").splitlines()


def test_rows_with_a_trailing_separator_are_named_by_line(tmp_path, cohort_path):
    header, *rows = _csv_lines(cohort_path)
    path = tmp_path / "trailing.csv"
    path.write_text("\n".join([header, *(r + "," for r in rows)]) + "\n", encoding="utf-8")
    with pytest.raises(CohortReadError) as err:
        read_table(path)
    assert str(err.value) == (
        f"{path}: 72 row(s) have 34 fields but the header has 33 columns: line 2 ('P001'), "
        "line 3 ('P002'), line 4 ('P003'), line 5 ('P004'), line 6 ('P005') and 67 more; the "
        "extra field after the last column (next_treatment) is empty: remove the ',' at the end "
        "of these rows"
    )
    # one row only, in a file with a preamble: the line is the file's own line number
    rows[3] += ","
    path.write_text("\n".join(["# exported", header, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(CohortReadError, match=r"1 row\(s\) have 34 fields .*: line 6 \('P004'\)"):
        read_table(path)


def test_a_row_with_a_value_too_many_says_they_no_longer_line_up(tmp_path):
    path = tmp_path / "shifted.csv"
    path.write_text("patient_id;nk_m0\nP1;130\nP2;;95\n", encoding="utf-8")
    with pytest.raises(CohortReadError) as err:
        read_table(path)
    assert str(err.value) == (
        f"{path}: 1 row(s) have 3 fields but the header has 2 columns: line 3 ('P2'); their "
        "values no longer line up with the columns (a ';' too many in the row, or a column "
        "without a name in the header): fix these rows or name the column"
    )


@pytest.mark.parametrize(
    ("cell", "value"),
    [("1.200,5", 1200.5), ("12,5", 12.5), ("-1.234.567,25", -1234567.25), ("0.250", 0.25)],
)
def test_thousands_separators_of_a_decimal_comma_file(tmp_path, cell, value):
    path = tmp_path / "fr.csv"
    path.write_text(f"patient_id;itp_duration_months\nP1;{cell}\n", encoding="utf-8")
    cohort = read_cohort(path)
    assert cohort.problems.empty and cohort.data["itp_duration_months"].iloc[0] == value


def test_an_ambiguous_thousands_separator_is_refused_never_read_as_a_decimal(tmp_path):
    path = tmp_path / "fr.csv"
    path.write_text("patient_id;itp_duration_months;nk_m0\nP1;1.200;1.200\nP2;3,5;90\n")
    with pytest.raises(CohortParseError) as err:
        load_cohort(path)
    message = str(err.value)
    assert "'1.200' could be 1200 or 1.2: write 1200, or 1,2" in message
    assert "column itp_duration_months: P1 ('1.200')" in message
    assert "column nk_m0: P1 ('1.200')" in message
    data = read_cohort(path).data
    assert (
        pd.isna(data["itp_duration_months"].iloc[0]) and data["itp_duration_months"].iloc[1] == 3.5
    )


def test_type_cohort_in_place_types_the_same_and_keeps_no_copy(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "patient_id,sex,nk_m0,bleeding_m0\nP1,F,ND,yes\nP2,M,12,no\nP3,,7,maybe\nP4,F,,\n"
    )
    copied, problems = type_cohort(read_table(path)[0])
    raw = read_table(path)[0]
    typed, in_place_problems = type_cohort(raw, consume=True)
    assert typed is raw  # typed column by column, no second frame
    pd.testing.assert_frame_equal(typed, copied)
    pd.testing.assert_frame_equal(in_place_problems, problems)
    assert sorted(problems["value"]) == ["ND", "maybe"]


def test_arrow_text_keeps_texts_as_arrow_strings(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("patient_id,sex,nk_m0\nP1,F,10\nP2,,12\n")
    objects, _ = type_cohort(read_table(path)[0])
    arrow, _ = type_cohort(read_table(path)[0], arrow_text=True)
    assert objects["sex"].dtype == object and arrow["sex"].dtype == "string"
    assert arrow["sex"].tolist()[0] == "F" and arrow["sex"].isna().tolist() == [False, True]
    assert objects["sex"].tolist() == ["F", None]
    pd.testing.assert_series_equal(arrow["nk_m0"], objects["nk_m0"])


def test_arrow_memory_pool_returns_memory_unless_the_user_chose_one(monkeypatch):
    import pyarrow as pa

    from itp_stats.cohort.load import use_returning_memory_pool

    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    assert use_returning_memory_pool() is False
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
    assert use_returning_memory_pool() is True
    assert pa.default_memory_pool().backend_name == "jemalloc"


@pytest.mark.parametrize("rows", [1, 7, 1000])
def test_read_table_chunks_concatenate_to_read_table(tmp_path, monkeypatch, cohort_path, rows):
    import itp_stats.cohort.load as load
    import itp_stats.cohort.scan as scan

    monkeypatch.setattr(scan, "_BLOCK_BYTES", 700)  # blocks of two or three rows
    semicolon = tmp_path / "semi.csv"
    text = _shipped_cells(cohort_path).to_csv(sep=";", index=False).replace(".", ",")
    semicolon.write_text("\n\nsep=;\n" + text, encoding="utf-8")
    for path in (cohort_path, semicolon):
        whole, decimal_comma = load.read_table(path)
        chunks, chunked_comma = load.read_table_chunks(path, rows=rows)
        parts = list(chunks)
        assert chunked_comma == decimal_comma
        # really in pieces (a chunk ends at a block's end: up to twice the rows asked for)
        assert len(parts) >= max(72 // (2 * max(rows, 3)), 1)
        assert all(len(p) >= rows for p in parts[:-1])
        pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)
