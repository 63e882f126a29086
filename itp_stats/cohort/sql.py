"""Cohorts kept in a PostgreSQL database: the source, its provenance, and the typed frame.

A database source is a URL naming a table or a query::

    postgresql://USER@HOST:PORT/DATABASE#TABLE            (or #SCHEMA.TABLE)
    postgresql://USER@HOST:PORT/DATABASE?query=SELECT%20…  (a percent-encoded SELECT)
    postgresql:///?service=registry#cohorts.itp            (a libpq service file entry)

Other query parameters (``sslmode``, ``service``, ``options``…) are passed to libpq. The
password is never part of the URL: libpq takes it from ``PGPASSWORD``, the password file
(``~/.pgpass`` or ``PGPASSFILE``) or the service file, so that no output of the package (the
gate's JSON, the report, the source file below) can hold it. A URL with a password is refused.

The gate and the documents name a cohort by a path. A database source therefore resolves to a
small *source file* in the state folder (``.itp-stats/sources/<database>_<table>-<hash>``
``.source.json``, :func:`resolve_source`): the URL without password, and once the gate has taken
its snapshot, the provenance of the rows it validated (server, database, user, table or query,
row count, columns and their types, a content digest computed in the database and the
database's time of the snapshot, :class:`Snapshot`). The gate result's ``data_sha256`` is the
SHA-256 of that file, so a stored result holds only for the snapshot it validated.

The content digest (:func:`digest_sql`) is computed in the database: each row's text is
hashed (``md5(row::text)``) and two 60-bit parts of the hashes are summed over the rows (an
order-free multiset digest: the same rows in any physical order give the same digest, and the
server computes it in parallel, without sorting or copying the rows); the row count, the sums
and the column names and types are then hashed together (SHA-256).

:func:`load_source` reads the rows for the analysis: in one ``REPEATABLE READ`` transaction it
recomputes the digest and copies the dictionary's columns of every row out as CSV (``COPY``),
in the same row order, which :func:`itp_stats.cohort.load.load_cohort` then reads as it reads
a file: the typed frame is the one the CSV export of those rows gives. It refuses
(:class:`SourceChangedError`) when the digest differs from the snapshot the gate validated.

Requires the ``db`` extra (``psycopg``; the gate also needs ``SQLAlchemy``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from itp_stats.errors import CohortReadError, ItpStatsError
from itp_stats.files import replaced_atomically

if TYPE_CHECKING:
    import pandas as pd

    from itp_stats.cohort.dictionary import Dictionary

__all__ = [
    "SOURCE_SCHEMA",
    "SOURCE_SUFFIX",
    "DatabaseSource",
    "DatabaseSourceError",
    "Snapshot",
    "SourceChangedError",
    "cell_text",
    "connect",
    "current_snapshot",
    "digest_aggregate",
    "digest_sql",
    "export_csv",
    "hash_parts",
    "is_database_url",
    "is_source_file",
    "load_source",
    "open_source",
    "ROW_ORDER",
    "parse_source",
    "parse_source_file",
    "quote_ident",
    "read_source_file",
    "resolve_source",
    "row_keys",
    "source_columns",
    "source_path",
    "source_comment",
    "source_provenance",
    "source_unchanged",
    "take_snapshot",
    "write_source_file",
]

SOURCE_SCHEMA = "itp-stats/db-source/1"
"""Identifier of the source file's JSON layout."""

SOURCE_SUFFIX = ".source.json"
"""How the name of a source file ends."""

_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_SECRET_PARAMS = frozenset({"password", "sslpassword"})
_CREDENTIALS_HELP = (
    "give the password through PGPASSWORD, a password file (~/.pgpass or PGPASSFILE) or a "
    "libpq service file (PGSERVICEFILE, ?service=NAME), never in the URL"
)


class DatabaseSourceError(CohortReadError):
    """A database source cannot be used: malformed URL, password in it, no connection, no table.

    Exit status 2, like an unreadable file.
    """


class SourceChangedError(ItpStatsError):
    """The table changed after the validation gate checked it: the report is refused.

    Exit status 1, like a failed gate.
    """

    exit_status = 1


def quote_ident(name: str) -> str:
    """An SQL identifier, double-quoted (``a"b`` gives ``"a""b"``)."""
    return '"' + str(name).replace('"', '""') + '"'


def _split_name(text: str) -> tuple[str, ...]:
    """``schema.table`` (either part may be double-quoted) as its parts, unquoted.

    Unquoted parts are folded to lower case, as PostgreSQL folds them.
    """
    parts: list[str] = []
    for match in re.finditer(r'\s*(?:"((?:[^"]|"")+)"|([^".]+))\s*(\.|$)', text):
        quoted, plain, _ = match.groups()
        parts.append(quoted.replace('""', '"') if quoted is not None else plain.strip().lower())
        if match.end() == len(text):
            break
    rebuilt = ".".join(quote_ident(p) for p in parts)
    if not parts or len(parts) > 2 or not all(parts) or _canonical(rebuilt) != _canonical(text):
        raise DatabaseSourceError(
            f"#{text}: not a table name; write #TABLE or #SCHEMA.TABLE (double-quote a name "
            'with capitals or dots: #"My Schema"."Cohort")'
        )
    return tuple(parts)


def _shown_name(part: str) -> str:
    """A table name part as written in a URL: quoted only when PostgreSQL would fold it."""
    return part if re.fullmatch(r"[a-z_][a-z0-9_$]*", part) else quote_ident(part)


def _canonical(text: str) -> str:
    """A table name with quotes and case folded, to check that :func:`_split_name` read it all."""
    return re.sub(r'"((?:[^"]|"")+)"', lambda m: m.group(1).replace('""', '"'), text).lower()


@dataclass(frozen=True)
class DatabaseSource:
    """A cohort in a PostgreSQL database: where it is, and which table or query holds it.

    Attributes
    ----------
    host, port, user, database : str
        As in the URL (empty when libpq's defaults or the service file give them).
    params : tuple of (str, str)
        The URL's other query parameters, passed to libpq (``sslmode``, ``service``…).
    table : tuple of str or None
        ``(table,)`` or ``(schema, table)``.
    query : str or None
        A ``SELECT`` (or ``WITH … SELECT``) statement giving the rows.
    """

    host: str
    port: str
    user: str
    database: str
    params: tuple[tuple[str, str], ...]
    table: tuple[str, ...] | None
    query: str | None

    @property
    def url(self) -> str:
        """The source as a URL (no password): parsing it again gives the same source."""
        user = f"{quote(self.user, safe='')}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else quote(self.host, safe="")
        port = f":{self.port}" if self.port else ""
        params = list(self.params) + ([("query", self.query)] if self.query is not None else [])
        query = f"?{urlencode(params, quote_via=quote)}" if params else ""
        fragment = f"#{'.'.join(_shown_name(p) for p in self.table)}" if self.table else ""
        return f"postgresql://{user}{host}{port}/{quote(self.database, safe='')}{query}{fragment}"

    @property
    def relation(self) -> str:
        """The table as written in SQL (``"schema"."table"``), or ``""`` for a query."""
        return ".".join(quote_ident(p) for p in self.table) if self.table else ""

    @property
    def from_sql(self) -> str:
        """What a ``FROM`` clause reads: the table, or the query in parentheses."""
        if self.table:
            return self.relation
        return f"({self.query})"

    @property
    def what(self) -> str:
        """``table "schema"."t"`` or ``query SELECT …`` (for messages and provenance)."""
        return f"table {self.relation}" if self.table else f"query {self.query}"

    @property
    def connection_url(self) -> str:
        """SQLAlchemy URL of the database (driver ``psycopg``; no password)."""
        user = quote(self.user, safe="") + "@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else quote(self.host, safe="")
        port = f":{self.port}" if self.port else ""
        query = f"?{urlencode(list(self.params), quote_via=quote)}" if self.params else ""
        return f"postgresql+psycopg://{user}{host}{port}/{quote(self.database, safe='')}{query}"

    def conninfo(self) -> dict[str, str]:
        """Keyword arguments of ``psycopg.connect`` (libpq fills in what is missing)."""
        info = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.database}
        out = {k: v for k, v in info.items() if v}
        out.update(dict(self.params))
        return out


def is_database_url(value: Any) -> bool:
    """Whether ``value`` is a database URL (``postgresql://…``) rather than a file path."""
    if not isinstance(value, str):
        return False
    scheme, sep, _ = value.partition("://")
    return bool(sep) and scheme.lower() in _SCHEMES


def parse_source(text: str) -> DatabaseSource:
    """Read a database source URL.

    Parameters
    ----------
    text : str
        ``postgresql://[USER@][HOST][:PORT]/[DATABASE][?PARAMS]#[SCHEMA.]TABLE`` or the same
        with ``?query=SELECT…`` (percent-encoded) instead of the fragment.

    Returns
    -------
    DatabaseSource

    Raises
    ------
    DatabaseSourceError
        Not a PostgreSQL URL; a password in it; neither or both of a table and a query; a
        query that is not a ``SELECT``; a malformed table name (exit status 2).
    """
    if not is_database_url(text):
        raise DatabaseSourceError(f"{text}: not a database URL (postgresql://…)")
    parts = urlsplit(text)
    shown = f"{parts.scheme}://…@{parts.hostname or ''}"
    if parts.password is not None:
        raise DatabaseSourceError(f"{shown}: the URL holds a password; {_CREDENTIALS_HELP}")
    params: list[tuple[str, str]] = []
    query = None
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in _SECRET_PARAMS:
            raise DatabaseSourceError(f"{shown}: the URL holds a {key}; {_CREDENTIALS_HELP}")
        if key == "query":
            query = value.strip().rstrip(";").strip()
        else:
            params.append((key, value))
    fragment = unquote(parts.fragment).strip()
    where = text.split("?")[0].split("#")[0]
    if query is not None and fragment:
        raise DatabaseSourceError(f"{where}: give either a table (#TABLE) or ?query=, not both")
    if query is None and not fragment:
        raise DatabaseSourceError(
            f"{where}: name the table (#TABLE or #SCHEMA.TABLE) or a query (?query=SELECT…)"
        )
    if query is not None and not re.match(r"(?is)^\s*(select|with)\s", query):
        raise DatabaseSourceError(f"{where}: the query must be a SELECT statement")
    try:
        port = str(parts.port) if parts.port else ""
    except ValueError:
        raise DatabaseSourceError(f"{where}: the port is not a number") from None
    return DatabaseSource(
        host=unquote(parts.hostname or ""),
        port=port,
        user=unquote(parts.username or ""),
        database=unquote(parts.path.lstrip("/")),
        params=tuple(params),
        table=_split_name(fragment) if fragment else None,
        query=query,
    )


@dataclass(frozen=True)
class Snapshot:
    """What the gate validated: the provenance of the rows of a database source.

    Attributes
    ----------
    rows : int
        Row count.
    columns : tuple of (str, str)
        Column names and their database types, in the source's order.
    digest : str
        SHA-256 (hex) of the columns, the row count and the in-database digest of the rows
        (:func:`digest_sql`).
    time : str
        The database's time of the snapshot (ISO 8601, UTC).
    server : str
        ``host:port`` (or socket folder) the connection reached.
    database, user : str
        As connected.
    comment : str
        The table's comment (``COMMENT ON TABLE``), ``""`` for none or a query: a table of
        synthetic rows says so there (see :func:`itp_stats.cohort.synth.synthetic_mark`).
    """

    rows: int
    columns: tuple[tuple[str, str], ...]
    digest: str
    time: str
    server: str
    database: str
    user: str
    comment: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the ``snapshot`` of the source file)."""
        return {
            "rows": self.rows,
            "columns": [list(c) for c in self.columns],
            "digest": self.digest,
            "time": self.time,
            "server": self.server,
            "database": self.database,
            "user": self.user,
            "comment": self.comment,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        """Rebuild a snapshot from :meth:`to_dict`."""
        return cls(
            rows=int(data["rows"]),
            columns=tuple((str(n), str(t)) for n, t in data["columns"]),
            digest=str(data["digest"]),
            time=str(data["time"]),
            server=str(data["server"]),
            database=str(data["database"]),
            user=str(data["user"]),
            comment=str(data.get("comment") or ""),
        )


# --- source files -------------------------------------------------------------------------


def source_path(source: DatabaseSource) -> Path:
    """The source file of ``source`` in the state folder (not created)."""
    from itp_stats.config import state_dir

    key = hashlib.sha256(source.url.encode()).hexdigest()[:12]
    name = source.table[-1] if source.table else "query"
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", f"{source.database or 'db'}.{name}").strip("_")
    return state_dir() / "sources" / f"{slug[:60]}-{key}{SOURCE_SUFFIX}"


def is_source_file(path: Any) -> bool:
    """Whether ``path`` names a source file (by its name; the file is not read)."""
    return isinstance(path, str | os.PathLike) and str(path).endswith(SOURCE_SUFFIX)


def _source_json(source: DatabaseSource, snapshot: Snapshot | None) -> str:
    body = {
        "schema": SOURCE_SCHEMA,
        "source": source.url,
        "table": ".".join(source.table) if source.table else None,
        "query": source.query,
        "snapshot": snapshot.to_dict() if snapshot is not None else None,
    }
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_source_file(source: DatabaseSource, snapshot: Snapshot | None = None) -> Path:
    """Write the source file of ``source`` (atomically), with the snapshot the gate took.

    A snapshot of the same rows as the one the file holds (same digest, columns, server,
    database and user) leaves the file as it is, with the earlier snapshot's time: the file's
    bytes, which the gate result hashes, change only when the rows do.

    Returns
    -------
    Path
        :func:`source_path` of ``source``.
    """
    path = source_path(source)
    if snapshot is not None and path.is_file():
        try:
            _, held = read_source_file(path)
        except DatabaseSourceError:
            held = None
        if held is not None and replace(held, time=snapshot.time) == snapshot:
            return path
    with replaced_atomically(path) as tmp:
        tmp.write_text(_source_json(source, snapshot), encoding="utf-8", newline="\n")
    return path


def read_source_file(path: str | os.PathLike) -> tuple[DatabaseSource, Snapshot | None]:
    """The source a source file names, and the snapshot the gate last took of it (or None).

    Raises
    ------
    DatabaseSourceError
        The file is missing or is not a source file (exit status 2).
    """
    try:
        blob = Path(path).read_bytes()
    except OSError as exc:
        raise DatabaseSourceError(f"{path}: not a readable source file ({exc})") from None
    return parse_source_file(blob, path)


def parse_source_file(
    blob: bytes, path: str | os.PathLike
) -> tuple[DatabaseSource, Snapshot | None]:
    """:func:`read_source_file` of a source file's bytes, already read (``path`` names it).

    Raises
    ------
    DatabaseSourceError
        The bytes are not a source file (exit status 2).
    """
    try:
        data = json.loads(blob.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError is a ValueError
        raise DatabaseSourceError(f"{path}: not a readable source file ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SOURCE_SCHEMA:
        raise DatabaseSourceError(f"{path}: not an itp-stats source file")
    snap = data.get("snapshot")
    return parse_source(data["source"]), Snapshot.from_dict(snap) if snap else None


def source_provenance(data: bytes) -> list[tuple[str, str]]:
    """What a report says of a database source: its URL, table or query, and snapshot.

    Parameters
    ----------
    data : bytes
        The source file's bytes, as the report read and hashed them.

    Returns
    -------
    list of (str, str)
        Item and value: ``database source`` (the URL, without password), ``table`` or
        ``query``, and, once the gate has taken one, ``snapshot`` (rows, the database's time,
        server, database and user) and ``snapshot digest``. Empty when ``data`` is not a
        source file.
    """
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return []
    if not isinstance(body, dict) or body.get("schema") != SOURCE_SCHEMA:
        return []
    rows = [("database source", str(body.get("source", "")))]
    if body.get("table"):
        rows.append(("table", str(body["table"])))
    if body.get("query"):
        rows.append(("query", str(body["query"])))
    snap = body.get("snapshot")
    if isinstance(snap, dict):
        snapshot = Snapshot.from_dict(snap)
        rows.append(
            (
                "snapshot",
                f"{snapshot.rows} rows at {snapshot.time}, server {snapshot.server}, "
                f"database {snapshot.database}, user {snapshot.user}",
            )
        )
        rows.append(("snapshot digest", snapshot.digest))
    return rows


def source_comment(data: bytes) -> str:
    """The table's comment recorded in a source file's bytes (``""`` for none or not one).

    Parameters
    ----------
    data : bytes
        The source file's bytes, as the report read and hashed them.
    """
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    if not isinstance(body, dict) or body.get("schema") != SOURCE_SCHEMA:
        return ""
    snap = body.get("snapshot")
    if not isinstance(snap, dict):
        return ""
    return str(snap.get("comment") or "").strip()


def resolve_source(text: str) -> Path:
    """The source file of a database URL; created, with a first snapshot, when missing.

    An existing file is returned as it is (no connection): the gate updates its snapshot
    (:func:`write_source_file`). When the database cannot be reached, the file is created
    without a snapshot and the gate reports the connection error.
    """
    source = parse_source(text)
    path = source_path(source)
    if not path.is_file():
        try:
            snapshot = current_snapshot(source)
        except DatabaseSourceError:
            snapshot = None
        write_source_file(source, snapshot)
    return path


def open_source(data: DatabaseSource | str | os.PathLike) -> DatabaseSource:
    """The database source itself, or the one a source file names (a URL is parsed by the
    caller, :func:`parse_source`, or resolved to its source file, :func:`resolve_source`:
    nothing here asks again whether a string is a URL)."""
    if isinstance(data, DatabaseSource):
        return data
    return read_source_file(data)[0]


# --- connections and SQL ------------------------------------------------------------------


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise DatabaseSourceError(
            "a database source needs psycopg: pip install 'itp-stats[db]'"
        ) from None
    return psycopg


def connect(source: DatabaseSource, **kwargs: Any) -> Any:
    """Open a ``psycopg`` connection to the source's database.

    Raises
    ------
    DatabaseSourceError
        The connection failed (the message is libpq's; it never holds a password).
    """
    psycopg = _psycopg()
    try:
        return psycopg.connect(**source.conninfo(), **kwargs)
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
        hint = f" ({_CREDENTIALS_HELP})" if "password" in reason else ""
        raise DatabaseSourceError(f"{source.url}: cannot connect: {reason}{hint}") from None


def source_columns(conn: Any, source: DatabaseSource) -> list[tuple[str, str]]:
    """Names and types (``format_type``) of the source's columns, in its order.

    Raises
    ------
    DatabaseSourceError
        The table does not exist or the query fails (exit status 2).
    """
    psycopg = _psycopg()
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT * FROM {source.from_sql} AS src LIMIT 0")
            described = [(d.name, d.type_code) for d in cur.description or []]
            cur.execute(
                "SELECT oid::int, format_type(oid, NULL) FROM pg_type WHERE oid = ANY(%s)",
                ([int(oid) for _, oid in described],),
            )
            types = dict(cur.fetchall())
    except psycopg.Error as exc:
        conn.rollback()
        reason = " ".join(str(exc).split())
        raise DatabaseSourceError(
            f"{source.url}: cannot read the {source.what}: {reason}"
        ) from None
    return [(name, str(types.get(int(oid), "unknown"))) for name, oid in described]


def cell_text(expr: str, pgtype: str) -> str:
    """SQL giving a cell as the CSV export of the row shows it.

    Booleans as ``yes``/``no`` (what the dictionary reads), everything else in its type's text
    form (``expr::text``); missing stays NULL.
    """
    if pgtype == "boolean":
        return f"(CASE WHEN {expr} THEN 'yes' WHEN NOT {expr} THEN 'no' END)"
    return f"({expr})::text"


def row_keys(columns: list[tuple[str, str]], id_column: str, alias: str = "src") -> str:
    """SQL select list ``_row_hash, _row_key``: a row's hash (``md5(row::text)``) and its id as
    text.

    ``_row_key`` is NULL for every row when the source has no id column. The rows' order is
    :data:`ROW_ORDER` over these two.
    """
    types = dict(columns)
    key = (
        cell_text(f"{alias}.{quote_ident(id_column)}", types[id_column])
        if id_column in types
        else "NULL::text"
    )
    return f"md5({alias}::text) AS _row_hash, {key} AS _row_key"


ROW_ORDER = '_row_key COLLATE "C" NULLS LAST, _row_hash'
"""``ORDER BY`` of the rows over :func:`row_keys`: the id as text (``C`` collation), missing
last, then the row's hash (rows in any physical order give the same order)."""


def hash_parts(row_hash: str) -> tuple[str, str]:
    """SQL of two 60-bit integers taken from a row's ``md5`` (hex text): its digest parts."""
    return tuple(  # type: ignore[return-value]
        f"('x' || substr({row_hash}, {start}, 15))::bit(60)::bigint" for start in (1, 16)
    )


def digest_aggregate(part_a: str, part_b: str) -> str:
    """SQL select list of the digest over rows: ``count(*)`` and the sums of their parts."""
    return f"count(*), coalesce(sum({part_a}), 0)::text || ':' || coalesce(sum({part_b}), 0)::text"


def digest_sql(source: DatabaseSource) -> str:
    """SQL of the in-database content digest: the row count, and the sums of two 60-bit parts
    of each row's ``md5(row::text)`` (:func:`hash_parts`).

    Sums, not a concatenation in some order: the same rows in any physical order give the same
    digest, the server adds them up in parallel, and no row's hash is held more than once.
    """
    a, b = hash_parts("h")
    return (
        f"SELECT {digest_aggregate('a', 'b')} FROM (SELECT {a} AS a, {b} AS b FROM "
        f"(SELECT md5(src::text) AS h FROM {source.from_sql} AS src) AS hashed) AS rows"
    )


def _content_digest(columns: list[tuple[str, str]], rows: int, md5: str) -> str:
    text = json.dumps({"columns": [list(c) for c in columns], "rows": rows, "md5": md5})
    return hashlib.sha256(text.encode()).hexdigest()


def take_snapshot(
    conn: Any,
    source: DatabaseSource,
    columns: list[tuple[str, str]],
    *,
    md5: tuple[int, str] | None = None,
) -> Snapshot:
    """The provenance of the rows the connection's transaction sees now.

    Parameters
    ----------
    conn : psycopg.Connection
        In the transaction whose rows are described (``REPEATABLE READ`` keeps them fixed).
    source : DatabaseSource
    columns : list of (str, str)
        :func:`source_columns`.
    md5 : (int, str), optional
        Row count and in-database digest (the sums of :func:`digest_sql`) when already
        computed.

    Returns
    -------
    Snapshot
        Its ``time`` is the transaction's start (``now()``) on the database's clock.
    """
    with conn.cursor() as cur:
        if md5 is None:
            cur.execute(digest_sql(source))
            rows, digest = cur.fetchone()
        else:
            rows, digest = md5
        cur.execute("SELECT now()")
        (now,) = cur.fetchone()
        comment = ""
        if source.table:
            cur.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", (source.relation,))
            comment = (cur.fetchone() or ("",))[0] or ""
    info = conn.info
    return Snapshot(
        rows=int(rows),
        columns=tuple(columns),
        digest=_content_digest(columns, int(rows), str(digest)),
        time=now.astimezone(UTC).isoformat(timespec="seconds"),
        server=f"{info.host}:{info.port}",
        database=str(info.dbname),
        user=str(info.user),
        comment=str(comment),
    )


@contextmanager
def _snapshot_transaction(source: DatabaseSource) -> Iterator[Any]:
    """A connection in a ``REPEATABLE READ`` transaction, closed on exit (rolled back)."""
    psycopg = _psycopg()
    conn = connect(source)
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        yield conn
    finally:
        conn.close()


def current_snapshot(data: DatabaseSource | str | os.PathLike) -> Snapshot:
    """The provenance of the source's rows now (one query in the database).

    Parameters
    ----------
    data : DatabaseSource, str or path-like
        A database source (:func:`parse_source`) or its source file.
    """
    source = open_source(data)
    with _snapshot_transaction(source) as conn:
        return take_snapshot(conn, source, source_columns(conn, source))


def source_unchanged(path: str | os.PathLike) -> bool:
    """Whether the rows of a source file's source still have the digest of its snapshot.

    False when the file has no snapshot yet or the database cannot be reached.
    """
    try:
        _, snap = read_source_file(path)
        return snap is not None and current_snapshot(path).digest == snap.digest
    except ItpStatsError:
        return False


def _changed_message(source: DatabaseSource, before: Snapshot, now: Snapshot) -> str:
    return (
        f"{source.url}: the {source.what} changed after the validation gate checked it "
        f"({before.rows} rows, digest {before.digest[:12]}…, at {before.time}; now {now.rows} "
        f"rows, digest {now.digest[:12]}…): the report is not built on rows the gate did not "
        "check. Run the gate again (`itp-stats gate --force`, or render again)."
    )


def _copy_sql(
    source: DatabaseSource, columns: list[tuple[str, str]], wanted: list[str], id_column: str
) -> str:
    """``COPY`` of the ``wanted`` columns as CSV, rows in :data:`ROW_ORDER`."""
    types = dict(columns)
    names = [n for n in wanted if n in types]
    cells = [f"{cell_text(f'src.{quote_ident(n)}', types[n])} AS {quote_ident(n)}" for n in names]
    keys = row_keys(columns, id_column)
    inner = f"SELECT {', '.join([*cells, keys])} FROM {source.from_sql} AS src"
    shown = ", ".join(quote_ident(n) for n in names)
    return (
        f"COPY (SELECT {shown} FROM ({inner}) AS rows ORDER BY {ROW_ORDER}) "
        "TO STDOUT (FORMAT csv, HEADER true, ENCODING 'UTF8')"
    )


def _copy_out(conn: Any, sql: str, handle: Any) -> None:
    with conn.cursor() as cur, cur.copy(sql) as copy:
        for block in copy:
            handle.write(block)


def export_csv(
    data: DatabaseSource | str | os.PathLike,
    path: str | os.PathLike,
    dictionary: Dictionary | None = None,
    *,
    all_columns: bool = False,
) -> Snapshot:
    """Write the source's rows as a CSV file, as :func:`load_source` reads them.

    Parameters
    ----------
    data : DatabaseSource, str or path-like
        A database source (:func:`parse_source`) or its source file.
    path : str or path-like
        The CSV file (UTF-8, ``,``-separated, header; booleans ``yes``/``no``; missing values
        empty), written atomically.
    dictionary : Dictionary, optional
        Its id column orders the rows; its columns are exported (default: the study in use).
    all_columns : bool
        Export every column of the source, not only the dictionary's.

    Returns
    -------
    Snapshot
        Provenance of the exported rows (same transaction as the export).
    """
    from itp_stats.cohort.dictionary import load_dictionary

    d = dictionary or load_dictionary()
    source = open_source(data)
    path = Path(path)
    with _snapshot_transaction(source) as conn:
        columns = source_columns(conn, source)
        snapshot = take_snapshot(conn, source, columns)
        wanted = [n for n, _ in columns if all_columns or n in d.columns]
        with replaced_atomically(path) as tmp, open(tmp, "wb") as handle:
            _copy_out(conn, _copy_sql(source, columns, wanted, d.id_column), handle)
    return snapshot


def load_source(
    data: str | os.PathLike,
    dictionary: Dictionary | None = None,
    *,
    gate_sha256: str | None = None,
    source_bytes: bytes | None = None,
) -> pd.DataFrame:
    """Load a database source for analysis: the frame ``load_cohort`` gives for its export.

    Parameters
    ----------
    data : str or path-like
        A source file with the gate's snapshot (see :func:`resolve_source`).
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use.
    gate_sha256 : str, optional
        The gate result's ``data_sha256``: the source file must still be the one the gate
        validated (a later gate run rewrites it).
    source_bytes : bytes, optional
        The source file's bytes, already read and hashed by the caller
        (:class:`itp_stats.cohort.source.Source`): the snapshot is taken from them, and the
        file is not read again.

    Returns
    -------
    pandas.DataFrame
        As :func:`itp_stats.cohort.load.load_cohort` returns for the CSV export of the rows
        (:func:`export_csv`): only the dictionary's columns are read.

    Raises
    ------
    SourceChangedError
        The gate has not validated this source, or its rows changed since (the in-database
        digest differs from the snapshot's): exit status 1.
    DatabaseSourceError
        The database cannot be reached or the table read (exit status 2).
    CohortParseError
        Cells do not parse in their column's type (exit status 1).
    """
    from itp_stats.cohort.dictionary import load_dictionary
    from itp_stats.cohort.load import CohortParseError, load_cohort
    from itp_stats.files import sha256_file

    d = dictionary or load_dictionary()
    path = Path(data)
    if source_bytes is None:
        source, validated = read_source_file(path)
        held = sha256_file(path) if gate_sha256 is not None else None
    else:
        source, validated = parse_source_file(source_bytes, path)
        held = hashlib.sha256(source_bytes).hexdigest() if gate_sha256 is not None else None
    if validated is None or held != gate_sha256:
        raise SourceChangedError(
            f"{source.url}: no validation gate result for the rows read now; run the gate "
            "(`itp-stats gate`) before the analysis"
        )
    with _snapshot_transaction(source) as conn, tempfile.TemporaryDirectory() as folder:
        columns = source_columns(conn, source)
        now = take_snapshot(conn, source, columns)
        if now.digest != validated.digest:
            raise SourceChangedError(_changed_message(source, validated, now))
        wanted = [n for n, _ in columns if n in d.columns]
        export = Path(folder) / "cohort.csv"
        with open(export, "wb") as handle:
            _copy_out(conn, _copy_sql(source, columns, wanted, d.id_column), handle)
        conn.rollback()
        try:
            return load_cohort(export, d)
        except (CohortParseError, CohortReadError) as exc:
            message = str(exc).replace(str(export), source.url)
            raise type(exc)(message) from None
