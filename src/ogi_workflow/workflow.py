"""Workflow: the facade where actions, the clock and storage meet, in one transaction.

Every action is load → decide → save: the unit of work (``storage.session``) loads the
request and its event log, :func:`~ogi_workflow.lifecycle.decide` returns the whole change
with no I/O (or refuses, and nothing is written), and the unit of work writes the row and
one event row with an optimistic version check. The typed action methods live in
:class:`~ogi_workflow.actions.Actions`; this class holds everything else (opening, batches,
reads, letters, calendar changes). docs/architecture.md walks through one action.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self

from sqlalchemy import Connection, Engine

from ogi_workflow.access import Access
from ogi_workflow.actions import Actions
from ogi_workflow.calendar import WorkdayCalendar
from ogi_workflow.casefile import CaseFiles
from ogi_workflow.casework import Casework
from ogi_workflow.clock import ClockPolicy
from ogi_workflow.errors import ValidationError
from ogi_workflow.lifecycle import (
    EARLIEST,
    FUTURE_TOLERANCE,
    Decision,
    Event,
    HistoryItem,
    State,
    check_actor,
    check_params,
    clock_fields,
    decide,
    jsonable_columns,
    request_label,
)
from ogi_workflow.models import (
    SHANGHAI,
    AgencyProfile,
    Application,
    RequestRef,
    RequestView,
    utc_now,
    validate,
)
from ogi_workflow.reads import Reads, check_date, check_ref
from ogi_workflow.reflow import CalendarChanges, DeadlineMove
from ogi_workflow.routing import Routing
from ogi_workflow.staffing import Staffing
from ogi_workflow.storage import queries
from ogi_workflow.storage.engine import make_engine
from ogi_workflow.storage.migrate import check_schema
from ogi_workflow.storage.schema import description_key
from ogi_workflow.storage.session import Session, Store
from ogi_workflow.storage.views import request_view

if TYPE_CHECKING:
    from ogi_workflow.letters.issue import Letter
    from ogi_workflow.letters.kinds import LetterKind
    from ogi_workflow.letters.render import LetterRenderer

__all__ = ["DeadlineMove", "RequestRef", "Workflow"]

_log = logging.getLogger(__name__)


# Columns a new request has no value for yet.
_UNSET_AT_RECEIPT: Final = (
    "reg_no",
    "reg_year",
    "reg_seq",
    "outcome",
    "handler",
    "department",
    "assignee",
    "replied_on",
    "archived_on",
    "correction_requested_on",
    "forwarded_to_agency",
    "forwarded_to_request",
    "forwarded_from_agency",
    "forwarded_from_request",
)


class Workflow(Staffing, Access, Actions, Routing, Reads, Casework, CaseFiles, CalendarChanges):
    """The lifecycle of 政府信息公开 requests for one agency, on one database.

    Open with :meth:`open`. A Workflow holds one connection pool; use one per process or
    thread (actions are not meant to be interleaved from several threads on one object).
    """

    def __init__(
        self,
        engine: Engine,
        agency: AgencyProfile,
        calendar: WorkdayCalendar,
        *,
        policy: ClockPolicy = ClockPolicy(),  # noqa: B008 - frozen
        clock: Callable[[], datetime] = utc_now,
        letter_templates: str | Path | None = None,
    ) -> None:
        if letter_templates is not None and not Path(letter_templates).is_dir():
            raise ValidationError(f"letter templates: {letter_templates} is not a folder")
        self._letter_templates = letter_templates
        self._renderer: LetterRenderer | None = None  # built on the first letter
        self._store = Store(engine, agency.code, clock)
        self.agency = agency
        self.read_only = False  # set by open(read_only=True): nothing is written, not even on close
        self.calendar = calendar
        self._base_calendar = calendar  # before the notices stored in the database
        self._notices_seen = 0
        self._stored_notices = queries.StoredNotices()
        self._calendars: dict[str, WorkdayCalendar] = {}  # other agencies', built when needed
        self._fresh_in: object = None  # the batch whose calendar was last checked
        self.policy = policy
        self._clock = clock
        # A Workflow dropped without close() still closes its pooled connections when it
        # is collected (Python 3.13 warns about a database connection never closed).
        self._release = weakref.finalize(self, engine.dispose)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        agency: AgencyProfile | Mapping[str, Any] | str | Path | None = None,
        calendar: WorkdayCalendar | None = None,
        policy: ClockPolicy = ClockPolicy(),  # noqa: B008 - frozen
        clock: Callable[[], datetime] = utc_now,
        letter_templates: str | Path | None = None,
        read_only: bool = False,
        agency_code: str | None = None,
    ) -> Workflow:
        """Connect to ``url`` (a SQLite path or URL, or ``postgresql://…``).

        An empty database gets the schema; one made by an older or newer ogi-workflow is a
        SchemaVersionError naming ``ogi-workflow db upgrade``; one with other tables is
        refused (docs/storage.md). ``read_only`` never creates, alters or locks anything
        for writing: actions then fail, reads work.

        ``agency`` is a profile, a mapping, or a TOML file path; it is saved in the database,
        so later ``open`` calls (and CLI commands given only ``--db``) may leave it out when
        the database serves one agency. The default calendar is the
        bundled State Council schedule plus the notices loaded into this database, with
        estimates allowed for days no notice settles yet: such due dates are stored with
        ``estimated = true`` and move when the notice is loaded (:meth:`load_calendar_notice`).
        ``letter_templates`` is a folder whose ``<kind>.j2`` files replace the bundled letter
        templates (docs/letters.md). ``agency_code`` picks one of several stored agencies.
        """
        engine = make_engine(url, read_only=read_only)
        try:
            check_schema(engine, url, read_only=read_only)
            if agency is None:
                profile = queries.stored_agency(engine, agency_code)
            else:
                profile = (
                    AgencyProfile.from_toml(agency)
                    if isinstance(agency, str | Path)
                    else validate(AgencyProfile, agency)
                )
                if not read_only:
                    queries.save_agency(engine, profile, clock())
            base = calendar or WorkdayCalendar.china(allow_estimated=True)
            notices = queries.stored_notices(engine)
            workflow = cls(
                engine, profile, base, policy=policy, clock=clock, letter_templates=letter_templates
            )
            workflow._use_notices(notices)
        except BaseException:
            engine.dispose()  # no connection left open behind an error
            raise
        workflow.read_only = read_only
        return workflow

    def close(self) -> None:
        if self.engine.dialect.name == "sqlite" and not self.read_only:
            # SQLite's advice: let it refresh the planner's statistics when closing, so
            # queries keep choosing the covering indexes as the tables grow.
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=400")  # sampled, so it stays quick
                conn.exec_driver_sql("PRAGMA optimize")
        self._release()  # engine.dispose(), once

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        return self._store.engine

    def batch(self, *, number_now: bool = False) -> AbstractContextManager[None]:
        """Run many actions in one transaction: all of them are stored, or none.

        An action refused by a guard inside the batch writes nothing and the batch may go
        on; an action that failed half-way through its writes aborts the whole batch.
        Registrations are numbered, in order, when the batch is written (at its end, or at a
        query inside it): until then a registered request's ``reg_no`` is None, and other
        workers registering meanwhile do not wait for the batch (docs/storage.md).
        ``number_now``: number each at once instead, as outside a batch (the counter then
        stays locked until the batch commits), for a short batch whose answer must show it.
        """
        return self._store.batch(number_now=number_now)

    def _use_notices(self, notices: queries.StoredNotices) -> None:
        """Count by the stored notices: the deployment-wide ones and this agency's own."""
        own = notices.own(self.agency.code)
        self.calendar = self._base_calendar.with_stored_notices(notices.national, own)
        self._stored_notices, self._notices_seen = notices, len(notices.rows)
        self._calendars = {}

    def _fresh_calendar(self, session: Session | None = None) -> None:
        """Pick up a notice another worker loaded since (one count query per action, on the
        action's own transaction; once per batch), so no worker stores a due date computed
        on a stale calendar."""
        batch = self._store.current_batch
        if batch is not None and batch is self._fresh_in:
            return
        self._fresh_in = batch
        if self._store.notice_count(session) != self._notices_seen:
            self._use_notices(queries.stored_notices(self.engine))

    def _today(self) -> date:
        return self._clock().astimezone(SHANGHAI).date()

    def _legal_day(self, name: str, day: object) -> date:
        """The date an action takes effect: today by default, never more than a year ahead."""
        checked = check_date(name, day) or self._today()
        latest = self._today() + FUTURE_TOLERANCE
        if not EARLIEST <= checked <= latest:
            raise ValidationError(f"{name} {checked} is outside {EARLIEST} … {latest}")
        return checked

    # ------------------------------------------------------------------ actions

    def receive(self, application: Application | Mapping[str, Any], *, actor: str) -> RequestView:
        """接收: store a new application (state ``received``); 条例第三十一条 sets its day, and
        the reply period runs from it, before registration too (条例第三十三条)."""
        app = validate(Application, application)
        check_actor(actor)
        self._legal_day("receive: received_at", app.received_on)
        with self._store.writing() as session:
            self._authorise(session.conn, Event.RECEIVE.value, actor)
            self._fresh_calendar(session)
            row = self._store_received(session, app, actor=actor)
        return request_view(row)

    def _store_received(
        self,
        session: Session,
        app: Application,
        *,
        actor: str,
        agency: str | None = None,
        reason: str | None = None,
        origin: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a received application (its row and ``receive`` event) in ``agency``, this
        one by default; ``origin`` (the receive payload's ``from_*`` keys) marks a request
        another agency forwarded (转送). The stored row."""
        now = self._clock()
        payload = {"channel": app.channel.value, **(origin or {})}
        first = HistoryItem(Event.RECEIVE, app.received_on, payload)
        clock = clock_fields(
            {"received_on": app.received_on, "channel": app.channel.value},
            [first],
            self._calendar_of(agency or self.agency.code),
            self.policy,
        )
        row: dict[str, Any] = {
            "agency": agency or self.agency.code,
            "state": State.RECEIVED.value,
            "applicant_kind": app.applicant.kind.value,
            "applicant_name": app.applicant.name,
            "applicant_key": app.applicant.identity_key,
            "description": app.description,
            "description_key": description_key(app.description),
            "channel": app.channel.value,
            "received_at": app.received_at,
            "received_on": app.received_on,
            "application": app.model_dump(mode="json"),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            **dict.fromkeys(_UNSET_AT_RECEIPT),
            **clock,
        }
        if origin is not None:
            row["forwarded_from_agency"] = origin["from_agency"]
            row["forwarded_from_request"] = origin["from_request"]
        event = {
            "seq": 1,
            "event": Event.RECEIVE.value,
            "actor": actor,
            "at": now,
            "effective_on": app.received_on,
            "state_before": None,
            "state_after": State.RECEIVED.value,
            "reason": reason,
            "payload": payload,
            "before_values": {},
            "after_values": jsonable_columns(clock),
        }
        return {**row, "id": session.insert_request(row, event)}

    def _act(
        self,
        request: RequestRef,
        event: Event,
        *,
        actor: str,
        on: date | None,
        expected_version: int | None = None,
        note: str | None = None,
        **params: Any,
    ) -> RequestView:
        """Run one action: load, decide, number if it registers, save; ``note`` is the audit
        row's reason column, ``params`` the event's own parameters."""
        day = self._legal_day(f"{event.value}: on", on)
        if note is not None:  # the audit row's reason: text like any other parameter
            if not isinstance(note, str):
                raise ValidationError(
                    f"{event.value}: reason must be text, got {type(note).__name__}"
                )
            check_params(event.value, {"reason": note}, day)
        with self._store.writing() as session:
            approver = params.get("approver") if event is Event.EXTEND else None
            who = self._authorise(session.conn, event.value, actor, approver=approver)
            if event in (Event.ASSIGN, Event.REASSIGN, Event.OPEN_SEARCH_TASK):
                self._check_routing_target(session.conn, event.value, params)
            if event is Event.START_HANDLING:
                self._check_handler(session.conn, event.value, params["handler"])
            if event is Event.FORWARD:
                params |= self._forward_target(session.conn, params)
            self._fresh_calendar(session)
            row, history = session.load(check_ref(request))
            decision = decide(
                row,
                history,
                event,
                actor=actor,
                on=day,
                params=params,
                calendar=self.calendar,
                policy=self.policy,
                expected_version=expected_version,
                actor_roles=frozenset(role.value for role in who.roles),
                actor_department=who.department,
            )
            if decision.registers:
                year = decision.on.year
                number = partial(self.agency.registration_number, year)
                reg_no, seq = session.registration(row["id"], year, number)
                decision = decision.with_registration(reg_no, seq)
            if event is Event.FORWARD:
                session.reader()  # a batch numbers its registrations first: the reply cites it
                decision = self._forwarded(
                    session, row, history, decision, actor=actor, reason=note
                )
            merged = session.write(
                row,
                history,
                decision.updates,
                event=event,
                on=decision.on,
                actor=actor,
                reason=note,
                payload=decision.payload,
                work=decision.work,
            )
        _log.info(
            "%s %s by %s on %s",
            event.value,
            request_label(merged),
            actor,
            decision.on,
            extra={"ogi": {"event": event.value, "request": merged["id"], "actor": actor}},
        )
        return request_view(merged)

    def _forward_target(self, conn: Connection, params: Mapping[str, Any]) -> dict[str, Any]:
        """转送 goes to another agency of this database (条例第三十六条第五项): its name and
        contact, from its stored profile, for the reply that names it."""
        code = params.get("to_agency")
        if not isinstance(code, str) or not code.strip():
            raise ValidationError(
                f"forward: to_agency must be the code of another agency of this database, "
                f"got {code!r}"
            )
        if code == self.agency.code:
            raise ValidationError(
                f"forward: to_agency {code!r} is this agency itself; a request is forwarded "
                "to the agency responsible for it (条例第三十六条第五项)"
            )
        profile = queries.agency_profile(conn, code)
        if profile is None:
            others = [c for c in queries.agency_codes(conn) if c != self.agency.code]
            raise ValidationError(
                f"forward: to_agency {code[:64]!r} is not an agency of this database "
                f"(the others: {', '.join(others) or 'none'})"
            )
        return {"to_agency_name": profile.name, "to_contact": profile.phone or profile.address}

    def _forwarded(
        self,
        session: Session,
        row: Mapping[str, Any],
        history: Sequence[HistoryItem],
        decision: Decision,
        *,
        actor: str,
        reason: str | None,
    ) -> Decision:
        """转送: the request received in the agency it goes to on the day of the forward, the
        same applicant asking for the same (as corrected, 条例第三十条); the forward's
        decision with its id. Written in the forward's transaction: both or neither."""
        code, day, now = str(decision.payload["to_agency"]), decision.on, self._clock()
        # Received there the day it is forwarded: now, or that day's start if dated earlier.
        received_at = now if now.astimezone(SHANGHAI).date() == day else _start_of(day)
        corrected = [
            h.payload.get("description") for h in history if h.event is Event.RECEIVE_CORRECTION
        ]
        description = next((d for d in reversed(corrected) if d), row["description"])
        app = validate(
            Application,
            {**row["application"], "description": description, "received_at": received_at},
        )
        origin = {
            "from_agency": self.agency.code,
            "from_agency_name": self.agency.name,
            "from_request": row["id"],
            "from_reg_no": row["reg_no"],
        }
        copy = self._store_received(
            session, app, actor=actor, agency=code, reason=reason, origin=origin
        )
        return decision.with_forwarding(code, copy["id"])

    def _calendar_of(self, agency: str) -> WorkdayCalendar:
        """The calendar a request of ``agency`` is timed on: the deployment-wide notices and
        that agency's own (this Workflow's calendar for its own agency)."""
        if agency == self.agency.code:
            return self.calendar
        found = self._calendars.get(agency)
        if found is None:
            stored = self._stored_notices
            found = self._base_calendar.with_stored_notices(stored.national, stored.own(agency))
            self._calendars[agency] = found
        return found

    def _nth_this_month(self, request: RequestRef) -> int:
        """Which of the applicant's requests in its natural month this one is (按件)."""
        with self._store.reading() as conn:
            return queries.nth_this_month(conn, self.agency.code, self._store.row(request))

    # ------------------------------------------------------------------ letters

    def render(
        self,
        request: RequestRef,
        kind: LetterKind | str | None = None,
        fmt: str = "docx",
        *,
        actor: str,
        output: str | Path | None = None,
    ) -> Letter:
        """出具文书: the letter ``kind`` (default: the one the latest event calls for).

        The letter gets a 文号 from the agency's letter series the first time it is issued
        for the event it answers, and an ``issue_letter`` event records it (kind, number,
        recipient); printing it again returns the same number and records nothing. Its date
        is the date of that event. A missing fact the letter needs is a ValidationError and
        nothing is recorded. ``fmt`` ("docx", "txt" or "pdf") says which form is wanted; every
        form stays available on the returned Letter (``text()``, ``docx()``, ``pdf()``).
        With ``output``, the file is written (atomically) inside the transaction that
        numbers the letter: if it cannot be written, the number is not used and nothing is
        recorded.
        """
        # Letters pull in Jinja2 and the Word writer: loaded on the first letter only.
        from ogi_workflow.letters.issue import issue_letter  # noqa: PLC0415
        from ogi_workflow.letters.render import LetterRenderer  # noqa: PLC0415

        check_actor(actor)
        if self._renderer is None:
            self._renderer = LetterRenderer(self._letter_templates)
        with self._store.writing() as session:
            self._authorise(session.conn, Event.ISSUE_LETTER.value, actor)
            letter = issue_letter(
                session,
                request,
                kind,
                fmt,
                actor=actor,
                agency=self.agency,
                policy=self.policy,
                renderer=self._renderer,
            )
            if output is not None:
                letter.save(output, fmt)
            return letter

    def render_many(
        self,
        requests: Sequence[RequestRef],
        folder: str | Path,
        kind: LetterKind | str | None = None,
        fmt: str = "docx",
        *,
        actor: str,
    ) -> list[Path]:
        """The letters of many requests, written into ``folder``; PDFs in one LibreOffice run.

        Each letter is issued as by :meth:`render`, all in one transaction: if one cannot be
        issued or written, none is recorded.
        """
        from ogi_workflow.letters.issue import write_letters  # noqa: PLC0415

        built = "docx" if fmt == "pdf" else fmt  # the Word file is built before recording
        with self.batch():  # written inside it: a failed write records nothing either
            letters = [self.render(r, kind, built, actor=actor) for r in requests]
            return write_letters(letters, Path(folder), fmt)


def _start_of(day: date) -> datetime:
    """The first instant of ``day`` in Asia/Shanghai."""
    return datetime.combine(day, time(), SHANGHAI)
