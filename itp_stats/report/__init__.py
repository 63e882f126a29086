"""The report layer: formatting, tables, figures, sentences from results, exports.

``from itp_stats import report as R`` gives the façade the ``.qmd`` cells call
(:mod:`itp_stats.report.facade`). It is imported on first use, so a module that needs only
the formatting (``itp_stats.report.format``) does not import matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["facade"]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    facade = importlib.import_module("itp_stats.report.facade")
    if name == "facade":
        return facade
    try:
        return getattr(facade, name)
    except AttributeError:
        raise AttributeError(f"module 'itp_stats.report' has no attribute {name!r}") from None
