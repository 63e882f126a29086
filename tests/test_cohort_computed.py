"""Tests of itp_stats.cohort.computed: markers computed from recorded markers."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from itp_stats.cohort.computed import (
    Computation,
    add_computed,
    computed_zero_denominators,
    read_computation,
)
from itp_stats.cohort.dictionary import load_dictionary
from itp_stats.errors import DictionaryError

LIVER = Path(__file__).resolve().parent / "fixtures" / "study_liver"


def _marker(name: str, tp: str, unit: str = "mg/L", kind: str = "float") -> dict:
    return {
        "label": f"{name} at {tp}", "unit": unit, "type": kind, "missing": True,
        "role": "marker", "marker": name, "timepoint": tp,
    }  # fmt: skip


def _dictionary(tmp_path: Path, markers: dict, columns: dict | None = None) -> Path:
    """A small dictionary: kappa and lambda at m0 and m6, plus ``markers``."""
    cols = {
        "patient_id": {"label": "Id", "type": "string", "role": "id", "missing": False},
        "group": {"label": "Group", "type": "category", "categories": ["a", "b"], "role": "group"},
    }
    for name in ("kappa", "lambda"):
        for tp in ("m0", "m6"):
            cols[f"{name}_{tp}"] = _marker(name, tp)
    cols.update(columns or {})
    raw = {
        "name": "light-chains",
        "timepoints": {"m0": "Inclusion", "m6": "6 months"},
        "markers": {
            "kappa": {"label": "Free kappa", "parent": None},
            "lambda": {"label": "Free lambda", "parent": None},
            **markers,
        },
        "columns": cols,
    }
    path = tmp_path / "dictionary.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


COMPUTED = {
    "klr": {"label": "Kappa/lambda ratio", "compute": {"ratio": ["kappa", "lambda"]}},
    "kls": {"label": "Kappa + lambda", "compute": {"sum": ["kappa", "lambda"]}},
    "kld": {"label": "Kappa − lambda", "compute": {"difference": ["kappa", "lambda"]}},
}


def test_read_computation_takes_one_operation_and_its_markers():
    assert read_computation(Path("d.yaml"), "klr", {"ratio": ["kappa", "lambda"]}) == (
        Computation("ratio", ("kappa", "lambda"))
    )
    three = read_computation(Path("d.yaml"), "s", {"sum": ["a", "b", "c"]})
    assert three.columns("m6") == ("a_m6", "b_m6", "c_m6")


def test_the_dictionary_declares_one_column_per_marker_and_time_point(tmp_path):
    d = load_dictionary(_dictionary(tmp_path, COMPUTED))
    assert list(d.computed) == ["klr_m0", "klr_m6", "kls_m0", "kls_m6", "kld_m0", "kld_m6"]
    assert "klr_m0" not in d.columns  # not read from the file: the gate does not ask for it
    assert d.column("klr_m6").label == "Kappa/lambda ratio at 6 months"
    # a ratio of one unit has none; a sum and a difference keep the inputs' unit
    assert d.column("klr_m0").unit is None
    assert d.column("kls_m0").unit == d.column("kld_m0").unit == "mg/L"
    assert d.computed_sources["kld_m6"] == ("kld", "m6")
    assert d.label("klr_m0") == "Kappa/lambda ratio at inclusion"


def test_computed_values_match_hand_computation(tmp_path):
    d = load_dictionary(_dictionary(tmp_path, COMPUTED))
    frame = pd.DataFrame({
        "patient_id": ["p1", "p2", "p3", "p4", "p5"],
        "kappa_m0": [12.0, 30.5, None, 8.0, 0.0],
        "lambda_m0": [8.0, 10.0, 9.0, 0.0, 4.0],
        "kappa_m6": [1.5, 2.0, 3.0, 4.0, 5.0],
        "lambda_m6": [3.0, None, 1.0, 2.0, 0.5],
    })  # fmt: skip
    out = add_computed(frame, d)
    assert "klr_m0" not in frame  # the input is not modified

    def values(column):
        return [None if pd.isna(v) else float(v) for v in out[column]]

    # by hand: 12/8, 30.5/10, kappa missing, lambda 0 (missing), 0/4
    assert values("klr_m0") == [1.5, 3.05, None, None, 0.0]
    assert values("klr_m6") == [0.5, None, 3.0, 2.0, 10.0]
    assert values("kls_m0") == [20.0, 40.5, None, 8.0, 4.0]
    assert values("kld_m0") == [4.0, 20.5, None, 8.0, -4.0]
    assert values("kld_m6") == [-1.5, None, 2.0, 2.0, 4.5]
    assert str(out["klr_m0"].dtype) == "Float64"
    # one denominator of 0 with a recorded numerator; p3's lambda is recorded, its kappa not
    assert computed_zero_denominators(frame, d) == {"klr_m0": 1}
    assert not any(math.isinf(v) for v in values("klr_m0") if v is not None)


def test_a_dictionary_without_computed_markers_leaves_the_frame_as_it_is():
    d = load_dictionary(LIVER / "dictionary.yaml")
    frame = pd.DataFrame({"patient_id": ["L001"]})
    assert d.computed == {} and add_computed(frame, d) is frame


@pytest.mark.parametrize(
    ("markers", "columns", "message"),
    [
        (
            {"x": {"label": "X", "compute": {"product": ["kappa", "lambda"]}}},
            None,
            r"markers: 'x': compute: unknown operation 'product' \(known: ratio, sum, difference\)",
        ),
        (
            {"x": {"label": "X", "compute": {"ratio": ["kappa"]}}},
            None,
            r"compute\.ratio: takes exactly 2 markers, not 1",
        ),
        (
            {"x": {"label": "X", "compute": "kappa / lambda"}},
            None,
            r"compute: expected one operation",
        ),
        (
            {"x": {"label": "X", "compute": {"sum": ["kappa", "kappa"]}}},
            None,
            r"compute\.sum: a marker is listed twice",
        ),
        (
            {"x": {"label": "X", "compute": {"ratio": ["kappa", "iga"]}}},
            None,
            r"compute\.ratio: 'iga' is not a marker of the dictionary",
        ),
        (
            {"x": {"label": "X", "compute": {"ratio": ["kappa", "lambda"]}, "parent": "kappa"}},
            None,
            r"markers: 'x': a computed marker has no parent",
        ),
        (
            {
                "x": {"label": "X", "compute": {"ratio": ["kappa", "lambda"]}},
                "y": {"label": "Y", "compute": {"sum": ["x", "kappa"]}},
            },
            None,
            r"markers: 'y': compute\.sum: 'x' is computed itself",
        ),
        (
            {"x": {"label": "X", "compute": {"ratio": ["kappa", "lambda"]}}},
            {"x_m0": _marker("x", "m0")},
            r"'x_m0' is also listed in columns",
        ),
        (
            {
                "x": {"label": "X", "compute": {"ratio": ["kappa", "lambda"]}},
                "note": {"label": "Note", "parent": None},
            },
            {"note_m0": _marker("note", "m0", kind="string")},
            None,
        ),
        (
            {
                "x": {"label": "X", "compute": {"sum": ["kappa", "iga"]}},
                "iga": {"label": "IgA", "parent": None},
            },
            {
                "iga_m0": _marker("iga", "m0", unit="g/L"),
                "iga_m6": _marker("iga", "m6", unit="g/L"),
            },
            r"compute\.sum: its markers are in different units \(mg/L, g/L\)",
        ),
        (
            {
                "x": {"label": "X", "compute": {"sum": ["kappa", "iga"]}},
                "iga": {"label": "IgA", "parent": None},
            },
            {"iga_m0": _marker("iga", "m0", kind="string")},
            r"compute\.sum: 'iga_m0' is not numeric \(type string\)",
        ),
        (
            {
                "x": {"label": "X", "compute": {"sum": ["kappa", "iga"]}},
                "iga": {"label": "IgA", "parent": None},
            },
            {"iga_m0": _marker("iga", "m0")},
            r"compute\.sum: at m6, iga_m6 is not a column of the dictionary",
        ),
    ],
)
def test_bad_computations_are_refused_with_the_file_and_marker(tmp_path, markers, columns, message):
    path = _dictionary(tmp_path, markers, columns)
    if message is None:  # a string marker that no computation uses is no concern of this rule
        assert "x_m0" in load_dictionary(path).computed
        return
    with pytest.raises(DictionaryError, match=message) as err:
        load_dictionary(path)
    assert str(err.value).startswith(str(path.resolve()))


def test_validate_refuses_a_computation_of_a_non_marker_naming_file_and_marker(tmp_path):
    from render_support import run_cli

    raw = yaml.safe_load((LIVER / "dictionary.yaml").read_text(encoding="utf-8"))
    raw["markers"]["alt_sex"] = {"label": "ALT by sex", "compute": {"sum": ["alt", "sex"]}}
    (tmp_path / "dictionary.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    shutil.copy(LIVER / "study_two.yaml", tmp_path / "study.yaml")
    shutil.copy(LIVER / "references.bib", tmp_path / "references.bib")
    status, out = run_cli(
        "validate", str(LIVER / "cohort.csv"), "--study", str(tmp_path / "study.yaml"),
        root=tmp_path,
    )  # fmt: skip
    assert status == 2 and "Traceback" not in out
    expected = "markers: 'alt_sex': compute.sum: 'sex' is not a marker of the dictionary"
    assert f"{tmp_path / 'dictionary.yaml'}: {expected}" in out
