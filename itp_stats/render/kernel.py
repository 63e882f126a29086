"""A Python Jupyter kernel for one document, driven through nbclient.

The kernel is always the interpreter running ``itp-stats`` (``sys.executable``), whatever
kernelspecs are installed, so documents see the same packages as the command. It starts in
the document's folder (as Quarto's does) with a given environment; matplotlib is switched
to the inline backend there (an inherited ``MPLBACKEND=Agg`` would make figures vanish) and
asked for PNG and SVG of every figure, so each output format can pick the one it suits. When
a print format (DOCX) is rendered, the session also asks for a PNG at :data:`PRINT_DPI`
(:data:`PRINT_PNG_MIME`): matplotlib figures are printed by the kernel, and any other object
may offer one with a ``_repr_print_png_()`` method returning PNG bytes at that resolution.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import nbformat
from ipykernel.kernelspec import get_kernel_dict
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from itp_stats.render.cancel import stopping, tracked
from itp_stats.render.errors import RenderError
from itp_stats.report.figcache import PRINT_PNG_MIME

__all__ = [
    "INLINE_BACKEND",
    "KERNEL_NAME",
    "PRINT_DPI",
    "PRINT_PNG_MIME",
    "KernelSession",
    "kernel_environment",
    "print_figure_code",
]

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
"""The matplotlib backend set in the kernel's environment."""

KERNEL_NAME = "itp-stats-python"
"""Name of the kernelspec the session uses (this interpreter; never looked up on disk)."""

# Configuration given to the kernel on its command line: figures as PNG and SVG (SVG text
# kept as text, so it stays searchable in the PDF); no history database.
_KERNEL_ARGUMENTS = [
    "--HistoryManager.enabled=False",
    "--InlineBackend.figure_formats=png",
    "--InlineBackend.figure_formats=svg",
    "--InlineBackend.rc={'figure.dpi': 110, 'savefig.dpi': 110, 'svg.fonttype': 'none'}",
]


PRINT_DPI = 600
"""Resolution of the figures of print formats (DOCX), as journals ask of line art."""


# Registers the print PNG in the kernel. Matplotlib figures go through the mimebundle
# formatter: the inline backend resets the per-type printers of the ordinary formatters
# when it activates, not that one. Other objects answer through ``_repr_print_png_``.
_PRINT_CODE = """
def _itp_stats_print_png(dpi, mime):
    from IPython import get_ipython
    from IPython.core.formatters import BaseFormatter
    from IPython.core.pylabtools import print_figure
    from traitlets import ObjectName, Unicode

    class PrintPNGFormatter(BaseFormatter):
        format_type = Unicode(mime)
        print_method = ObjectName("_repr_print_png_")
        _return_type = (bytes, str)

    def bundle(figure, include=None, exclude=None):
        data = print_figure(figure, "png", dpi=dpi, base64=True)
        return {mime: data} if data else {}

    display = get_ipython().display_formatter
    display.formatters[mime] = PrintPNGFormatter(parent=display)
    display.mimebundle_formatter.for_type_by_name("matplotlib.figure", "Figure", bundle)

_itp_stats_print_png({dpi!r}, {mime!r})
del _itp_stats_print_png
""".strip()


def print_figure_code(dpi: int = PRINT_DPI) -> str:
    """Return the kernel code that adds a ``dpi``-resolution PNG to every figure's outputs."""
    return _PRINT_CODE.replace("{dpi!r}", repr(int(dpi))).replace("{mime!r}", repr(PRINT_PNG_MIME))


class _ThisInterpreterSpecs(KernelSpecManager):
    """Kernelspec manager that knows one kernel: this Python interpreter."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        spec = get_kernel_dict()
        spec["argv"] = [sys.executable, *spec["argv"][1:]]
        return KernelSpec(resource_dir=str(Path(sys.executable).parent), **spec)

    def find_kernel_specs(self) -> dict[str, str]:
        return {KERNEL_NAME: str(Path(sys.executable).parent)}


def kernel_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for a kernel: ours, the inline backend, this venv first on PATH.

    Parameters
    ----------
    extra : mapping, optional
        Variables to add or override (e.g. ``ITP_STATS_DATA``).
    """
    env = dict(os.environ)
    env["MPLBACKEND"] = INLINE_BACKEND
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")]) if env.get("PATH") else bin_dir
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # no debugger warning on stderr
    if extra:
        env.update(extra)
    return env


class KernelSession:
    """A running kernel that executes code one cell at a time.

    Use it as a context manager; the kernel is shut down on exit.

    Parameters
    ----------
    cwd : Path
        Working directory of the kernel.
    env : mapping, optional
        Extra environment variables (added to :func:`kernel_environment`).
    timeout : float, optional
        Seconds a cell may run (``None``: no limit).
    log : Path, optional
        File receiving the kernel process's own stdout and stderr (start-up notices, crash
        reports); discarded when not given. Cell outputs never go there. The kernel's
        connection file is written beside it (``<log>.connection.json``, in the render's
        build folder, which the next render clears if this one is killed), else in
        ``$TMPDIR``; either way it is removed when the session ends.
    print_dpi : int, optional
        Also output every figure as a PNG at this resolution (:data:`PRINT_PNG_MIME`).
    """

    def __init__(
        self,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        log: Path | None = None,
        print_dpi: int | None = None,
    ) -> None:
        self.cwd = Path(cwd)
        self.log = log
        self.print_dpi = print_dpi
        self.env = kernel_environment(env)
        self._notebook = nbformat.v4.new_notebook()
        self._notebook.metadata["kernelspec"] = {
            "name": KERNEL_NAME,
            "display_name": "Python 3",
            "language": "python",
        }
        manager = AsyncKernelManager(
            kernel_name=KERNEL_NAME, kernel_spec_manager=_ThisInterpreterSpecs()
        )
        if log is not None:
            manager.connection_file = str(Path(log).with_name(Path(log).name + ".connection.json"))
        self._client = NotebookClient(
            self._notebook,
            km=manager,
            timeout=timeout,
            allow_errors=True,
            shutdown_kernel="immediate",
            extra_arguments=list(_KERNEL_ARGUMENTS),
            resources={"metadata": {"path": str(self.cwd)}},
        )
        self._context: Any = None
        self._log: Any = None
        self._tracking: Any = None
        self._starting = False

    def __enter__(self) -> KernelSession:
        """Start the kernel.

        Raises
        ------
        RenderError
            When the kernel cannot start.
        """
        # Ctrl-C kills the kernel from the main thread (itp_stats.render.cancel), also while
        # it starts: registered first, kill() waits for the process to exist
        self._tracking = tracked(self)
        self._tracking.__enter__()
        self._starting = True
        try:
            self._log = open(self.log, "wb") if self.log else subprocess.DEVNULL
            # cleanup_kc: the client was given its kernel manager, so nbclient would
            # otherwise leave the kernel running and its connection file behind
            self._context = self._client.setup_kernel(
                env=self.env, cwd=str(self.cwd), stdout=self._log, stderr=self._log,
                cleanup_kc=True,
            )  # fmt: skip
            self._context.__enter__()
        except Exception as exc:
            self._context = None
            self._untrack()
            self._close_log()
            if stopping():
                raise KeyboardInterrupt from None
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise RenderError(f"the Python kernel could not start ({detail})") from None
        except BaseException:
            self._context = None
            self._untrack()
            self._close_log()
            raise
        finally:
            self._starting = False
        if stopping():
            self.__exit__(None, None, None)
            raise KeyboardInterrupt
        if self.print_dpi:
            for output in self.run(print_figure_code(self.print_dpi)):
                if output.get("output_type") == "error":
                    self.__exit__(None, None, None)
                    raise RenderError(
                        f"the Python kernel could not set up print figures "
                        f"({output.get('ename')}: {output.get('evalue')})"
                    )
        return self

    def _untrack(self) -> None:
        if self._tracking is not None:
            self._tracking.__exit__(None, None, None)
            self._tracking = None

    def _close_log(self) -> None:
        if hasattr(self._log, "close"):
            self._log.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._untrack()
        if self._context is not None:
            try:
                self._context.__exit__(exc_type, exc, tb)
            finally:
                self._context = None
                self._close_log()

    def kill(self) -> None:
        """Kill the kernel process at once (from any thread); the session then fails.

        A kernel still starting is waited for (at most a second) until its process exists,
        so that none is left running.
        """
        deadline = time.monotonic() + 1.0
        while True:
            manager = self._client.km
            provisioner = getattr(manager, "provisioner", None) if manager is not None else None
            process = getattr(provisioner, "process", None)
            if process is not None:
                if process.poll() is None:
                    process.kill()
                return
            if not self._starting or time.monotonic() > deadline:
                return
            time.sleep(0.01)

    def run(self, code: str) -> list[dict[str, Any]]:
        """Execute ``code`` as one cell and return its outputs (nbformat output dicts).

        An exception raised by the code is returned as an ``error`` output, not raised.
        """
        cell = nbformat.v4.new_code_cell(code)
        self._notebook.cells.append(cell)
        index = len(self._notebook.cells) - 1
        self._client.execute_cell(cell, index)
        return [dict(output) for output in cell.outputs]
