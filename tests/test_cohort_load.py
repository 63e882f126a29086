"""Loading cohort files of every accepted format into equal, typed DataFrames."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from itp_stats.cohort.load import (
    CohortParseError,
    derive,
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
