"""Backups of a live SQLite database: SQLite's online backup, consistent while others write.

Copying the file of a live WAL database can lose the transactions still in its ``-wal`` file;
the online backup copies the database as one consistent snapshot instead. PostgreSQL
databases are backed up with ``pg_dump`` (docs/storage.md).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from ogi_workflow.errors import StorageError, ValidationError
from ogi_workflow.storage.engine import normalise_url

__all__ = ["backup_sqlite"]


def backup_sqlite(url: str, target: str | Path) -> int:
    """Copy the SQLite database at ``url`` to ``target`` (written whole, then renamed into
    place); how many requests the copy holds."""
    full = normalise_url(url)
    if not full.startswith("sqlite:///"):
        raise ValidationError(
            "db backup: only SQLite databases are copied this way; back PostgreSQL up with "
            "pg_dump (docs/storage.md)"
        )
    source_path = Path(full.removeprefix("sqlite:///"))
    if not source_path.is_file():
        raise StorageError(f"db backup: no such SQLite file {source_path}")
    final = Path(target)
    partial = final.with_name(f".{final.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        # closing(): sqlite3's own context manager ends a transaction, it never closes.
        with (
            closing(sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(partial)) as copy,
        ):
            source.backup(copy)
            (count,) = copy.execute("SELECT count(*) FROM ogi_request").fetchone()
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        os.replace(partial, final)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StorageError(f"db backup: {exc}") from None
    return int(count)
