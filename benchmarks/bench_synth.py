"""Benchmark of the synthetic cohort generator and of loading what it writes.

Prints the median wall time of ``synthesize(n)`` for 72, 100,000 and 1,000,000 patients, of
writing the CSV, and of ``load_cohort`` reading it back (typing and derived columns), with
the time per 100,000 patients as a check that the cost grows linearly.

Usage: ``.venv/bin/python benchmarks/bench_synth.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from itp_stats.cohort.load import load_cohort
from itp_stats.cohort.synth import synthesize, write_cohort


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'patients':>10}  {'synthesize':>10}  {'write csv':>10}  {'load':>10}  per 100k")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (72, 100_000, 1_000_000):
            path = Path(tmp) / f"cohort_{n}.csv"
            t_synth = _median(lambda n=n: synthesize(n, 1), args.repeat)
            frame = synthesize(n, 1)
            t_write = _median(lambda f=frame, p=path: write_cohort(f, p), args.repeat)
            t_load = _median(lambda p=path: load_cohort(p), args.repeat)
            # time per 100,000 patients: meaningful once fixed costs are small
            per = f"{(t_synth + t_write + t_load) / n * 100_000:.3f}s" if n >= 100_000 else "—"
            print(f"{n:>10,}  {t_synth:>9.3f}s  {t_write:>9.3f}s  {t_load:>9.3f}s  {per}")


if __name__ == "__main__":
    main()
