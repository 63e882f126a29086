"""Stopping a render: work in daemon threads, kernels and processes killed on Ctrl-C."""

from __future__ import annotations

import _thread
import subprocess
import sys
import threading
import time

import pytest

from itp_stats.render import cancel


def test_run_all_keeps_the_order_and_raises_the_first_failure():
    assert cancel.run_all(lambda x: x * 2, [3, 1, 2]) == [6, 2, 4]

    def work(x):
        time.sleep(0.05 * (3 - x))
        if x:
            raise ValueError(x)
        return x

    with pytest.raises(ValueError, match="1"):  # the first in order, not the first to fail
        cancel.run_all(work, [0, 1, 2])


def test_run_all_limits_the_workers():
    running, most = [0], [0]
    lock = threading.Lock()

    def work(_):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    cancel.run_all(work, range(6), max_workers=2)
    assert most[0] == 2


def test_an_interrupt_kills_what_runs_and_does_not_wait():
    started = threading.Event()
    procs = []

    def work(_):
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        procs.append(proc)
        with cancel.tracked(proc):
            started.set()
            proc.wait()

    def interrupt():
        started.wait(10)
        _thread.interrupt_main()  # Ctrl-C, as the main thread receives it

    threading.Thread(target=interrupt, daemon=True).start()
    begun = time.monotonic()
    with pytest.raises(KeyboardInterrupt), cancel.interruptible():
        cancel.run_all(work, [1])
    assert time.monotonic() - begun < 5
    assert procs[0].wait(5) is not None  # killed, not left sleeping
    assert cancel.stopping()
    with pytest.raises(KeyboardInterrupt):  # work starting after the stop does not start
        with cancel.tracked(subprocess.Popen([sys.executable, "-c", "pass"])):
            pass
    with cancel.interruptible():  # the next render starts afresh
        assert not cancel.stopping()
