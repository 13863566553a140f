"""Reads: find, count, a request's events, the overdue stream, counts for fees, agencies and
calendar notices. Every function takes the connection it reads on."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Engine, Select, func, insert, select, update
from sqlalchemy.engine import Connection

from ogi_workflow.calendar.workdays import WorkdayCalendar
from ogi_workflow.errors import NotFoundError, ValidationError
from ogi_workflow.lifecycle import AWAITING_REPLY, DONE, State
from ogi_workflow.models import AgencyProfile, EventView, OverdueItem, Urgency, validate
from ogi_workflow.storage.schema import AGENCY, EVENT, NOTICE, REQUEST
from ogi_workflow.storage.session import event_view

__all__ = [
    "count_all",
    "count_requests",
    "event_views",
    "find_requests",
    "insert_notice",
    "iter_urgent",
    "nth_this_month",
    "open_request_ids",
    "overdue_queries",
    "save_agency",
    "stored_agency",
    "stored_agency_codes",
    "stored_notices",
]


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
    """Which of the applicant's requests in its natural month this one is (按件)."""
    first = row["received_on"].replace(day=1)
    return int(
        conn.execute(
            select(func.count()).where(
                REQUEST.c.agency == agency,
                REQUEST.c.applicant_key == row["applicant_key"],
                REQUEST.c.received_on >= first,
                REQUEST.c.received_on <= row["received_on"],
                REQUEST.c.id <= row["id"],
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


def overdue_queries(agency: str, day: date, soon: date, within: int) -> list[Select[Any]]:
    """The reply deadlines and the 补正 windows of the morning list, each ordered by date."""
    awaiting = REQUEST.c.state.in_([s.value for s in AWAITING_REPLY])
    unpaused = REQUEST.c.state.in_([s.value for s in _CORRECTION_POSSIBLE])
    columns = (
        REQUEST.c.id,
        REQUEST.c.reg_no,
        REQUEST.c.state,
        REQUEST.c.due_date,
        REQUEST.c.estimated,
        REQUEST.c.handler,
    )
    deadlines = (
        select(REQUEST.c.due_date, *columns)
        .where(
            REQUEST.c.agency == agency,
            awaiting,
            REQUEST.c.due_date <= (soon if within else day - timedelta(days=1)),
        )
        .order_by(REQUEST.c.due_date, REQUEST.c.id)
    )
    # 条例第三十条: a 补正 notice must go out within 7 working days of receipt.
    windows = (
        select(REQUEST.c.correction_window_end, *columns)
        .where(
            REQUEST.c.agency == agency,
            unpaused,
            REQUEST.c.correction_requested_on.is_(None),
            REQUEST.c.correction_window_end >= day,
            REQUEST.c.correction_window_end <= soon,
        )
        .order_by(REQUEST.c.correction_window_end, REQUEST.c.id)
    )
    return [deadlines, windows]


def iter_urgent(
    conn: Connection, queries: list[Select[Any]], day: date, calendar: WorkdayCalendar
) -> Iterator[OverdueItem]:
    """The two streams of :func:`overdue_queries`, merged most urgent first."""
    kinds = (None, Urgency.CORRECTION_WINDOW)
    streams = [
        _urgent(conn.execution_options(yield_per=5000).execute(query), day, kind, calendar)
        for query, kind in zip(queries, kinds, strict=True)
    ]
    yield from heapq.merge(*streams, key=lambda item: (item.deadline, item.id))


def _urgent(
    rows: Any, day: date, kind: Urgency | None, calendar: WorkdayCalendar
) -> Iterator[OverdueItem]:
    between = calendar.workdays_from(day)
    states = {s.value: s for s in State}
    # Trusted columns straight from our own table, unpacked as plain tuples: this loop
    # runs once per listed row.
    for deadline, request_id, reg_no, state, due, estimated, handler in rows:
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
        )


def count_all(conn: Connection, queries: list[Select[Any]]) -> int:
    """How many rows the queries return together."""
    return sum(
        int(conn.execute(select(func.count()).select_from(q.subquery())).scalar_one())
        for q in queries
    )


def save_agency(engine: Engine, profile: AgencyProfile, now: datetime) -> None:
    with engine.begin() as conn:
        values = {"profile": profile.model_dump(mode="json"), "updated_at": now}
        updated = conn.execute(
            update(AGENCY).where(AGENCY.c.code == profile.code).values(values)
        ).rowcount
        if not updated:
            conn.execute(insert(AGENCY).values(code=profile.code, **values))


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


def stored_agency_codes(engine: Engine) -> list[str]:
    with engine.connect().execution_options(ogi_read=True) as conn:
        return list(conn.execute(select(AGENCY.c.code).order_by(AGENCY.c.code)).scalars())


def stored_notices(engine: Engine) -> list[str]:
    """The calendar notice files loaded into this database, oldest first."""
    with engine.connect().execution_options(ogi_read=True) as conn:
        return list(conn.execute(select(NOTICE.c.content).order_by(NOTICE.c.id)).scalars())


def insert_notice(conn: Connection, year: int, content: str, at: datetime, by: str) -> None:
    conn.execute(insert(NOTICE).values(year=year, content=content, loaded_at=at, loaded_by=by))
