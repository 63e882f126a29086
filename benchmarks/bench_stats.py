"""Benchmark of the whole analysis plan (itp_stats.analysis.run_analysis).

Runs every test of the plan, with 2,000 bootstrap resamples, on the 72-patient synthetic
cohort and on a 100,000-patient synthetic cohort, and prints the median wall time of several
runs. Usage: ``.venv/bin/python benchmarks/bench_stats.py [--runs-small 7] [--runs-large 3]
[--large 100000]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from itp_stats.analysis import run_analysis
from itp_stats.load import derive
from itp_stats.synth import synthesize

COUNTS = ["lymphocytes", "cd3", "cd4", "cd8", "cd19", "nk", "cd8_act"]
MARKERS = COUNTS + [f"pct_{m}" for m in COUNTS[1:]]
CONTINUOUS = ["age_years", "itp_duration_months", "prior_lines", "platelets_m0"]
CATEGORICAL = ["sex", "itp_phase", "prior_splenectomy", "rtx_regimen", "bleeding_m0"]


def bench(n: int, runs: int, n_boot: int) -> list[float]:
    cohort = derive(synthesize(n, 20230601))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run_analysis(
            cohort, markers=MARKERS, continuous=CONTINUOUS, categorical=CATEGORICAL,
            n_boot=n_boot, seed=20230601,
        )  # fmt: skip
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs-small", type=int, default=7)
    parser.add_argument("--runs-large", type=int, default=3)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args()
    for n, runs in ((72, args.runs_small), (args.large, args.runs_large)):
        if runs <= 0:
            continue
        times = bench(n, runs, args.n_boot)
        print(
            f"run_analysis n={n:>7} markers={len(MARKERS)} n_boot={args.n_boot}: "
            f"median {statistics.median(times):.3f} s over {runs} runs "
            f"(min {min(times):.3f}, max {max(times):.3f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
