"""The morning list read with the standard library's sqlite3 alone: the path ``ogi-workflow
overdue --format csv`` takes on a SQLite file. Started from cron over a million requests,
loading SQLAlchemy and pydantic took longer than reading the list (docs/benchmarks.md).

The statements are those SQLAlchemy compiles from :func:`queries.overdue_queries`
(data/overdue_sqlite.json, written by ``python scripts/overdue_sql.py`` and checked current
by a test), so the query keeps one home; the rows come from :func:`morning.urgent_rows`, as
on the full path. Only the plain case is taken here: a file at the schema revision the
statements were compiled for, serving the agency asked for, the whole agency's list. For
anything else :func:`overdue_rows` returns None and the caller opens the workflow as usual,
which says what is wrong (a missing file, another program's database, an older schema).
"""

from __future__ import annotations

import json
import sqlite3
import weakref
from collections.abc import Iterator
from datetime import date
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ogi_workflow.calendar.schedule import ESTIMABLE_YEARS
from ogi_workflow.calendar.workdays import WorkdayCalendar
from ogi_workflow.errors import StorageError
from ogi_workflow.morning import MAX_WITHIN, listed_until, soon_until, urgent_rows

__all__ = ["overdue_rows"]


@cache
def _compiled() -> dict[str, Any]:
    text = files("ogi_workflow").joinpath("data/overdue_sqlite.json").read_text("utf-8")
    compiled: dict[str, Any] = json.loads(text)
    return compiled


def _sqlite_file(db: str) -> Path | None:
    """The file a ``--db`` value names when it is a plain path or a ``sqlite:///`` URL."""
    if db.startswith("sqlite:///"):
        db = db.removeprefix("sqlite:///")
    elif "://" in db:
        return None
    path = Path(db)
    return path if db not in ("", ":memory:") and path.is_file() else None


def overdue_rows(
    db: str,
    agency_code: str | None,
    day: date,
    within: int,
) -> Iterator[tuple[Any, ...]] | None:
    """The whole agency's morning list on ``day`` as rows of :data:`morning.FIELDS` (what
    ``Workflow.iter_overdue_rows`` gives), read through sqlite3 from the file ``db``; None
    when this path does not apply. The calendar is Workflow.open's default: the bundled
    schedules, estimates allowed, the deployment-wide notices stored in the database and the
    agency's own. The file is opened
    read-only, as every read command opens it."""
    path = _sqlite_file(db)
    first, last = ESTIMABLE_YEARS  # a day out of range: the workflow refuses it
    if path is None or not 0 <= within <= MAX_WITHIN or not first <= day.year <= last:
        return None
    try:
        conn = sqlite3.connect(
            f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, isolation_level=None
        )
    except sqlite3.Error:
        return None
    try:
        prepared = _prepared(conn, agency_code, day, within)
    except sqlite3.Error:
        prepared = None
    if prepared is None:
        conn.close()
        return None
    statements, calendar = prepared
    rows = _read(conn, statements, calendar, day)
    weakref.finalize(rows, conn.close)  # closed even if the rows are never read
    return rows


def _prepared(
    conn: sqlite3.Connection, agency_code: str | None, day: date, within: int
) -> tuple[list[tuple[str, list[Any]]], WorkdayCalendar] | None:
    """The three statements with their parameters and the database's calendar, or None."""
    compiled = _compiled()
    conn.execute("PRAGMA busy_timeout=60000")  # as make_engine: wait out a checkpoint
    # Pages read through a memory map, not copied one read() at a time: the list visits
    # tens of thousands of rows scattered through the file (a tenth less time on a million).
    conn.execute("PRAGMA mmap_size=1073741824")
    conn.execute("BEGIN")  # one snapshot for the notices and the three statements
    version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    if version != [(compiled["revision"],)]:
        return None
    codes = [code for (code,) in conn.execute(compiled["agencies"])]
    if agency_code is None and len(codes) == 1:
        agency = codes[0]
    elif agency_code is not None and agency_code in codes:
        agency = agency_code
    else:
        return None
    # The deployment-wide notices (owner NULL) and the agency's own, as queries.StoredNotices
    notices = conn.execute(compiled["notices"]).fetchall()
    base = WorkdayCalendar.china(allow_estimated=True)  # as Workflow.open's default
    calendar = base.with_stored_notices(
        [text for owner, text in notices if owner is None],
        [text for owner, text in notices if owner == agency],
    )
    soon = soon_until(calendar, day, within)
    inputs: dict[str, Any] = {
        "agency": agency,
        "day": day.isoformat(),  # SQLite stores dates as ISO text
        "soon": soon.isoformat(),
        "last": listed_until(day, soon, within).isoformat(),
    }
    statements = [
        (
            statement["sql"],
            [inputs[p["input"]] if "input" in p else p["value"] for p in statement["params"]],
        )
        for statement in compiled["statements"]
    ]
    return statements, calendar


def _read(
    conn: sqlite3.Connection,
    statements: list[tuple[str, list[Any]]],
    calendar: WorkdayCalendar,
    day: date,
) -> Iterator[tuple[Any, ...]]:
    """The rows, the connection closed when they end (or the reader stops)."""
    try:
        cursors = [conn.execute(sql, params) for sql, params in statements]
        deadlines, windows, work = cursors
        yield from urgent_rows(deadlines, windows, work, day, calendar, parse=date.fromisoformat)
    except sqlite3.Error as exc:  # once the list has begun there is no going back
        raise StorageError(f"reading the overdue list: {exc}") from None
    finally:
        conn.close()
