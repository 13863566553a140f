"""The read side of the facade: one request, its events, searches, the morning list, the
annual report. Reads never write; every argument is checked (a ValidationError naming it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from ogi_workflow.calendar import WorkdayCalendar
from ogi_workflow.calendar.schedule import ESTIMABLE_YEARS
from ogi_workflow.clock import (
    Channel,
    ClockPolicy,
    Deadline,
    ExplainLine,
    compute_deadline,
    explain_deadline,
)
from ogi_workflow.errors import NotFoundError, ValidationError
from ogi_workflow.lifecycle import HistoryItem, State, clock_events
from ogi_workflow.models import (
    ID_MAX,
    AgencyProfile,
    EventView,
    OverdueItem,
    RequestRef,
    RequestView,
)
from ogi_workflow.morning import MAX_WITHIN, listed_until, soon_until
from ogi_workflow.outcomes import Outcome
from ogi_workflow.people import check_code, check_login
from ogi_workflow.storage import queries, staff
from ogi_workflow.storage.session import Store
from ogi_workflow.storage.views import request_view

if TYPE_CHECKING:
    from ogi_workflow.letters.issue import Letter
    from ogi_workflow.reports.annual import AnnualReport, RollUp

__all__ = ["Reads", "check_date", "check_int", "check_ref", "check_text", "choice"]

E = TypeVar("E", bound=Enum)


class Reads:
    """What an OA system reads; the facade supplies the store, agency, calendar and policy."""

    _store: Store
    agency: AgencyProfile
    calendar: WorkdayCalendar
    policy: ClockPolicy

    def _today(self) -> date:
        raise NotImplementedError

    def _calendar_of(self, agency: str) -> WorkdayCalendar:
        raise NotImplementedError

    def get(self, request: RequestRef) -> RequestView:
        return request_view(self._store.row(check_ref(request)))

    def _history(self, request: RequestRef) -> tuple[RequestView, list[HistoryItem]]:
        """The request and its event log as the rules read it, in one load."""
        row, history = self._store.load(check_ref(request))
        return request_view(row), history

    def events(self, request: RequestRef) -> list[EventView]:
        """The request's audit log, oldest first."""
        row = self._store.row(check_ref(request))
        with self._store.reading() as conn:
            return queries.event_views(conn, row["id"])

    def letters(self, request: RequestRef) -> list[Letter]:
        """The letters issued for the request, in issue order, exactly as they were issued
        (the frozen .docx bytes; a letter issued before 0.2 appears once it is reprinted)."""
        from ogi_workflow.letters.issue import issued_letters  # noqa: PLC0415 - python-docx

        row = self._store.row(check_ref(request))
        with self._store.reading() as conn:
            return issued_letters(conn, row["id"])

    def find(
        self,
        *,
        state: State | str | None = None,
        outcome: Outcome | str | None = None,
        applicant_key: str | None = None,
        handler: str | None = None,
        received_from: date | None = None,
        received_to: date | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RequestView]:
        """Requests matching every given filter, by id."""
        check_int("find: limit", limit, 1, 10_000)
        check_int("find: offset", offset, 0, 2**31)
        filters = {
            "state": choice("find: state", State, state),
            "outcome": choice("find: outcome", Outcome, outcome),
            "applicant_key": check_text("find: applicant_key", applicant_key),
            "handler": check_text("find: handler", handler),
        }
        received_from = check_date("find: received_from", received_from)
        received_to = check_date("find: received_to", received_to)
        with self._store.reading() as conn:
            rows = queries.find_requests(
                conn,
                self.agency.code,
                {k: v for k, v in filters.items() if v is not None},
                received_from=received_from,
                received_to=received_to,
                limit=limit,
                offset=offset,
            )
        return [request_view(r) for r in rows]

    def count(self, *, state: State | str | None = None) -> int:
        wanted = choice("count: state", State, state)
        with self._store.reading() as conn:
            return queries.count_requests(
                conn, self.agency.code, State(wanted) if wanted is not None else None
            )

    def _overdue_queries(
        self, day: date, within: int, department: str | None, person: str | None
    ) -> list[Any]:
        check_int("overdue: within (working days)", within, 0, MAX_WITHIN)
        check_date("overdue: as_of", day)
        lowest, highest = ESTIMABLE_YEARS
        if not lowest <= day.year <= highest:
            raise ValidationError(
                f"overdue: as_of {day.isoformat()} is out of range ({lowest} to {highest})"
            )
        if department is not None:
            check_code("overdue: department", department)
        if person is not None:
            check_login("overdue: person", person)
        soon = soon_until(self.calendar, day, within)
        last = listed_until(day, soon, within)
        return queries.overdue_queries(
            self.agency.code, day, soon, last, department=department, person=person
        )

    def iter_overdue(
        self,
        as_of: date | None = None,
        within: int = 0,
        *,
        department: str | None = None,
        person: str | None = None,
    ) -> Iterator[OverdueItem]:
        """The morning list, most urgent first, streamed in bounded memory.

        Reply deadlines that have passed (``overdue``) or fall within ``within`` working days
        (``due_soon``), and 补正 windows (7 working days from receipt, 条例第三十条) that end
        within ``within`` working days for requests with no correction notice yet
        (``correction_window``). Every request awaiting a reply is watched, received or
        paused too (a pause ends at its limit); only one awaiting its applicant's 补正 is not.
        The agency's inner work is listed too when late or due as soon: assignments not
        signed for, returned requests, 协查 tasks (with the department's contact) and review
        steps (docs/agency.md). ``department`` and ``person`` narrow the list to the requests
        (and items) of one department or one person.
        """
        day = as_of or self._today()
        listed = self._overdue_queries(day, within, department, person)
        with self._store.reading() as conn:
            yield from queries.iter_urgent(conn, listed, day, self.calendar)

    def iter_overdue_rows(
        self,
        as_of: date | None = None,
        within: int = 0,
        *,
        department: str | None = None,
        person: str | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """:meth:`iter_overdue` as plain rows, what :meth:`OverdueItem.as_row` gives (fields
        in the order of ``OverdueItem._fields``; dates as ISO text, enums as their values),
        without building the items: for writing the list out, as ``ogi-workflow overdue
        --format csv`` does."""
        day = as_of or self._today()
        listed = self._overdue_queries(day, within, department, person)
        with self._store.reading() as conn:
            yield from queries.iter_urgent_rows(conn, listed, day, self.calendar)

    def count_overdue(
        self,
        as_of: date | None = None,
        within: int = 0,
        *,
        department: str | None = None,
        person: str | None = None,
    ) -> int:
        """How many items :meth:`iter_overdue` will list (for progress bars)."""
        listed = self._overdue_queries(as_of or self._today(), within, department, person)
        with self._store.reading() as conn:
            return queries.count_all(conn, listed)

    def overdue(
        self,
        as_of: date | None = None,
        within: int = 0,
        *,
        department: str | None = None,
        person: str | None = None,
    ) -> list[OverdueItem]:
        """:meth:`iter_overdue` as a list."""
        return list(self.iter_overdue(as_of, within, department=department, person=person))

    def recompute(self, request: RequestRef) -> Deadline:
        """The deadline derived from the request's events alone (what the row should hold)."""
        row, history = self._store.load(check_ref(request))
        events = clock_events(row["received_on"], Channel(row["channel"]), history)
        return compute_deadline(events, self.calendar, policy=self.policy)

    def explain(
        self, request: RequestRef, *, as_of: date | None = None
    ) -> tuple[Deadline, tuple[ExplainLine, ...]]:
        """The deadline derived from the request's events and, day by day from the clock
        start to the due date, why each day counts (or does not); with ``as_of``, its status
        on that day too."""
        check_date("explain: as_of", as_of)
        row, history = self._store.load(check_ref(request))
        events = clock_events(row["received_on"], Channel(row["channel"]), history)
        return explain_deadline(events, self.calendar, as_of=as_of, policy=self.policy)

    def annual_report(self, year: int, *, by_department: bool = False) -> AnnualReport:
        """Tables 三 and 四 of the 年度报告 for ``year`` (国办公开办函〔2021〕30号); with
        ``by_department``, the internal statistics by department too (not published)."""
        from ogi_workflow.reports.annual import annual_report  # noqa: PLC0415 - loads numpy

        check_int("report: year", year, 2000, 2199)
        with self._store.reading() as conn:
            names = (
                {d["code"]: d["name"] for d in staff.departments(conn, self.agency.code)}
                if by_department is True
                else None
            )
            return annual_report(
                conn,
                agency=self.agency.code,
                agency_name=self.agency.name,
                year=year,
                calendar=self.calendar,
                departments=names,
            )

    def rollup_report(self, year: int) -> RollUp:
        """The 本级政府 roll-up for ``year``: this agency's tables 三 and 四 and those of its
        ``members`` (AgencyProfile.members, agencies of the same database) summed, with the
        勾稽关系 checked for each agency on its own (``RollUp.unbalanced``)."""
        from ogi_workflow.reports.annual import annual_report, roll_up  # noqa: PLC0415

        check_int("rollup: year", year, 2000, 2199)
        members = self.agency.members
        if not members:
            raise ValidationError(
                f"rollup: agency {self.agency.code!r} has no members (AgencyProfile.members: "
                "the codes of the agencies whose tables it sums)"
            )
        with self._store.reading() as conn:
            names = queries.agency_names(conn, members)
            missing = [code for code in members if code not in names]
            if missing:
                raise NotFoundError(
                    f"rollup: member agencies {missing} are not in this database "
                    "(ogi-workflow agency set --db … profile.toml for each)"
                )
            agencies = [(self.agency.code, self.agency.name), *((c, names[c]) for c in members)]
            parts = [
                annual_report(  # each agency's working days by its own calendar
                    conn, agency=code, agency_name=name, year=year, calendar=self._calendar_of(code)
                )
                for code, name in agencies
            ]
        return roll_up(self.agency.name, year, parts)


def check_ref(request: object) -> RequestRef:
    """A request's id (a positive whole number) or registration number (text)."""
    if isinstance(request, bool) or not isinstance(request, int | str):
        raise ValidationError(
            "request must be an id (int) or a registration number (str), got "
            + type(request).__name__
        )
    if isinstance(request, int) and not 1 <= request <= ID_MAX:
        raise ValidationError(f"request id {request} is out of range")
    if isinstance(request, str) and not 1 <= len(request) <= 64:
        raise ValidationError("registration number must be 1 to 64 characters")
    return request


def check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return value


def check_date(name: str, value: Any) -> Any:
    if value is not None and not isinstance(value, date):
        raise ValidationError(f"{name} must be a date, got {type(value).__name__}")
    return value


def check_text(name: str, value: object) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > 300):
        raise ValidationError(f"{name} must be text of at most 300 characters")
    return value if value is None else str(value)


def choice(name: str, kind: type[E], value: object) -> Any:
    """The enum value's stored text, or a ValidationError listing what is allowed."""
    if value is None:
        return None
    try:
        return kind(value).value
    except (ValueError, TypeError):
        allowed = ", ".join(str(e.value) for e in kind)
        raise ValidationError(f"{name} {value!r} is not one of: {allowed}") from None
