"""Time ``quarto render`` against ``itp-stats render`` on the same project, same machine.

Usage::

    .venv/bin/python benchmarks/bench_quarto.py               # 3 repeats, cold and warm
    .venv/bin/python benchmarks/bench_quarto.py --repeat 5

Each repeat copies the project's tracked files to a temporary folder (an empty run state),
renders it once with each engine from cold (gate, study, figures computed) and once warm
(all reused), and prints the medians and the ratio quarto / built-in, the baseline run in the
same process. Issue 20 asks for a ratio of at most 1.5. Needs the Quarto CLI on ``PATH``
(with this venv's ``itp-stats`` first on ``PATH``, as ``quarto render`` runs the pre-render
steps and the kernel from it); prints why and exits 0 without it. Timings are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _copy(target: Path) -> Path:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    return target


def _timed(command: list[str], cwd: Path) -> float:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    """Run the benchmark and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("quarto") is None:
        print("bench_quarto: the Quarto CLI is not on PATH; nothing to compare")
        return
    engines = {
        "builtin": [str(Path(sys.executable).parent / "itp-stats"), "render", "--engine",
                    "builtin"],
        "quarto": ["quarto", "render"],
    }  # fmt: skip
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeat):
        for name, command in engines.items():
            with tempfile.TemporaryDirectory() as folder:
                project = _copy(Path(folder) / "project")
                times.setdefault((name, "cold"), []).append(_timed(command, project))
                times.setdefault((name, "warm"), []).append(_timed(command, project))
    for state in ("cold", "warm"):
        base = statistics.median(times[("builtin", state)])
        quarto = statistics.median(times[("quarto", state)])
        print(
            f"{state}: itp-stats render {base:.1f} s, quarto render {quarto:.1f} s, "
            f"ratio {quarto / base:.2f} (median of {args.repeat})"
        )


if __name__ == "__main__":
    main()
