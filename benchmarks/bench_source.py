"""Benchmark of what a document's kernel pays to get the cohort, with and without the gate's
hand-over (:mod:`itp_stats.cohort.handoff`).

For each size, a synthetic cohort is written with :func:`itp_stats.cohort.synth.synthesize`
into a temporary project, and three ways of getting its bytes are timed in this process:

- ``open``: :meth:`Source.open` of the file — read and hashed, what each kernel paid before
  the hand-over (the baseline);
- ``take``: :func:`take_over` — the sealed record checked against the file's identity, the
  file not read (what a kernel pays when the study is already cached);
- ``take+read``: :func:`take_over` then the copy's bytes read (what the kernel that computes
  the study pays).

Printed per size: file size, median time of each (ms) and its ratio to ``open``.

Usage: ``.venv/bin/python benchmarks/bench_source.py [--sizes 1000,100000,500000]
[--repeat 7]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _median_ms(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,500000")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        os.environ["ITP_STATS_ROOT"] = folder
        from itp_stats.cohort.handoff import hand_over, take_over
        from itp_stats.cohort.source import Source
        from itp_stats.cohort.synth import synthesize, write_cohort

        print(f"{'patients':>9} {'file MB':>8} {'open ms':>8} {'take ms':>8} {'ratio':>6} "
              f"{'take+read ms':>13} {'ratio':>6}")  # fmt: skip
        for n in sizes:
            path = write_cohort(synthesize(n, 1), Path(folder) / f"cohort_{n}.csv", seed=1)
            if not hand_over(Source.open(path)):
                raise SystemExit(f"{path}: not handed over (too large to hold?)")
            t_open = _median_ms(lambda path=path: Source.open(path), args.repeat)
            t_take = _median_ms(lambda path=path: take_over(path), args.repeat)
            t_read = _median_ms(lambda path=path: take_over(path).data(), args.repeat)
            size = path.stat().st_size / 1e6
            print(
                f"{n:>9,} {size:>8.1f} {t_open:>8.1f} {t_take:>8.2f} {t_take / t_open:>6.3f} "
                f"{t_read:>13.1f} {t_read / t_open:>6.3f}"
            )


if __name__ == "__main__":
    main()
