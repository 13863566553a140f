"""Reads: find, count, a request's events, the overdue stream, counts for fees, agencies and
calendar notices. Every function takes the connection it reads on."""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Engine, Select, and_, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ogi_workflow.calendar.workdays import WorkdayCalendar
from ogi_workflow.errors import NotFoundError, ValidationError
from ogi_workflow.lifecycle import AWAITING_REPLY, DONE, State
from ogi_workflow.models import AgencyProfile, EventView, OverdueItem, validate
from ogi_workflow.morning import Urgency, urgent_rows
from ogi_workflow.storage.migrate import HEAD
from ogi_workflow.storage.schema import (
    AGENCY,
    DEPARTMENT,
    EVENT,
    LETTER,
    NOTICE,
    REQUEST,
    WORK_ITEM,
)
from ogi_workflow.storage.views import event_view

__all__ = [
    "StoredNotices",
    "agency_codes",
    "agency_profile",
    "count_all",
    "count_requests",
    "event_views",
    "find_requests",
    "freeze_letter",
    "frozen_letters",
    "insert_notice",
    "iter_urgent",
    "iter_urgent_rows",
    "lock_notices",
    "notice_list",
    "nth_this_month",
    "open_request_ids",
    "overdue_queries",
    "save_agency",
    "stored_agency",
    "stored_agency_codes",
    "stored_notices",
]


def freeze_letter(conn: Connection, values: Mapping[str, Any]) -> None:
    """Keep an issued letter as it was issued (ogi_letter), with its file's SHA-256."""
    docx: bytes = values["docx"]
    conn.execute(insert(LETTER), {**values, "sha256": hashlib.sha256(docx).hexdigest()})


def frozen_letters(
    conn: Connection, request_id: int, number: str | None = None
) -> list[dict[str, Any]]:
    """A request's frozen letters in issue order (or the one with ``number``)."""
    query = select(LETTER).where(LETTER.c.request_id == request_id).order_by(LETTER.c.id)
    if number is not None:
        query = query.where(LETTER.c.number == number)
    return [dict(r) for r in conn.execute(query).mappings()]


def find_requests(
    conn: Connection,
    agency: str,
    filters: Mapping[str, Any],
    *,
    received_from: date | None,
    received_to: date | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Rows matching every equality filter (column: value) and the receipt range, by id."""
    conditions: list[ColumnElement[bool]] = [REQUEST.c.agency == agency]
    conditions += [REQUEST.c[name] == value for name, value in filters.items()]
    if received_from is not None:
        conditions.append(REQUEST.c.received_on >= received_from)
    if received_to is not None:
        conditions.append(REQUEST.c.received_on <= received_to)
    query = select(REQUEST).where(*conditions).order_by(REQUEST.c.id).limit(limit).offset(offset)
    return [dict(r) for r in conn.execute(query).mappings()]


def count_requests(conn: Connection, agency: str, state: State | None) -> int:
    conditions = [REQUEST.c.agency == agency]
    if state is not None:
        conditions.append(REQUEST.c.state == state.value)
    return int(conn.execute(select(func.count()).where(*conditions)).scalar_one())


def event_views(conn: Connection, request_id: int) -> list[EventView]:
    """The request's audit log, oldest first."""
    rows = conn.execute(
        select(EVENT).where(EVENT.c.request_id == request_id).order_by(EVENT.c.seq)
    ).mappings()
    return [event_view(r) for r in rows]


def nth_this_month(conn: Connection, agency: str, row: Mapping[str, Any]) -> int:
    """Which of the applicant's requests in its natural month this one is (按件), in the
    order received: by day, then instant, then id (ids alone need not follow receipt: a
    PostgreSQL batch takes its ids ahead)."""
    day, at, rid = row["received_on"], row["received_at"], row["id"]
    return int(
        conn.execute(
            select(func.count()).where(
                REQUEST.c.agency == agency,
                REQUEST.c.applicant_key == row["applicant_key"],
                REQUEST.c.received_on >= day.replace(day=1),
                or_(
                    REQUEST.c.received_on < day,
                    and_(
                        REQUEST.c.received_on == day,
                        or_(
                            REQUEST.c.received_at < at,
                            and_(REQUEST.c.received_at == at, REQUEST.c.id <= rid),
                        ),
                    ),
                ),
            )
        ).scalar_one()
    )


def open_request_ids(conn: Connection, agency: str) -> list[int]:
    """Requests not yet replied to: those whose clock a calendar change can move."""
    open_states = [s.value for s in State if s not in DONE]
    query = (
        select(REQUEST.c.id)
        .where(REQUEST.c.agency == agency, REQUEST.c.state.in_(open_states))
        .order_by(REQUEST.c.id)
    )
    return list(conn.execute(query).scalars())


# 条例第三十条: where a 补正 notice can still go out.
_CORRECTION_POSSIBLE: Final = (State.RECEIVED, State.REGISTERED, State.HANDLING)


def overdue_queries(
    agency: str,
    day: date,
    soon: date,
    last: date,
    *,
    department: str | None = None,
    person: str | None = None,
) -> list[Select[Any]]:
    """The reply deadlines, the 补正 windows and the inner work items of the morning list,
    each ordered by date; of one department's or one person's requests when asked. ``soon``
    and ``last`` come from :func:`~ogi_workflow.morning.soon_until` and
    :func:`~ogi_workflow.morning.listed_until`."""
    mine: list[ColumnElement[bool]] = []
    if department is not None:
        mine.append(REQUEST.c.department == department)
    persons_requests = or_(REQUEST.c.assignee == person, REQUEST.c.handler == person)
    if person is not None:
        mine.append(persons_requests)
    awaiting = REQUEST.c.state.in_(sorted(s.value for s in AWAITING_REPLY))  # one SQL text
    unpaused = REQUEST.c.state.in_(sorted(s.value for s in _CORRECTION_POSSIBLE))
    # The agency as an expression, not a bare column: without planner statistics (a database
    # bulk-loaded or never analysed) SQLite otherwise takes the (agency, received_on) index
    # and reads every request of the agency instead of the open ones by (state, due_date):
    # 8.8 s instead of 0.8 s for the scan of a million (docs/benchmarks.md).
    of_agency = REQUEST.c.agency.concat("") == agency
    columns = (
        REQUEST.c.id,
        REQUEST.c.reg_no,
        REQUEST.c.state,
        REQUEST.c.due_date,
        REQUEST.c.estimated,
        REQUEST.c.handler,
        REQUEST.c.department,
    )
    deadlines = (
        select(REQUEST.c.due_date, *columns)
        .where(
            of_agency,
            awaiting,
            REQUEST.c.due_date <= last,
            *mine,
        )
        .order_by(REQUEST.c.due_date, REQUEST.c.id)
    )
    # 条例第三十条: a 补正 notice must go out within 7 working days of receipt.
    windows = (
        select(REQUEST.c.correction_window_end, *columns)
        .where(
            of_agency,
            unpaused,
            REQUEST.c.correction_requested_on.is_(None),
            REQUEST.c.correction_window_end >= day,
            REQUEST.c.correction_window_end <= soon,
            *mine,
        )
        .order_by(REQUEST.c.correction_window_end, REQUEST.c.id)
    )
    # The agency's inner work: assignments not signed for, returned requests, 协查 tasks and
    # review steps past (or near) their own due dates; a task's department is its own.
    inner = [WORK_ITEM.c.agency == agency, WORK_ITEM.c.closed_on.is_(None)]
    if department is not None:
        inner.append(func.coalesce(WORK_ITEM.c.department, REQUEST.c.department) == department)
    if person is not None:
        inner.append(or_(WORK_ITEM.c.person == person, persons_requests))
    work = (
        select(
            WORK_ITEM.c.due_on,
            *columns,
            WORK_ITEM.c.kind,
            WORK_ITEM.c.ref,
            WORK_ITEM.c.role,
            func.coalesce(WORK_ITEM.c.department, REQUEST.c.department),
            func.coalesce(WORK_ITEM.c.person, REQUEST.c.assignee),
            DEPARTMENT.c.contact,
        )
        .join(REQUEST, REQUEST.c.id == WORK_ITEM.c.request_id)
        .outerjoin(
            DEPARTMENT,
            (DEPARTMENT.c.agency == WORK_ITEM.c.agency)
            & (DEPARTMENT.c.code == WORK_ITEM.c.department),
        )
        .where(*inner, WORK_ITEM.c.due_on <= last)
        .order_by(WORK_ITEM.c.due_on, WORK_ITEM.c.request_id, WORK_ITEM.c.id)
    )
    return [deadlines, windows, work]


def iter_urgent(
    conn: Connection, queries: list[Select[Any]], day: date, calendar: WorkdayCalendar
) -> Iterator[OverdueItem]:
    """The three streams of :func:`overdue_queries`, merged most urgent first."""
    deadlines, windows, work = (
        conn.execution_options(yield_per=5000).execute(query) for query in queries
    )
    streams = [
        _urgent(deadlines, day, None, calendar),
        _urgent(windows, day, Urgency.CORRECTION_WINDOW, calendar),
        _inner(work, day, calendar),
    ]
    yield from heapq.merge(*streams, key=lambda item: (item.deadline, item.id))


def _inner(rows: Any, day: date, calendar: WorkdayCalendar) -> Iterator[OverdueItem]:
    between = calendar.workdays_from(day)
    for row in rows:
        deadline, request_id, reg_no, state, due, estimated, handler = row[:7]
        kind, ref, role, department, person, contact = row[8:]
        yield OverdueItem(
            id=request_id,
            reg_no=reg_no,
            state=State(state),
            kind=Urgency(kind),
            deadline=deadline,
            due_date=due,
            workdays_left=between(deadline),
            overdue=day > deadline,
            estimated=estimated,
            handler=person or handler,
            department=department,
            task=f"{ref} ({role})" if role else ref,
            contact=contact,
        )


def _urgent(
    rows: Any, day: date, kind: Urgency | None, calendar: WorkdayCalendar
) -> Iterator[OverdueItem]:
    between = calendar.workdays_from(day)
    states = {s.value: s for s in State}
    # Trusted columns straight from our own table, unpacked as plain tuples: this loop
    # runs once per listed row.
    for deadline, request_id, reg_no, state, due, estimated, handler, department in rows:
        late = day > due if due is not None else False
        yield OverdueItem(
            id=request_id,
            reg_no=reg_no,
            state=states[state],
            kind=kind or (Urgency.OVERDUE if late else Urgency.DUE_SOON),
            deadline=deadline,
            due_date=due,
            workdays_left=between(deadline),
            overdue=late,
            estimated=estimated,
            handler=handler,
            department=department,
        )


def iter_urgent_rows(
    conn: Connection, queries: list[Select[Any]], day: date, calendar: WorkdayCalendar
) -> Iterator[tuple[Any, ...]]:
    """:func:`iter_urgent` as the rows :meth:`OverdueItem.as_row` gives, in the same order,
    without building an item per row: for writing the list out."""
    deadlines, windows, work = (
        conn.execution_options(yield_per=5000).execute(query) for query in queries
    )
    yield from urgent_rows(deadlines, windows, work, day, calendar, parse=_same_date)


def _same_date(day: date) -> date:
    return day


# What the quick SQLite path (storage/quick.py) needs of overdue_queries, compiled here so the
# queries keep one home: each statement's SQL and, for each of its parameters, either the
# value it always has or which input of the list it takes.
_INPUTS: Final[dict[str, Any]] = {
    "agency": "\x00agency",
    "day": date(1901, 1, 1),
    "soon": date(1902, 2, 2),
    "last": date(1903, 3, 3),
}


def sqlite_overdue_statements() -> dict[str, Any]:
    """The whole agency's morning list as statements for SQLite's own driver, with the
    schema revision they were compiled for and the statements reading the stored agencies'
    codes and calendar notices. Written to data/overdue_sqlite.json by ``python
    scripts/overdue_sql.py``; a test checks that file is current."""
    by_value = {value: name for name, value in _INPUTS.items()}
    statements = []
    for query in overdue_queries(
        _INPUTS["agency"], _INPUTS["day"], _INPUTS["soon"], _INPUTS["last"]
    ):
        compiled = query.compile(
            dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True}
        )
        params = []
        for name in compiled.positiontup or ():
            value = compiled.params[name]
            params.append({"input": by_value[value]} if value in by_value else {"value": value})
        statements.append({"sql": str(compiled), "params": params})
    return {
        "revision": HEAD,
        "agencies": str(select(AGENCY.c.code).compile(dialect=sqlite.dialect())),
        "notices": str(stored_notices_query().compile(dialect=sqlite.dialect())),
        "statements": statements,
    }


def count_all(conn: Connection, queries: list[Select[Any]]) -> int:
    """How many rows the queries return together."""
    return sum(
        int(conn.execute(select(func.count()).select_from(q.subquery())).scalar_one())
        for q in queries
    )


def save_agency(engine: Engine, profile: AgencyProfile, now: datetime) -> None:
    """Store or replace an agency's profile: one upsert, so workers opening at once all succeed."""
    values = {"profile": profile.model_dump(mode="json"), "updated_at": now}
    with engine.begin() as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        upsert = dialect.insert(AGENCY).values(code=profile.code, **values)
        conn.execute(upsert.on_conflict_do_update(index_elements=["code"], set_=values))


def stored_agency(engine: Engine, code: str | None = None) -> AgencyProfile:
    """The stored profile of agency ``code``, or the only one stored."""
    with engine.connect().execution_options(ogi_read=True) as conn:
        query = select(AGENCY.c.code, AGENCY.c.profile)
        rows: dict[str, Any] = {row.code: row.profile for row in conn.execute(query)}
    if code is not None:
        if code not in rows:
            known = ", ".join(sorted(rows)) or "none"
            raise NotFoundError(f"agency code {code!r} is not in the database (stored: {known})")
        return validate(AgencyProfile, rows[code])
    if len(rows) != 1:
        found = "no agency" if not rows else f"{len(rows)} agencies ({', '.join(sorted(rows))})"
        raise ValidationError(
            f"the database holds {found}; pass the agency profile (agency=… / --agency FILE)"
            + (" or pick one by code (agency_code=… / --agency-code CODE)" if rows else "")
        )
    return validate(AgencyProfile, next(iter(rows.values())))


def agency_profile(conn: Connection, code: str) -> AgencyProfile | None:
    """The stored profile of agency ``code``, read on ``conn`` (None when none is stored)."""
    found = conn.execute(select(AGENCY.c.profile).where(AGENCY.c.code == code)).scalar()
    return None if found is None else validate(AgencyProfile, found)


def agency_codes(conn: Connection) -> list[str]:
    """The codes of the agencies stored, read on ``conn``, in order."""
    return list(conn.execute(select(AGENCY.c.code).order_by(AGENCY.c.code)).scalars())


def agency_names(conn: Connection, codes: Sequence[str]) -> dict[str, str]:
    """The stored agencies among ``codes``: code → name."""
    query = select(AGENCY.c.code, AGENCY.c.profile).where(AGENCY.c.code.in_(list(codes)))
    return {row.code: row.profile["name"] for row in conn.execute(query)}


def stored_agency_codes(engine: Engine) -> list[str]:
    """The codes of the agencies stored, in order, on a read of their own."""
    with engine.connect().execution_options(ogi_read=True) as conn:
        return agency_codes(conn)


_NOTICE_LOCK_KEY: Final = 0x6F67696E  # "ogin": the PostgreSQL advisory lock of notice loads


@dataclass(frozen=True, slots=True)
class StoredNotices:
    """The calendar notice files loaded into a database, oldest first, with their owners:
    None for a deployment-wide notice, an agency code for that agency's own."""

    rows: tuple[tuple[str | None, str], ...] = ()

    @property
    def national(self) -> list[str]:
        """The deployment-wide notices: every agency counts by them."""
        return [content for owner, content in self.rows if owner is None]

    def own(self, agency: str) -> list[str]:
        """The notices of ``agency`` alone, set on top of the deployment-wide ones."""
        return [content for owner, content in self.rows if owner == agency]


def stored_notices(engine: Engine) -> StoredNotices:
    """The calendar notice files loaded into this database, oldest first, every owner's."""
    with engine.connect().execution_options(ogi_read=True) as conn:
        return StoredNotices(
            tuple((r.agency, r.content) for r in conn.execute(stored_notices_query()))
        )


def stored_notices_query() -> Select[Any]:
    return select(NOTICE.c.agency, NOTICE.c.content).order_by(NOTICE.c.id)


def notice_list(conn: Connection, agency: str) -> list[dict[str, Any]]:
    """What is known of the notices ``agency`` counts by (the deployment-wide ones and its
    own; never another agency's), oldest first, without their file texts."""
    columns = [c for c in NOTICE.c if c.name != "content"]
    query = (
        select(*columns)
        .where(or_(NOTICE.c.agency.is_(None), NOTICE.c.agency == agency))
        .order_by(NOTICE.c.id)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def lock_notices(conn: Connection) -> None:
    """Serialise calendar notice loads between workers for the rest of the transaction, so
    two first notices of one year cannot both pass the check against those stored (SQLite:
    BEGIN IMMEDIATE already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_NOTICE_LOCK_KEY)))


def insert_notice(
    conn: Connection,
    year: int,
    content: str,
    at: datetime,
    by: str,
    *,
    title: str | None,
    source: str | None,
    agency: str | None = None,
) -> None:
    """Store a loaded notice with what it is, where it came from, its file's SHA-256 and
    whose it is (None: deployment-wide)."""
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    conn.execute(
        insert(NOTICE).values(
            agency=agency,
            year=year,
            content=content,
            loaded_at=at,
            loaded_by=by,
            title=None if title is None else title[:300],
            source=None if source is None else source[:500],
            sha256=digest,
        )
    )
