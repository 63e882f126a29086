"""Cohorts in a PostgreSQL database: sources, provenance and loading (itp_stats.cohort.sql)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest_pg import load_cells, load_typed, pg_server  # noqa: F401  (the fixture)
from gate_cases import COHORT, cells

from itp_stats.cohort.load import load_cohort
from itp_stats.cohort.sql import (
    DatabaseSourceError,
    SourceChangedError,
    current_snapshot,
    export_csv,
    is_database_url,
    is_source_file,
    load_source,
    parse_source,
    read_source_file,
    resolve_source,
    source_path,
    source_unchanged,
    write_source_file,
)


@pytest.fixture
def state(tmp_path, monkeypatch):
    """A project root of its own (the source files go to tmp_path/.itp-stats/sources)."""
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def shipped(pg_server):  # noqa: F811
    """The shipped cohort in a typed table ``cohort``."""
    with pg_server.connect() as conn:
        load_typed(conn, "cohort", cells())
    return pg_server.url("cohort")


# --- sources, without a server -------------------------------------------------------------


def test_parse_source_table_query_and_params():
    src = parse_source("postgresql://itp@db.example:5433/registry?sslmode=require#itp.cohort")
    assert (src.host, src.port, src.user, src.database) == ("db.example", "5433", "itp", "registry")
    assert src.table == ("itp", "cohort") and src.query is None
    assert src.from_sql == '"itp"."cohort"'
    assert src.conninfo() == {
        "host": "db.example",
        "port": "5433",
        "user": "itp",
        "dbname": "registry",
        "sslmode": "require",
    }
    assert parse_source(src.url) == src
    quoted = parse_source('postgres:///?service=registry#"My Schema"."Cohort 2"')
    assert quoted.table == ("My Schema", "Cohort 2") and quoted.conninfo() == {
        "service": "registry"
    }
    assert parse_source(quoted.url) == quoted
    assert parse_source("postgresql://h/db#Cohort").table == ("cohort",)  # folded, as SQL does
    query = parse_source("postgresql://h/db?query=SELECT%20*%20FROM%20t%20WHERE%20a%20%3E%201%3B")
    assert query.query == "SELECT * FROM t WHERE a > 1" and query.from_sql.startswith("(SELECT")
    assert parse_source(query.url) == query
    assert is_database_url("postgresql://h/db#t") and not is_database_url("data/cohort.csv")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://itp:s3cret@h/db#t", "holds a password"),
        ("postgresql://h/db?password=s3cret#t", "holds a password"),
        ("postgresql://h/db", "name the table"),
        ("postgresql://h/db?query=SELECT%201#t", "not both"),
        ("postgresql://h/db?query=DELETE%20FROM%20t", "must be a SELECT"),
        ("postgresql://h/db#a.b.c", "not a table name"),
        ("postgresql://h:port/db#t", "port"),
    ],
)
def test_bad_sources_are_refused_without_echoing_a_password(url, message):
    with pytest.raises(DatabaseSourceError, match=message) as info:
        parse_source(url)
    assert "s3cret" not in str(info.value)
    assert info.value.exit_status == 2


def test_source_file_holds_no_password_and_round_trips(state):
    src = parse_source("postgresql://itp@h:1/registry#cohort")
    path = write_source_file(src)
    assert path == source_path(src) and is_source_file(path)
    assert path.parent == state / ".itp-stats" / "sources"
    assert path.name.startswith("registry_cohort-")
    body = json.loads(path.read_text())
    assert body["source"] == "postgresql://itp@h:1/registry#cohort" and body["snapshot"] is None
    assert read_source_file(path) == (src, None)


# --- with the session's server ------------------------------------------------------------


def test_load_source_gives_the_frame_of_the_csv(state, shipped):
    path = resolve_source(shipped)  # a first snapshot is taken with the file
    source, snapshot = read_source_file(path)
    assert snapshot is not None and snapshot.rows == 72 and snapshot.database == "registry"
    assert snapshot.server.endswith(f":{source.port}") and snapshot.user == "itp"
    assert ("nk_m0", "bigint") in snapshot.columns
    frame = load_source(path)
    pd.testing.assert_frame_equal(frame, load_cohort(COHORT))
    # and the export of those rows reads to the same frame
    export = state / "export.csv"
    assert export_csv(path, export).digest == snapshot.digest
    pd.testing.assert_frame_equal(load_cohort(export), frame)


def test_a_staging_table_of_texts_loads_the_same(state, pg_server):  # noqa: F811
    with pg_server.connect() as conn:
        load_cells(conn, "cohort_text", cells())
    frame = load_source(resolve_source(pg_server.url("cohort_text")))
    pd.testing.assert_frame_equal(frame, load_cohort(COHORT))


def test_digest_follows_the_rows_not_their_order(state, pg_server):  # noqa: F811
    raw = cells()
    with pg_server.connect() as conn:
        load_typed(conn, "digest_a", raw)
        load_typed(conn, "digest_b", raw.iloc[::-1])  # same rows, another physical order
        first = current_snapshot(parse_source(pg_server.url("digest_a")))
        assert current_snapshot(parse_source(pg_server.url("digest_b"))).digest == first.digest
        conn.execute("UPDATE digest_a SET nk_m0 = nk_m0 + 1 WHERE patient_id = 'P007'")
        assert current_snapshot(parse_source(pg_server.url("digest_a"))).digest != first.digest
        conn.execute("UPDATE digest_a SET nk_m0 = nk_m0 - 1 WHERE patient_id = 'P007'")
        assert current_snapshot(parse_source(pg_server.url("digest_a"))).digest == first.digest
        conn.execute("ALTER TABLE digest_a ALTER COLUMN nk_m0 TYPE numeric")  # same values
        assert current_snapshot(parse_source(pg_server.url("digest_a"))).digest != first.digest


def test_changed_table_is_refused(state, pg_server):  # noqa: F811
    with pg_server.connect() as conn:
        load_typed(conn, "changing", cells())
        path = resolve_source(pg_server.url("changing"))
        assert source_unchanged(path)
        before = path.read_bytes()
        write_source_file(read_source_file(path)[0], current_snapshot(path))
        assert path.read_bytes() == before  # the same rows: the file is left as it is
        conn.execute("UPDATE changing SET age_years = 50 WHERE patient_id = 'P001'")
        assert not source_unchanged(path)
        with pytest.raises(SourceChangedError, match="changed after the validation gate") as err:
            load_source(path)
        assert err.value.exit_status == 1


def test_source_never_validated_is_refused(state, shipped):
    path = write_source_file(parse_source(shipped))  # no snapshot
    with pytest.raises(SourceChangedError, match="no validation gate result"):
        load_source(path)


def test_query_source_reads_its_rows(state, shipped, pg_server):  # noqa: F811
    url = (
        f"postgresql://itp@127.0.0.1:{pg_server.port}/registry"
        "?query=SELECT%20*%20FROM%20cohort%20WHERE%20sex%20%3D%20%27F%27"
    )
    frame = load_source(resolve_source(url))
    expected = load_cohort(COHORT)
    assert list(frame["patient_id"]) == list(expected.loc[expected["sex"] == "F", "patient_id"])


def test_credentials_come_from_the_environment(state, shipped, pg_server, monkeypatch):  # noqa: F811
    monkeypatch.delenv("PGPASSFILE")
    monkeypatch.setenv("PGPASSWORD", "wrong-password")
    with pytest.raises(DatabaseSourceError, match="PGPASSWORD") as info:
        current_snapshot(parse_source(shipped))
    assert "wrong-password" not in str(info.value)
    monkeypatch.setenv("PGPASSWORD", pg_server.password)
    assert current_snapshot(parse_source(shipped)).rows == 72
    path = resolve_source(shipped)
    assert pg_server.password not in path.read_text()


def test_missing_table_is_a_read_error(state, pg_server):  # noqa: F811
    with pytest.raises(DatabaseSourceError, match="no_such_table") as info:
        current_snapshot(parse_source(pg_server.url("no_such_table")))
    assert info.value.exit_status == 2


@pytest.mark.parametrize("command", ["validate", "gate", "render"])
def test_commands_refuse_a_password_in_the_url(state, capsys, command):
    from itp_stats.cli import main

    url = "postgresql://itp:s3cret@127.0.0.1:1/registry#cohort"
    argv = {
        "validate": ["validate", url],
        "gate": ["gate", "--data", url],
        "render": ["render", str(COHORT.parents[1]), "--engine", "builtin", "-P", f"data={url}"],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "holds a password" in err and "PGPASSWORD" in err and "s3cret" not in err
    assert not list(state.glob(".itp-stats/sources/*"))


def test_a_table_commented_as_synthetic_is_reported_synthetic(state, pg_server):  # noqa: F811
    from itp_stats.cohort.synth import SYNTHETIC_MARK, synthetic_mark

    mark = f"{SYNTHETIC_MARK} (n = 72, seed 1): no row is a real patient"
    with pg_server.connect() as conn:
        load_typed(conn, "synthetic_rows", cells())
        load_typed(conn, "registry_rows", cells())
        conn.execute(f"COMMENT ON TABLE synthetic_rows IS '{mark}'")
        conn.execute("COMMENT ON TABLE registry_rows IS 'registry extract, 2024'")
    marked = resolve_source(pg_server.url("synthetic_rows"))  # the gate's snapshot
    assert read_source_file(marked)[1].comment == mark
    assert synthetic_mark(marked) == mark
    assert synthetic_mark(resolve_source(pg_server.url("registry_rows"))) == ""
    query = pg_server.url("synthetic_rows").split("#")[0] + "?query=SELECT+*+FROM+synthetic_rows"
    assert synthetic_mark(resolve_source(query)) == ""  # a query has no comment of its own


def test_source_provenance_reads_the_source_file_bytes(state):
    from itp_stats.cohort.sql import Snapshot, parse_source, source_provenance, write_source_file

    source = parse_source("postgresql://analyst@db.example:5433/itp#cohorts.rituximab")
    snapshot = Snapshot(
        rows=72,
        columns=(("patient_id", "text"),),
        digest="ab" * 32,
        time="2026-12-02T01:02:03+00:00",
        server="db.example:5433",
        database="itp",
        user="analyst",
    )
    rows = dict(source_provenance(write_source_file(source, snapshot).read_bytes()))
    assert rows == {
        "database source": "postgresql://analyst@db.example:5433/itp#cohorts.rituximab",
        "table": "cohorts.rituximab",
        "snapshot": "72 rows at 2026-12-02T01:02:03+00:00, server db.example:5433, "
        "database itp, user analyst",
        "snapshot digest": "ab" * 32,
    }
    unvalidated = dict(source_provenance(write_source_file(source).read_bytes()))
    assert set(unvalidated) == {"database source", "table"}  # no snapshot taken yet
    assert source_provenance(b"patient_id,age\nP1,40\n") == []
    assert source_provenance(json.dumps({"schema": "other"}).encode()) == []
