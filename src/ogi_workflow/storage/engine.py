"""The engine set-up: one place that knows how each backend must be opened.

* SQLite: WAL, ``foreign_keys=ON``, a busy timeout, and writes begin with ``BEGIN IMMEDIATE``
  so that two writers queue instead of failing half-way; reads begin with a plain ``BEGIN``.
* PostgreSQL (psycopg 3): read-only opens make every session read-only.
* JSON columns are written with orjson.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import ConnectionPoolEntry

from ogi_workflow.errors import StorageError

__all__ = ["make_engine", "normalise_url"]


def _json_text(value: object) -> str:
    return orjson.dumps(value).decode()


def normalise_url(url: str) -> str:
    """Accept a file path (SQLite) or a URL; ``postgresql://`` means psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine set up for this schema's guarantees on SQLite or PostgreSQL.

    ``read_only``: SQLite opens the file read-only (a missing file is a StorageError, never
    created) and never changes its journal mode; PostgreSQL sessions are read-only.
    """
    full = normalise_url(url)
    connect_args: dict[str, Any] = {}
    if read_only and full.startswith("sqlite"):
        path = full.split(":///", 1)[1] if ":///" in full else ""
        if path in ("", ":memory:") or not Path(path).is_file():
            raise StorageError(f"database {url}: no such SQLite file")
        full = f"sqlite:///file:{quote(str(Path(path).resolve()))}?mode=ro&uri=true"
    engine = create_engine(
        full, pool_pre_ping=True, json_serializer=_json_text, connect_args=connect_args
    )
    if read_only and engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _read_only_session(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_connection.autocommit = autocommit

    if engine.dialect.name == "sqlite":
        pragmas = [
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=60000",
            "PRAGMA cache_size=-32768",  # 32 MiB: a large batch stays in memory until commit
        ]
        if not read_only:  # WAL itself is set once the file is known to be ours (migrate)
            pragmas.append("PRAGMA synchronous=NORMAL")

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy's begin event issues BEGIN
            cursor = dbapi_connection.cursor()
            for pragma in pragmas:
                cursor.execute(pragma)
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            # Writers take the write lock up front; readers (ogi_read) do not block them.
            reading = read_only or connection.get_execution_options().get("ogi_read", False)
            connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine
