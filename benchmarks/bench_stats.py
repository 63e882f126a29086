"""Benchmark of the whole analysis plan (itp_stats.study.plan.run_analysis).

Runs every test of the plan, with 2,000 bootstrap resamples, on the 72-patient synthetic
cohort and on a 100,000-patient synthetic cohort, and prints the median wall time of several
runs. Then prints two scaling tables, median time and time / (n log n) relative to the
smallest n (a ratio that stays near or below 1 means cost grows no faster than n log n):

* ``run_analysis`` on synthetic cohorts of 10,000, 30,000 and 100,000 patients (the ε²
  interval is the one-sided noncentral-F interval, no resampling; the bootstrap resamples
  are those of the Youden cutoff);
* the exact vectorised ε² bootstrap alone (``bootstrap_epsilon_squared``, 3 groups of
  continuous values, every value distinct: the worst case) at the same sizes; it is the
  ``ci_method="percentile_bootstrap"`` option of ``kruskal``, no longer the plan's default;
* Harrell's optimism bootstrap of the prediction model alone (``internal_validation``,
  ``n_boot`` resamples, batched refits) at the same sizes.

``run_analysis`` includes that bootstrap and the adjusted model (the shipped study's
``adjust_for``).

Usage: ``.venv/bin/python benchmarks/bench_stats.py [--runs-small 7] [--runs-large 3]
[--large 100000] [--scaling 10000,30000,100000] [--runs-scaling 3]``; ``--runs-scaling 0``
skips the tables.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from itp_stats.cohort.load import derive
from itp_stats.cohort.synth import synthesize
from itp_stats.stats.calibration import internal_validation
from itp_stats.stats.effsize import bootstrap_epsilon_squared
from itp_stats.study.plan import run_analysis

COUNTS = ["lymphocytes", "cd3", "cd4", "cd8", "cd19", "nk", "cd8_act"]
MARKERS = COUNTS + [f"pct_{m}" for m in COUNTS[1:]]
CONTINUOUS = ["age_years", "itp_duration_months", "prior_lines", "platelets_m0"]
CATEGORICAL = ["sex", "itp_phase", "prior_splenectomy", "rtx_regimen", "bleeding_m0"]
SEED = 20230601
STUDY = {
    "group": "response_iwg",
    "levels": ["CR", "PR", "NR"],
    "ordered": True,
    "positive": "CR",
    "responders": ["CR", "PR"],
    "timepoints": ("m0", "m6"),
    "predictors": [
        {
            "column": "nk_m0",
            "direction": "lower",
            "per": 100,
            "adjust_for": ["age_years", "sex", "itp_phase"],
        }
    ],
}
"""The shipped study's choices (``data/study.yaml``), as the study layer passes them."""


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def analysis_job(n: int, n_boot: int):
    cohort = derive(synthesize(n, SEED))
    cohort = cohort[cohort[STUDY["group"]].notna()].reset_index(drop=True)  # analysed only

    def job() -> None:
        run_analysis(
            cohort, markers=MARKERS, continuous=CONTINUOUS, categorical=CATEGORICAL,
            n_boot=n_boot, seed=SEED, **STUDY,
        )  # fmt: skip

    return job, "noncentral F, one-sided"


def bootstrap_job(n: int, n_boot: int):
    rng = np.random.default_rng(SEED)
    sizes = [round(n * f) for f in (0.42, 0.17)]
    sizes.append(n - sum(sizes))
    samples = [rng.normal(shift, 1, size) for shift, size in zip((0, 0.2, 0.4), sizes, strict=True)]

    def job() -> None:
        bootstrap_epsilon_squared(samples, n_boot, np.random.default_rng(SEED))

    return job


def validation_job(n: int, n_boot: int):
    cohort = derive(synthesize(n, SEED))
    cohort = cohort[cohort[STUDY["group"]].notna()].reset_index(drop=True)

    def job() -> None:
        internal_validation(cohort, "nk_m0", STUDY["group"], positive="CR", n_boot=n_boot,
                            seed=SEED)  # fmt: skip

    return job


def scaling_table(title: str, rows: list[tuple[int, list[float], str]]) -> None:
    print(f"\n{title}")
    print(f"{'n':>9} {'median s':>9} {'min s':>8} {'max s':>8} {'t/(n log n), rel.':>18}  note")
    base = None
    for n, times, note in rows:
        med = statistics.median(times)
        per = med / (n * math.log(n))
        base = base or per
        print(
            f"{n:>9,} {med:>9.3f} {min(times):>8.3f} {max(times):>8.3f} {per / base:>18.2f}  "
            f"{note}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs-small", type=int, default=7)
    parser.add_argument("--runs-large", type=int, default=3)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--scaling", default="10000,30000,100000")
    parser.add_argument("--runs-scaling", type=int, default=3)
    args = parser.parse_args()
    results: dict[int, tuple[list[float], str]] = {}
    for n, runs in ((72, args.runs_small), (args.large, args.runs_large)):
        if runs <= 0:
            continue
        job, how = analysis_job(n, args.n_boot)
        times = timed(job, runs)
        results[n] = (times, how)
        print(
            f"run_analysis n={n:>7} markers={len(MARKERS)} n_boot={args.n_boot}: "
            f"median {statistics.median(times):.3f} s over {runs} runs "
            f"(min {min(times):.3f}, max {max(times):.3f}; ε² CI: {how})",
            flush=True,
        )
    if args.runs_scaling <= 0:
        return
    sizes = [int(s) for s in args.scaling.split(",")]
    rows = []
    for n in sizes:
        if n in results and len(results[n][0]) >= args.runs_scaling:
            rows.append((n, *results[n]))
            continue
        job, how = analysis_job(n, args.n_boot)
        rows.append((n, timed(job, args.runs_scaling), how))
    scaling_table(f"run_analysis scaling (n_boot={args.n_boot}, ε² CI as noted)", rows)
    rows = [
        (n, timed(bootstrap_job(n, args.n_boot), args.runs_scaling), "3 groups, all distinct")
        for n in sizes
    ]
    scaling_table(f"exact ε² bootstrap alone (bootstrap_epsilon_squared, {args.n_boot})", rows)
    rows = [
        (n, timed(validation_job(n, args.n_boot), args.runs_scaling), "one predictor")
        for n in sizes
    ]
    scaling_table(f"Harrell's optimism bootstrap alone (internal_validation, {args.n_boot})", rows)


if __name__ == "__main__":
    main()
