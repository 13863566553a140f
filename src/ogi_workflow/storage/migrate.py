"""Schema versions: the check every open makes, creation of a new database, and upgrades.

The schema's version is Alembic's: migrations live in ``storage/migrations/versions`` (one
per schema change), and the database records its revision in ``alembic_version``. Opening a
database checks that revision without importing Alembic:

* an empty database is created at the current revision (not when opened read-only);
* a database at the current revision opens;
* an older one (or one made by ogi-workflow 0.1, which had no version table) and a newer one
  are a :class:`SchemaVersionError` naming ``ogi-workflow db upgrade``;
* a database with tables that are not ogi-workflow's is refused and left untouched.

``upgrade`` runs the migrations through Alembic. On PostgreSQL, creation and upgrade hold an
advisory lock, so workers opening an empty database at once create it once.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from enum import StrEnum
from importlib.resources import files
from typing import Final

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from ogi_workflow.errors import SchemaVersionError, StorageError
from ogi_workflow.storage.schema import METADATA, TABLES

__all__ = ["HEAD", "REVISIONS", "SchemaState", "check_schema", "schema_state", "upgrade"]

# Every revision this code knows, oldest first; the last one is the schema it works with.
REVISIONS: Final = (
    "0001_baseline",
    "0002_people",
    "0003_routing",
    "0004_letters",
    "0005_service",
    "0006_agency_calendar",
    "0007_forwarding",
)
HEAD: Final = REVISIONS[-1]
_WAL_ATTEMPTS: Final = 40  # about 40 s of retries while other workers hold the file
_LOCK_KEY: Final = 0x6F6769  # "ogi": the PostgreSQL advisory lock of schema changes
# Alembic's own version table, declared here so a new database is stamped without Alembic.
_VERSION: Final = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
_OURS: Final = frozenset(t.name for t in TABLES)
_log = logging.getLogger(__name__)


class SchemaState(StrEnum):
    EMPTY = "empty"
    CURRENT = "current"
    OLDER = "older"  # an earlier revision, or 0.1 (no version table)
    NEWER = "newer"
    FOREIGN = "foreign"  # tables, none of them ogi-workflow's


def schema_state(conn: Connection) -> tuple[SchemaState, str | None]:
    """Where the database's schema stands, and its revision (None before versions)."""
    names = set(inspect(conn).get_table_names())
    if not names:
        return SchemaState.EMPTY, None
    if _VERSION.name in names:
        revision = conn.execute(select(_VERSION.c.version_num)).scalar_one_or_none()
        if revision == HEAD:
            return SchemaState.CURRENT, revision
        if revision in REVISIONS:
            return SchemaState.OLDER, revision
        return SchemaState.NEWER, revision
    if names & _OURS:
        return SchemaState.OLDER, None
    return SchemaState.FOREIGN, None


def check_schema(engine: Engine, url: str, *, read_only: bool) -> None:
    """Make sure the database is at this code's revision, creating an empty one if allowed."""
    try:
        with engine.connect() as conn:
            state, revision = schema_state(conn)
        if state is SchemaState.EMPTY and not read_only:
            with engine.begin() as conn:
                _lock(conn)
                state, revision = schema_state(conn)  # another worker may have created it
                if state is SchemaState.EMPTY:
                    METADATA.create_all(conn, tables=[*TABLES, _VERSION])
                    conn.execute(_VERSION.insert().values(version_num=HEAD))
                    state, revision = SchemaState.CURRENT, HEAD
                    _log.info("created the ogi-workflow schema %s", HEAD)
    except SQLAlchemyError as exc:
        raise StorageError(f"database {url}: {_reason(exc)}") from None
    if state is SchemaState.CURRENT:
        if not read_only and engine.dialect.name == "sqlite":
            # WAL (kept in the file): readers never wait for the writer. Set only on a file
            # known to be ours, never on another program's.
            _use_wal(engine, url)
        return
    upgrade_hint = f"run `ogi-workflow db upgrade --db {url}` (back it up first)"
    if state is SchemaState.EMPTY:
        raise StorageError(f"database {url} is empty: there is no ogi-workflow data to read")
    if state is SchemaState.OLDER:
        made_by = f"revision {revision}" if revision else "ogi-workflow 0.1 (no schema version)"
        raise SchemaVersionError(
            f"database {url} has the schema of {made_by}; this ogi-workflow needs {HEAD}: "
            + upgrade_hint
        )
    if state is SchemaState.NEWER:
        raise SchemaVersionError(
            f"database {url} has schema revision {revision}, newer than this ogi-workflow "
            f"knows ({HEAD}): upgrade ogi-workflow, or use the version that wrote it"
        )
    raise StorageError(
        f"database {url} is not an ogi-workflow database (it has other tables and none of "
        f"{', '.join(sorted(_OURS))}); nothing was changed"
    )


def _use_wal(engine: Engine, url: str) -> None:
    """Switch a SQLite file to WAL (outside any transaction, as SQLite requires). The switch
    needs the file to itself for a moment: while other workers open it at the same time it
    is retried, and once one of them has switched it there is nothing left to do."""
    for attempt in range(_WAL_ATTEMPTS):
        try:
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                mode = cursor.fetchone()
                if mode is not None and str(mode[0]).lower() == "wal":
                    return
            finally:
                raw.close()
        except (SQLAlchemyError, sqlite3.OperationalError) as exc:
            if attempt == _WAL_ATTEMPTS - 1:
                raise StorageError(f"database {url}: {_reason(exc)}") from None
        time.sleep(0.05 * (attempt + 1))


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to this code's revision; (revision before, revision after)."""
    from alembic import command  # noqa: PLC0415 - only upgrades need Alembic
    from alembic.config import Config  # noqa: PLC0415

    with engine.begin() as conn:
        _lock(conn)
        state, before = schema_state(conn)
        if state is SchemaState.NEWER:
            raise SchemaVersionError(
                f"database schema revision {before} is newer than this ogi-workflow ({HEAD})"
            )
        if state is SchemaState.FOREIGN:
            raise StorageError("not an ogi-workflow database (none of its tables); not changed")
        config = Config()
        config.set_main_option("script_location", str(files("ogi_workflow.storage.migrations")))
        config.attributes["connection"] = conn
        command.upgrade(config, HEAD)
    _log.info("schema upgraded from %s to %s", before or "0.1 (unversioned)", HEAD)
    return before, HEAD


def _lock(conn: Connection) -> None:
    """Serialise schema changes between workers (SQLite: BEGIN IMMEDIATE already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def _reason(exc: Exception) -> str:
    original = getattr(exc, "orig", None)
    return str(original or exc).strip().splitlines()[0]
