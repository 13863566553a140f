"""The lifecycle's vocabulary: states, events, a past event and what the guards see.

Kept apart from the machine so that the guards of the agency's inner work
(:mod:`.inner`) and the machine's own guards share it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from ogi_workflow._resources import LabelledEnum
from ogi_workflow.clock import ClockPolicy
from ogi_workflow.errors import ValidationError

__all__ = [
    "AWAITING_REPLY",
    "DONE",
    "OPEN_STATES",
    "Event",
    "GuardContext",
    "HistoryItem",
    "State",
    "require_text",
]


class State(LabelledEnum):
    """Where a request is; the values are stored in the database and never change."""

    RECEIVED = "received"
    REGISTERED = "registered"
    CORRECTION_PENDING = "correction_pending"
    HANDLING = "handling"
    CONSULTING = "consulting"
    FEE_PENDING = "fee_pending"
    REPLIED = "replied"
    ARCHIVED = "archived"


class Event(LabelledEnum):
    """What can happen to a request; the names are the Workflow API's method names."""

    RECEIVE = "receive"  # creates the request; not a machine event
    REGISTER = "register"
    REPLY_ON_THE_SPOT = "reply_on_the_spot"
    START_HANDLING = "start_handling"
    REQUEST_CORRECTION = "request_correction"
    RECEIVE_CORRECTION = "receive_correction"
    CORRECTION_LAPSED = "correction_lapsed"
    START_CONSULTATION = "start_consultation"
    END_CONSULTATION = "end_consultation"
    EXTEND = "extend"
    DELAY_REASONABLY = "delay_reasonably"
    ISSUE_FEE_NOTICE = "issue_fee_notice"
    RECEIVE_PAYMENT = "receive_payment"
    FEE_LAPSED = "fee_lapsed"
    WITHDRAW = "withdraw"
    REPLY = "reply"
    FORWARD = "forward"  # 转送 to another agency of the database (条例第三十六条第五项)
    ARCHIVE = "archive"
    RECORD_REVIEW = "record_review"
    RECORD_LITIGATION = "record_litigation"
    OPEN_SEARCH_TASK = "open_search_task"  # 协查: a department searches its records
    ANSWER_SEARCH_TASK = "answer_search_task"
    RECORD_MEETING = "record_meeting"  # 会商 on a hard case: participants and conclusion
    ASSIGN = "assign"  # 分办: to a department, or a person in it
    ACCEPT_ASSIGNMENT = "accept_assignment"  # 签收
    RETURN_ASSIGNMENT = "return_assignment"  # 退回 to the registrar, with a reason
    REASSIGN = "reassign"  # 转办 inside the agency
    SUBMIT_FOR_REVIEW = "submit_for_review"  # the draft reply enters its review chain
    APPROVE = "approve"  # one step of the chain agrees (审核、法制审核、签发)
    SEND_BACK = "send_back"  # one step returns the draft to its drafter
    RECOMPUTE_DEADLINE = "recompute_deadline"  # audit record of a reflow; not a machine event
    ISSUE_LETTER = "issue_letter"  # audit record of a letter issued; not a machine event


# The states whose due date the morning list watches: the clock runs from receipt, before
# registration too (条例第三十一条、第三十三条), and a pause ends at its limit even if no answer
# or payment came, so consulting and fee-pending requests can be overdue as well. Only a
# request awaiting its applicant's 补正 has no running period (条例第三十条).
AWAITING_REPLY: Final = frozenset(
    {State.RECEIVED, State.REGISTERED, State.HANDLING, State.CONSULTING, State.FEE_PENDING}
)
DONE: Final = frozenset({State.REPLIED, State.ARCHIVED})
OPEN_STATES: Final = frozenset(s for s in State if s not in DONE)


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One past event, as the clock and the guards see it."""

    event: Event
    on: date
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Assignment:
    """The current 分办 of a request: to whom, since when, and who signed for it."""

    number: int  # 1, 2, … per request (each reassignment is a new one)
    department: str
    person: str | None  # the person it was addressed to, or None for the whole department
    assigned_on: date
    accepted_by: str | None = None
    accepted_on: date | None = None


@dataclass(frozen=True, slots=True)
class ReviewCase:
    """A draft reply in its review chain: the steps' roles in order and who approved them."""

    number: int  # 1, 2, … per request (a draft sent back is submitted again as a new case)
    drafter: str
    submitted_on: date
    outcome: str
    details: Mapping[str, Any]
    chain: tuple[str, ...]  # the roles that approve, in order; the last one signs (签发)
    approvals: tuple[Mapping[str, Any], ...] = ()  # {step, role, by, on, opinion}
    sent_back: Mapping[str, Any] | None = None  # {step, role, by, on, opinion}

    @property
    def complete(self) -> bool:
        """Every step approved: the reply may go out."""
        return self.sent_back is None and len(self.approvals) == len(self.chain)

    @property
    def waiting_for(self) -> str | None:
        """The role of the step the draft waits for, or None when complete or sent back."""
        if self.sent_back is not None or self.complete:
            return None
        return self.chain[len(self.approvals)]


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What the guards need to know, computed by :func:`decide` before it fires an event."""

    request: str  # registration number or id, for messages
    on: date  # the legal date of the action
    received_on: date | None = None
    corrected_on: date | None = None  # receipt of the corrected application (条例第三十条)
    consulted_third_party: bool = False  # a 条例第三十二条 consultation took place
    due_date: date | None = None
    correction_window_end: date | None = None
    correction_due: date | None = None
    extended_on: date | None = None
    fee_payment_due: date | None = None
    open_search_tasks: Mapping[int, str] = field(default_factory=dict)  # task no -> department
    actor: str = ""
    actor_roles: frozenset[str] = frozenset()  # the roles the actor holds now
    actor_department: str | None = None
    assignment: Assignment | None = None  # the current 分办, if any
    review: ReviewCase | None = None  # the latest review case, if any
    params: Mapping[str, Any] = field(default_factory=dict)
    policy: ClockPolicy = ClockPolicy()  # noqa: RUF009 - frozen


def require_text(ctx: GuardContext, event: str, name: str, rule: str) -> None:
    """A guard's check that parameter ``name`` is non-empty text (``rule`` says why)."""
    value = ctx.params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{event}: request {ctx.request} needs a non-empty {name} ({rule})")
