"""Calendar changes for every worker: loading a State Council notice, recomputing due dates.

A notice is stored in the database (with its title, source and SHA-256) so that every
Workflow opened on it uses the same calendar; each due date that moves gets a
``recompute_deadline`` event with the values before and after. Both are an administrator's
acts (the roles in data/roles.toml).

A notice is deployment-wide (every agency of the database counts by it) or one agency's own:
local rest days and working days set on top of the national schedule for that agency alone
(docs/deadlines.md, "An agency's own notices").
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection

from ogi_workflow.calendar import WorkdayCalendar, YearSchedule, read_notice_file
from ogi_workflow.clock import ClockPolicy
from ogi_workflow.errors import ValidationError
from ogi_workflow.lifecycle import DONE, Event, State, check_actor, clock_fields
from ogi_workflow.models import AgencyProfile
from ogi_workflow.storage import queries
from ogi_workflow.storage.session import Session, Store

__all__ = ["CalendarChanges", "DeadlineMove", "StoredNotice"]

_CHUNK: Final = 500  # requests recomputed per transaction by a reflow
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeadlineMove:
    """A due date that a calendar change moved (see :meth:`Workflow.reflow_deadlines`)."""

    request_id: int
    reg_no: str | None
    before: date | None
    after: date | None
    estimated_before: bool
    estimated_after: bool
    agency: str  # the request's agency: a deployment-wide notice moves every agency's dates


@dataclass(frozen=True, slots=True)
class StoredNotice:
    """A calendar notice loaded into the database (see :meth:`Workflow.calendar_notices`)."""

    id: int
    year: int
    agency: str | None  # None: deployment-wide; a code: that agency's own notice
    title: str | None
    source: str | None
    sha256: str | None
    loaded_at: datetime
    loaded_by: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> StoredNotice:
        return cls(**{name: row[name] for name in cls.__slots__})


class CalendarChanges(ABC):
    """Loading calendar notices and recomputing open due dates (mixed into Workflow)."""

    _store: Store
    _clock: Callable[[], datetime]
    _fresh_in: object
    agency: AgencyProfile
    calendar: WorkdayCalendar
    policy: ClockPolicy

    @abstractmethod
    def _fresh_calendar(self, session: Session | None = None) -> None: ...

    @abstractmethod
    def _calendar_of(self, agency: str) -> WorkdayCalendar: ...

    @abstractmethod
    def _today(self) -> date: ...

    @abstractmethod
    def _authorise(
        self, conn: Connection, action: str, actor: object, *, approver: object = None
    ) -> object: ...

    def load_calendar_notice(
        self, path: str | Path, *, actor: str, own: bool = False
    ) -> list[DeadlineMove]:
        """Load a notice file (e.g. the 2027 schedule) for every worker, then reflow.

        The file is stored in the database so that every Workflow opened on it uses the
        same calendar; open requests' due dates are recomputed and every move is recorded.
        By default the notice is deployment-wide: every agency of the database counts by it
        and every agency's open due dates are recomputed, each on its own calendar. With
        ``own`` it is this agency's own notice (local rest and working days, which win over
        the national schedule on the days it sets) and only this agency's dates move.
        """
        content = read_notice_file(path)
        return self.load_calendar_notice_text(content, origin=str(path), actor=actor, own=own)

    def load_calendar_notice_text(
        self, content: str, *, origin: str, actor: str, own: bool = False
    ) -> list[DeadlineMove]:
        """:meth:`load_calendar_notice` from the notice's text (an upload, a row of the
        embedding system); ``origin`` names it in errors, and is the source recorded when
        the notice gives no URL."""
        check_actor(actor)
        if not isinstance(own, bool):
            raise ValidationError(f"load_calendar_notice: own must be true or false, got {own!r}")
        for name, value in (("content", content), ("origin", origin)):
            if not isinstance(value, str):
                raise ValidationError(
                    f"load_calendar_notice: {name} must be text, got {type(value).__name__}"
                )
        schedule = YearSchedule.from_text(content, origin=origin)
        with self._store.writing() as session:
            self._authorise(session.conn, "load_calendar_notice", actor)
            queries.lock_notices(session.conn)
            self._fresh_in = None
            self._fresh_calendar(session)  # the notices stored so far, in this transaction
            # Refused here, before anything is stored, if it does not fit those notices.
            if own:
                self.calendar.with_local_schedule(schedule)
            else:
                self.calendar.with_schedule(schedule)
            notice = schedule.notices[0] if schedule.notices else None
            queries.insert_notice(
                session.conn,
                schedule.year,
                content,
                self._clock(),
                actor,
                title=notice.title if notice else None,
                source=(notice.url or None) if notice else origin,
                agency=self.agency.code if own else None,
            )
        self._fresh_in = None
        whose = f"{self.agency.code}'s own " if own else ""
        return self._reflow(
            actor=actor,
            reason=f"calendar notice loaded: {whose}{schedule.year}",
            every_agency=not own,
        )

    def current_calendar(self) -> WorkdayCalendar:
        """This agency's calendar with every notice stored so far, another worker's too (one
        count query checks; ``calendar`` is the one the last action used)."""
        self._fresh_calendar()
        return self.calendar

    def calendar_notices(self) -> list[StoredNotice]:
        """The notices loaded into the database that this agency counts by, oldest first:
        the deployment-wide ones (``agency`` None) and its own; never another agency's."""
        with self._store.reading() as conn:
            return [StoredNotice.from_row(r) for r in queries.notice_list(conn, self.agency.code)]

    def reflow_deadlines(
        self, *, actor: str, reason: str = "calendar changed"
    ) -> list[DeadlineMove]:
        """Recompute every open request's clock with the current calendar and rules (an
        administrator's act).

        Each request whose clock fields change gets a ``recompute_deadline`` event with the
        values before and after and ``reason``. Returns what moved.
        """
        with self._store.writing() as session:
            self._authorise(session.conn, "reflow_deadlines", actor)
        return self._reflow(actor=actor, reason=reason)

    def _reflow(self, *, actor: str, reason: str, every_agency: bool = False) -> list[DeadlineMove]:
        """Recompute this agency's open due dates, or every agency's of the database (each
        on its own calendar) after a deployment-wide notice."""
        check_actor(actor)
        self._fresh_calendar()
        with self._store.reading() as conn:
            codes = queries.agency_codes(conn) if every_agency else [self.agency.code]
        moves: list[DeadlineMove] = []
        for code in codes:
            moves += self._reflow_agency(code, actor=actor, reason=reason)
        return moves

    def _reflow_agency(self, code: str, *, actor: str, reason: str) -> list[DeadlineMove]:
        calendar = self._calendar_of(code)
        with self._store.reading() as conn:
            ids = queries.open_request_ids(conn, code)
        moves: list[DeadlineMove] = []
        today = self._today()
        for start in range(0, len(ids), _CHUNK):
            with self._store.writing() as unit:
                # Another agency's requests are found only by a unit of work of that agency.
                session = (
                    unit if code == self.agency.code else Session(unit.conn, code, self._clock)
                )
                for request_id in ids[start : start + _CHUNK]:
                    row, history = session.load(request_id)
                    if State(row["state"]) in DONE:
                        continue  # replied since the id list was read
                    fields = clock_fields(row, history, calendar, self.policy)
                    if all(row[k] == v for k, v in fields.items()):
                        continue
                    session.write(
                        row,
                        history,
                        fields,
                        event=Event.RECOMPUTE_DEADLINE,
                        on=today,
                        actor=actor,
                        reason=reason,
                        payload={},
                    )
                    moves.append(
                        DeadlineMove(
                            request_id=request_id,
                            reg_no=row["reg_no"],
                            before=row["due_date"],
                            after=fields["due_date"],
                            estimated_before=row["estimated"],
                            estimated_after=fields["estimated"],
                            agency=code,
                        )
                    )
        _log.info(
            "reflow (%s): %d of %d open due dates of %s moved",
            reason,
            len(moves),
            len(ids),
            code,
            extra={"ogi": {"moved": len(moves), "open": len(ids), "actor": actor, "agency": code}},
        )
        return moves
