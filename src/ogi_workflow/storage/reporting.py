"""The annual report's reads: each answers one part of tables 三 and 四 from its index."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from ogi_workflow.lifecycle import Event
from ogi_workflow.storage.schema import EVENT, REQUEST

__all__ = [
    "department_counts",
    "most_requested",
    "received_by_month",
    "reply_spans",
    "review_records",
    "table3_counts",
]


def table3_counts(
    conn: Connection, agency: str, first: date, last: date
) -> list[tuple[str, str | None, int, int, int, int]]:
    """Table 三's counts by (applicant kind, outcome): new, carried in, replied, carried out.

    Only requests received by the year's end and not replied before it began can count in
    any line. They are read as two ranges of the covering index ix_ogi_request_replied
    (still open; replied from January 1), so most of a large table is never touched.
    """
    r = REQUEST.c

    def not_replied_by(day: date) -> Any:
        return or_(r.replied_on.is_(None), r.replied_on > day)

    def tally(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    columns = (
        r.applicant_kind,
        r.outcome,
        tally(r.received_on.between(first, last)),  # 新收
        tally(and_(r.received_on < first, not_replied_by(first - timedelta(days=1)))),  # 上年结转
        tally(r.replied_on.between(first, last)),  # 办理结果
        tally(and_(r.received_on <= last, not_replied_by(last))),  # 结转下年度
    )
    queries = [
        select(*columns)
        .where(r.agency == agency, replied)  # received_on is tested inside the tallies
        .group_by(r.applicant_kind, r.outcome)
        for replied in (r.replied_on.is_(None), r.replied_on >= first)
    ]
    return [
        (kind, outcome, int(a or 0), int(b or 0), int(c or 0), int(d or 0))
        for query in queries
        for kind, outcome, a, b, c, d in conn.execute(query)
    ]


def department_counts(
    conn: Connection, agency: str, first: date, last: date
) -> list[tuple[str | None, str | None, int, int, int, int, int]]:
    """Table 三's lines by (department, outcome) for internal statistics: new, carried in,
    replied, replied after the due date, carried out (None: never assigned to one)."""
    r = REQUEST.c

    def tally(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    def open_at(day: date) -> Any:
        return or_(r.replied_on.is_(None), r.replied_on > day)

    replied = r.replied_on.between(first, last)
    query = (
        select(
            r.department,
            r.outcome,
            tally(r.received_on.between(first, last)),
            tally(and_(r.received_on < first, open_at(first - timedelta(days=1)))),
            tally(replied),
            tally(and_(replied, r.replied_on > r.due_date)),
            tally(and_(r.received_on <= last, open_at(last))),
        )
        .where(r.agency == agency, r.received_on <= last, open_at(first - timedelta(days=1)))
        .group_by(r.department, r.outcome)
    )
    return [
        (department, outcome, int(a or 0), int(b or 0), int(c or 0), int(d or 0), int(e or 0))
        for department, outcome, a, b, c, d, e in conn.execute(query)
    ]


def review_records(
    conn: Connection, agency: str, last: date
) -> list[tuple[int, Event, dict[str, Any], date]]:
    """The agency's 复议 and 诉讼 records up to ``last``, by request and in order.

    Read from the records themselves (partial index ix_ogi_event_records), then kept when
    their request belongs to the agency: never a walk over every request.
    """
    records = conn.execute(
        select(EVENT.c.request_id, EVENT.c.event, EVENT.c.payload, EVENT.c.effective_on)
        .where(
            EVENT.c.event.in_([Event.RECORD_REVIEW.value, Event.RECORD_LITIGATION.value]),
            EVENT.c.effective_on <= last,
        )
        .order_by(EVENT.c.request_id, EVENT.c.seq)
    ).all()
    ids = sorted({row[0] for row in records})
    ours: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        ours.update(
            conn.execute(
                select(REQUEST.c.id).where(REQUEST.c.id.in_(chunk), REQUEST.c.agency == agency)
            ).scalars()
        )
    return [(rid, Event(event), payload, on) for rid, event, payload, on in records if rid in ours]


def received_by_month(conn: Connection, agency: str, first: date, last: date) -> dict[int, int]:
    month = func.extract("month", REQUEST.c.received_on)
    """Requests received in each month of the year (1–12)."""
    query = (
        select(month, func.count())
        .where(REQUEST.c.agency == agency, REQUEST.c.received_on.between(first, last))
        .group_by(month)
    )
    counts = dict.fromkeys(range(1, 13), 0)
    for m, n in conn.execute(query):
        counts[int(m)] = n
    return counts


def reply_spans(
    conn: Connection, agency: str, first: date, last: date
) -> list[tuple[date, date, int, int]]:
    """(clock start, reply day, replies, paused working days) of the year's replies.

    Grouped by (start, reply) date pairs, so Python sees a few thousand rows, not every reply.
    """
    start = func.coalesce(REQUEST.c.clock_start, REQUEST.c.received_on)
    query = (
        select(start, REQUEST.c.replied_on, func.count(), func.sum(REQUEST.c.paused_workdays))
        .where(REQUEST.c.agency == agency, REQUEST.c.replied_on.between(first, last))
        .group_by(start, REQUEST.c.replied_on)
    )
    return [(s, r, int(n), int(p or 0)) for s, r, n, p in conn.execute(query)]


def most_requested(
    conn: Connection, agency: str, first: date, last: date, top: int
) -> list[tuple[str, int]]:
    """The information asked for most often (candidates for 依申请公开转主动公开, 第四十四条).

    Grouped by a hash of the normalised description, which ix_ogi_request_received carries;
    then the wording of the top few is fetched.
    """
    key = REQUEST.c.description_key
    in_year = (REQUEST.c.agency == agency, REQUEST.c.received_on.between(first, last))
    tops = (
        conn.execute(
            select(func.count())
            .where(*in_year)
            .group_by(key)
            .having(func.count() > 1)
            .order_by(func.count().desc())
            .limit(top)
        )
        .scalars()
        .all()
    )
    if not tops:
        return []
    # Every key at or above the last count kept, so ties are broken by the wording below;
    # min(id) points at one request with that wording (a primary-key lookup each).
    counted = conn.execute(
        select(key, func.count(), func.min(REQUEST.c.id))
        .where(*in_year)
        .group_by(key)
        .having(func.count() >= tops[-1])
    ).all()
    result = []
    for _key, count, first_id in counted:
        wording = conn.execute(
            select(REQUEST.c.description).where(REQUEST.c.id == first_id)
        ).scalar_one()
        result.append((str(wording), int(count)))
    return sorted(result, key=lambda item: (-item[1], item[0]))[:top]
