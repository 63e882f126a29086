"""Benchmark of the validation gate: Great Expectations against plain vectorised pandas.

For synthetic cohorts of 72, 100,000 and 1,000,000 rows (``itp_stats.cohort.synth.synthesize`` with
a fixed seed), the batch frame is prepared once (``itp_stats.gate.batch.gate_frame``: typed
columns plus the gate's derived columns), then validated

- by the GX checkpoint of the gate (``GateRuntime.run`` + building the step table), and
- by the same rules (``itp_stats.gate.suite.build_rules``) evaluated as plain vectorised
  pandas: a boolean mask per rule, counts and failing ids,

in the same process. Medians of repeated runs and the GX/pandas ratio are printed; separately
the GX import, the context setup, the whole gate on the shipped cohort, and ``itp-stats gate``
when it reuses its stored result (no GX import).

Run: ``.venv/bin/python benchmarks/bench_gate.py [--sizes 72,100000,1000000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _median_time(fn, repeat: int) -> tuple[float, Any]:
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _condition(s: pd.Series, op: str, value: Any) -> np.ndarray:
    """The rows a rule's ``(column, op, value)`` row condition keeps."""
    if op == "notnull":
        return s.notna().to_numpy()
    if op == "not_in":  # a recorded value outside the set
        values = s.astype(object)
        return values.notna().to_numpy() & ~values.isin(value).to_numpy()
    if op == "==":
        return (s.astype(object) == value).to_numpy(dtype=bool)
    x = s.to_numpy(dtype=float, na_value=np.nan)
    return x < value if op == "<" else x >= value


def pandas_rules(frame: pd.DataFrame, rules, labels: list[str]) -> list[dict[str, Any]]:
    """The gate's rules as plain vectorised pandas: per rule, tested, failed and ids."""
    out = []
    n = len(frame)
    for rule in rules:
        kw = rule.kwargs
        kind = rule.expectation
        if kind == "ExpectTableColumnsToMatchSet":
            failed = len(set(kw["column_set"]) ^ set(frame.columns))
            out.append({"rule_id": rule.rule_id, "n_tested": 1, "n_failed": failed, "ids": []})
            continue
        if kind == "ExpectTableRowCountToBeBetween":
            out.append({"rule_id": rule.rule_id, "n_tested": 1, "n_failed": int(n < 1), "ids": []})
            continue
        if kind == "ExpectColumnUniqueValueCountToBeBetween":
            k = frame[kw["column"]].nunique(dropna=True)
            out.append({"rule_id": rule.rule_id, "n_tested": 1, "n_failed": int(k < 2), "ids": []})
            continue
        rows = np.ones(n, dtype=bool)
        if "row_condition" in kw:
            spec = kw["row_condition"]
            for col, op, value in spec if isinstance(spec, list) else [spec]:
                rows = rows & _condition(frame[col], op, value)
        if kind in {"ExpectColumnPairValuesAToBeGreaterThanB", "ExpectColumnPairValuesToBeEqual"}:
            a, b = frame[kw["column_A"]], frame[kw["column_B"]]
            tested = rows & a.notna().to_numpy() & b.notna().to_numpy()
            if kind == "ExpectColumnPairValuesToBeEqual":
                bad = tested & (a.to_numpy() != b.to_numpy())
            else:
                bad = tested & ~(a.to_numpy(dtype=float) >= b.to_numpy(dtype=float))
        else:
            s = frame[kw["column"]]
            present = s.notna().to_numpy()
            if kind == "ExpectColumnValuesToNotBeNull":
                tested, bad = rows, rows & ~present
            elif kind == "ExpectColumnValuesToBeNull":
                tested, bad = rows, rows & present
            else:
                tested = rows & present
                if kind == "ExpectColumnValuesToBeBetween":
                    x = s.to_numpy(dtype=float, na_value=np.nan)
                    ok = np.ones(n, dtype=bool)
                    if kw.get("min_value") is not None:
                        ok &= x >= kw["min_value"]
                    if kw.get("max_value") is not None:
                        ok &= (
                            (x < kw["max_value"])
                            if kw.get("strict_max")
                            else (x <= kw["max_value"])
                        )
                    bad = tested & ~ok
                elif kind == "ExpectColumnValuesToBeInSet":
                    bad = tested & ~s.isin(kw["value_set"]).to_numpy()
                elif kind == "ExpectColumnValuesToNotBeInSet":
                    bad = tested & s.isin(kw["value_set"]).to_numpy()
                elif kind == "ExpectColumnValuesToMatchRegex":
                    matched = (
                        s.astype(object).where(present, "").str.contains(kw["regex"], regex=True)
                    )
                    bad = tested & ~matched.to_numpy(dtype=bool)
                elif kind == "ExpectColumnValuesToBeUnique":
                    bad = tested & s.duplicated(keep=False).to_numpy()
                else:
                    raise ValueError(kind)
        idx = np.flatnonzero(bad)
        out.append(
            {
                "rule_id": rule.rule_id,
                "n_tested": int(tested.sum()),
                "n_failed": int(idx.size),
                "ids": [labels[i] for i in idx[:1000]],
            }
        )
    return out


def _import_and_setup() -> tuple[float, float]:
    code = (
        "import time;t=time.perf_counter();"
        "from itp_stats.gate.run import _import_gx;_import_gx();"
        "t1=time.perf_counter();"
        "from itp_stats.gate.run import gate_runtime;gate_runtime();"
        "t2=time.perf_counter();print(t1-t,t2-t1)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imp, setup = (float(v) for v in out.stdout.split())
    return imp, setup


def _shipped_gate() -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "itp_stats", "validate", "data/cohort.csv"],
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - t0


def _cached_gate(repeat: int) -> float:
    """Median time of ``itp-stats gate`` reusing a current result (written to a temp file)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "gate.json")
        command = [sys.executable, "-m", "itp_stats", "gate", "--json", out]
        subprocess.run(command, capture_output=True, check=True)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            proc = subprocess.run(command, capture_output=True, text=True, check=True)
            times.append(time.perf_counter() - t0)
            if "cached result" not in proc.stderr:
                raise RuntimeError("itp-stats gate did not reuse its result")
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="72,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20230601)
    args = parser.parse_args(argv)

    from itp_stats.cohort.dictionary import load_dictionary
    from itp_stats.cohort.synth import synthesize
    from itp_stats.gate.batch import gate_frame, row_labels
    from itp_stats.gate.run import gate_runtime, validate_frame
    from itp_stats.gate.suite import build_rules

    imports = [_import_and_setup() for _ in range(args.repeat)]
    print(f"GX import (fresh process):       {statistics.median(i[0] for i in imports):7.3f} s")
    print(f"GX context + suite + checkpoint: {statistics.median(i[1] for i in imports):7.3f} s")
    shipped = statistics.median(_shipped_gate() for _ in range(args.repeat))
    print(f"`itp-stats validate data/cohort.csv` (whole process): {shipped:.3f} s")
    cached = _cached_gate(args.repeat)
    print(f"`itp-stats gate`, result reused (whole process):    {cached:.3f} s")
    python_floor = statistics.median(
        _median_time(
            lambda: subprocess.run(
                [sys.executable, "-c", "import itp_stats.cohort.load"], check=True
            ),
            1,
        )[0]
        for _ in range(args.repeat)
    )
    print(f"python + itp_stats.cohort.load import (floor):            {python_floor:.3f} s")
    print()

    d = load_dictionary()
    rules = build_rules(d)
    gate_runtime(d)  # context built once, outside the timings
    header = f"{'rows':>9}  {'GX run (s)':>10}  {'pandas (s)':>10}  {'ratio':>6}  agree"
    print(header)
    print("-" * len(header))
    for n in (int(s) for s in re.split(r"[,\s]+", args.sizes.strip()) if s):
        frame = gate_frame(synthesize(n, args.seed), None, d)
        labels = row_labels(frame, d.id_column)
        t_gx, steps = _median_time(
            lambda f=frame, lab=labels: validate_frame(f, d, labels=lab), args.repeat
        )
        t_pd, plain = _median_time(
            lambda f=frame, lab=labels: pandas_rules(f, rules, lab), args.repeat
        )
        agree = all(s["n_failed"] == p["n_failed"] for s, p in zip(steps, plain, strict=True))
        print(f"{n:>9}  {t_gx:>10.3f}  {t_pd:>10.3f}  {t_gx / t_pd:>6.1f}  {agree}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
