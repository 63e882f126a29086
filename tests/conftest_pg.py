"""A PostgreSQL server of the test session, and loading cohorts into it.

The server is Debian's ``postgresql`` (``.ci/run`` installs it): ``initdb`` into a temporary
folder, ``pg_ctl start`` on a free loopback port (as the ``postgres`` user when the tests run
as root), with password authentication; the tests reach it with the password in a password
file (``PGPASSFILE``), never in a URL. It is started once per session, on first use, and
stopped at the end. Without the server binaries, or without psycopg and SQLAlchemy (the
``db`` extra), the tests that need it are skipped with the reason.

Imported by the database tests (``from conftest_pg import …``).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

__all__ = ["PgServer", "copy_frame", "load_cells", "load_typed", "pg_server"]

PG_TYPES = {
    "integer": "bigint",
    "float": "double precision",
    "boolean": "boolean",
    "string": "text",
    "category": "text",
}
"""Database type of each dictionary type, for a typed table."""

USER = "itp"
DATABASE = "registry"


def _binaries() -> Path | None:
    """Folder of ``initdb`` and ``pg_ctl``: on PATH, else Debian's newest version."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgServer:
    """A running server: where it listens, and how to reach its database."""

    folder: Path
    bin: Path
    port: int
    password: str
    passfile: Path
    as_user: list[str]

    def url(self, table: str = "cohort", database: str = DATABASE) -> str:
        """``postgresql://itp@127.0.0.1:PORT/DATABASE#TABLE`` (no password)."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}#{table}"

    def connect(self, **kwargs):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            dbname=kwargs.pop("dbname", DATABASE),
            password=self.password,
            autocommit=True,
            **kwargs,
        )

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                str(self.bin / "pg_ctl"),
                "stop",
                "-D",
                str(self.folder / "data"),
                "-m",
                "fast",
                "-w",
            ],
            capture_output=True,
            check=False,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


_SERVER: list[PgServer] = []


def _start() -> PgServer:
    bin_dir = _binaries()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's "
            "postgresql (apt-get install postgresql; .ci/run does)"
        )
    for module in ("psycopg", "sqlalchemy"):
        try:
            __import__(module)
        except ImportError:
            pytest.skip(f"{module} is not installed: pip install -e '.[db]'")
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="itp-pg-"))
    if os.geteuid() == 0:  # initdb refuses root: the server runs as the postgres user
        import pwd

        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    password = secrets.token_hex(16)
    pwfile = folder / "pw"
    pwfile.write_text(password + "\n")
    if as_user:
        os.chown(pwfile, owner.pw_uid, owner.pw_gid)
    data = folder / "data"
    run = {"capture_output": True, "text": True, "timeout": 120, "check": False}
    init = subprocess.run(
        [
            *as_user,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            USER,
            "--pwfile",
            str(pwfile),
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ],
        **run,
    )
    pwfile.unlink()
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"initdb failed: {init.stderr or init.stdout}")
    port = _free_port()
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB "
        "-c temp_buffers=256MB -c work_mem=64MB -c max_connections=20"
    )
    start = subprocess.run(
        [
            *as_user,
            str(bin_dir / "pg_ctl"),
            "start",
            "-D",
            str(data),
            "-w",
            "-t",
            "60",
            "-l",
            str(folder / "server.log"),
            "-o",
            options,
        ],
        **run,
    )
    if start.returncode != 0:
        log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"pg_ctl start failed: {start.stderr or start.stdout}\n{log}")
    passfile = folder / "pgpass"
    passfile.write_text(f"127.0.0.1:{port}:*:{USER}:{password}\n")
    passfile.chmod(0o600)
    server = PgServer(folder, bin_dir, port, password, passfile, as_user)
    with server.connect(dbname="postgres") as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}")
    return server


@pytest.fixture(scope="session")
def pg_server(request) -> PgServer:
    """The session's server (started on first use), with ``PGPASSFILE`` set to reach it."""
    if not _SERVER:
        server = _start()
        _SERVER.append(server)
        previous = os.environ.get("PGPASSFILE")
        os.environ["PGPASSFILE"] = str(server.passfile)

        def stop() -> None:
            if previous is None:
                os.environ.pop("PGPASSFILE", None)
            else:
                os.environ["PGPASSFILE"] = previous
            server.stop()

        request.session.addfinalizer(stop)
    return _SERVER[0]


def copy_frame(conn, table: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
    """(Re)create ``table`` with ``types`` per column and COPY ``frame``'s cells into it.

    Empty cells are NULL; booleans are written ``yes``/``no`` (PostgreSQL reads both).
    """
    from itp_stats.cohort.sql import quote_ident

    name = quote_ident(table)
    columns = ", ".join(f"{quote_ident(c)} {types[c]}" for c in frame.columns)
    conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.execute(f"CREATE TABLE {name} ({columns})")
    with conn.cursor() as cur, cur.copy(f"COPY {name} FROM STDIN (FORMAT csv)") as copy:
        copy.write(_csv_rows(frame))
    conn.execute(f"ANALYZE {name}")


def _csv_rows(frame: pd.DataFrame) -> bytes:
    """``frame``'s rows as CSV for ``COPY … (FORMAT csv)``: no header, a missing or empty cell
    unquoted (NULL), every other text quoted, booleans as ``yes``/``no``.

    Written by Arrow, several times quicker than pandas' ``to_csv`` on the nullable columns of
    the million-row test. PostgreSQL reads the cells ``to_csv`` wrote: that too left a missing
    or empty cell unquoted, and a quoted cell reads as the same text or number.
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    arrays = []
    for col in frame.columns:
        values = frame[col]
        if values.dtype == "boolean":
            words = np.where(values.fillna(False).to_numpy(bool), "yes", "no")
            arrays.append(pa.array(words, mask=values.isna().to_numpy(), type=pa.string()))
            continue
        if pd.api.types.is_numeric_dtype(values.dtype):
            arrays.append(pa.array(values, from_pandas=True))  # NaN and <NA>: NULL
            continue
        text = values.astype(object)
        missing = (text.isna() | (text == "")).to_numpy(bool)
        if pd.api.types.infer_dtype(text, skipna=True) != "string":  # a number among texts
            text = text.map(str, na_action="ignore")
        arrays.append(pa.array(text.to_numpy(), mask=missing, type=pa.string()))
    table = pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue().to_pybytes()


def load_cells(conn, table: str, frame: pd.DataFrame) -> None:
    """A table of text columns holding the cells as written (a staging table)."""
    copy_frame(conn, table, frame, dict.fromkeys(frame.columns, "text"))


def load_typed(conn, table: str, frame: pd.DataFrame, dictionary=None) -> None:
    """A table typed by the dictionary (numbers, booleans, texts); unknown columns as text."""
    from itp_stats.cohort.dictionary import load_dictionary

    d = dictionary or load_dictionary()
    types = {c: PG_TYPES[d.columns[c].type] if c in d.columns else "text" for c in frame.columns}
    copy_frame(conn, table, frame, types)
