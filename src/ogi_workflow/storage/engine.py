"""The engine set-up: one place that knows how each backend must be opened.

* SQLite: WAL, ``foreign_keys=ON``, a busy timeout, and writes begin with ``BEGIN IMMEDIATE``
  so that two writers queue instead of failing half-way; reads begin with a plain ``BEGIN``.
* PostgreSQL (psycopg 3): read-only opens make every session read-only.
* JSON columns are written with orjson.
* :func:`writer_lock`: on SQLite, the threads of one process queue for the write lock in
  turn instead of polling for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import ConnectionPoolEntry

from ogi_workflow.errors import StorageError

__all__ = ["BUSY_TIMEOUT_S", "make_engine", "normalise_url", "writer_check", "writer_lock"]

BUSY_TIMEOUT_S: Final = 60  # how long a SQLite writer waits for the write lock


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
        full,
        # A server's connection can drop between two uses; a file's cannot (and the ping
        # would cost every SQLite checkout a statement).
        pool_pre_ping=not full.startswith("sqlite"),
        json_serializer=_json_text,
        connect_args=connect_args,
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
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}",
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


class _Writers:
    """One database file's writers in this process, in turn (see :func:`writer_lock`)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._holder: int | None = None  # the thread writing now (its ident), if any

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise StorageError(
                f"database (write): another writer of this process held it past {BUSY_TIMEOUT_S} s"
            )
        self._depth += 1
        self._holder = threading.get_ident()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if not self._depth:
            self._holder = None
        self._lock.release()

    def writing(self) -> int | None:
        """The thread of this process writing now, if another than the caller's."""
        holder = self._holder
        return None if holder == threading.get_ident() else holder


_WRITERS: dict[str, _Writers] = {}
_WRITERS_GUARD = threading.Lock()


def writer_lock(engine: Engine) -> AbstractContextManager[None]:
    """What a write transaction holds in this process besides the database's own lock.

    SQLite lets one writer in at a time and makes the others poll for the lock with growing
    sleeps (the busy timeout), so under load a writer can wait seconds while later ones slip
    in. The threads of one process (a server's workers) therefore queue on one lock per
    database file, each woken as soon as the previous writer commits; other processes still
    meet at SQLite's own lock. Re-entrant: a write inside a write is the same transaction's.
    PostgreSQL locks rows, not the database: nothing to hold.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    return _writers(engine)


def writer_check(engine: Engine) -> Callable[[], int | None]:
    """A check, cheap enough for every call, of which other thread of this process holds the
    database's :func:`writer_lock` now (a write started then would wait for it): its ident,
    or None; always None on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return lambda: None
    return _writers(engine).writing


def _writers(engine: Engine) -> _Writers:
    name = engine.url.database or ""
    key = str(Path(name).resolve()) if name not in ("", ":memory:") else name
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(key, _Writers())
