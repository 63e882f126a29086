"""The validation gate: Great Expectations checks that stand between the data and the report.

Submodules:

- :mod:`~itp_stats.gate.suite`: the rules, built from the data dictionary (GX suite,
  checkpoint and project files in ``validation/``);
- :mod:`~itp_stats.gate.batch`: the cohort file read and prepared for validation;
- :mod:`~itp_stats.gate.run`: the GX context, the run and the step table;
- :mod:`~itp_stats.gate.result`: the JSON result and the light reader the documents call;
- :mod:`~itp_stats.gate.report`: the step table as text;
- :mod:`~itp_stats.gate.cli`: ``itp-stats validate`` and ``itp-stats gate``.

Great Expectations is imported lazily: ``import itp_stats.gate.result`` stays fast. The names
below are resolved on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "GateFailedError",
    "GateResult",
    "gate_warnings",
    "read_gate_result",
    "step_table",
    "validate_path",
]

_LAZY = {
    "GateFailedError": "itp_stats.gate.result",
    "GateResult": "itp_stats.gate.result",
    "gate_warnings": "itp_stats.gate.result",
    "read_gate_result": "itp_stats.gate.result",
    "step_table": "itp_stats.gate.result",
    "validate_path": "itp_stats.gate.run",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'itp_stats.gate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
