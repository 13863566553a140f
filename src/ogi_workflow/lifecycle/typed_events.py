"""Each stored event read as its own type: the audit row's columns with the payload model
of its event (:mod:`.payloads`), told apart by ``event``.

:data:`TypedEvent` is the union of the envelopes (``<Name>Event``), :data:`EVENT_MODELS`
maps each :class:`Event` to its envelope, and :func:`typed_event` reads one stored event into
it. The lifecycle layer knows nothing of the read models, so :func:`typed_event` takes any
object with the attributes of :class:`~ogi_workflow.models.EventView` (:class:`EventRecord`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal, Protocol, get_args

import pydantic
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ogi_workflow.errors import ValidationError
from ogi_workflow.lifecycle.events import Event, State
from ogi_workflow.lifecycle.payloads import (
    AcceptAssignmentPayload,
    AnswerSearchTaskPayload,
    ApprovePayload,
    ArchivePayload,
    AssignPayload,
    CorrectionLapsedPayload,
    DelayReasonablyPayload,
    EndConsultationPayload,
    ExtendPayload,
    FeeLapsedPayload,
    ForwardPayload,
    IssueFeeNoticePayload,
    IssueLetterPayload,
    OpenSearchTaskPayload,
    ReassignPayload,
    ReceiveCorrectionPayload,
    ReceivePayload,
    ReceivePaymentPayload,
    RecomputeDeadlinePayload,
    RecordLitigationPayload,
    RecordMeetingPayload,
    RecordReviewPayload,
    RegisterPayload,
    ReplyOnTheSpotPayload,
    ReplyPayload,
    RequestCorrectionPayload,
    ReturnAssignmentPayload,
    SendBackPayload,
    StartConsultationPayload,
    StartHandlingPayload,
    SubmitForReviewPayload,
    WithdrawPayload,
)

__all__ = [
    "EVENT_MODELS",
    "AcceptAssignmentEvent",
    "AnswerSearchTaskEvent",
    "ApproveEvent",
    "ArchiveEvent",
    "AssignEvent",
    "CorrectionLapsedEvent",
    "DelayReasonablyEvent",
    "EndConsultationEvent",
    "EventBase",
    "EventRecord",
    "ExtendEvent",
    "FeeLapsedEvent",
    "ForwardEvent",
    "IssueFeeNoticeEvent",
    "IssueLetterEvent",
    "OpenSearchTaskEvent",
    "ReassignEvent",
    "ReceiveCorrectionEvent",
    "ReceiveEvent",
    "ReceivePaymentEvent",
    "RecomputeDeadlineEvent",
    "RecordLitigationEvent",
    "RecordMeetingEvent",
    "RecordReviewEvent",
    "RegisterEvent",
    "ReplyEvent",
    "ReplyOnTheSpotEvent",
    "RequestCorrectionEvent",
    "ReturnAssignmentEvent",
    "SendBackEvent",
    "StartConsultationEvent",
    "StartHandlingEvent",
    "SubmitForReviewEvent",
    "TypedEvent",
    "WithdrawEvent",
    "event_schemas",
    "typed_event",
]


# --------------------------------------------------------------------------- envelopes


class EventBase(BaseModel):
    """One row of a request's audit log, as every event type has it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = Field(description="The event's number within the request: 1, 2, …")
    actor: str = Field(description="Who took the action")
    at: datetime = Field(description="When it was recorded (the audit clock)")
    on: date = Field(description="The legal day the action takes effect")
    state_before: State | None = Field(description="The state before (none for receive)")
    state_after: State = Field(description="The state after")
    reason: str | None = Field(description="The action's reason or note, if any")
    before: dict[str, Any] = Field(description="The request's columns it changed, before")
    after: dict[str, Any] = Field(description="The request's columns it changed, after")


class ReceiveEvent(EventBase):
    """A row of the audit log for ``receive``: the common columns and its payload."""

    event: Literal["receive"]
    payload: ReceivePayload


class RegisterEvent(EventBase):
    """A row of the audit log for ``register``: the common columns and its payload."""

    event: Literal["register"]
    payload: RegisterPayload


class ReplyOnTheSpotEvent(EventBase):
    """A row of the audit log for ``reply_on_the_spot``: the common columns and its payload."""

    event: Literal["reply_on_the_spot"]
    payload: ReplyOnTheSpotPayload


class StartHandlingEvent(EventBase):
    """A row of the audit log for ``start_handling``: the common columns and its payload."""

    event: Literal["start_handling"]
    payload: StartHandlingPayload


class RequestCorrectionEvent(EventBase):
    """A row of the audit log for ``request_correction``: the common columns and its payload."""

    event: Literal["request_correction"]
    payload: RequestCorrectionPayload


class ReceiveCorrectionEvent(EventBase):
    """A row of the audit log for ``receive_correction``: the common columns and its payload."""

    event: Literal["receive_correction"]
    payload: ReceiveCorrectionPayload


class CorrectionLapsedEvent(EventBase):
    """A row of the audit log for ``correction_lapsed``: the common columns and its payload."""

    event: Literal["correction_lapsed"]
    payload: CorrectionLapsedPayload


class StartConsultationEvent(EventBase):
    """A row of the audit log for ``start_consultation``: the common columns and its payload."""

    event: Literal["start_consultation"]
    payload: StartConsultationPayload


class EndConsultationEvent(EventBase):
    """A row of the audit log for ``end_consultation``: the common columns and its payload."""

    event: Literal["end_consultation"]
    payload: EndConsultationPayload


class ExtendEvent(EventBase):
    """A row of the audit log for ``extend``: the common columns and its payload."""

    event: Literal["extend"]
    payload: ExtendPayload


class DelayReasonablyEvent(EventBase):
    """A row of the audit log for ``delay_reasonably``: the common columns and its payload."""

    event: Literal["delay_reasonably"]
    payload: DelayReasonablyPayload


class IssueFeeNoticeEvent(EventBase):
    """A row of the audit log for ``issue_fee_notice``: the common columns and its payload."""

    event: Literal["issue_fee_notice"]
    payload: IssueFeeNoticePayload


class ReceivePaymentEvent(EventBase):
    """A row of the audit log for ``receive_payment``: the common columns and its payload."""

    event: Literal["receive_payment"]
    payload: ReceivePaymentPayload


class FeeLapsedEvent(EventBase):
    """A row of the audit log for ``fee_lapsed``: the common columns and its payload."""

    event: Literal["fee_lapsed"]
    payload: FeeLapsedPayload


class WithdrawEvent(EventBase):
    """A row of the audit log for ``withdraw``: the common columns and its payload."""

    event: Literal["withdraw"]
    payload: WithdrawPayload


class ReplyEvent(EventBase):
    """A row of the audit log for ``reply``: the common columns and its payload."""

    event: Literal["reply"]
    payload: ReplyPayload


class ForwardEvent(EventBase):
    """A row of the audit log for ``forward``: the common columns and its payload."""

    event: Literal["forward"]
    payload: ForwardPayload


class ArchiveEvent(EventBase):
    """A row of the audit log for ``archive``: the common columns and its payload."""

    event: Literal["archive"]
    payload: ArchivePayload


class RecordReviewEvent(EventBase):
    """A row of the audit log for ``record_review``: the common columns and its payload."""

    event: Literal["record_review"]
    payload: RecordReviewPayload


class RecordLitigationEvent(EventBase):
    """A row of the audit log for ``record_litigation``: the common columns and its payload."""

    event: Literal["record_litigation"]
    payload: RecordLitigationPayload


class OpenSearchTaskEvent(EventBase):
    """A row of the audit log for ``open_search_task``: the common columns and its payload."""

    event: Literal["open_search_task"]
    payload: OpenSearchTaskPayload


class AnswerSearchTaskEvent(EventBase):
    """A row of the audit log for ``answer_search_task``: the common columns and its payload."""

    event: Literal["answer_search_task"]
    payload: AnswerSearchTaskPayload


class RecordMeetingEvent(EventBase):
    """A row of the audit log for ``record_meeting``: the common columns and its payload."""

    event: Literal["record_meeting"]
    payload: RecordMeetingPayload


class AssignEvent(EventBase):
    """A row of the audit log for ``assign``: the common columns and its payload."""

    event: Literal["assign"]
    payload: AssignPayload


class AcceptAssignmentEvent(EventBase):
    """A row of the audit log for ``accept_assignment``: the common columns and its payload."""

    event: Literal["accept_assignment"]
    payload: AcceptAssignmentPayload


class ReturnAssignmentEvent(EventBase):
    """A row of the audit log for ``return_assignment``: the common columns and its payload."""

    event: Literal["return_assignment"]
    payload: ReturnAssignmentPayload


class ReassignEvent(EventBase):
    """A row of the audit log for ``reassign``: the common columns and its payload."""

    event: Literal["reassign"]
    payload: ReassignPayload


class SubmitForReviewEvent(EventBase):
    """A row of the audit log for ``submit_for_review``: the common columns and its payload."""

    event: Literal["submit_for_review"]
    payload: SubmitForReviewPayload


class ApproveEvent(EventBase):
    """A row of the audit log for ``approve``: the common columns and its payload."""

    event: Literal["approve"]
    payload: ApprovePayload


class SendBackEvent(EventBase):
    """A row of the audit log for ``send_back``: the common columns and its payload."""

    event: Literal["send_back"]
    payload: SendBackPayload


class RecomputeDeadlineEvent(EventBase):
    """A row of the audit log for ``recompute_deadline``: the common columns and its payload."""

    event: Literal["recompute_deadline"]
    payload: RecomputeDeadlinePayload


class IssueLetterEvent(EventBase):
    """A row of the audit log for ``issue_letter``: the common columns and its payload."""

    event: Literal["issue_letter"]
    payload: IssueLetterPayload


# Every event type, told apart by ``event`` (a oneOf with a discriminator in JSON Schema).
TypedEvent = Annotated[
    ReceiveEvent
    | RegisterEvent
    | ReplyOnTheSpotEvent
    | StartHandlingEvent
    | RequestCorrectionEvent
    | ReceiveCorrectionEvent
    | CorrectionLapsedEvent
    | StartConsultationEvent
    | EndConsultationEvent
    | ExtendEvent
    | DelayReasonablyEvent
    | IssueFeeNoticeEvent
    | ReceivePaymentEvent
    | FeeLapsedEvent
    | WithdrawEvent
    | ReplyEvent
    | ForwardEvent
    | ArchiveEvent
    | RecordReviewEvent
    | RecordLitigationEvent
    | OpenSearchTaskEvent
    | AnswerSearchTaskEvent
    | RecordMeetingEvent
    | AssignEvent
    | AcceptAssignmentEvent
    | ReturnAssignmentEvent
    | ReassignEvent
    | SubmitForReviewEvent
    | ApproveEvent
    | SendBackEvent
    | RecomputeDeadlineEvent
    | IssueLetterEvent,
    Field(discriminator="event"),
]

# The envelope model of each event type (its payload model is ``.model_fields["payload"]``).
EVENT_MODELS: Final[Mapping[Event, type[EventBase]]] = {
    Event(get_args(model.model_fields["event"].annotation)[0]): model
    for model in get_args(get_args(TypedEvent)[0])
}
_ADAPTER: Final[TypeAdapter[TypedEvent]] = TypeAdapter(TypedEvent)


def event_schemas() -> dict[str, dict[str, Any]]:
    """One JSON Schema (2020-12) per event type, by its ``event`` value: the audit log entry
    as the HTTP service's events route and its webhooks send it. Published as
    docs/events/<event>.json (``python scripts/openapi.py`` writes them)."""
    return {
        event.value: {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:ogi-workflow:event:{event.value}",
            **model.model_json_schema(mode="serialization"),
        }
        for event, model in EVENT_MODELS.items()
    }


class EventRecord(Protocol):
    """A stored event with the attributes of :class:`~ogi_workflow.models.EventView`."""

    @property
    def seq(self) -> int: ...
    @property
    def event(self) -> Event: ...
    @property
    def actor(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def on(self) -> date: ...
    @property
    def state_before(self) -> State | None: ...
    @property
    def state_after(self) -> State: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def before(self) -> dict[str, Any]: ...
    @property
    def after(self) -> dict[str, Any]: ...


def typed_event(view: EventRecord) -> TypedEvent:
    """The stored event ``view`` (an EventView) as its event type's model.

    A ValidationError means the log holds a payload its schema does not describe: a key
    written by the code but missing here, or a value of another type (a bug either way).
    """
    try:
        return _ADAPTER.validate_python(view, from_attributes=True)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(whole event)'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise ValidationError(
            f"event #{view.seq} ({view.event}) does not fit its schema: {problems} "
            "(every stored event has one, see lifecycle/payloads.py)"
        ) from None
