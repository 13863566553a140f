"""States, events, the transition table and the guards that enforce the law.

One ``transitions`` machine, built once with ``model=None``, declares the lifecycle for
every request (never one machine per request); :func:`fire` looks the event up in the
machine's transitions and runs its guards, so the database row never meets the machine.
Guards raise a specific error instead of returning False, and an illegal event raises
:class:`TransitionError` naming the request, the state and the event. Limits come from
:class:`~ogi_workflow.clock.ClockPolicy`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Final

from transitions import Machine

from ogi_workflow._text import shown
from ogi_workflow.clock import check_extension_workdays
from ogi_workflow.errors import TransitionError, ValidationError
from ogi_workflow.lifecycle.events import (
    AWAITING_REPLY,
    DONE,
    OPEN_STATES,
    Event,
    GuardContext,
    HistoryItem,
    State,
    require_text,
)
from ogi_workflow.lifecycle.forwarding import guard_forward
from ogi_workflow.lifecycle.inner import inner_guards, signed_off_draft
from ogi_workflow.outcomes import CONVENIENCE_KEYS, DetailsSpec, Outcome, details_spec

__all__ = [
    "AWAITING_REPLY",
    "DONE",
    "OUTCOME_OF_EVENT",
    "Event",
    "GuardContext",
    "HistoryItem",
    "State",
    "allowed_events",
    "fire",
    "mermaid_diagram",
]

_OPEN: Final = [s for s in State if s in OPEN_STATES]
_AWAITING: Final = [s for s in State if s in AWAITING_REPLY]
_DISCLOSURES: Final = (Outcome.DISCLOSED, Outcome.PARTIAL)
# The outcomes an event of their own records (视为放弃, 撤回), from data/outcomes.toml.
OUTCOME_OF_EVENT: Final = {Event(o.info.event): o for o in Outcome if o.info.event}


# --------------------------------------------------------------------------- guards
# Whether an act falls within the reply period (an extension, a pause, an 条例第三十五条 delay)
# is the clock's rule, checked in date order when decide() recomputes it (clock.py).


def _guard_request_correction(ctx: GuardContext, event: Event) -> None:
    # 条例第三十条: the 补正 notice goes out within 7 working days of receipt; a later one
    # is allowed only when explicitly acknowledged, and the reason is recorded.
    if ctx.correction_due is not None:
        raise TransitionError(
            f"request_correction: request {ctx.request} already had its 补正 notice (correct by "
            f"{ctx.correction_due}); 条例第三十条 allows one notice per application "
            "(一次性告知): an application still unclear after correction is answered as "
            "still_unclear (补正后仍不明确)"
        )
    window = ctx.correction_window_end
    if window is not None and ctx.on > window and not ctx.params.get("late_reason"):
        raise TransitionError(
            f"request_correction: request {ctx.request}: the 补正 notice on {ctx.on} is after "
            f"the 7-working-day window that ended {window} (条例第三十条); pass late_reason "
            "to record an acknowledged late notice"
        )
    items = ctx.params.get("items")
    if (
        not isinstance(items, list | tuple)
        or not items
        or not all(isinstance(i, str) and i.strip() for i in items)
    ):
        raise ValidationError(
            f"request_correction: request {ctx.request} needs items, the list of what to "
            "correct (条例第三十条: 一次性告知)"
        )
    correct_by = ctx.params.get("correct_by")
    if not isinstance(correct_by, date) or correct_by <= ctx.on:
        raise ValidationError(
            f"request_correction: request {ctx.request}: correct_by must be a date after "
            f"{ctx.on} (the reasonable period of 条例第三十条), got {shown(correct_by)}"
        )


def _guard_receive_correction(ctx: GuardContext, event: Event) -> None:
    description = ctx.params.get("description")
    if description is not None and (not isinstance(description, str) or not description.strip()):
        raise ValidationError(
            f"receive_correction: request {ctx.request}: description, when given, is the "
            f"corrected application's text, got {description!r}"
        )


def _guard_correction_lapsed(ctx: GuardContext, event: Event) -> None:
    if ctx.correction_due is not None and ctx.on <= ctx.correction_due:
        raise TransitionError(
            f"correction_lapsed: request {ctx.request}: the period to correct runs until "
            f"{ctx.correction_due}; it has not lapsed on {ctx.on} (条例第三十条)"
        )


def _guard_extend(ctx: GuardContext, event: Event) -> None:
    # 条例第三十三条: once, approved by the 工作机构负责人, with a reason (within the period:
    # the clock checks it).
    if ctx.extended_on is not None:
        raise TransitionError(
            f"extend: request {ctx.request} was already extended on {ctx.extended_on} "
            "(条例第三十三条 allows one extension)"
        )
    require_text(ctx, "extend", "approver", "条例第三十三条: 经政府信息公开工作机构负责人同意")
    require_text(ctx, "extend", "reason", "条例第三十三条")
    check_extension_workdays(
        ctx.params.get("workdays", ctx.policy.max_extension_workdays),
        ctx.policy,
        f"extend: request {ctx.request}",
    )


def _guard_delay(ctx: GuardContext, event: Event) -> None:
    # 条例第三十五条: a reasonable later date, set for a voluminous or frequent request.
    delayed_to = ctx.params.get("delayed_to")
    if not isinstance(delayed_to, date):
        raise ValidationError(
            f"delay_reasonably: request {ctx.request}: delayed_to must be a date after the "
            f"due date (条例第三十五条), got {delayed_to!r}"
        )
    require_text(ctx, "delay_reasonably", "reason", "条例第三十五条")


def _guard_consultation(ctx: GuardContext, event: Event) -> None:
    party = ctx.params.get("party")
    if party not in ("third_party", "co_agency"):
        raise ValidationError(
            f"start_consultation: request {ctx.request}: party must be 'third_party' "
            f"(条例第三十二条) or 'co_agency' (条例第三十四条), got {party!r}"
        )
    require_text(ctx, "start_consultation", "consulted", "条例第三十二条、第三十四条")


def _guard_fee_notice(ctx: GuardContext, event: Event) -> None:
    amount = ctx.params.get("amount_yuan")
    if not isinstance(amount, int) or amount <= 0:
        raise ValidationError(
            f"issue_fee_notice: request {ctx.request}: amount_yuan must be a positive whole "
            f"number of yuan (国办函〔2020〕109号), got {amount!r}"
        )


def _guard_fee_lapsed(ctx: GuardContext, event: Event) -> None:
    if ctx.fee_payment_due is not None and ctx.on <= ctx.fee_payment_due:
        raise TransitionError(
            f"fee_lapsed: request {ctx.request}: the applicant may pay until "
            f"{ctx.fee_payment_due}; it has not lapsed on {ctx.on} (国办函〔2020〕109号: 20 "
            "working days from the day after the notice is received)"
        )


def _guard_reply(ctx: GuardContext, event: Event) -> None:
    # The reply goes out only when its draft passed the agency's review chain (审核 → 签发);
    # decide() checks that the reply says what the signed-off draft said.
    signed_off_draft(ctx, event)
    _guard_reply_content(ctx, event)


def _guard_reply_content(ctx: GuardContext, event: Event) -> None:
    """What a reply (or its draft) says: an outcome a reply records, the details its letter
    prints, a documented search behind 不存在, a correction behind 补正后仍不明确."""
    outcome = ctx.params.get("outcome")
    if not isinstance(outcome, Outcome):
        allowed = ", ".join(o.value for o in Outcome if o not in OUTCOME_OF_EVENT.values())
        raise ValidationError(
            f"{event.value}: request {ctx.request} needs an outcome, one of: {allowed}"
        )
    if outcome in OUTCOME_OF_EVENT.values():
        raise ValidationError(
            f"{event.value}: request {ctx.request}: outcome '{outcome}' is recorded by "
            f"the {outcome.info.event} event, not by a reply"
        )
    _check_details(ctx, event, outcome)
    if outcome is Outcome.NOT_EXIST and ctx.open_search_tasks:
        waiting = ", ".join(f"#{n} ({d})" for n, d in sorted(ctx.open_search_tasks.items()))
        raise TransitionError(
            f"{event.value}: request {ctx.request}: not_exist (不存在/不掌握) needs every search "
            f"task answered, still open: {waiting} (检索 must be documented: answer_search_task)"
        )
    if outcome is Outcome.STILL_UNCLEAR and ctx.corrected_on is None:
        raise TransitionError(
            f"{event.value}: request {ctx.request}: still_unclear (补正后仍不明确) needs a "
            "corrected application, and none was received; send the 补正 notice first "
            "(条例第三十条)"
        )


def _check_details(ctx: GuardContext, event: Event, outcome: Outcome) -> None:
    """The reply's details carry what its letter prints, and nothing it does not know."""
    details = ctx.params.get("details") or {}
    where = f"{event.value}: request {ctx.request}: outcome {outcome.value}"
    specs = [outcome.info.details]
    if ctx.consulted_third_party and outcome in _DISCLOSURES:
        # 条例第三十二条: disclosing after consulting a third party writes to it too; a partial
        # disclosure may withhold exactly the third party's part, so there it is optional.
        notice = details_spec("notice_third_party_decision")
        if outcome is Outcome.PARTIAL:
            notice = DetailsSpec(optional=notice.allowed)
        specs.append(notice)
    allowed = [k for spec in specs for k in spec.allowed]
    unknown = sorted(k for k in details if k not in allowed)
    if unknown:
        raise ValidationError(
            f"{where}: details {', '.join(map(repr, unknown))} not known; allowed: "
            + (", ".join(allowed) or "none")
        )
    missing = [k for spec in specs for k in spec.required if _blank(details.get(k))]
    if missing:
        raise ValidationError(
            f"{where} needs details {', '.join(missing)} (its letter prints them)"
        )
    convenience = details.get("convenience")
    if convenience is not None and (
        not isinstance(convenience, Mapping)
        or not set(convenience) <= set(CONVENIENCE_KEYS)
        or all(_blank(v) for v in convenience.values())
    ):
        raise ValidationError(
            f"{where}: details.convenience must be a table of any of: "
            f"{', '.join(CONVENIENCE_KEYS)} (the 便民答复), got {convenience!r}"
        )
    ground = details.get("withheld_ground")
    grounds = [o.value for o in Outcome if o.info.phrase is not None]
    if ground is not None and ground not in grounds:
        raise ValidationError(
            f"{where}: details.withheld_ground must be one of: {', '.join(grounds)}; got {ground!r}"
        )


def _blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list | tuple | dict) and not value)


def _guard_on_the_spot(ctx: GuardContext, event: Event) -> None:
    # 条例第三十三条第一款: 能够当场答复的，应当当场予以答复 — on the day of receipt.
    if ctx.on != ctx.received_on:
        raise TransitionError(
            f"reply_on_the_spot: request {ctx.request} was received on {ctx.received_on}; a "
            f"当场答复 is given that day, not on {ctx.on} (条例第三十三条第一款): use reply"
        )
    _guard_reply_content(ctx, event)  # 当场: no time for a review chain


def _guard_record(ctx: GuardContext, event: Event) -> None:
    result = ctx.params.get("result")
    if result not in ("upheld", "corrected", "other", "pending"):
        raise ValidationError(
            f"{event.value}: request {ctx.request}: result must be upheld (维持), "
            f"corrected (纠正), other (其他) or pending (尚未审结), got {result!r}"
        )


_SEARCH_RESULTS: Final = ("found", "not_found", "partly")


def _guard_open_search_task(ctx: GuardContext, event: Event) -> None:
    require_text(ctx, event.value, "department", "协查: which department searches")
    require_text(ctx, event.value, "what", "协查: what to search for")
    due = ctx.params.get("due_date")
    if not isinstance(due, date) or due < ctx.on:
        raise ValidationError(
            f"{event.value}: request {ctx.request}: due_date must be a date on or after "
            f"{ctx.on}, got {shown(due)}"
        )
    if ctx.due_date is not None and due > ctx.due_date:
        raise ValidationError(
            f"{event.value}: request {ctx.request}: due_date {due} is after the reply is due "
            f"({ctx.due_date}); a search must come back before the answer"
        )


def _guard_answer_search_task(ctx: GuardContext, event: Event) -> None:
    task = ctx.params.get("task")
    if task not in ctx.open_search_tasks:
        open_ = ", ".join(f"#{n}" for n in sorted(ctx.open_search_tasks)) or "none"
        raise ValidationError(
            f"{event.value}: request {ctx.request}: task must be an open search task's "
            f"number (open: {open_}), got {task!r}"
        )
    result = ctx.params.get("result")
    if result not in _SEARCH_RESULTS:
        raise ValidationError(
            f"{event.value}: request {ctx.request}: result must be one of "
            f"{', '.join(_SEARCH_RESULTS)}, got {result!r}"
        )
    require_text(ctx, event.value, "searched_by", "协查: who searched")
    require_text(ctx, event.value, "where", "协查: where was searched (档案、系统、台账)")
    if result != "not_found":
        require_text(ctx, event.value, "found", "协查: what was found")


def _guard_meeting(ctx: GuardContext, event: Event) -> None:
    participants = ctx.params.get("participants")
    if (
        not isinstance(participants, list | tuple)
        or len(participants) < 2
        or not all(isinstance(p, str) and p.strip() for p in participants)
    ):
        raise ValidationError(
            f"{event.value}: request {ctx.request}: participants must list at least two "
            f"people (会商), got {participants!r}"
        )
    require_text(ctx, event.value, "conclusion", "会商: the conclusion reached")


# --------------------------------------------------------------------------- the table

_Guard = Callable[[GuardContext, Event], None]
_S = State
# (event, sources, destination or None for "stays", guards)
_TABLE: Final[list[tuple[Event, list[State], State | None, list[_Guard]]]] = [
    (Event.REGISTER, [_S.RECEIVED], _S.REGISTERED, []),
    # 条例第三十三条第一款: 能够当场答复的，应当当场予以答复
    # (registered on the way when it was not yet: 有申请必登记)
    (Event.REPLY_ON_THE_SPOT, [_S.RECEIVED, _S.REGISTERED], _S.REPLIED, [_guard_on_the_spot]),
    (Event.START_HANDLING, [_S.REGISTERED], _S.HANDLING, []),
    # 条例第三十条
    (
        Event.REQUEST_CORRECTION,
        [_S.REGISTERED, _S.HANDLING],
        _S.CORRECTION_PENDING,
        [_guard_request_correction],
    ),
    (Event.RECEIVE_CORRECTION, [_S.CORRECTION_PENDING], _S.HANDLING, [_guard_receive_correction]),
    (Event.CORRECTION_LAPSED, [_S.CORRECTION_PENDING], _S.REPLIED, [_guard_correction_lapsed]),
    # 条例第三十二条、第三十四条; 第三十三条第二款
    (Event.START_CONSULTATION, [_S.HANDLING], _S.CONSULTING, [_guard_consultation]),
    (Event.END_CONSULTATION, [_S.CONSULTING], _S.HANDLING, []),
    # 条例第三十三条第一款
    (Event.EXTEND, [_S.REGISTERED, _S.HANDLING, _S.CONSULTING], None, [_guard_extend]),
    # 条例第三十五条
    (Event.DELAY_REASONABLY, [_S.REGISTERED, _S.HANDLING], None, [_guard_delay]),
    # 国办函〔2020〕109号
    (Event.ISSUE_FEE_NOTICE, [_S.HANDLING], _S.FEE_PENDING, [_guard_fee_notice]),
    (Event.RECEIVE_PAYMENT, [_S.FEE_PENDING], _S.HANDLING, []),
    (Event.FEE_LAPSED, [_S.FEE_PENDING], _S.REPLIED, [_guard_fee_lapsed]),
    (Event.WITHDRAW, list(_OPEN), _S.REPLIED, []),
    (Event.REPLY, [_S.REGISTERED, _S.HANDLING], _S.REPLIED, [_guard_reply]),
    # 条例第三十六条第五项: answered 非本机关负责 and sent on to the agency responsible
    (Event.FORWARD, [_S.REGISTERED, _S.HANDLING], _S.REPLIED, [guard_forward]),
    (Event.ARCHIVE, [_S.REPLIED], _S.ARCHIVED, []),
    # 复议/诉讼 over a reply, or over no reply at all (逾期未作出处理 is reviewable too).
    (Event.RECORD_REVIEW, list(State), None, [_guard_record]),
    (Event.RECORD_LITIGATION, list(State), None, [_guard_record]),
    # The agency's inner work: it never moves the clock.
    (Event.OPEN_SEARCH_TASK, _AWAITING, None, [_guard_open_search_task]),
    (Event.ANSWER_SEARCH_TASK, _AWAITING, None, [_guard_answer_search_task]),
    (Event.RECORD_MEETING, _AWAITING, None, [_guard_meeting]),
    # 分办、签收、退回、转办
    (Event.ASSIGN, _OPEN, None, inner_guards(Event.ASSIGN)),
    (Event.ACCEPT_ASSIGNMENT, _OPEN, None, inner_guards(Event.ACCEPT_ASSIGNMENT)),
    (Event.RETURN_ASSIGNMENT, _OPEN, None, inner_guards(Event.RETURN_ASSIGNMENT)),
    (Event.REASSIGN, _OPEN, None, inner_guards(Event.REASSIGN)),
    # The review chain of a draft reply (审核、法制审核、签发)
    (
        Event.SUBMIT_FOR_REVIEW,
        [_S.REGISTERED, _S.HANDLING],
        None,
        [_guard_reply_content, *inner_guards(Event.SUBMIT_FOR_REVIEW)],
    ),
    (Event.APPROVE, _OPEN, None, inner_guards(Event.APPROVE)),
    (Event.SEND_BACK, _OPEN, None, inner_guards(Event.SEND_BACK)),
]

_MACHINE: Final = Machine(
    model=None,
    states=[s.value for s in State],
    transitions=[
        {
            "trigger": event.value,
            "source": [s.value for s in sources],
            "dest": dest.value if dest else None,
        }
        for event, sources, dest, _guards in _TABLE
    ],
    initial=State.RECEIVED.value,
    auto_transitions=False,
)
# Firing is a lookup in the machine's own transitions and a call of the event's guards: the
# machine declares the lifecycle (and draws it); a request's state lives in its row.
_NEXT: Final = {
    (State(source), Event(name)): State(transitions[0].dest or source)
    for name, event in _MACHINE.events.items()
    for source, transitions in event.transitions.items()
}
_GUARDS: Final = {event: tuple(guards) for event, _sources, _dest, guards in _TABLE}


def allowed_events(state: State) -> list[Event]:
    """The machine events that may fire from ``state``."""
    return [
        Event(name) for name, event in _MACHINE.events.items() if state.value in event.transitions
    ]


def fire(state: State, event: Event, ctx: GuardContext) -> State:
    """Apply ``event`` to a request in ``state``: the new state, or an error and no change."""
    after = _NEXT.get((state, event))
    if after is None:
        allowed = ", ".join(e.value for e in allowed_events(state)) or "none"
        raise TransitionError(
            f"{event.value}: request {ctx.request} is {state.value} ({state.label}); "
            f"from there only: {allowed}"
        )
    for guard in _GUARDS[event]:
        guard(ctx, event)
    return after


def mermaid_diagram() -> str:
    """The lifecycle as a Mermaid state diagram, read from the machine itself."""
    lines = ["stateDiagram-v2", f"    [*] --> {State.RECEIVED.value}: receive"]
    for name, event in _MACHINE.events.items():
        for source, transitions in event.transitions.items():
            for transition in transitions:
                dest = transition.dest or source
                lines.append(f"    {source} --> {dest}: {name}")
    lines.append(f"    {State.ARCHIVED.value} --> [*]")
    return "\n".join(lines) + "\n"
