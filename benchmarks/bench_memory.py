"""Benchmark of the peak memory of ``itp-stats validate`` on cohorts of growing size.

For each size, a synthetic cohort is written with ``itp-stats synth --n N --seed 1`` in a
temporary folder, then ``itp-stats validate FILE`` runs in a child process; its peak resident
set size (``ru_maxrss`` from ``os.wait4``, the child alone) and wall time are recorded. The
shipped 72-patient cohort gives the fixed cost (interpreter, pandas, Great Expectations).

Printed per size: file size, median peak RSS, RSS / file size, the RSS above the fixed cost
per MB of file (what grows with the data), the median wall time, and the peak RSS of
reading the file alone (:func:`itp_stats.cohort.load.read_table`, the loading step). Sizes
below 500,000 patients are repeated ``--repeat`` times (median shown); larger ones
``--repeat-large`` times.

Usage: ``.venv/bin/python benchmarks/bench_memory.py [--sizes 100000,250000,500000,1000000]
[--repeat 3] [--repeat-large 1]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "cohort.csv"
CLI = [sys.executable, "-m", "itp_stats"]
READ = [
    sys.executable,
    "-c",
    "import sys; from itp_stats.cohort.load import read_table; read_table(sys.argv[1])",
]


def _peak(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Run ``args``; return (peak RSS in MiB, wall time in s, exit status) of that child."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr is not None:
        proc.stderr.close()
    return usage.ru_maxrss / 1024, elapsed, proc.returncode  # ru_maxrss is in KiB on Linux


def _measure(
    path: Path, cwd: Path, repeat: int, command: list[str] | None = None
) -> tuple[float, float, int]:
    """Median peak RSS and wall time of ``command FILE`` (default ``itp-stats validate``)."""
    command = command or [*CLI, "validate"]
    runs = [_peak([*command, str(path)], cwd) for _ in range(repeat)]
    status = max(r[2] for r in runs)
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,250000,500000,1000000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size below 500,000")
    parser.add_argument("--repeat-large", type=int, default=1, help="runs per larger size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    with tempfile.TemporaryDirectory(prefix="itp-bench-memory-") as tmp:
        folder = Path(tmp)
        fixed, fixed_time, _ = _measure(SHIPPED, folder, args.repeat)
        print(f"fixed cost (shipped 72-patient cohort): {fixed:.0f} MiB peak, {fixed_time:.2f}s")
        print(
            f"{'patients':>10}  {'file':>9}  {'peak RSS':>9}  {'RSS/file':>8}  "
            f"{'(RSS-fixed)/file':>16}  {'time':>7}  {'read_table':>10}  runs"
        )
        for n in sizes:
            path = folder / f"cohort_{n}.csv"
            subprocess.run(
                [*CLI, "synth", "--n", str(n), "--seed", "1", "--out", str(path)],
                cwd=folder,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            size = path.stat().st_size / 2**20
            repeat = args.repeat if n < 500_000 else args.repeat_large
            peak, elapsed, status = _measure(path, folder, max(1, repeat))
            read, _, _ = _measure(path, folder, max(1, repeat), READ)
            note = "" if status == 0 else f"  (exit status {status})"
            print(
                f"{n:>10,}  {size:>6.0f}MiB  {peak:>6.0f}MiB  {peak / size:>7.1f}x  "
                f"{(peak - fixed) / size:>15.1f}x  {elapsed:>6.1f}s  {read:>7.0f}MiB  "
                f"{max(1, repeat)}{note}"
            )
            path.unlink()


if __name__ == "__main__":
    main()
