"""The facts a letter is written from: the request, its events, the agency, the policy.

Dates come from the request's events (the event a letter answers gives the letter its date),
never from today.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final

from ogi_workflow.clock import ClockPolicy
from ogi_workflow.errors import ValidationError
from ogi_workflow.letters.kinds import LetterKind, event_letter
from ogi_workflow.lifecycle import Event
from ogi_workflow.models import AgencyProfile, EventView, RequestView
from ogi_workflow.outcomes import Outcome

__all__ = ["basis_event", "default_kind", "letter_facts"]

_REPLIES: Final = (Event.REPLY, Event.REPLY_ON_THE_SPOT, Event.FORWARD)
REVIEW_FIRST_SINCE: Final = date(2024, 1, 1)  # 行政复议法（2023年修订）施行之日


def default_kind(request: RequestView, events: Sequence[EventView]) -> LetterKind:
    """The letter the request's latest letter-worthy event calls for."""
    for event in reversed(events):
        kind = event_letter(event.event, request.outcome)
        if kind is not None:
            return kind
    raise ValidationError(
        f"render: request {request.reg_no or request.id} has no event that calls for a letter "
        "yet; pass the letter kind"
    )


def basis_event(kind: LetterKind, request: RequestView, events: Sequence[EventView]) -> EventView:
    """The latest event the letter answers; its date is the letter's date."""
    spec = kind.spec
    label = request.reg_no or request.id
    if spec.outcomes and request.outcome not in spec.outcomes:
        raise ValidationError(
            f"render: letter {kind.value} is written only for the outcomes "
            f"{', '.join(o.value for o in spec.outcomes)}; request {label} was answered "
            f"{request.outcome.value if request.outcome else 'not yet'}"
        )
    if spec.consulted and not any(
        e.event is Event.START_CONSULTATION and e.payload.get("party") == spec.consulted
        for e in events
    ):
        raise ValidationError(
            f"render: letter {kind.value} is written only after a {spec.consulted} "
            f"consultation; request {label} had none"
        )
    for event in reversed(events):
        if event.event in spec.events and (
            spec.party is None or event.payload.get("party") == spec.party
        ):
            return event
    wanted = " or ".join(e.value for e in spec.events) + (
        f" with party {spec.party}" if spec.party else ""
    )
    raise ValidationError(
        f"render: letter {kind.value} answers a {wanted} event; request "
        f"{request.reg_no or request.id} ({request.state.value}) has none"
    )


def _last(events: Sequence[EventView], event: Event) -> EventView | None:
    return next((e for e in reversed(events) if e.event is event), None)


def letter_facts(
    kind: LetterKind,
    *,
    request: RequestView,
    events: Sequence[EventView],
    basis: EventView,
    agency: AgencyProfile,
    policy: ClockPolicy,
    number: str,
) -> dict[str, Any]:
    """Everything the templates may use, as plain values."""
    applicant = request.application["applicant"]
    facts: dict[str, Any] = {
        "letter": {"kind": kind.value, "number": number, "date": basis.on},
        "agency": agency.model_dump(mode="json"),
        "applicant": {**applicant, "is_person": applicant["kind"] == "natural_person"},
        "request": {
            "reg_no": request.reg_no,
            "received_on": request.received_on,
            "description": request.description,
            "channel": request.channel.value,
        },
        "policy": {"fee_pauses_clock": policy.fee_pauses_clock},
        "details": {},
        "correction": {},
        "consultation": {},
        "fee": {},
        "forwarding": {},  # 转送: the agency it was forwarded to, and why
        "forwarded_from": {},  # a request another agency forwarded: which one
    }
    facts["clock"] = _clock_as_of(basis, events, request)
    # 行政复议法（2023年修订）第二十三条, in force from 2024-01-01: a refusal to disclose must
    # go to 行政复议 before a court; letters dated earlier carry the remedy of the law then.
    facts["review_first_in_force"] = basis.on >= REVIEW_FIRST_SINCE
    if (corrected := _last(events, Event.RECEIVE_CORRECTION)) is not None:
        description = corrected.payload.get("description")
        if description:  # 条例第三十条: the corrected application is the one answered
            facts["request"]["description"] = description
            facts["request"]["original_description"] = request.description
    if (correction := _last(events, Event.REQUEST_CORRECTION)) is not None:
        facts["correction"] = {**correction.payload, "noticed_on": correction.on}
    if (consultation := _last(events, Event.START_CONSULTATION)) is not None:
        facts["consultation"] = {**consultation.payload, "started": consultation.on}
    if (fee := _last(events, Event.ISSUE_FEE_NOTICE)) is not None:
        unit = "件" if fee.payload.get("basis") == "per_request" else "页"
        facts["fee"] = {**fee.payload, "noticed_on": fee.on, "unit": unit}
    if (forward := _last(events, Event.FORWARD)) is not None:
        facts["forwarding"] = {**forward.payload, "on": forward.on}
    if events and events[0].payload.get("from_agency"):  # 转送 by another agency
        facts["forwarded_from"] = dict(events[0].payload)
    if basis.event is Event.EXTEND:
        facts["extension"] = basis.payload
    if basis.event is Event.DELAY_REASONABLY:
        facts["delay"] = basis.payload
    facts["lapsed"] = "correction" if basis.event is Event.CORRECTION_LAPSED else "fee"
    if basis.event in _REPLIES:
        facts["details"] = dict(basis.payload.get("details", {}))
        outcome = Outcome(basis.payload["outcome"])
        facts["outcome"] = _outcome_facts(outcome)
        if kind is LetterKind.REPLY_PARTIAL:
            facts["withheld"] = _withheld(facts["details"].get("withheld_ground"), request)
    return facts


def _clock_as_of(
    basis: EventView, events: Sequence[EventView], request: RequestView
) -> dict[str, Any]:
    """The due date as the audit log had it when the letter's event happened."""
    due, estimated = request.due_date, request.estimated
    for event in events:
        if event.seq > basis.seq:
            break
        if event.after.get("due_date"):
            due = date.fromisoformat(event.after["due_date"])
        if "estimated" in event.after:
            estimated = bool(event.after["estimated"])
    return {"due_date": due, "estimated": estimated}


def _outcome_facts(outcome: Outcome) -> dict[str, Any]:
    info = outcome.info
    return {
        "code": outcome.value,
        "label": info.label,
        "basis": info.basis,
        "phrase": info.phrase,
        "refusal": info.review_first,
    }


def _withheld(ground: object, request: RequestView) -> dict[str, Any]:
    """The 不予公开 ground of the withheld part of a 部分公开 (条例第十四、十五、十六条)."""
    grounds = [o for o in Outcome if o.info.phrase is not None]
    try:
        outcome = Outcome(str(ground))
    except ValueError:
        outcome = None
    if outcome not in grounds:
        allowed = ", ".join(o.value for o in grounds)
        raise ValidationError(
            f"render: letter reply_partial for request {request.reg_no}: details.withheld_ground "
            f"must be one of: {allowed}; got {ground!r}"
        )
    assert outcome is not None
    return _outcome_facts(outcome)
