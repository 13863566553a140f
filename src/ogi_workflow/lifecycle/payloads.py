"""One named schema per event's payload.

The audit log keeps an event's parameters as a JSON ``payload`` (dates as ISO text, enums
as their values). Here each :class:`Event` gets a pydantic model of exactly the keys
:func:`~ogi_workflow.lifecycle.decide` (and ``receive``, the reflow and the letter issuing)
write for it, with ``extra="forbid"``; :mod:`.typed_events` pairs each with the audit row's
columns. The HTTP service and webhooks publish them as one JSON Schema per event type; the
class names are the schema names.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from ogi_workflow.clock import Channel
from ogi_workflow.fees import FeeBasis
from ogi_workflow.outcomes import Outcome

__all__ = [
    "AcceptAssignmentPayload",
    "AnswerSearchTaskPayload",
    "ApprovePayload",
    "ArchivePayload",
    "AssignPayload",
    "CorrectionLapsedPayload",
    "DelayReasonablyPayload",
    "EndConsultationPayload",
    "ExtendPayload",
    "FeeLapsedPayload",
    "ForwardPayload",
    "IssueFeeNoticePayload",
    "IssueLetterPayload",
    "OpenSearchTaskPayload",
    "ReassignPayload",
    "ReceiveCorrectionPayload",
    "ReceivePayload",
    "ReceivePaymentPayload",
    "RecomputeDeadlinePayload",
    "RecordLitigationPayload",
    "RecordMeetingPayload",
    "RecordReviewPayload",
    "RegisterPayload",
    "ReplyOnTheSpotPayload",
    "ReplyPayload",
    "RequestCorrectionPayload",
    "ReturnAssignmentPayload",
    "SendBackPayload",
    "StartConsultationPayload",
    "StartHandlingPayload",
    "SubmitForReviewPayload",
    "WithdrawPayload",
]

# The closed sets a payload holds that have no enum of their own in the lifecycle layer;
# each is what the guard named beside it lets through (lifecycle/machine.py, inner.py).
Party = Literal["third_party", "co_agency"]  # _guard_consultation: 条例第三十二条、第三十四条
CaseResult = Literal["upheld", "corrected", "other", "pending"]  # _guard_record
Against = Literal["reply", "non_reply"]  # decide(): over the reply, or 逾期未作出处理
SearchResult = Literal["found", "not_found", "partly"]  # _guard_answer_search_task
# The roles of a review chain: models.ReviewRole (AgencyProfile.review_chains), whose
# values are people.Role's; the lifecycle may import neither, a test checks they agree.
ReviewRole = Literal["reviewer", "legal_reviewer", "secrecy_reviewer", "signer"]

# A reply's ``details`` is the one free object of a payload: the applicant-facing facts its
# letter prints, whose keys depend on the outcome (data/outcomes.toml [details]) and are
# checked by the reply's guard, not by a schema.
_DETAILS_DESCRIPTION: Final = (
    "What the reply's letter prints for its outcome (the keys of data/outcomes.toml "
    "[details.<letter>], e.g. provided, withheld, reason, convenience); checked by the "
    "reply's guard; empty when the letter prints none"
)

# Fields several payloads share, each described once.
_Details = Annotated[dict[str, Any], Field(description=_DETAILS_DESCRIPTION)]
_ReplyOutcome = Annotated[
    Outcome, Field(description="The reply's outcome, one leaf of the annual report")
]
_Result = Annotated[
    CaseResult,
    Field(description="upheld (维持), corrected (纠正), other (其他) or pending (尚未审结)"),
]
_Against = Annotated[
    Against,
    Field(description="reply: over the reply; non_reply: over the lack of one (逾期未作出处理)"),
]
_AddressedTo = Annotated[
    str | None, Field(description="The person in it the request is addressed to, if any")
]
_AcceptBy = Annotated[
    date, Field(description="When it is to be signed for (签收): the agency's accept_workdays")
]
_Step = Annotated[int, Field(description="Which step of the chain: 1, 2, …")]
_StepRole = Annotated[ReviewRole, Field(description="The role the step needs")]


class _Payload(BaseModel):
    """What every payload model shares: frozen, and no key it does not name."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- the outer process


class ReceivePayload(_Payload):
    """接收: how the application arrived (its day of receipt is the event's ``on``); for a
    request another agency of the database forwarded (转送), which one and its request."""

    channel: Channel = Field(
        description="How the application arrived; it sets the day of receipt (条例第三十一条)"
    )
    from_agency: str | None = Field(
        default=None,
        description="转送: the code of the agency that forwarded the request (its day of "
        "forwarding is the day of receipt); absent for an application received directly",
    )
    from_agency_name: str | None = Field(
        default=None, description="转送: that agency's name, as letters print it"
    )
    from_request: int | None = Field(
        default=None, description="转送: the id of the request in the forwarding agency"
    )
    from_reg_no: str | None = Field(
        default=None, description="转送: its registration number in the forwarding agency"
    )


class RegisterPayload(_Payload):
    """登记: no parameters; the registration number is in the event's ``after`` values."""


class ReplyOnTheSpotPayload(_Payload):
    """当场答复 on the day of receipt (条例第三十三条第一款)."""

    outcome: _ReplyOutcome
    details: _Details


class StartHandlingPayload(_Payload):
    """办理: who handles the request."""

    handler: str = Field(description="The handler (承办人): the person given, or the actor")


class RequestCorrectionPayload(_Payload):
    """补正告知 (条例第三十条): what to correct and by when; the clock stops."""

    items: list[str] = Field(
        description="What the applicant is to correct, all at once (条例第三十条: 一次性告知)"
    )
    correct_by: date = Field(
        description="The end of the reasonable period to correct (条例第三十条)"
    )
    late_reason: str | None = Field(
        default=None,
        description="Why the notice went out after the 7 working days of 条例第三十条 "
        "(only for an acknowledged late notice)",
    )


class ReceiveCorrectionPayload(_Payload):
    """收到补正: the reply period restarts from this day (条例第三十条)."""

    description: str | None = Field(
        default=None,
        description="What the corrected application asks for, when it changed; letters "
        "quote it instead of the original",
    )


class CorrectionLapsedPayload(_Payload):
    """逾期不补正: 视为放弃 (条例第三十条); no parameters."""


class StartConsultationPayload(_Payload):
    """征求意见 (条例第三十二条、第三十四条): the clock stops while the party answers."""

    party: Party = Field(
        description="third_party: a third party whose rights may be harmed (条例第三十二条); "
        "co_agency: another agency (条例第三十四条)"
    )
    consulted: str = Field(description="Who is consulted (the letter's recipient)")
    reason: str | None = Field(
        default=None,
        description="Why disclosure may harm the third party (its letter says so)",
    )
    notice_received_on: date | None = Field(
        default=None,
        description="When the consulted party received the letter, when known; else the "
        "letter's day counts",
    )
    answer_by: date = Field(
        description="The last day of the 15 working days to answer (条例第三十二条、"
        "第三十四条); the pause never runs past it (条例第三十三条第二款)"
    )


class EndConsultationPayload(_Payload):
    """征求意见结束: an answer, or silence after the answer period; the clock runs again."""

    opinion: str | None = Field(
        default=None, description="The consulted party's opinion, when it gave one"
    )


class ExtendPayload(_Payload):
    """延期答复 (条例第三十三条): once, approved, within the period."""

    approver: str = Field(
        description="Who approved it: 政府信息公开工作机构负责人 (条例第三十三条)"
    )
    reason: str = Field(description="Why the reply needs longer (条例第三十三条)")
    workdays: int = Field(
        description="Working days added to the period (条例第三十三条: at most 20)"
    )


class DelayReasonablyPayload(_Payload):
    """合理延迟 for a voluminous or frequent request (条例第三十五条)."""

    delayed_to: date = Field(description="The later reply date set (条例第三十五条)")
    reason: str = Field(
        description="Why: the number or frequency of requests exceeds a reasonable range "
        "(条例第三十五条)"
    )


class IssueFeeNoticePayload(_Payload):
    """收费通知 (国办函〔2020〕109号): the fee quoted; the clock stops until payment."""

    basis: FeeBasis = Field(
        description="per_request (按件) or per_volume (按量), never both (国办函〔2020〕109号)"
    )
    quantity: int = Field(
        description="The applicant's number of requests in the natural month (按件), or the "
        "page count (按量)"
    )
    tiers: list[tuple[int, int, int]] = Field(
        description="The tiers applied: (from, to, yuan per unit), excess-progressive "
        "(国办函〔2020〕109号)"
    )
    amount_yuan: int = Field(description="The fee in yuan (信息处理费)")
    notice_received_on: date | None = Field(
        default=None,
        description="When the applicant received the notice, when known; else the notice's "
        "day counts",
    )
    payment_due: date = Field(
        description="The last day to pay: 20 working days from the day after the notice is "
        "received (国办函〔2020〕109号)"
    )


class ReceivePaymentPayload(_Payload):
    """缴费: no parameters; the clock runs again."""


class FeeLapsedPayload(_Payload):
    """逾期未缴费: 视为放弃 (国办函〔2020〕109号); no parameters."""


class WithdrawPayload(_Payload):
    """撤回 by the applicant: no parameters; the reason is the event's ``reason``."""


class ReplyPayload(_Payload):
    """答复: the outcome and details of the draft its review chain signed off."""

    outcome: _ReplyOutcome
    details: _Details


class ForwardPayload(_Payload):
    """转送 (条例第三十六条第五项): answered 非本机关负责, and sent on to the agency of the
    database responsible, where it is a new request received that day."""

    to_agency: str = Field(description="The code of the agency it is forwarded to")
    to_agency_name: str = Field(description="That agency's name, as letters print it")
    to_request: int = Field(description="The id of the new request in that agency")
    reason: str = Field(description="Why that agency is responsible (its letter says so)")
    outcome: _ReplyOutcome
    details: _Details


class ArchivePayload(_Payload):
    """归档: no parameters; afterwards only 复议/诉讼 records may be added."""


class RecordReviewPayload(_Payload):
    """A 行政复议 about the request (条例第五十一条)."""

    result: _Result
    case_no: str | None = Field(default=None, description="The review body's case number")
    against: _Against


class RecordLitigationPayload(_Payload):
    """A 行政诉讼 about the request (条例第五十一条)."""

    result: _Result
    after_review: bool = Field(
        description="True for 复议后起诉, false for 直接起诉 (the annual report's columns)"
    )
    case_no: str | None = Field(default=None, description="The court's case number")
    against: _Against


# --------------------------------------------------------------------------- the inner work


class OpenSearchTaskPayload(_Payload):
    """协查: a department searches its records; the clock does not stop."""

    department: str = Field(description="The department that searches (its code)")
    what: str = Field(description="What to search for")
    due_date: date = Field(
        description="When the answer is due: given, or the agency's search_task_workdays, "
        "never after the reply's due date"
    )
    task: int = Field(description="The task's number within the request: 1, 2, …")


class AnswerSearchTaskPayload(_Payload):
    """The department's answer to a 协查 task (the search documented, as courts ask)."""

    task: int = Field(description="The number of the task answered")
    result: SearchResult = Field(description="found, not_found or partly")
    where: str = Field(description="Where was searched (档案、业务系统、台账)")
    searched_by: str = Field(description="Who searched")
    found: str | None = Field(default=None, description="What was found (absent when not_found)")


class RecordMeetingPayload(_Payload):
    """会商 on a hard case."""

    participants: list[str] = Field(description="Who took part: at least two people")
    conclusion: str = Field(description="What the meeting concluded")


class AssignPayload(_Payload):
    """分办: to a department, or a person in it."""

    department: str = Field(description="The department it is assigned to (its code)")
    person: _AddressedTo = None
    number: int = Field(
        description="The assignment's number within the request (assign and reassign count "
        "together): 1, 2, …"
    )
    accept_by: _AcceptBy


class AcceptAssignmentPayload(_Payload):
    """签收: the department, or the person addressed, takes the request on."""

    by: str = Field(description="Who signed for it (the actor)")


class ReturnAssignmentPayload(_Payload):
    """退回 to the registrar, with a reason."""

    reason: str = Field(description="Why the department does not handle it")
    by: str = Field(description="Who returned it (the actor)")
    reassign_by: date = Field(
        description="When the registrar is to assign it again: the agency's accept_workdays"
    )


class ReassignPayload(_Payload):
    """转办 inside the agency: to another department, or a person in it."""

    department: str = Field(description="The department it moves to (its code)")
    person: _AddressedTo = None
    reason: str = Field(description="Why it moves")
    number: int = Field(
        description="The assignment's number within the request (assign and reassign count "
        "together): 2, 3, …"
    )
    accept_by: _AcceptBy


class SubmitForReviewPayload(_Payload):
    """A draft reply enters its review chain (审核 → 法制审核 → 签发)."""

    outcome: Outcome = Field(description="The draft's outcome")
    details: _Details
    chain: list[ReviewRole] = Field(
        description="The roles that approve it, in order; the last one signs (签发)"
    )
    number: int = Field(description="The draft's number within the request: 1, 2, …")
    drafter: str = Field(description="Who drafted it (the actor); no step may be theirs")
    step_due: date = Field(
        description="When the first step is due: the agency's review_step_workdays"
    )


class ApprovePayload(_Payload):
    """One step of the review chain agrees (审核、法制审核、签发)."""

    opinion: str = Field(description="The step's opinion (审核意见)")
    step: _Step
    role: _StepRole
    by: str = Field(description="Who approved it (the actor)")
    next_step_due: date | None = Field(
        default=None,
        description="When the next step is due (the agency's review_step_workdays); absent "
        "after the last step (签发)",
    )


class SendBackPayload(_Payload):
    """One step of the review chain returns the draft to its drafter."""

    opinion: str = Field(description="Why it goes back (审核意见)")
    step: _Step
    role: _StepRole
    by: str = Field(description="Who sent it back (the actor)")


# --------------------------------------------------------------------------- records


class RecomputeDeadlinePayload(_Payload):
    """A calendar change moved the clock: no parameters; the event's ``before`` and
    ``after`` hold the clock values, its ``reason`` the change."""


class IssueLetterPayload(_Payload):
    """出具文书: a letter numbered and frozen for the event it answers."""

    kind: str = Field(
        description="The letter kind (a LetterKind value, letters/kinds.toml), e.g. "
        "notice_correction, reply_disclosed"
    )
    number: str = Field(description="The letter's number (文号) in the agency's series")
    basis_seq: int = Field(description="The seq of the event the letter answers")
    recipient: str = Field(description="Whom the letter is addressed to")
