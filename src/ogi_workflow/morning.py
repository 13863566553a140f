"""The morning list's rules and its rows as text, with no database library loaded: shared by
the full read path (SQLAlchemy, any backend) and the quick SQLite path that
``ogi-workflow overdue --format csv`` takes when started from cron (storage/quick.py)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from operator import itemgetter
from typing import Any, Final

from ogi_workflow._resources import LabelledEnum
from ogi_workflow.calendar.workdays import WorkdayCalendar

__all__ = ["FIELDS", "MAX_WITHIN", "Urgency", "listed_until", "soon_until", "urgent_rows"]

MAX_WITHIN: Final = 250  # working days ahead a list may look: about a year

# The columns of the list, in order: OverdueItem's fields (models.py), the CSV header.
FIELDS: Final = (
    "id",
    "reg_no",
    "state",
    "kind",
    "deadline",
    "due_date",
    "workdays_left",
    "overdue",
    "estimated",
    "handler",
    "department",
    "task",
    "contact",
)


class Urgency(LabelledEnum):
    """Why a request is on the morning list."""

    OVERDUE = "overdue"  # the reply period has ended (条例第三十三条)
    DUE_SOON = "due_soon"  # the reply is due within the given working days
    CORRECTION_WINDOW = "correction_window"  # the 7 working days for 补正 end soon (第三十条)
    # The agency's inner work, late or due soon (it never moves the legal clock):
    ASSIGNMENT = "assignment"  # 分办 not signed for (签收)
    RETURNED = "returned"  # 退回 and not assigned again
    SEARCH_TASK = "search_task"  # 协查 not answered
    REVIEW_STEP = "review_step"  # a step of the review chain not taken


def soon_until(calendar: WorkdayCalendar, day: date, within: int) -> date:
    """The last date counted as due soon on ``day``: at most ``within`` working days left,
    i.e. before the (within+1)-th working day (a due date on a rest day counts by the
    working days before it)."""
    return calendar.add_workdays(day, within + 1) - timedelta(days=1) if within else day


def listed_until(day: date, soon: date, within: int) -> date:
    """The last reply deadline the list shows: due soon, or (within 0) already past."""
    return soon if within else day - timedelta(days=1)


_Facts = Callable[[Any], tuple[str, int]]


def urgent_rows(
    deadlines: Iterable[Any],
    windows: Iterable[Any],
    work: Iterable[Any],
    day: date,
    calendar: WorkdayCalendar,
    *,
    parse: Callable[[Any], date],
) -> Iterator[tuple[Any, ...]]:
    """The three streams of the morning list's queries (reply deadlines, 补正 windows, inner
    work; each ordered by date) merged most urgent first, as rows of :data:`FIELDS` with
    dates as ISO text and enums as values. ``parse`` turns a stored date into a date: the
    identity where the driver gives dates, ``date.fromisoformat`` where it gives text. A
    date is formatted, and its working days from ``day`` counted, once however many rows
    share it."""
    known: dict[Any, tuple[str, int]] = {}
    between = calendar.workdays_from(day)

    def facts(stored: Any) -> tuple[str, int]:
        got = known.get(stored)
        if got is None:
            when = parse(stored)
            got = known[stored] = (when.isoformat(), between(when))
        return got

    today = day.isoformat()
    streams = [
        _reply_rows(deadlines, today, None, facts),
        _reply_rows(windows, today, Urgency.CORRECTION_WINDOW, facts),
        _inner_rows(work, today, facts),
    ]
    # ISO dates sort as the dates do: (deadline, id), the order of the items.
    yield from heapq.merge(*streams, key=itemgetter(4, 0))


def _reply_rows(
    rows: Iterable[Any], today: str, kind: Urgency | None, facts: _Facts
) -> Iterator[tuple[Any, ...]]:
    listed = None if kind is None else kind.value
    overdue, soon = Urgency.OVERDUE.value, Urgency.DUE_SOON.value
    for deadline, request_id, reg_no, state, due, estimated, handler, department in rows:
        when, left = facts(deadline)
        # The reply deadline is the due date itself; a 补正 window's is another date.
        shown_due = when if due == deadline else None if due is None else facts(due)[0]
        late = shown_due is not None and today > shown_due
        yield (
            request_id,
            reg_no,
            state,
            listed or (overdue if late else soon),
            when,
            shown_due,
            left,
            late,
            bool(estimated),
            handler,
            department,
            None,
            None,
        )


def _inner_rows(rows: Iterable[Any], today: str, facts: _Facts) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        deadline, request_id, reg_no, state, due, estimated, handler = row[:7]
        kind, ref, role, department, person, contact = row[8:]
        when, left = facts(deadline)
        yield (
            request_id,
            reg_no,
            state,
            kind,
            when,
            None if due is None else facts(due)[0],
            left,
            today > when,
            bool(estimated),
            person or handler,
            department,
            f"{ref} ({role})" if role else ref,
            contact,
        )
