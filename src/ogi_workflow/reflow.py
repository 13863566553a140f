"""Calendar changes for every worker: loading a State Council notice, recomputing due dates.

A notice is stored in the database (with its title, source and SHA-256) so that every
Workflow opened on it uses the same calendar; each due date that moves gets a
``recompute_deadline`` event with the values before and after. Both are an administrator's
acts (the roles in data/roles.toml).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import Connection

from ogi_workflow.calendar import WorkdayCalendar, YearSchedule, read_notice_file
from ogi_workflow.clock import ClockPolicy
from ogi_workflow.lifecycle import DONE, Event, State, check_actor, clock_fields
from ogi_workflow.models import AgencyProfile
from ogi_workflow.storage import queries
from ogi_workflow.storage.session import Session, Store

__all__ = ["CalendarChanges", "DeadlineMove"]

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
    def _today(self) -> date: ...

    @abstractmethod
    def _authorise(
        self, conn: Connection, action: str, actor: object, *, approver: object = None
    ) -> object: ...

    def load_calendar_notice(self, path: str | Path, *, actor: str) -> list[DeadlineMove]:
        """Load a notice file (e.g. the 2027 schedule) for every worker, then reflow.

        The file is stored in the database so that every Workflow opened on it uses the
        same calendar; open requests' due dates are recomputed and every move is recorded.
        """
        check_actor(actor)
        self._fresh_calendar()
        content = read_notice_file(path)
        schedule = YearSchedule.from_text(content, origin=str(path))
        self.calendar.with_schedule(schedule)  # refused here if it does not fit
        with self._store.writing() as session:
            self._authorise(session.conn, "load_calendar_notice", actor)
            notice = schedule.notices[0] if schedule.notices else None
            queries.insert_notice(
                session.conn,
                schedule.year,
                content,
                self._clock(),
                actor,
                title=notice.title if notice else None,
                source=(notice.url or None) if notice else str(path),
            )
        self._fresh_in = None
        return self._reflow(actor=actor, reason=f"calendar notice loaded: {schedule.year}")

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

    def _reflow(self, *, actor: str, reason: str) -> list[DeadlineMove]:
        check_actor(actor)
        self._fresh_calendar()
        with self._store.reading() as conn:
            ids = queries.open_request_ids(conn, self.agency.code)
        moves: list[DeadlineMove] = []
        today = self._today()
        for start in range(0, len(ids), _CHUNK):
            with self._store.writing() as session:
                for request_id in ids[start : start + _CHUNK]:
                    row, history = session.load(request_id)
                    if State(row["state"]) in DONE:
                        continue  # replied since the id list was read
                    fields = clock_fields(row, history, self.calendar, self.policy)
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
                        )
                    )
        _log.info(
            "reflow (%s): %d of %d open due dates moved",
            reason,
            len(moves),
            len(ids),
            extra={"ogi": {"moved": len(moves), "open": len(ids), "actor": actor}},
        )
        return moves
