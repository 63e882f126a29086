"""The synthetic cohort generator."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from itp_stats import __version__
from itp_stats.cli import main
from itp_stats.cohort.dictionary import load_dictionary
from itp_stats.cohort.load import derive, load_cohort
from itp_stats.cohort.synth import (
    DEFAULT_SEED,
    SYNTHETIC_MARK,
    sidecar_path,
    synthesize,
    synthetic_mark,
    write_cohort,
)


def test_documented_command_reproduces_shipped_cohort(tmp_path, cohort_path, root):
    readme = (root / "data" / "README.md").read_text(encoding="utf-8")
    assert f"itp-stats synth --n 72 --seed {DEFAULT_SEED} --out data/cohort.csv" in readme
    out = tmp_path / "cohort.csv"
    assert main(["synth", "--n", "72", "--seed", str(DEFAULT_SEED), "--out", str(out)]) == 0
    assert out.read_bytes() == cohort_path.read_bytes()
    made, shipped = (json.loads(sidecar_path(p).read_text()) for p in (out, cohort_path))
    assert made == shipped | {"itp_stats_version": __version__}  # made by an older version


def test_shipped_cohort_is_a_plain_csv(cohort_path):
    frame = pd.read_csv(cohort_path)  # pandas' defaults, as R's read.csv and Excel read it
    assert frame.shape == (72, len(load_dictionary().names))
    assert list(frame.columns) == load_dictionary().names
    assert frame["patient_id"].is_unique and frame["patient_id"].iloc[0] == "P001"
    assert not cohort_path.read_bytes().startswith((b"#", b"\xef\xbb\xbf"))  # no mark, no BOM
    with open(cohort_path, newline="", encoding="ascii") as handle:  # plain text, one table
        rows = list(csv.reader(handle))
    assert len(rows) == 73 and {len(r) for r in rows} == {len(load_dictionary().names)}


def test_shipped_cohort_sidecar_describes_its_bytes(cohort_path):
    side = json.loads(sidecar_path(cohort_path).read_text(encoding="utf-8"))
    assert side["sha256"] == hashlib.sha256(cohort_path.read_bytes()).hexdigest()
    assert side["mark"] == (
        f"{SYNTHETIC_MARK} (n = 72, seed {DEFAULT_SEED}): no row is a real patient"
    )
    assert (side["file"], side["n"], side["seed"]) == ("cohort.csv", 72, DEFAULT_SEED)
    assert synthetic_mark(cohort_path) == side["mark"]


def test_same_seed_same_cohort_other_seed_other_cohort():
    a, b, c = synthesize(50, 1), synthesize(50, 1), synthesize(50, 2)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_columns_follow_dictionary():
    assert list(synthesize(10, 3).columns) == load_dictionary().names


def test_internal_consistency():
    d = derive(synthesize(5000, 7))
    for tp in ("m0", "m6"):
        cd3, cd4, cd8 = (d[f"{m}_{tp}"].astype(float) for m in ("cd3", "cd4", "cd8"))
        lym = d[f"lymphocytes_{tp}"].astype(float)
        parts = d[f"cd3_{tp}"] + d[f"cd19_{tp}"] + d[f"nk_{tp}"]
        assert not ((cd4 + cd8) > cd3).any()
        assert not (parts.astype(float) > lym).any()
        assert not (d[f"cd8_act_{tp}"].astype(float) > cd8).any()
    assert (d["platelets_m0"] < 100).all()
    assert d["age_years"].between(18, 100).all()
    # B cells depleted at 6 months
    assert d["pct_cd19_m6"].median() < 0.1 * d["pct_cd19_m0"].median()
    # recorded response is the IWG response
    both = d["response_m6"].notna()
    assert (d.loc[both, "response_m6"] == d.loc[both, "response_iwg"].astype(str)).all()
    # a few missing values, mostly at 6 months
    m0_missing = d[[f"{m}_m0" for m in ("nk", "cd3", "cd8")]].isna().mean().mean()
    m6_missing = d[[f"{m}_m6" for m in ("nk", "cd3", "cd8")]].isna().mean().mean()
    assert 0 < m0_missing < m6_missing < 0.15


def test_published_qualitative_findings_hold_in_shipped_cohort(cohort_path):
    d = load_cohort(cohort_path)
    g = d.groupby("response_iwg", observed=True)
    nk = g["nk_m0"].median()
    assert nk["CR"] < nk["PR"] and nk["CR"] < nk["NR"]
    cr = d[d["response_iwg"] == "CR"]
    change_nk = (cr["pct_nk_m6"] - cr["pct_nk_m0"]).dropna()
    change_act = (cr["pct_cd8_act_m6"] - cr["pct_cd8_act_m0"]).dropna()
    assert change_nk.median() > 0
    assert change_act.median() < 0
    assert set(d["response_iwg"].dropna()) == {"CR", "PR", "NR"}


def test_times_to_event_are_consistent_and_carry_the_stated_effect():
    """Relapse only for responders, times within follow-up, and at n = 1500 the assumed
    direction: a higher baseline NK count, an earlier relapse (hazard ratio above 1)."""
    from itp_stats.stats.survival import cox_model

    frame = synthesize(1500, seed=3)
    response = frame["response_m6"].astype(object)
    responder = response.isin(["CR", "PR"])
    assert frame.loc[~responder, ["relapse_months", "relapse"]].isna().all().all()
    assert frame.loc[responder, ["relapse_months", "relapse"]].notna().all().all()
    assert frame["next_treatment_months"].notna().all()
    for column in ("relapse_months", "next_treatment_months"):
        times = frame[column].dropna()
        assert (times >= 0).all() and (times <= frame.loc[times.index, "followup_months"]).all()
    assert (frame.loc[responder, "relapse_months"] >= 6).all()  # from the response at 6 months
    data = frame[responder].assign(relapse=frame["relapse"].astype(float))
    hr = cox_model(data, "relapse_months", "relapse", "nk_m0", unit=100).iloc[0]
    assert hr.ci_low > 1


def test_times_to_event_leave_every_other_column_as_it_was():
    """Drawn from a stream of their own: the other columns do not depend on them (the
    synthesizer without them gives the same values)."""
    from itp_stats.cohort import synth

    frame = synthesize(200, seed=11)
    original = synth._times_to_event
    try:
        synth._times_to_event = lambda frame, followup, seed: original(frame, followup, seed + 1)
        other = synthesize(200, seed=11)
    finally:
        synth._times_to_event = original
    rest = [
        c
        for c in frame.columns
        if c not in {"relapse_months", "relapse", "next_treatment_months", "next_treatment"}
    ]
    pd.testing.assert_frame_equal(frame[rest], other[rest])
    assert not frame["relapse_months"].equals(other["relapse_months"])


def test_a_million_rows_is_vectorised():
    # correctness at scale (speed is measured in benchmarks/, not here)
    d = synthesize(200_000, 11)
    assert len(d) == 200_000
    assert d["patient_id"].is_unique
    assert d["patient_id"].iloc[-1] == "P200000"
    assert np.isfinite(d["itp_duration_months"]).all()


def test_every_written_format_carries_the_synthetic_mark(tmp_path):
    frame = synthesize(30, 5)
    for suffix in ("csv", "xlsx", "parquet"):
        path = write_cohort(frame, tmp_path / f"c.{suffix}", seed=5)
        mark = synthetic_mark(path)
        assert mark.startswith(SYNTHETIC_MARK) and "n = 30, seed 5" in mark, suffix
        side = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
        assert side["mark"] == mark and side["file"] == f"c.{suffix}", suffix
        assert side["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), suffix
        loaded = load_cohort(path)  # the mark never reaches the data
        assert list(loaded["patient_id"][:2]) == ["P001", "P002"] and len(loaded) == 30
    plain = tmp_path / "plain.csv"
    frame.to_csv(plain, index=False)
    assert synthetic_mark(plain) == ""
    assert synthetic_mark(tmp_path / "missing.csv") == ""


def test_synth_writes_a_plain_csv_and_its_sidecar(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "--n", "150", "--seed", "7", "--out", "other.csv"]) == 0
    assert "other.csv.synthetic.json" in capsys.readouterr().out
    frame = pd.read_csv(tmp_path / "other.csv")
    assert frame.shape == (150, len(load_dictionary().names))
    assert list(frame.columns) == load_dictionary().names
    side = json.loads((tmp_path / "other.csv.synthetic.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256((tmp_path / "other.csv").read_bytes()).hexdigest()
    assert side == {
        "mark": f"{SYNTHETIC_MARK} (n = 150, seed 7): no row is a real patient",
        "file": "other.csv",
        "n": 150,
        "seed": 7,
        "itp_stats_version": __version__,
        "sha256": digest,
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.csv", "other.csv.synthetic.json"]


def test_synth_help_names_the_sidecar(capsys):
    with pytest.raises(SystemExit):
        main(["synth", "--help"])
    assert "OUT.synthetic.json" in " ".join(capsys.readouterr().out.split())


def test_a_cohort_is_recognised_by_its_sidecar_only_while_its_bytes_match(tmp_path):
    path = write_cohort(synthesize(40, 2), tmp_path / "c.csv", seed=2)
    mark = synthetic_mark(path)
    assert mark == f"{SYNTHETIC_MARK} (n = 40, seed 2): no row is a real patient"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert synthetic_mark(path, sha256=digest) == mark  # the digest of the bytes analysed
    assert synthetic_mark(path, sha256="0" * 64) == ""
    # the sidecar goes with its file: a copy with it is recognised, a copy without it is not
    copy = tmp_path / "copy.csv"
    shutil.copyfile(path, copy)
    assert synthetic_mark(copy) == ""
    shutil.copyfile(sidecar_path(path), sidecar_path(copy))
    assert synthetic_mark(copy) == mark
    # changed after synth (one cell, or only the line endings): no longer its cohort
    edited = path.read_text(encoding="utf-8").replace("P001,", "P999,", 1)
    path.write_text(edited, encoding="utf-8")
    assert synthetic_mark(path) == ""
    copy.write_bytes(copy.read_bytes().replace(b"\n", b"\r\n"))
    assert synthetic_mark(copy) == ""
    # a sidecar that is not one synth wrote says nothing
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()
    for text in ("not json", "[]", json.dumps({"mark": "made by hand", "sha256": digest})):
        sidecar_path(copy).write_text(text, encoding="utf-8")
        assert synthetic_mark(copy) == ""


def test_a_cohort_with_the_older_first_line_mark_still_works(tmp_path):
    frame = synthesize(25, 4)
    plain = write_cohort(frame, tmp_path / "plain.csv", seed=4)
    mark = f"{SYNTHETIC_MARK} (n = 25, seed 4): no row is a real patient"
    old = tmp_path / "old.csv"  # as itp-stats synth wrote it before the sidecar
    old.write_bytes(f"# {mark}\n".encode() + plain.read_bytes())
    assert not sidecar_path(old).exists()
    assert synthetic_mark(old) == mark
    pd.testing.assert_frame_equal(load_cohort(old), load_cohort(plain))


def test_the_mark_of_bytes_read_once_with_their_sidecar(tmp_path):
    from itp_stats.cohort.synth import synthetic_mark_of

    frame = synthesize(20, 9)
    for suffix in ("csv", "xlsx", "parquet"):
        path = write_cohort(frame, tmp_path / f"c.{suffix}", seed=9)
        data, side = path.read_bytes(), sidecar_path(path).read_bytes()
        mark = synthetic_mark(path)
        assert synthetic_mark_of(data, path.name, sidecar=side) == mark, suffix
        path.unlink()  # the bytes alone say it: the path is never read again
        sidecar_path(path).unlink()
        inner = synthetic_mark_of(data, path.name)  # XLSX and Parquet carry the mark inside
        assert inner == ("" if suffix == "csv" else mark), suffix
    # a sidecar whose digest is not of these bytes is not trusted
    other = write_cohort(synthesize(20, 10), tmp_path / "other.csv", seed=10)
    stale = sidecar_path(other).read_bytes()
    plain = frame.to_csv(index=False).encode()
    assert synthetic_mark_of(plain, "c.csv", sidecar=stale) == ""
    assert synthetic_mark_of(b"not a workbook", "c.xlsx") == ""
