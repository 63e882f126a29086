"""The step table as text, for the terminal (like an R pointblank agent report).

This module does not import Great Expectations.
"""

from __future__ import annotations

from typing import Any

from itp_stats.gate.result import GateResult, ids_text

__all__ = ["format_failures", "format_report", "format_step_table", "status_label"]

_HEADERS = ("#", "rule", "columns", "severity", "tested", "failed", "% failed", "status", "ids")


def status_label(step: dict[str, Any]) -> str:
    """``ok``, ``FAIL`` (critical), ``WARN`` (warning) or ``n/e`` (not evaluated)."""
    if step["passed"]:
        return "ok"
    if not step.get("evaluated", True):
        return "n/e"
    return "FAIL" if step["severity"] == "critical" else "WARN"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _ids(step: dict[str, Any], max_ids: int) -> str:
    return ids_text(list(step["failing_ids"]), int(step["n_failed"]), max_ids)


def format_step_table(
    steps: list[dict[str, Any]], *, only_failed: bool = False, max_ids: int = 10
) -> str:
    """Render steps as an aligned text table.

    Parameters
    ----------
    steps : list of dict
        Steps of a :class:`~itp_stats.gate.result.GateResult`.
    only_failed : bool
        Show only the rules that did not pass.
    max_ids : int
        Most failing patient ids shown per rule.

    Returns
    -------
    str
        Header line and one line per step: number, rule id, columns, severity, rows tested,
        failures, % failed, status and up to ``max_ids`` failing patient ids.
    """
    rows = []
    for s in steps:
        if only_failed and s["passed"]:
            continue
        rows.append(
            (
                str(s["step"]),
                s["rule_id"],
                _short(", ".join(s["columns"]) or "(all)", 34),
                s["severity"],
                str(s["n_tested"]),
                str(s["n_failed"]),
                f"{s['pct_failed']:.1f}",
                status_label(s),
                _ids(s, max_ids),
            )
        )
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(_HEADERS)
    ]
    right = {0, 4, 5, 6}

    def line(cells: tuple[str, ...]) -> str:
        out = [
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ]
        return "  ".join(out).rstrip()

    return "\n".join([line(_HEADERS), line(tuple("-" * w for w in widths)), *map(line, rows)])


def format_failures(steps: list[dict[str, Any]]) -> str:
    """One paragraph per rule that did not pass: id, severity, description and detail."""
    lines = []
    for s in steps:
        if s["passed"]:
            continue
        where = f" [{', '.join(s['columns'])}]" if s["columns"] else ""
        lines.append(f"{status_label(s)} {s['rule_id']} ({s['severity']}){where}: {s['rule']}")
        if s.get("detail"):
            lines.append(f"     {s['detail']}")
    return "\n".join(lines)


def format_report(result: GateResult, *, only_failed: bool = False, max_ids: int = 10) -> str:
    """Title, step table, failed-rule details and the verdict line."""
    parts = [
        f"Validation of {result.data_path} ({result.n_rows} rows, {result.n_columns} columns; "
        f"Great Expectations {result.gx_version})",
        "",
        format_step_table(result.steps, only_failed=only_failed, max_ids=max_ids),
    ]
    failures = format_failures(result.steps)
    if failures:
        parts += ["", failures]
    n_crit = len(result.critical_failures)
    verdict = (
        f"PASSED: no critical rule failed ({len(result.warnings)} warning(s))."
        if result.passed
        else f"FAILED: {n_crit} critical rule(s) failed; the data cannot be analysed."
    )
    parts += ["", verdict]
    return "\n".join(parts)
