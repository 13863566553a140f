"""The tables, the DDL, and the counters that number requests and letters.

The tables are declared with SQLModel (docs/storage.md documents them for readers in other
languages); statements use SQLAlchemy Core, so every write says exactly what it touches.

* Instants are stored as UTC (SQLite drops time zones, so :class:`UTCDateTime` normalises);
  legal dates are plain ``DATE`` columns.
* The engine set-up (WAL, ``BEGIN IMMEDIATE`` for writers on SQLite) is in :mod:`.engine`.
* Optimistic locking: every update says ``WHERE version = :seen``; zero rows updated is a
  :class:`~ogi_workflow.errors.ConflictError`.
* Registration numbers come from a counter row per (agency, year), incremented inside the
  registering transaction: no duplicates (the row is locked) and no gaps (a rollback
  returns the number).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    Index,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    insert,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from ogi_workflow.errors import ValidationError
from ogi_workflow.lifecycle.machine import Event

__all__ = [
    "AGENCY",
    "COUNTER",
    "DELIVERY",
    "DEPARTMENT",
    "EVENT",
    "IDEMPOTENCY",
    "LETTER",
    "METADATA",
    "NOTICE",
    "OUTBOX",
    "PERSON",
    "REQUEST",
    "ROLE_GRANT",
    "SET_COUNTER",
    "STAFF_LOG",
    "TABLES",
    "TOKEN",
    "WEBHOOK",
    "AgencyRow",
    "CalendarNoticeRow",
    "CounterRow",
    "EventRow",
    "LetterRow",
    "RequestRow",
    "UTCDateTime",
    "allocate_seq",
    "description_key",
    "insert_many",
    "schema_ddl",
]


class UTCDateTime(TypeDecorator[datetime]):
    """An aware instant, stored as UTC on every backend (naive input is refused)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValidationError(f"instant {value.isoformat()} has no time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_column(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class RequestRow(SQLModel, table=True):
    """One application: its current state, outcome and clock (a projection of its events)."""

    __tablename__ = "ogi_request"
    __table_args__ = (
        UniqueConstraint("agency", "reg_no", name="uq_ogi_request_reg_no"),
        UniqueConstraint("agency", "reg_year", "reg_seq", name="uq_ogi_request_reg_seq"),
        Index("ix_ogi_request_state_due", "state", "due_date"),
        Index("ix_ogi_request_state_correction", "state", "correction_window_end"),
        Index("ix_ogi_request_applicant", "agency", "applicant_key", "received_on"),
        # Covering indexes for the annual report: its queries are answered from the index
        # alone instead of fetching most of the table row by row.
        Index("ix_ogi_request_received", "agency", "received_on", "description_key"),
        Index(
            "ix_ogi_request_replied",
            "agency",
            "replied_on",
            "received_on",
            "applicant_kind",
            "outcome",
            "clock_start",
            "paused_workdays",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency: str = Field(max_length=64)
    reg_no: str | None = Field(default=None, max_length=64)
    reg_year: int | None = None
    reg_seq: int | None = None
    state: str = Field(max_length=32)
    outcome: str | None = Field(default=None, max_length=64)
    applicant_kind: str = Field(max_length=32)
    applicant_name: str = Field(sa_type=Text)
    applicant_key: str = Field(max_length=300)
    description: str = Field(sa_type=Text)
    description_key: str = Field(max_length=16)  # hash of the normalised description
    channel: str = Field(max_length=16)
    received_at: datetime = _utc_column()
    received_on: date
    clock_start: date | None = None
    due_date: date | None = None
    correction_window_end: date | None = None
    correction_requested_on: date | None = None
    paused_workdays: int = 0
    extension_workdays: int = 0
    estimated: bool = False
    handler: str | None = Field(default=None, max_length=200)
    replied_on: date | None = None
    archived_on: date | None = None
    application: dict[str, Any] = Field(sa_type=JSON)
    version: int = 1
    created_at: datetime = _utc_column()
    updated_at: datetime = _utc_column()
    # From revision 0003: where the request is inside the agency (分办): the department's
    # code and the person it is addressed to or who signed for it.
    department: str | None = Field(default=None, max_length=40)
    assignee: str | None = Field(default=None, max_length=64)
    # From revision 0007: 转送 between agencies of the database (条例第三十六条第五项): the
    # agency and request id a request was forwarded to, or the ones it was forwarded from
    # (ids of ogi_request, written with the forward; no foreign key, so that a downgrade can
    # drop the columns in place).
    forwarded_to_agency: str | None = Field(default=None, max_length=64)
    forwarded_to_request: int | None = None
    forwarded_from_agency: str | None = Field(default=None, max_length=64)
    forwarded_from_request: int | None = None


# The partial index's predicate must match the report's query on the same events.
_RECORDS: Final = (Event.RECORD_REVIEW.value, Event.RECORD_LITIGATION.value)
_RECORDS_ONLY: Final = "event IN ({})".format(", ".join(f"'{e}'" for e in _RECORDS))


class EventRow(SQLModel, table=True):
    """The append-only audit log: one row per event, numbered 1, 2, 3 … per request."""

    __tablename__ = "ogi_event"
    __table_args__ = (
        UniqueConstraint("request_id", "seq", name="uq_ogi_event_seq"),
        # 复议/诉讼 records for the annual report's table 四: a partial index, so the millions
        # of other events cost nothing.
        Index(
            "ix_ogi_event_records",
            "event",
            "effective_on",
            "request_id",
            sqlite_where=text(_RECORDS_ONLY),
            postgresql_where=text(_RECORDS_ONLY),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="ogi_request.id")  # indexed by uq_ogi_event_seq
    seq: int
    event: str = Field(max_length=32)
    actor: str = Field(max_length=200)
    at: datetime = _utc_column()
    effective_on: date
    state_before: str | None = Field(default=None, max_length=32)
    state_after: str = Field(max_length=32)
    reason: str | None = Field(default=None, sa_type=Text)
    payload: dict[str, Any] = Field(sa_type=JSON)
    before_values: dict[str, Any] = Field(sa_type=JSON)
    after_values: dict[str, Any] = Field(sa_type=JSON)


class WorkItemRow(SQLModel, table=True):
    """The agency's inner work on a request, open or done: an assignment to sign for (分办), a
    returned request to assign again, a 协查 task, a review step. A projection of the event
    log, written with the event; the morning list reads the open ones past ``due_on``."""

    __tablename__ = "ogi_work_item"
    __table_args__ = (
        UniqueConstraint("request_id", "kind", "ref", name="uq_ogi_work_item"),
        Index("ix_ogi_work_item_open", "agency", "closed_on", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="ogi_request.id")
    agency: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # assignment, returned, search_task, review_step
    ref: str = Field(max_length=16)  # assignment or task number, review "case.step"
    department: str | None = Field(default=None, max_length=40)
    person: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=32)
    opened_on: date
    due_on: date
    closed_on: date | None = None


class LetterRow(SQLModel, table=True):
    """A letter as issued, frozen: its blocks and the exact .docx bytes, so a reprint returns
    the identical file whatever templates or profile say later."""

    __tablename__ = "ogi_letter"
    __table_args__ = (UniqueConstraint("request_id", "number", name="uq_ogi_letter"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="ogi_request.id")  # indexed by uq_ogi_letter
    number: str = Field(max_length=100)  # 文号
    kind: str = Field(max_length=48)
    issued_on: date
    recipient: str = Field(max_length=200)
    blocks: list[list[str]] = Field(sa_type=JSON)  # [[style, text], …] as rendered
    docx: bytes = Field(sa_type=LargeBinary)
    sha256: str = Field(max_length=64)  # of ``docx``


class CounterRow(SQLModel, table=True):
    """The last sequence number handed out per agency, series and year.

    Series ``registration`` numbers requests (登记编号); ``letter`` numbers letters (文号).
    """

    __tablename__ = "ogi_counter"

    agency: str = Field(primary_key=True, max_length=64)
    series: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True)
    last_seq: int = 0


class CalendarNoticeRow(SQLModel, table=True):
    """Calendar notices loaded into this database (e.g. the 2027 one), so every worker uses them."""

    __tablename__ = "ogi_calendar_notice"
    __table_args__ = (Index("ix_ogi_calendar_notice_owner", "agency", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    content: str = Field(sa_type=Text)  # the notice file, TOML
    loaded_at: datetime = _utc_column()
    loaded_by: str = Field(max_length=200)
    # From revision 0002: what the notice says it is, where it came from, and the file's
    # SHA-256, so a loaded calendar can be traced and checked (NULL for older rows).
    title: str | None = Field(default=None, max_length=300)
    source: str | None = Field(default=None, max_length=500)
    sha256: str | None = Field(default=None, max_length=64)
    # From revision 0006: whose notice it is. NULL: deployment-wide (the State Council's, every
    # agency counts by it); a code: that agency's own rest and working days on top of those.
    agency: str | None = Field(default=None, max_length=64)


class AgencyRow(SQLModel, table=True):
    """The agency profiles this database serves (so a command given only --db can reopen it)."""

    __tablename__ = "ogi_agency"

    code: str = Field(primary_key=True, max_length=64)
    profile: dict[str, Any] = Field(sa_type=JSON)
    updated_at: datetime = _utc_column()


class DepartmentRow(SQLModel, table=True):
    """A department (处室) of an agency; ``contact`` is the login of its 协查联络人."""

    __tablename__ = "ogi_department"

    agency: str = Field(primary_key=True, max_length=64)
    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    contact: str | None = Field(default=None, max_length=64)
    active: bool = True
    created_at: datetime = _utc_column()


class PersonRow(SQLModel, table=True):
    """A person of an agency, by the host OA system's login; roles are in ogi_role_grant."""

    __tablename__ = "ogi_person"

    agency: str = Field(primary_key=True, max_length=64)
    login: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    department: str | None = Field(default=None, max_length=40)
    active: bool = True
    created_at: datetime = _utc_column()


class RoleGrantRow(SQLModel, table=True):
    """Every role ever granted, never deleted: a revocation fills ``revoked_at``/``_by``."""

    __tablename__ = "ogi_role_grant"
    __table_args__ = (Index("ix_ogi_role_grant_person", "agency", "login", "revoked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    agency: str = Field(max_length=64)
    login: str = Field(max_length=64)
    role: str = Field(max_length=32)
    granted_at: datetime = _utc_column()
    granted_by: str = Field(max_length=64)
    revoked_at: datetime | None = _utc_column(nullable=True)
    revoked_by: str | None = Field(default=None, max_length=64)


class StaffLogRow(SQLModel, table=True):
    """The append-only history of people and departments: who changed what, when."""

    __tablename__ = "ogi_staff_log"

    id: int | None = Field(default=None, primary_key=True)
    agency: str = Field(max_length=64)
    at: datetime = _utc_column()
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)
    subject: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_type=JSON)


class TokenRow(SQLModel, table=True):
    """An API token of one person of one agency (the HTTP service). Only the SHA-256 of the
    token is kept; ``prefix`` (its first characters) names it in lists and logs."""

    __tablename__ = "ogi_token"

    id: int | None = Field(default=None, primary_key=True)
    agency: str = Field(max_length=64)
    login: str = Field(max_length=64)
    label: str | None = Field(default=None, max_length=100)
    prefix: str = Field(max_length=16)
    token_sha256: str = Field(max_length=64, unique=True)
    created_at: datetime = _utc_column()
    created_by: str = Field(max_length=64)
    revoked_at: datetime | None = _utc_column(nullable=True)


class IdempotencyRow(SQLModel, table=True):
    """The answer to a POST sent with an ``Idempotency-Key``, stored in the transaction of
    the action it answers: a retry with the same key gets this answer and acts no twice."""

    __tablename__ = "ogi_idempotency"

    token_id: int = Field(primary_key=True, foreign_key="ogi_token.id")
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)  # SHA-256 of method, path and body
    status: int
    headers: dict[str, Any] = Field(sa_type=JSON)
    body: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = _utc_column()


class OutboxRow(SQLModel, table=True):
    """The transactional outbox: one row per event, written in the event's transaction;
    the dispatcher turns it into one delivery per webhook of the agency, then marks it."""

    __tablename__ = "ogi_outbox"
    __table_args__ = (Index("ix_ogi_outbox_pending", "dispatched", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    agency: str = Field(max_length=64)
    request_id: int = Field(foreign_key="ogi_request.id")
    seq: int  # the event's number in its request (ogi_event.seq)
    dispatched: bool = False


class WebhookRow(SQLModel, table=True):
    """A receiver of an agency's events. ``secret`` signs every delivery (HMAC-SHA256), so
    it is kept as given: protect the database as you would the receivers' keys."""

    __tablename__ = "ogi_webhook"

    id: int | None = Field(default=None, primary_key=True)
    agency: str = Field(max_length=64)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = _utc_column()
    created_by: str = Field(max_length=64)


class DeliveryRow(SQLModel, table=True):
    """One event to one webhook: the delivery log. ``pending`` until the receiver answers
    2xx (``delivered``); retried with backoff; ``dead`` after the last attempt, which holds
    the request's later events for that webhook until it is retried."""

    __tablename__ = "ogi_delivery"
    __table_args__ = (
        UniqueConstraint("webhook_id", "outbox_id", name="uq_ogi_delivery"),
        Index("ix_ogi_delivery_due", "status", "next_attempt_at"),
        Index("ix_ogi_delivery_order", "webhook_id", "request_id", "outbox_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="ogi_webhook.id")
    outbox_id: int = Field(foreign_key="ogi_outbox.id")
    request_id: int
    status: str = Field(max_length=12)  # pending, delivered, dead
    attempts: int = 0
    next_attempt_at: datetime = _utc_column()
    claimed_until: datetime | None = _utc_column(nullable=True)
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = _utc_column(nullable=True)
    created_at: datetime = _utc_column()


REQUEST: Final[Table] = RequestRow.__table__  # type: ignore[attr-defined]
EVENT: Final[Table] = EventRow.__table__  # type: ignore[attr-defined]
COUNTER: Final[Table] = CounterRow.__table__  # type: ignore[attr-defined]
NOTICE: Final[Table] = CalendarNoticeRow.__table__  # type: ignore[attr-defined]
AGENCY: Final[Table] = AgencyRow.__table__  # type: ignore[attr-defined]
DEPARTMENT: Final[Table] = DepartmentRow.__table__  # type: ignore[attr-defined]
PERSON: Final[Table] = PersonRow.__table__  # type: ignore[attr-defined]
ROLE_GRANT: Final[Table] = RoleGrantRow.__table__  # type: ignore[attr-defined]
STAFF_LOG: Final[Table] = StaffLogRow.__table__  # type: ignore[attr-defined]
WORK_ITEM: Final[Table] = WorkItemRow.__table__  # type: ignore[attr-defined]
LETTER: Final[Table] = LetterRow.__table__  # type: ignore[attr-defined]
TOKEN: Final[Table] = TokenRow.__table__  # type: ignore[attr-defined]
IDEMPOTENCY: Final[Table] = IdempotencyRow.__table__  # type: ignore[attr-defined]
OUTBOX: Final[Table] = OutboxRow.__table__  # type: ignore[attr-defined]
WEBHOOK: Final[Table] = WebhookRow.__table__  # type: ignore[attr-defined]
DELIVERY: Final[Table] = DeliveryRow.__table__  # type: ignore[attr-defined]
TABLES: Final = [
    AGENCY,
    REQUEST,
    EVENT,
    COUNTER,
    NOTICE,
    DEPARTMENT,
    PERSON,
    ROLE_GRANT,
    STAFF_LOG,
    WORK_ITEM,
    LETTER,
    TOKEN,
    IDEMPOTENCY,
    OUTBOX,
    WEBHOOK,
    DELIVERY,
]
METADATA: Final = SQLModel.metadata


def description_key(description: str) -> str:
    """A short key for "the same information asked for" (whitespace and case folded)."""
    normal = " ".join(description.split()).casefold()
    return hashlib.sha1(normal.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


@cache
def _bulk_insert(
    table: Table, dialect: Dialect, keys: frozenset[str]
) -> tuple[str, bool, tuple[tuple[str, Callable[[Any], Any] | None], ...]]:
    """The driver SQL of ``INSERT INTO table (keys)``, whether its parameters are
    positional, and each parameter's column key with its bind processor, in binding order."""
    compiled = insert(table).compile(dialect=dialect, column_keys=sorted(keys))
    names = tuple(compiled.positiontup or sorted(keys))
    if set(names) != keys:
        raise ValueError(f"{table.name}: INSERT binds {names}, rows carry {sorted(keys)}")
    order = tuple((k, table.c[k].type.dialect_impl(dialect).bind_processor(dialect)) for k in names)
    return str(compiled), compiled.positional, order


# From this many rows on, PostgreSQL takes them with COPY (psycopg runs an executemany as a
# statement per row; COPY costs a round trip more than one statement).
COPY_FROM_ROWS: Final = 16


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (all with the same keys) in one DBAPI ``executemany``; on PostgreSQL,
    from COPY_FROM_ROWS rows on, in one binary ``COPY … FROM STDIN`` (a batch's rows in
    under a quarter of the time).

    Each value goes through its column's own bind processor, so what is stored is exactly
    what ``conn.execute(insert(table), rows)`` stores, without SQLAlchemy's per-row
    bookkeeping around it (a third of a large batch's time).
    """
    if not rows:
        return
    keys = frozenset(rows[0])
    copy = conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM_ROWS
    if copy:
        sql, types, order = _copy_statement(table, conn.dialect, keys)
    else:
        sql, positional, order = _bulk_insert(table, conn.dialect, keys)
    values = [tuple(row[k] if p is None else p(row[k]) for k, p in order) for row in rows]
    if copy:
        _copy(conn, sql, types, values)
    elif positional:
        conn.exec_driver_sql(sql, values)
    else:
        names = [k for k, _ in order]
        conn.exec_driver_sql(sql, [dict(zip(names, v, strict=True)) for v in values])


@cache
def _copy_statement(
    table: Table, dialect: Dialect, keys: frozenset[str]
) -> tuple[str, tuple[str, ...], tuple[tuple[str, Callable[[Any], Any] | None], ...]]:
    """``COPY table (keys) FROM STDIN`` in the binary format, the PostgreSQL type each value
    is sent as, and each key's bind processor, in column order. A JSON value is sent as the
    text SQLAlchemy's own JSON processor writes with the engine's serializer (the binary
    form of ``json`` is its text), not wrapped for psycopg to serialize once more."""
    _, _, order = _bulk_insert(table, dialect, keys)
    types: list[str] = []
    processors: list[tuple[str, Callable[[Any], Any] | None]] = []
    for key, process in order:
        kind = table.c[key].type
        if isinstance(kind, JSON):
            types.append("text")
            as_text = JSON.bind_processor(kind, dialect)  # type: ignore[no-untyped-call]
            processors.append((key, as_text))
        else:  # e.g. "varchar(32)": a value's binary form names no length
            name = kind.dialect_impl(dialect).compile(dialect=dialect).lower()
            types.append(name.partition("(")[0])
            processors.append((key, process))
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(table.c[k].name) for k, _ in order)
    sql = f"COPY {quote(table.name)} ({columns}) FROM STDIN (FORMAT BINARY)"
    return sql, tuple(types), tuple(processors)


def _copy(
    conn: Connection, statement: str, types: Sequence[str], values: list[tuple[Any, ...]]
) -> None:
    """A :func:`_copy_statement` of ``values`` in the connection's own transaction; a failure
    is raised as SQLAlchemy raises a failed statement's (a DBAPIError saying whether the
    connection was lost; the pool's pre-ping drops it), so callers handle both alike."""
    dbapi = conn.dialect.loaded_dbapi
    connection = conn.connection.dbapi_connection
    try:
        with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            copy.set_types(types)
            for row in values:
                copy.write_row(row)
    except dbapi.Error as exc:
        lost = conn.dialect.is_disconnect(exc, connection, None)
        raise DBAPIError.instance(
            statement, None, exc, dbapi.Error, connection_invalidated=lost, dialect=conn.dialect
        ) from exc


def schema_ddl(dialect: str = "postgresql") -> str:
    """The CREATE statements of every table and index, for ``postgresql`` or ``sqlite``."""
    dialects = {"postgresql": postgresql.dialect, "sqlite": sqlite.dialect}
    if dialect not in dialects:
        raise ValidationError(f"schema: dialect {dialect!r} is not one of: postgresql, sqlite")
    target = dialects[dialect]()
    parts = []
    for table in TABLES:
        parts.append(str(CreateTable(table).compile(dialect=target)).strip() + ";")
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            parts.append(str(CreateIndex(index).compile(dialect=target)).strip() + ";")
    return "\n".join(parts).replace("\t", "    ").replace(", \n", ",\n") + "\n"


_COUNTER_KEY: Final = and_(
    COUNTER.c.agency == bindparam("b_agency"),
    COUNTER.c.series == bindparam("b_series"),
    COUNTER.c.year == bindparam("b_year"),
)
_NEXT_SEQ: Final = (
    update(COUNTER)
    .where(_COUNTER_KEY)
    .values(last_seq=COUNTER.c.last_seq + bindparam("b_count"))
    .returning(COUNTER.c.last_seq)
)
SET_COUNTER: Final = update(COUNTER).where(_COUNTER_KEY).values(last_seq=bindparam("last_seq"))
_NEW_COUNTER: Final = {
    name: dialect.insert(COUNTER).on_conflict_do_nothing(
        index_elements=["agency", "series", "year"]
    )
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def allocate_seq(
    conn: Connection, agency: str, year: int, series: str = "registration", count: int = 1
) -> int:
    """The next number of a series (registration or letter), inside the caller's transaction;
    with ``count``, the last of that many in a row.

    UPDATE … RETURNING advances the counter row and locks it until the transaction ends:
    concurrent allocations queue, and a rolled-back one gives its numbers back. The row is
    created (INSERT … ON CONFLICT DO NOTHING) the first time a series is used in a year.
    """
    keys = {"b_agency": agency, "b_series": series, "b_year": year, "b_count": count}
    seq = conn.execute(_NEXT_SEQ, keys).scalar_one_or_none()
    if seq is None:
        conn.execute(
            _NEW_COUNTER[conn.dialect.name],
            {"agency": agency, "series": series, "year": year, "last_seq": 0},
        )
        seq = conn.execute(_NEXT_SEQ, keys).scalar_one()
    return int(seq)
