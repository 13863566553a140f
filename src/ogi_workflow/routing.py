"""分办 and the review chain: the agency's inner workflow around a request.

分办 (``assign``) sends a request to a department, or a person in it; the department signs
for it (``accept_assignment``, 签收) or returns it to the registrar with a reason
(``return_assignment``, 退回); it can be moved on inside the agency (``reassign``, 转办).
A reply goes out only after its draft passed the agency's review chain
(``submit_for_review``, then ``approve`` or ``send_back`` at each step: by default 审核 →
签发, with 法制审核 for refusals and partial disclosures). Every step is an event on the
request's log and a work item on the morning list; none of them moves the legal clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ogi_workflow.actions import Acting
from ogi_workflow.lifecycle import Event
from ogi_workflow.models import AgencyProfile, RequestRef, RequestView
from ogi_workflow.outcomes import Outcome

__all__ = ["Routing"]


class Routing(Acting):
    """The typed API of routing and review (mixed into Workflow)."""

    agency: AgencyProfile

    def assign(
        self,
        request: RequestRef,
        *,
        actor: str,
        department: str,
        person: str | None = None,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """分办: send the request to ``department`` (a registered one), or to ``person`` in it;
        it is signed for within the agency's ``accept_workdays`` or shows on the morning list."""
        return self._act(
            request,
            Event.ASSIGN,
            expected_version=expected_version,
            actor=actor,
            on=on,
            department=department,
            person=person,
            due_workdays=self.agency.accept_workdays,
        )

    def accept_assignment(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """签收: the department (or the person it was addressed to) takes the request on."""
        return self._act(
            request, Event.ACCEPT_ASSIGNMENT, expected_version=expected_version, actor=actor, on=on
        )

    def return_assignment(
        self,
        request: RequestRef,
        *,
        actor: str,
        reason: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """退回: the department does not handle it, and says why; the registrar assigns it
        again within ``accept_workdays``."""
        return self._act(
            request,
            Event.RETURN_ASSIGNMENT,
            expected_version=expected_version,
            actor=actor,
            on=on,
            reason=reason,
            due_workdays=self.agency.accept_workdays,
        )

    def reassign(
        self,
        request: RequestRef,
        *,
        actor: str,
        department: str,
        reason: str,
        person: str | None = None,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """转办 inside the agency: move the request to another department (or person), by
        the registrar or the department that holds it."""
        return self._act(
            request,
            Event.REASSIGN,
            expected_version=expected_version,
            actor=actor,
            on=on,
            department=department,
            person=person,
            reason=reason,
            due_workdays=self.agency.accept_workdays,
        )

    def submit_for_review(
        self,
        request: RequestRef,
        *,
        actor: str,
        outcome: Outcome | str,
        details: Mapping[str, Any] | None = None,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """Submit the draft reply (its outcome and the details its letter prints) to the
        agency's review chain for that outcome; the actor is its drafter."""
        try:
            chain = self.agency.review_chain(Outcome(str(outcome)))
        except ValueError:
            chain = ()  # decide() refuses the outcome, naming the allowed ones
        return self._act(
            request,
            Event.SUBMIT_FOR_REVIEW,
            expected_version=expected_version,
            actor=actor,
            on=on,
            outcome=outcome,
            details=details,
            chain=list(chain) or ["signer"],
            due_workdays=self.agency.review_step_workdays,
        )

    def approve(
        self,
        request: RequestRef,
        *,
        actor: str,
        opinion: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """One step of the chain agrees, with its opinion (审核意见); the actor holds the
        step's role and is not the drafter. After the last step (签发) the reply may go out."""
        return self._act(
            request,
            Event.APPROVE,
            expected_version=expected_version,
            actor=actor,
            on=on,
            opinion=opinion,
            due_workdays=self.agency.review_step_workdays,
        )

    def send_back(
        self,
        request: RequestRef,
        *,
        actor: str,
        opinion: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """One step returns the draft to its drafter with its opinion; the changed draft is
        submitted again and passes the whole chain."""
        return self._act(
            request,
            Event.SEND_BACK,
            expected_version=expected_version,
            actor=actor,
            on=on,
            opinion=opinion,
        )
