"""Progress of a render, one line per document and step, on stderr."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

__all__ = ["StepTiming", "Progress"]


@dataclass(frozen=True)
class StepTiming:
    """How long one step of one document took."""

    document: str
    step: str
    seconds: float


@dataclass
class Progress:
    """Reports steps as they finish and keeps their timings.

    Parameters
    ----------
    stream : file, optional
        Where lines go (default: ``sys.stderr`` at the time of writing).
    quiet : bool
        Keep timings but print nothing.
    """

    stream: TextIO | None = None
    quiet: bool = False
    timings: list[StepTiming] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def message(self, text: str) -> None:
        """Print one line (thread-safe)."""
        if self.quiet:
            return
        with self._lock:
            stream = self.stream or sys.stderr
            stream.write(f"[itp-stats render] {text}\n")
            stream.flush()

    def record(self, document: str, step: str, seconds: float, detail: str = "") -> None:
        """Keep a timing and print it."""
        with self._lock:
            self.timings.append(StepTiming(document, step, seconds))
        suffix = f" ({detail})" if detail else ""
        self.message(f"{document}: {step}{suffix} {seconds:.2f} s")

    @contextmanager
    def step(self, document: str, step: str, detail: str = "") -> Iterator[None]:
        """Time the enclosed block as ``step`` of ``document``; report it when it ends."""
        start = time.perf_counter()
        yield
        self.record(document, step, time.perf_counter() - start, detail)
