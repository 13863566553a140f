"""The agency's inner work on a request: 协查 (search tasks) and 会商 (case meetings).

Both are events on the request's log, so the audit trail holds them, and neither moves the
legal clock. A ``not_exist`` (不存在/不掌握) reply is refused while a search task is open:
the search must be documented (courts ask for it).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import date

from ogi_workflow.actions import Acting
from ogi_workflow.lifecycle import Event, HistoryItem, search_tasks
from ogi_workflow.models import AgencyProfile, RequestRef, RequestView, SearchTaskView

__all__ = ["Casework"]


class Casework(Acting):
    """协查 tasks and 会商 records of a request."""

    agency: AgencyProfile

    @abstractmethod
    def _history(self, request: RequestRef) -> tuple[RequestView, list[HistoryItem]]: ...

    def open_search_task(
        self,
        request: RequestRef,
        *,
        actor: str,
        department: str,
        what: str,
        due_date: date | None = None,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """协查: ask ``department`` to search its records for ``what`` by ``due_date``
        (default: the agency's ``search_task_workdays`` working days, never past the
        reply's due date). The task's number is in the event's payload (``task``)."""
        return self._act(
            request,
            Event.OPEN_SEARCH_TASK,
            expected_version=expected_version,
            actor=actor,
            on=on,
            department=department,
            what=what,
            due_date=due_date,
            due_workdays=self.agency.search_task_workdays,
        )

    def answer_search_task(
        self,
        request: RequestRef,
        *,
        actor: str,
        task: int,
        result: str,
        where: str,
        searched_by: str,
        found: str | None = None,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """The department's answer: ``result`` found, not_found or partly; ``where`` it
        searched (档案、业务系统、台账), who searched, and what was ``found``."""
        return self._act(
            request,
            Event.ANSWER_SEARCH_TASK,
            expected_version=expected_version,
            actor=actor,
            on=on,
            task=task,
            result=result,
            where=where,
            searched_by=searched_by,
            found=found,
        )

    def record_meeting(
        self,
        request: RequestRef,
        *,
        actor: str,
        participants: Sequence[str],
        conclusion: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """会商: a meeting on a hard case, with who took part and what was concluded."""
        return self._act(
            request,
            Event.RECORD_MEETING,
            expected_version=expected_version,
            actor=actor,
            on=on,
            participants=list(participants) if not isinstance(participants, str) else None,
            conclusion=conclusion,
        )

    def search_tasks(self, request: RequestRef) -> list[SearchTaskView]:
        """The request's 协查 tasks, answered or open, in the order opened."""
        return [SearchTaskView.from_task(t) for t in search_tasks(self._history(request)[1])]
