"""Benchmark of the gate in a PostgreSQL database: GX in the database, plain SQL, pandas.

A synthetic registry (``itp_stats.cohort.synth.synthesize(ROWS, seed=1)``, 1,000,000 rows by
default) is loaded into a typed table by ``COPY``, then validated by the same rules
(``itp_stats.gate.suite.build_rules``) in three ways:

- **GX in the database**: ``itp_stats.gate.sql.validate_source`` — the snapshot (the typed
  batch copied into a temporary table with the gate's computed columns, and its digest), the
  suite's expectations run by Great Expectations through its PostgreSQL datasource, and the
  step table (failing ids read back). The snapshot alone is timed too.
- **plain SQL**: the same rules written as one ``SELECT`` of ``count(*) FILTER (…)`` per rule
  over the same typed rows (the snapshot's ``SELECT``, computed columns included, run on the
  source), plus the duplicate-id count and the failing ids of the rules that fail — the
  least work a database can do for these rules;
- **pandas on an export**: the table exported as CSV (``itp_stats.cohort.sql.export_csv``),
  read and prepared as the file gate does (``itp_stats.gate.batch.read_batch``), then the
  rules as plain vectorised pandas (``benchmarks/bench_gate.py``'s ``pandas_rules``).

Medians of ``--repeat`` runs (after one warm-up run each) and the ratios are printed. The
server is ``--url``'s (a database URL whose table is replaced: ``postgresql://…#bench``), else
a temporary one started like the tests' (``tests/conftest_pg.py``: Debian's PostgreSQL).

Run: ``.venv/bin/python benchmarks/bench_gate_sql.py [--rows 1000000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _median(fn, repeat: int) -> tuple[float, Any]:
    out = fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _load_module(path: Path, name: str) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def _predicates(rule) -> tuple[str, str] | None:
    """SQL of (rows tested, rows failed) of a row rule; None for the table-level ones."""
    from itp_stats.cohort.sql import quote_ident as q

    kw = dict(rule.kwargs)
    kind = rule.expectation
    rows = "true"
    if "row_condition" in kw:
        column, op, value = kw.pop("row_condition")
        rows = f"{q(column)} {op} {_literal(value)}"
    if kind in {"ExpectColumnPairValuesAToBeGreaterThanB", "ExpectColumnPairValuesToBeEqual"}:
        a, b = q(kw["column_A"]), q(kw["column_B"])
        tested = f"{rows} AND {a} IS NOT NULL AND {b} IS NOT NULL"
        ok = f"{a} = {b}" if kind.endswith("Equal") else f"{a} >= {b}"
        return tested, f"{tested} AND NOT ({ok})"
    if kind in {"ExpectTableColumnsToMatchSet", "ExpectTableRowCountToBeBetween"}:
        return None
    if kind in {"ExpectColumnValuesToBeUnique", "ExpectColumnUniqueValueCountToBeBetween"}:
        return None
    col = q(kw["column"])
    if kind == "ExpectColumnValuesToNotBeNull":
        return rows, f"{rows} AND {col} IS NULL"
    tested = f"{rows} AND {col} IS NOT NULL"
    if kind == "ExpectColumnValuesToBeBetween":
        checks = []
        if kw.get("min_value") is not None:
            checks.append(f"{col} {'>' if kw.get('strict_min') else '>='} {kw['min_value']}")
        if kw.get("max_value") is not None:
            checks.append(f"{col} {'<' if kw.get('strict_max') else '<='} {kw['max_value']}")
        return tested, f"{tested} AND NOT ({' AND '.join(checks)})"
    if kind == "ExpectColumnValuesToBeInSet":
        values = ", ".join(_literal(v) for v in kw["value_set"])
        return tested, f"{tested} AND {col} NOT IN ({values})"
    if kind == "ExpectColumnValuesToMatchRegex":
        return tested, f"{tested} AND NOT ({col} ~ {_literal(kw['regex'])})"
    raise ValueError(kind)


def plain_sql_rules(conn, select: str, rules, id_column: str, columns: list[str]) -> list[dict]:
    """The rules as plain SQL over the rows of ``select``: counts, then failing ids."""
    from itp_stats.cohort.sql import quote_ident as q

    aggregates = ["count(*)"]
    for rule in rules:
        pred = _predicates(rule)
        if pred is not None:
            aggregates += [
                f"count(*) FILTER (WHERE {pred[0]})",
                f"count(*) FILTER (WHERE {pred[1]})",
            ]
        elif rule.expectation == "ExpectColumnUniqueValueCountToBeBetween":
            aggregates.append(f"count(DISTINCT {q(rule.kwargs['column'])})")
    row = conn.execute(f"SELECT {', '.join(aggregates)} FROM ({select}) AS t").fetchone()
    values = iter(row)
    n = next(values)
    out = []
    for rule in rules:
        pred = _predicates(rule)
        kind = rule.expectation
        if kind == "ExpectTableColumnsToMatchSet":
            failed = len(set(rule.kwargs["column_set"]) ^ set(columns))
            out.append({"rule_id": rule.rule_id, "n_tested": 1, "n_failed": failed, "ids": []})
        elif kind == "ExpectTableRowCountToBeBetween":
            out.append({"rule_id": rule.rule_id, "n_tested": 1, "n_failed": int(n < 1), "ids": []})
        elif kind == "ExpectColumnUniqueValueCountToBeBetween":
            failed = int(next(values) < rule.kwargs.get("min_value", 0))
            out.append({"rule_id": rule.rule_id, "n_tested": 1, "n_failed": failed, "ids": []})
        elif kind == "ExpectColumnValuesToBeUnique":
            col = q(rule.kwargs["column"])
            (duplicated,) = conn.execute(  # rows whose value another row has too
                f"SELECT count(*) FROM (SELECT count(*) OVER (PARTITION BY {col}) AS k FROM "
                f"({select}) AS t WHERE {col} IS NOT NULL) AS c WHERE k > 1"
            ).fetchone()
            out.append({"rule_id": rule.rule_id, "n_tested": n, "n_failed": duplicated, "ids": []})
        else:
            tested, failed = next(values), next(values)
            ids = []
            if failed:
                ids = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT {q(id_column)} FROM ({select}) AS t WHERE {pred[1]} LIMIT 1000"
                    )
                ]
            out.append(
                {"rule_id": rule.rule_id, "n_tested": tested, "n_failed": failed, "ids": ids}
            )
    return out


def _server(url: str | None):
    """(database URL of the table ``bench``, a psycopg connection, the server to stop or None)."""
    import psycopg

    from itp_stats.cohort.sql import parse_source

    if url:
        source = parse_source(url)
        return url, psycopg.connect(**source.conninfo(), autocommit=True), None
    pg = _load_module(ROOT / "tests" / "conftest_pg.py", "conftest_pg")
    try:
        server = pg._start()
    except BaseException as exc:  # pytest.skip outside pytest: no server binaries
        raise SystemExit(f"no PostgreSQL server: {exc}") from None
    os.environ["PGPASSFILE"] = str(server.passfile)
    return server.url("bench"), server.connect(), server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--url", help="postgresql://USER@HOST:PORT/DB#TABLE to (re)create")
    args = parser.parse_args(argv)

    os.environ.setdefault("ITP_STATS_ROOT", tempfile.mkdtemp(prefix="bench-gate-sql-"))
    from itp_stats.cohort.design import load_data_model
    from itp_stats.cohort.sql import (
        export_csv,
        parse_source,
        quote_ident,
        source_columns,
        take_snapshot,
    )
    from itp_stats.cohort.synth import synthesize
    from itp_stats.gate.batch import read_batch
    from itp_stats.gate.run import gate_runtime
    from itp_stats.gate.sql import SNAPSHOT_TABLE, snapshot_sql, validate_source
    from itp_stats.gate.suite import build_rules, check_columns

    pandas_rules = _load_module(ROOT / "benchmarks" / "bench_gate.py", "bench_gate").pandas_rules
    pg = _load_module(ROOT / "tests" / "conftest_pg.py", "conftest_pg")
    d = load_data_model()
    rules = build_rules(d)
    url, conn, server = _server(args.url)
    try:
        source = parse_source(url)
        t0 = time.perf_counter()
        pg.load_typed(conn, source.table[-1], synthesize(args.rows, seed=1), d)
        print(f"rows: {args.rows:,}; loaded by COPY in {time.perf_counter() - t0:.1f} s")
        gate_runtime(d)  # GX imported and its context built outside the timings
        t_gx, result = _median(lambda: validate_source(url, d), args.repeat)

        columns = source_columns(conn, source)
        query = snapshot_sql(source, columns, d)

        def snapshot() -> None:
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                conn.execute("SET LOCAL work_mem = '256MB'")
                conn.execute(f"DROP TABLE IF EXISTS pg_temp.{quote_ident(SNAPSHOT_TABLE)}")
                conn.execute(query.create)
                counted = conn.execute(
                    "SELECT count(*), coalesce(sum(_itp_row_a), 0)::text || ':' || "
                    f"coalesce(sum(_itp_row_b), 0)::text FROM {quote_ident(SNAPSHOT_TABLE)}"
                ).fetchone()
                take_snapshot(conn, source, columns, md5=counted)
                conn.execute(f"DROP TABLE pg_temp.{quote_ident(SNAPSHOT_TABLE)}")

        t_snap, _ = _median(snapshot, args.repeat)
        names = [n for n, _ in columns] + check_columns(d)
        t_sql, plain = _median(
            lambda: plain_sql_rules(conn, query.select, rules, d.id_column, names), args.repeat
        )
        with tempfile.TemporaryDirectory() as folder:
            export = Path(folder) / "export.csv"
            t_export, _ = _median(lambda: export_csv(source, export, d), args.repeat)
            t_read, batch = _median(lambda: read_batch(export, d), args.repeat)
            t_pd, from_pandas = _median(
                lambda: pandas_rules(batch.frame, rules, batch.labels), args.repeat
            )
    finally:
        conn.close()
        if server is not None:
            server.stop()

    by_rule = {s["rule_id"]: s for s in result.steps}
    agree_sql = all(by_rule[p["rule_id"]]["n_failed"] == p["n_failed"] for p in plain)
    agree_pd = all(by_rule[p["rule_id"]]["n_failed"] == p["n_failed"] for p in from_pandas)
    t_pandas = t_export + t_read + t_pd
    print(f"gate result: {result.summary()}")
    print()
    print(f"{'':42}{'median (s)':>12}")
    print(f"{'GX in the database (validate_source)':42}{t_gx:>12.2f}")
    print(f"{'  of which the snapshot (copy + digest)':42}{t_snap:>12.2f}")
    print(f"{'  of which the rules and step table':42}{t_gx - t_snap:>12.2f}")
    print(f"{'plain SQL, same rules, one scan':42}{t_sql:>12.2f}")
    print(f"{'pandas on an export: export (COPY)':42}{t_export:>12.2f}")
    print(f"{'                     read + prepare':42}{t_read:>12.2f}")
    print(f"{'                     rules':42}{t_pd:>12.2f}")
    print(f"{'                     whole':42}{t_pandas:>12.2f}")
    print()
    print(f"ratio GX in the database / plain SQL:           {t_gx / t_sql:6.1f}")
    print(f"ratio GX rules (snapshot aside) / plain SQL:    {(t_gx - t_snap) / t_sql:6.1f}")
    print(f"ratio GX in the database / pandas on an export: {t_gx / t_pandas:6.1f}")
    print(f"failure counts agree: plain SQL {agree_sql}, pandas {agree_pd}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
