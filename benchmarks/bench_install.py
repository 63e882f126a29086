"""Benchmark of the venv install that ``make report`` does on a fresh clone.

In temporary folders, with nothing cached (a new uv cache folder for each run; pip's own
cache is switched off), the project is installed into a new venv

- by pip alone (``python -m pip install -e .``, the baseline), and
- as the Makefile does it: uv into the venv, then ``tools/install_venv.py -e .``, which
  gives uv pip's configured sources and compiles the bytecode,

in alternation, in the same process. Medians and the uv/pip ratio are printed. Each pip run
takes most of a minute on 2 cores.

Run: ``.venv/bin/python benchmarks/bench_install.py [--repeat 1]``
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


def _timed(command: list[str], environ: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        command, check=True, env=environ, cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - t0


def install(tool: str, folder: Path) -> float:
    """Seconds to create a venv in ``folder`` and install the project with ``tool``."""
    environ = dict(os.environ, PIP_NO_CACHE_DIR="1", UV_CACHE_DIR=str(folder / "uv-cache"))
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    venv = folder / "venv"
    python = str(venv / "bin" / "python")
    seconds = _timed([sys.executable, "-m", "venv", str(venv)], environ)
    if tool == "pip":
        return seconds + _timed([python, "-m", "pip", "install", "--quiet", "-e", "."], environ)
    seconds += _timed(
        [python, "-m", "pip", "install", "--quiet", "uv>=0.13,<0.14"],
        dict(environ, PIP_NO_CACHE_DIR="0"),
    )
    return seconds + _timed([python, "tools/install_venv.py", "-e", "."], environ)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"pip": [], "uv": []}
    for _ in range(args.repeat):
        for tool in times:
            with tempfile.TemporaryDirectory(prefix=f"bench-install-{tool}-") as folder:
                times[tool].append(install(tool, Path(folder)))
    pip, uv = (statistics.median(times[t]) for t in ("pip", "uv"))
    print(f"venv + install, nothing cached (median of {args.repeat}):")
    print(f"  pip alone              {pip:6.1f} s")
    print(f"  uv (make's way)        {uv:6.1f} s   ratio uv/pip {uv / pip:.2f}")


if __name__ == "__main__":
    main()
