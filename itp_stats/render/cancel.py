"""Stopping a render at once on Ctrl-C: its kernels, its converters and its threads.

A render executes its documents, and converts each to its formats, in worker threads. Python
delivers Ctrl-C (``SIGINT``) to the main thread only, as :class:`KeyboardInterrupt`; a
:class:`~concurrent.futures.ThreadPoolExecutor` would then wait for every document to finish
executing and converting before the exception could end the command (and the interpreter
joins its threads again on exit). Instead:

- :func:`run_all` runs the work in *daemon* threads and waits for them in short slices, so
  the interrupt reaches the main thread at once, and the interpreter does not wait for them
  on exit;
- the kernels (:class:`~itp_stats.render.kernel.KernelSession`) and the converters' processes
  (pandoc) register here while they run (:func:`tracked`); on the interrupt :func:`stop_all`
  kills them, so nothing of the render keeps running after the command has ended, and
  further Ctrl-C are ignored while the render cleans up (its build folder and staged outputs
  are removed; the previous outputs were never touched).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

__all__ = ["Stoppable", "interruptible", "run_all", "stop_all", "stopping", "tracked"]

T = TypeVar("T")
R = TypeVar("R")

_WAIT_SLICE = 0.05
"""Seconds the main thread waits at a time (the interrupt is seen between two waits)."""


class Stoppable(Protocol):
    """Something a render starts that can be stopped from another thread (``kill()``)."""

    def kill(self) -> None:
        """Stop at once; must not raise when already stopped."""


_lock = threading.Lock()
_running: set[Any] = set()
_stopping = threading.Event()


def stopping() -> bool:
    """Whether the render is being stopped (work still starting should not start)."""
    return _stopping.is_set()


@contextlib.contextmanager
def tracked(thing: Stoppable) -> Iterator[Stoppable]:
    """Register ``thing`` (a process, a kernel) for :func:`stop_all` while the block runs.

    When the render is already being stopped, ``thing`` is killed at once and
    :class:`KeyboardInterrupt` is raised in this (worker) thread.
    """
    with _lock:
        _running.add(thing)
    try:
        if _stopping.is_set():
            thing.kill()
            raise KeyboardInterrupt
        yield thing
    finally:
        with _lock:
            _running.discard(thing)


def stop_all() -> int:
    """Kill every registered kernel and process; ignore further Ctrl-C (main thread).

    Returns
    -------
    int
        How many were killed.
    """
    _stopping.set()
    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    with _lock:
        things = list(_running)
        _running.clear()
    for thing in things:
        with contextlib.suppress(Exception):
            thing.kill()
    return len(things)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """The scope of one render: Ctrl-C in it stops everything the render started.

    On entry the stop of an earlier render (in the same process) is forgotten; when the
    block ends with :class:`KeyboardInterrupt`, :func:`stop_all` runs before the exception
    goes on; on exit the Ctrl-C handler of before is restored.
    """
    _stopping.clear()
    main = threading.current_thread() is threading.main_thread()
    handler = signal.getsignal(signal.SIGINT) if main else None
    try:
        yield
    except KeyboardInterrupt:
        stop_all()
        raise
    finally:
        if main and handler is not None:
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signal.SIGINT, handler)


def run_all(
    function: Callable[[T], R], items: Iterable[T], max_workers: int | None = None
) -> list[R]:
    """``[function(item) for item in items]``, each in its own daemon thread, in order.

    Every item is run to its end (or failure); the first failure, in the items' order, is
    then raised. A :class:`KeyboardInterrupt` (or any exception) in the calling thread while
    it waits calls :func:`stop_all` and propagates at once, without waiting for the threads.

    Parameters
    ----------
    function : callable
        Called with each item.
    items : iterable
        The work.
    max_workers : int, optional
        At most this many items run at once (default: all).
    """
    items = list(items)
    results: list[Any] = [None] * len(items)
    errors: list[BaseException | None] = [None] * len(items)
    slots = threading.Semaphore(max(1, max_workers or len(items) or 1))

    def work(index: int, item: T) -> None:
        with slots:
            try:
                if _stopping.is_set():
                    raise KeyboardInterrupt
                results[index] = function(item)
            except BaseException as exc:  # reported to the caller, in order
                errors[index] = exc

    threads = [
        threading.Thread(target=work, args=(i, item), daemon=True, name=f"itp-stats-{i}")
        for i, item in enumerate(items)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(_WAIT_SLICE)
    except BaseException:
        stop_all()
        raise
    first = next((e for e in errors if e is not None), None)
    if first is not None:
        raise first
    return results
