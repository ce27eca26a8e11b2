"""Copying the whole database out and back in, consistently, with each engine's own tool.

SQLite: the online backup API (sqlite3.Connection.backup), page by page from a read
snapshot, so the copy is consistent while the app keeps writing (WAL); restored the same
way into the live file, so open connections of a running server see the new content.

PostgreSQL: pg_dump (custom format: compressed, one snapshot, every table, sequence, index
and function a migration made) and, to restore, pg_restore turned into SQL and run by psql
in ONE transaction after dropping the schema: a failure leaves the database as it was.
Django's dumpdata/loaddata were rejected: they load every row as a model instance (hours
and gigabytes at a million events), lose sequences and anything a migration made in SQL,
and are not one consistent snapshot.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection

SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"


class DatabaseToolError(Exception):
    """A dump or restore tool failed or is missing; the message says which and why."""


def vendor() -> str:
    return connection.vendor


def member_name() -> str:
    if connection.vendor == "sqlite":
        return SQLITE_MEMBER
    if connection.vendor == "postgresql":
        return POSTGRES_MEMBER
    raise DatabaseToolError(f"backups support SQLite and PostgreSQL, not {connection.vendor}")


def database_dump(target: Path) -> dict:
    """Write a consistent copy of the database to `target`; returns facts for the manifest."""
    if connection.vendor == "sqlite":
        return _sqlite_dump(target)
    if connection.vendor == "postgresql":
        return _postgres_dump(target)
    raise DatabaseToolError(f"backups support SQLite and PostgreSQL, not {connection.vendor}")


def database_load(source: Path) -> None:
    """Replace the whole content of the database by the copy at `source`."""
    if connection.vendor == "sqlite":
        _sqlite_load(source)
    elif connection.vendor == "postgresql":
        _postgres_load(source)
    else:
        raise DatabaseToolError(f"backups support SQLite and PostgreSQL, not {connection.vendor}")


# -- SQLite ---------------------------------------------------------------------------------

def _sqlite_dump(target: Path) -> dict:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        # A single self-contained file: the copy leaves WAL mode (the live file keeps it).
        copy.execute("PRAGMA journal_mode=DELETE")
        version = copy.execute("select sqlite_version()").fetchone()[0]
    finally:
        copy.close()
    return {"tool": "sqlite3 online backup API", "server_version": version}


def _sqlite_load(source: Path) -> None:
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        connection.close()
        connection.ensure_connection()
        # Into the live database file, as one step: other connections wait on its lock and
        # then read the restored pages.
        backup.backup(connection.connection)
    finally:
        backup.close()
    connection.close()


# -- PostgreSQL -----------------------------------------------------------------------------

def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DatabaseToolError(
            f"{name} is not on PATH: install the PostgreSQL client tools of the server's major "
            f"version (Debian: apt-get install postgresql-client)")
    return path


def _pg_env() -> dict:
    """The connection as libpq variables: no password on a command line."""
    s = connection.settings_dict
    env = dict(os.environ)
    for var, value in (("PGHOST", s.get("HOST")), ("PGPORT", s.get("PORT")), ("PGUSER", s.get("USER")),
                       ("PGPASSWORD", s.get("PASSWORD")), ("PGDATABASE", s.get("NAME")),
                       ("PGSSLMODE", (s.get("OPTIONS") or {}).get("sslmode"))):
        if value:
            env[var] = str(value)
    return env


def _run(args: list[str], what: str) -> str:
    # The PostgreSQL client tools found on PATH, with fixed arguments: no shell, no user input.
    done = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise DatabaseToolError(f"{what} failed ({Path(args[0]).name} exit {done.returncode}): "
                                f"{done.stderr.strip()[-2000:]}")
    return done.stdout


def _postgres_dump(target: Path) -> dict:
    pg_dump = _tool("pg_dump")
    _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)], "pg_dump")
    with connection.cursor() as cursor:
        cursor.execute("show server_version")
        server = cursor.fetchone()[0]
    tool = _run([pg_dump, "--version"], "pg_dump --version").strip()
    return {"tool": tool, "server_version": server}


# Drop everything the app made (tables, sequences, functions, text search configurations of
# later migrations) with the schema, so an older backup is restored exactly; the schema
# gets PostgreSQL 15's default rights back.
_RESET = """
DROP SCHEMA IF EXISTS public CASCADE;
CREATE SCHEMA public;
GRANT USAGE ON SCHEMA public TO PUBLIC;
"""


def _postgres_load(source: Path) -> None:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    work = source.parent
    script = work / "restore.sql"
    reset = work / "reset.sql"
    _run([pg_restore, "--no-owner", "--no-privileges", "--file", str(script), str(source)], "pg_restore")
    reset.write_text(_RESET)
    connection.close()  # no session of ours holds a lock on what is dropped
    _run([psql, "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1",
          "-f", str(reset), "-f", str(script)], "psql (restore in one transaction)")
    script.unlink()
