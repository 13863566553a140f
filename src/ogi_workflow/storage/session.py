"""The unit of work: one interface for an action's reads and writes, direct or batched.

:class:`Session` runs inside one transaction and writes at once (one transaction per
action). :class:`BatchSession` is the same interface over a transaction that spans many
actions: it keeps each request's row and history in memory, queues its writes and flushes
them as one version-checked UPDATE per request and one multi-row INSERT of the events.
:class:`Store` hands out the right one, so the facade never asks which it has.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from typing import Any, Final

from sqlalchemy import Engine, Update, bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from ogi_workflow.errors import ConflictError, NotFoundError, OgiError, StorageError
from ogi_workflow.lifecycle import Event, HistoryItem, jsonable_columns, request_label
from ogi_workflow.lifecycle.inner import WorkChange
from ogi_workflow.models import RequestRef
from ogi_workflow.storage.engine import writer_lock
from ogi_workflow.storage.schema import (
    EVENT,
    NOTICE,
    OUTBOX,
    REQUEST,
    SET_COUNTER,
    allocate_seq,
    insert_many,
)
from ogi_workflow.storage.work_items import apply_work, apply_work_many

__all__ = [
    "BatchSession",
    "RequestRef",
    "Session",
    "Store",
    "outbox_row",
]


# Statements built once: executing a prebuilt statement with a dict of values skips
# SQLAlchemy's per-call construction and coercion (most of an action's cost).
# By id too, a request is found only in its own agency (several share one database).
_SELECT_BY_ID: Final = select(REQUEST).where(
    REQUEST.c.id == bindparam("rid"), REQUEST.c.agency == bindparam("agency")
)
_SELECT_BY_REG_NO: Final = select(REQUEST).where(
    REQUEST.c.agency == bindparam("agency"), REQUEST.c.reg_no == bindparam("reg_no")
)
_SELECT_HISTORY: Final = (
    select(EVENT.c.event, EVENT.c.effective_on, EVENT.c.payload)
    .where(EVENT.c.request_id == bindparam("rid"))
    .order_by(EVENT.c.seq)
)
_INSERT_REQUEST: Final = insert(REQUEST).returning(REQUEST.c.id)
_TAKE_IDS: Final = {  # PostgreSQL: ids from a table's own sequence, no other writer's
    table.name: text(
        f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
        "FROM generate_series(1, :count)"
    )
    for table in (REQUEST, EVENT)
}
_LARGEST_ID: Final = {  # SQLite: the writer holds the write lock, so on from the largest
    table.name: select(func.coalesce(func.max(table.c.id), 0)) for table in (REQUEST, EVENT)
}
_SET_NUMBER: Final = (
    update(REQUEST)
    .where(REQUEST.c.id == bindparam("rid"))
    .values(reg_no=bindparam("reg_no"), reg_seq=bindparam("reg_seq"))
)
_SET_NUMBERS: Final = text(  # PostgreSQL: one statement, not one per row (executemany)
    f"UPDATE {REQUEST.name} SET reg_no = n.reg_no, reg_seq = n.reg_seq "
    "FROM unnest(CAST(:rid AS integer[]), CAST(:reg_no AS text[]), "
    "CAST(:reg_seq AS integer[])) AS n(id, reg_no, reg_seq) "
    f"WHERE {REQUEST.name}.id = n.id"
)
_REQUEST_COLUMNS: Final = tuple(REQUEST.c.keys())
_INSERT_EVENT: Final = insert(EVENT)
_INSERT_OUTBOX: Final = insert(OUTBOX)
_COUNT_NOTICES: Final = select(func.count()).select_from(NOTICE)


@cache
def _update_request(columns: frozenset[str]) -> Update:
    """UPDATE of exactly these columns plus version and updated_at, checking the version."""
    return (
        update(REQUEST)
        .where(REQUEST.c.id == bindparam("rid"), REQUEST.c.version == bindparam("seen"))
        .values({name: bindparam(name) for name in (*sorted(columns), "version", "updated_at")})
    )


class Session:
    """One transaction's reads and writes of requests, written at once."""

    def __init__(self, conn: Connection, agency: str, clock: Callable[[], datetime]) -> None:
        self.conn = conn
        self.agency = agency
        self.clock = clock
        # The people this unit of work looked up, by login: each action authorises its actor,
        # and a batch's actions are taken as of its first look (on SQLite the batch holds the
        # write lock, so nobody else can change them meanwhile). A staff change clears it.
        self.people: dict[str, dict[str, Any] | None] = {}

    # ---- reads

    def row(self, request: RequestRef) -> dict[str, Any]:
        """The stored request by id or registration number (:class:`NotFoundError`)."""
        if isinstance(request, int):
            result = self.conn.execute(_SELECT_BY_ID, {"rid": request, "agency": self.agency})
        else:
            result = self.conn.execute(
                _SELECT_BY_REG_NO, {"agency": self.agency, "reg_no": request}
            )
        row = result.mappings().one_or_none()
        if row is None:
            raise NotFoundError(f"no request {request!r} for agency {self.agency}")
        return dict(row)

    def history(self, request_id: int) -> list[HistoryItem]:
        rows = self.conn.execute(_SELECT_HISTORY, {"rid": request_id})
        return [HistoryItem(Event(r.event), r.effective_on, r.payload) for r in rows]

    def load(self, request: RequestRef) -> tuple[dict[str, Any], list[HistoryItem]]:
        """The request and its event log, as the next action decides on them."""
        row = self.row(request)
        return row, self.history(row["id"])

    def reader(self) -> Connection:
        """A connection that sees every write of this unit of work."""
        return self.conn

    # ---- writes

    def insert_request(self, row: dict[str, Any], event_row: dict[str, Any]) -> int:
        """Store a new request and its ``receive`` event; its id. The row's agency may be
        another of the database's (转送): its event goes to that agency's webhooks."""
        request_id = int(self.conn.execute(_INSERT_REQUEST, row).scalar_one())
        self._add_event({**event_row, "request_id": request_id}, row["agency"])
        return request_id

    def write(
        self,
        row: Mapping[str, Any],
        history: Sequence[HistoryItem],
        updates: Mapping[str, Any],
        *,
        event: Event,
        on: date,
        actor: str,
        reason: str | None,
        payload: Mapping[str, Any],
        work: Sequence[WorkChange] = (),
    ) -> dict[str, Any]:
        """Write the changed columns (version-checked), the event row and the work items the
        event opens or closes; the new row."""
        now = self.clock()
        version = row["version"] + 1
        changed = {k: v for k, v in updates.items() if row[k] != v}
        merged = {**row, **changed, "version": version, "updated_at": now}
        logged = {k: v for k, v in changed.items() if k != "state"}
        self._update(row, changed, merged, event)
        self._add_event(
            {
                "request_id": row["id"],
                "seq": version,
                "event": event.value,
                "actor": actor,
                "at": now,
                "effective_on": on,
                "state_before": row["state"],
                "state_after": merged["state"],
                "reason": reason,
                "payload": dict(payload),
                "before_values": jsonable_columns({k: row[k] for k in logged}),
                "after_values": jsonable_columns(logged),
            }
        )
        if work:
            self._work(row["id"], on, work)
        self._remember(merged, [*history, HistoryItem(event, on, payload)])
        return merged

    def next_seq(self, year: int, series: str = "registration") -> int:
        """The next number of a counter series, held until the transaction ends."""
        return allocate_seq(self.conn, self.agency, year, series)

    def registration(
        self, request_id: int, year: int, number: Callable[[int], str]
    ) -> tuple[str | None, int | None]:
        """A request registered now: its number (``number`` formats its place in the
        year's series) and that place, given at once."""
        seq = self.next_seq(year)
        return number(seq), seq

    def _update(
        self, row: Mapping[str, Any], changed: dict[str, Any], merged: dict[str, Any], event: Event
    ) -> None:
        params = {
            **changed,
            "rid": row["id"],
            "seen": row["version"],
            "version": merged["version"],
            "updated_at": merged["updated_at"],
        }
        if self.conn.execute(_update_request(frozenset(changed)), params).rowcount != 1:
            raise ConflictError(
                f"{event.value}: request {request_label(row)} was changed by another worker at "
                "the same time; reload and decide again"
            )

    def _add_event(self, event_row: dict[str, Any], agency: str | None = None) -> None:
        """The event row and its outbox row (webhooks), in the same transaction."""
        self.conn.execute(_INSERT_EVENT, event_row)
        self.conn.execute(_INSERT_OUTBOX, outbox_row(agency or self.agency, event_row))

    def _work(self, request_id: int, on: date, work: Sequence[WorkChange]) -> None:
        apply_work(self.conn, self.agency, request_id, on, work)

    def _remember(self, row: dict[str, Any], history: list[HistoryItem]) -> None:
        """A direct session forgets: the next action reads the database again."""


class BatchSession(Session):
    """A unit of work over the requests a batch touches, flushed at the end (or before reads).

    New requests are inserted once at flush, with their final values (ids: see _new_id);
    each changed request gets one version-checked UPDATE; the queued events go in one
    multi-row INSERT; registrations are numbered then (see registration). A query inside
    the batch flushes first, so it sees the batch's own writes; an action reads a request
    from the batch's cache.
    """

    def __init__(
        self,
        conn: Connection,
        agency: str,
        clock: Callable[[], datetime],
        *,
        number_now: bool = False,
    ) -> None:
        super().__init__(conn, agency, clock)
        self.number_now = number_now
        self.cache: dict[int, tuple[dict[str, Any], list[HistoryItem]]] = {}
        self.seen: dict[int, int] = {}  # version read from the database
        self.changed: dict[int, set[str]] = {}
        self.events: list[dict[str, Any]] = []
        self.event_agencies: list[str] = []  # each event's agency (its outbox row's)
        self.work: list[tuple[int, date, Sequence[WorkChange]]] = []
        self.poisoned = False
        # Letter-number counters this batch holds locked (its first UPDATE … RETURNING took
        # the row lock until commit), advanced in memory and written back at flush.
        self.counters: dict[tuple[int, str], int] = {}
        # Requests received in this batch and not yet inserted, in order (one insert at
        # flush, with every change of the batch already in), and the ids left to hand out.
        self.new_rows: dict[int, None] = {}
        self.last_id: int | None = None  # SQLite
        self.free_ids: list[int] = []  # PostgreSQL, the smallest last
        self.ids_taken = 0  # PostgreSQL
        # Registrations not numbered yet, in order (see registration), unless numbered now.
        self.unnumbered: list[tuple[int, int, Callable[[int], str]]] = []

    def load(self, request: RequestRef) -> tuple[dict[str, Any], list[HistoryItem]]:
        """A request this batch has touched is in its cache (by id, or by number once it
        has one); any other is in the database as it was, so reading it needs no flush
        (a flush would number the batch's registrations, and lock the counter, early)."""
        if isinstance(request, int):
            cached = self.cache.get(request)
        else:
            cached = next((c for c in self.cache.values() if c[0]["reg_no"] == request), None)
        if cached is not None and cached[0]["agency"] == self.agency:  # not one forwarded
            return cached
        return super().load(request)

    def reader(self) -> Connection:
        self.flush()
        return self.conn

    def insert_request(self, row: dict[str, Any], event_row: dict[str, Any]) -> int:
        request_id = self._new_id()
        self.new_rows[request_id] = None
        self._add_event({**event_row, "request_id": request_id}, row["agency"])
        first = HistoryItem(Event.RECEIVE, event_row["effective_on"], event_row["payload"])
        self.cache[request_id] = ({**row, "id": request_id}, [first])
        return request_id

    def _new_id(self) -> int:
        """A request id no other writer takes. SQLite: on from the largest stored (the
        batch's BEGIN IMMEDIATE holds the write lock). PostgreSQL: from the id sequence, in
        blocks that grow with the batch (1 for a lone receive, up to 256), so a big batch
        asks rarely. An id taken and not used (the block's rest, a rolled-back batch) is
        skipped: request ids may have gaps; registration numbers never do."""
        if self.conn.dialect.name == "sqlite":
            if self.last_id is None:
                self.last_id = int(self.conn.execute(_LARGEST_ID[REQUEST.name]).scalar_one())
            self.last_id += 1
            return self.last_id
        self.ids_taken += 1
        if not self.free_ids:
            self.free_ids = self._take_ids(REQUEST.name, min(self.ids_taken, 256))[::-1]
        return self.free_ids.pop()

    def _take_ids(self, table: str, count: int) -> list[int]:
        """``count`` ids of a table no other writer takes, ascending."""
        if self.conn.dialect.name == "sqlite":
            top = int(self.conn.execute(_LARGEST_ID[table]).scalar_one())
            return list(range(top + 1, top + count + 1))
        return sorted(self.conn.execute(_TAKE_IDS[table], {"count": count}).scalars())

    def next_seq(self, year: int, series: str = "registration") -> int:
        key = (year, series)
        if key in self.counters:
            self.counters[key] += 1
        else:
            try:
                self.counters[key] = super().next_seq(year, series)
            except BaseException:
                self.poisoned = True
                raise
        return self.counters[key]

    def registration(
        self, request_id: int, year: int, number: Callable[[int], str]
    ) -> tuple[str | None, int | None]:
        """None for now: the batch numbers its registrations in order when it is written
        (flush, at the latest just before it commits), as the last of its writes. The
        registration counter is then locked from there to the commit, not from the batch's
        first registration on, so workers' batches do not queue on it for their whole
        length; a batch rolled back still gives its numbers back. Until then the request's
        ``reg_no`` is None; a read inside the batch (a letter, a query) writes the batch
        first and sees the number."""
        if self.number_now:
            return super().registration(request_id, year, number)
        self.unnumbered.append((request_id, year, number))
        return None, None

    def _registering(self) -> dict[int, dict[str, Any]]:
        """The event that registered each request waiting for its number (register, or
        当场答复 of a request received now), by request id; a registration whose action
        failed before its event was queued has none, and is dropped."""
        waiting = {request_id for request_id, _, _ in self.unnumbered}
        return {
            e["request_id"]: e
            for e in self.events
            if e["request_id"] in waiting and "reg_year" in e["after_values"]
        }

    def _number(self, registered: dict[int, dict[str, Any]]) -> None:
        """Number the batch's registrations, one counter update per year (which locks the
        counter until the commit), then write the numbers: into the requests (stored by
        now) and into the registering events, held back until now so that they are
        written once, with their numbers, as a direct registration writes them."""
        years: dict[int, list[tuple[int, Callable[[int], str]]]] = {}
        for request_id, year, number in self.unnumbered:
            if request_id in registered:
                years.setdefault(year, []).append((request_id, number))
        numbers = []
        for year, found in sorted(years.items()):  # one order: two batches cannot deadlock
            last = allocate_seq(self.conn, self.agency, year, count=len(found))
            for seq, (request_id, number) in enumerate(found, start=last - len(found) + 1):
                values = {"reg_no": number(seq), "reg_seq": seq}
                self.cache[request_id][0].update(values)
                numbers.append({"rid": request_id, **values})
                event = registered[request_id]
                event["before_values"].update(dict.fromkeys(values))
                event["after_values"].update(values)
        self.unnumbered.clear()
        if numbers:
            if self.conn.dialect.name == "postgresql":
                columns = {key: [n[key] for n in numbers] for key in numbers[0]}
                self.conn.execute(_SET_NUMBERS, columns)
            else:
                self.conn.execute(_SET_NUMBER, numbers)
            insert_many(self.conn, EVENT, list(registered.values()))

    def _update(
        self, row: Mapping[str, Any], changed: dict[str, Any], merged: dict[str, Any], event: Event
    ) -> None:
        self.seen.setdefault(row["id"], row["version"])
        self.changed.setdefault(row["id"], set()).update(changed)

    def _add_event(self, event_row: dict[str, Any], agency: str | None = None) -> None:
        self.events.append(event_row)
        self.event_agencies.append(agency or self.agency)

    def _remember(self, row: dict[str, Any], history: list[HistoryItem]) -> None:
        self.cache[row["id"]] = (row, history)

    def _work(self, request_id: int, on: date, work: Sequence[WorkChange]) -> None:
        self.work.append((request_id, on, work))

    def flush(self) -> None:
        try:
            self._flush()
        except BaseException:
            self.poisoned = True
            raise

    def _flush(self) -> None:
        # Every row first, then the numbers (_number): the registration counter, which
        # every worker registering in the agency shares, is locked only for the numbers'
        # own writes and the commit. The registering events are held back till then, so
        # the batch's event ids are taken ahead, in the events' order: the ones written
        # last still sort among their requests' others.
        registered = self._registering() if self.unnumbered else {}
        if registered:
            ids = self._take_ids(EVENT.name, len(self.events))
            for event_row, event_id in zip(self.events, ids, strict=True):
                event_row["id"] = event_id
        if self.new_rows:
            insert_many(
                self.conn,
                REQUEST,
                [{c: self.cache[i][0][c] for c in _REQUEST_COLUMNS} for i in self.new_rows],
            )
        groups: dict[frozenset[str], list[dict[str, Any]]] = {}
        for request_id, columns in self.changed.items():
            if request_id in self.new_rows:
                continue
            row = self.cache[request_id][0]
            groups.setdefault(frozenset(columns), []).append(
                {
                    **{c: row[c] for c in columns},
                    "rid": request_id,
                    "seen": self.seen[request_id],
                    "version": row["version"],
                    "updated_at": row["updated_at"],
                }
            )
        for column_set, params in groups.items():
            self._update_many(column_set, params)
        for (year, series), last in self.counters.items():
            self.conn.execute(
                SET_COUNTER,
                {"b_agency": self.agency, "b_series": series, "b_year": year, "last_seq": last},
            )
        held_back = {e["id"] for e in registered.values()}
        insert_many(self.conn, EVENT, [e for e in self.events if e.get("id") not in held_back])
        outbox = zip(self.event_agencies, self.events, strict=True)
        insert_many(self.conn, OUTBOX, [outbox_row(agency, e) for agency, e in outbox])
        apply_work_many(self.conn, self.agency, self.work, new=self.new_rows)
        if self.unnumbered:
            self._number(registered)
        self.work.clear()
        self.counters.clear()
        self.new_rows.clear()
        self.seen.clear()
        self.changed.clear()
        self.events.clear()
        self.event_agencies.clear()

    def _update_many(self, columns: frozenset[str], params: list[dict[str, Any]]) -> None:
        """One executemany per column set; the summed rowcount proves every version matched."""
        statement = _update_request(columns)
        if self.conn.dialect.supports_sane_multi_rowcount:
            if self.conn.execute(statement, params).rowcount == len(params):
                return
        elif all(self.conn.execute(statement, one).rowcount == 1 for one in params):
            return
        raise ConflictError(
            "batch: a request was changed by another worker during the batch; "
            "the batch was rolled back"
        )


def outbox_row(agency: str, event_row: Mapping[str, Any]) -> dict[str, Any]:
    """The transactional outbox's row for a stored event (delivered by ``service.webhooks``)."""
    return {
        "agency": agency,
        "request_id": event_row["request_id"],
        "seq": event_row["seq"],
        "dispatched": False,
    }


class Store:
    """The database of one agency: hands each action its unit of work."""

    def __init__(self, engine: Engine, agency: str, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.agency = agency
        self.clock = clock
        # The open batch of each thread: threads sharing one Workflow (an HTTP server's
        # worker threads) each run their own transactions, in turn on SQLite.
        self._local = threading.local()
        self._writer = writer_lock(engine)

    @property
    def _batch(self) -> BatchSession | None:
        batch: BatchSession | None = getattr(self._local, "batch", None)
        return batch

    @contextmanager
    def batch(self, *, number_now: bool = False) -> Iterator[None]:
        """One transaction for every action inside: all of them are stored, or none."""
        if self._batch is not None:
            yield
            return
        with self._writer, _translated("batch"), self.engine.begin() as conn:
            batch = BatchSession(conn, self.agency, self.clock, number_now=number_now)
            self._local.batch = batch
            try:
                yield
                batch.flush()
                if batch.poisoned:
                    raise OgiError(
                        "batch: an action failed while writing; the whole batch was rolled back"
                    )
            finally:
                self._local.batch = None

    @property
    def current_batch(self) -> BatchSession | None:
        return self._batch

    def notice_count(self, session: Session | None = None) -> int:
        """The stored notice files' count: on the given unit of work's connection, the open
        batch's, or a read of its own."""
        unit = session or self._batch
        if unit is not None:
            return int(unit.conn.execute(_COUNT_NOTICES).scalar_one())
        with self.engine.connect().execution_options(ogi_read=True) as conn:
            return int(conn.execute(_COUNT_NOTICES).scalar_one())

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """The open batch, or a transaction of its own."""
        if self._batch is not None:
            yield self._batch
            return
        with self._writer, _translated("write"), self.engine.begin() as conn:
            yield Session(conn, self.agency, self.clock)

    def load(self, request: RequestRef) -> tuple[dict[str, Any], list[HistoryItem]]:
        """The request and its event log, read without taking the write lock."""
        with self.reading() as conn:
            return Session(conn, self.agency, self.clock).load(request)

    def row(self, request: RequestRef) -> dict[str, Any]:
        with self.reading() as conn:
            return Session(conn, self.agency, self.clock).row(request)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads that sees the open batch's writes (and takes no write lock)."""
        if self._batch is not None:
            yield self._batch.reader()
            return
        with _translated("read"), self.engine.connect().execution_options(ogi_read=True) as conn:
            yield conn


_RETRYABLE: Final = {"40P01": "a deadlock", "40001": "a serialization failure"}


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """The database's failures as ogi-workflow errors: a deadlock or serialization failure
    (PostgreSQL) is a ConflictError to retry; a lock held past the timeout, a lost or
    refused connection or a read-only database is the environment's (StorageError)."""
    try:
        yield
    except DBAPIError as exc:
        original = exc.orig
        state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
        reason = str(original or exc).strip().splitlines()[0]
        if state in _RETRYABLE:
            raise ConflictError(
                f"{what}: {_RETRYABLE[state]} with another worker; the transaction was rolled "
                "back, run it again"
            ) from None
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            raise StorageError(f"database ({what}): {reason}") from None
        raise
