"""The synthetic cohort generator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from itp_stats.cli import main
from itp_stats.cohort.dictionary import load_dictionary
from itp_stats.cohort.load import derive, load_cohort
from itp_stats.cohort.synth import DEFAULT_SEED, synthesize


def test_documented_command_reproduces_shipped_cohort(tmp_path, cohort_path, root):
    readme = (root / "data" / "README.md").read_text(encoding="utf-8")
    assert f"itp-stats synth --n 72 --seed {DEFAULT_SEED} --out data/cohort.csv" in readme
    out = tmp_path / "cohort.csv"
    assert main(["synth", "--n", "72", "--seed", str(DEFAULT_SEED), "--out", str(out)]) == 0
    assert out.read_bytes() == cohort_path.read_bytes()


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


def test_a_million_rows_is_vectorised():
    # correctness at scale (speed is measured in benchmarks/, not here)
    d = synthesize(200_000, 11)
    assert len(d) == 200_000
    assert d["patient_id"].is_unique
    assert d["patient_id"].iloc[-1] == "P200000"
    assert np.isfinite(d["itp_duration_months"]).all()


def test_every_written_format_carries_the_synthetic_mark(tmp_path):
    from itp_stats.cohort.synth import SYNTHETIC_MARK, synthetic_mark, write_cohort

    frame = synthesize(30, 5)
    for suffix in ("csv", "xlsx", "parquet"):
        path = write_cohort(frame, tmp_path / f"c.{suffix}", seed=5)
        mark = synthetic_mark(path)
        assert mark.startswith(SYNTHETIC_MARK) and "n = 30, seed 5" in mark, suffix
        loaded = load_cohort(path)  # the mark never reaches the data
        assert list(loaded["patient_id"][:2]) == ["P001", "P002"] and len(loaded) == 30
    plain = tmp_path / "plain.csv"
    frame.to_csv(plain, index=False)
    assert synthetic_mark(plain) == ""
    assert synthetic_mark(tmp_path / "missing.csv") == ""
