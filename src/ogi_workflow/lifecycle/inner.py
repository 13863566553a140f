"""The agency's inner work on a request: 分办 (routing), 协查 tasks and the review chain.

Each is a projection of the request's event log (:func:`assignment`, :func:`search_tasks`,
:func:`review_case`), guarded here, and mirrored as open work items (:func:`work_changes`)
that the morning list reads. None of them moves the legal clock: the reply period runs
from receipt whatever the agency does inside (条例第三十三条).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final

from ogi_workflow.calendar.workdays import WorkdayCalendar
from ogi_workflow.errors import PermissionDenied, TransitionError, ValidationError
from ogi_workflow.lifecycle.events import (
    Assignment,
    Event,
    GuardContext,
    HistoryItem,
    ReviewCase,
    require_text,
)

__all__ = [
    "WorkChange",
    "assignment",
    "derive_inner_params",
    "inner_guards",
    "review_case",
    "review_cases",
    "search_tasks",
    "signed_off_draft",
    "work_changes",
]

_ASSIGNING: Final = (Event.ASSIGN, Event.REASSIGN)


@dataclass(frozen=True, slots=True)
class WorkChange:
    """One change to the agency's open work items (the morning list's inner part).

    ``open`` adds an item due on ``due_on``; closing (``open=False``) marks it done on the
    event's day: the item ``ref`` of ``kind``, every open item of ``kind`` when ``ref`` is
    None, every open item of the request when ``kind`` is None too.
    """

    open: bool
    kind: str | None = None  # assignment, returned, search_task, review_step
    ref: str | None = None  # the item's key within its request and kind
    department: str | None = None
    person: str | None = None
    role: str | None = None
    due_on: date | None = None


# --------------------------------------------------------------------------- projections


def assignment(history: Sequence[HistoryItem]) -> Assignment | None:
    """The current 分办 of a request (None before any, or after it was returned)."""
    current: Assignment | None = None
    for item in history:
        if item.event in _ASSIGNING:
            current = Assignment(
                number=int(item.payload["number"]),
                department=str(item.payload["department"]),
                person=item.payload.get("person"),
                assigned_on=item.on,
            )
        elif item.event is Event.ACCEPT_ASSIGNMENT and current is not None:
            current = replace(current, accepted_by=item.payload["by"], accepted_on=item.on)
        elif item.event is Event.RETURN_ASSIGNMENT:
            current = None
    return current


def search_tasks(history: Sequence[HistoryItem]) -> list[dict[str, Any]]:
    """The request's 协查 tasks from its event log, in the order opened: number, department,
    what, due date, the day opened and the answer (None while open)."""
    tasks: dict[int, dict[str, Any]] = {}
    for item in history:
        if item.event is Event.OPEN_SEARCH_TASK:
            number = int(item.payload["task"])
            tasks[number] = {
                "task": number,
                "department": item.payload["department"],
                "what": item.payload["what"],
                "due_date": date.fromisoformat(str(item.payload["due_date"])),
                "opened_on": item.on,
                "answer": None,
            }
        elif item.event is Event.ANSWER_SEARCH_TASK:
            answer = {k: v for k, v in item.payload.items() if k != "task"}
            tasks[int(item.payload["task"])]["answer"] = answer | {"on": item.on.isoformat()}
    return list(tasks.values())


def review_cases(history: Sequence[HistoryItem]) -> list[ReviewCase]:
    """Every draft submitted for review, in order, each with its approvals and, when it was
    sent back, who sent it back and why."""
    cases: list[ReviewCase] = []
    for item in history:
        if item.event is Event.SUBMIT_FOR_REVIEW:
            cases.append(
                ReviewCase(
                    number=int(item.payload["number"]),
                    drafter=str(item.payload["drafter"]),
                    submitted_on=item.on,
                    outcome=str(item.payload["outcome"]),
                    details=item.payload.get("details") or {},
                    chain=tuple(item.payload["chain"]),
                )
            )
        elif item.event is Event.APPROVE and cases:
            cases[-1] = replace(cases[-1], approvals=(*cases[-1].approvals, _step_record(item)))
        elif item.event is Event.SEND_BACK and cases:
            cases[-1] = replace(cases[-1], sent_back=_step_record(item))
    return cases


def review_case(history: Sequence[HistoryItem]) -> ReviewCase | None:
    """The latest draft submitted for review, with its approvals (None if none was)."""
    cases = review_cases(history)
    return cases[-1] if cases else None


def _step_record(item: HistoryItem) -> dict[str, Any]:
    keys = ("step", "role", "by", "opinion")
    return {k: item.payload[k] for k in keys} | {"on": item.on.isoformat()}


def signed_off_draft(ctx: GuardContext, event: Event) -> ReviewCase:
    """The completed review case a reply rests on, or an error saying what is missing."""
    case = ctx.review
    if case is None:
        raise TransitionError(
            f"{event.value}: request {ctx.request} has no signed-off draft; "
            "submit_for_review first (the reply goes out after its review chain: 审核 → 签发)"
        )
    if not case.complete:
        state = (
            f"was sent back by {case.sent_back['by']} ({case.sent_back['role']}); submit again"
            if case.sent_back is not None
            else f"waits for step {len(case.approvals) + 1} ({case.waiting_for})"
        )
        raise TransitionError(
            f"{event.value}: request {ctx.request}: draft #{case.number} {state}; the reply "
            "goes out only when every step of its review chain has approved it"
        )
    return case


# --------------------------------------------------------------------------- guards


def _guard_assign(ctx: GuardContext, event: Event) -> None:
    current = ctx.assignment
    if event is Event.ASSIGN and current is not None:
        raise TransitionError(
            f"assign: request {ctx.request} is already assigned to {current.department} "
            f"(#{current.number}); use reassign (转办) to move it"
        )
    if event is Event.REASSIGN:
        if current is None:
            raise TransitionError(
                f"reassign: request {ctx.request} is not assigned to anyone; use assign (分办)"
            )
        _check_own_department(ctx, event, current, registrar_may=True)
        require_text(ctx, event.value, "reason", "转办: why it moves")
    require_text(ctx, event.value, "department", "分办: the department that handles it")


def _check_own_department(
    ctx: GuardContext, event: Event, current: Assignment, *, registrar_may: bool = False
) -> None:
    """Only the department (or the person) it is assigned to acts on an assignment; the
    registrar may also move it."""
    if registrar_may and "registrar" in ctx.actor_roles:
        return
    if current.person is not None and current.accepted_by is None:
        allowed = ctx.actor == current.person
        whom = f"the person it is addressed to ({current.person})"
    else:
        allowed = ctx.actor_department == current.department or ctx.actor == current.accepted_by
        whom = f"someone of department {current.department}"
    if not allowed:
        raise PermissionDenied(
            f"{event.value}: request {ctx.request}: {ctx.actor!r} (department "
            f"{ctx.actor_department or 'none'}) may not act on assignment #{current.number}; "
            f"it needs {whom}"
        )


def _guard_accept(ctx: GuardContext, event: Event) -> None:
    current = ctx.assignment
    if current is None or current.accepted_by is not None:
        state = (
            "not assigned" if current is None else f"already signed for by {current.accepted_by}"
        )
        raise TransitionError(f"accept_assignment: request {ctx.request} is {state}")
    _check_own_department(ctx, event, current)


def _guard_return(ctx: GuardContext, event: Event) -> None:
    current = ctx.assignment
    if current is None:
        raise TransitionError(f"return_assignment: request {ctx.request} is not assigned")
    _check_own_department(ctx, event, current)
    require_text(ctx, event.value, "reason", "退回: why the department does not handle it")


def _guard_submit(ctx: GuardContext, event: Event) -> None:
    case = ctx.review
    if case is not None and case.sent_back is None and not case.complete:
        raise TransitionError(
            f"submit_for_review: request {ctx.request}: draft #{case.number} is still in "
            f"review (waits for {case.waiting_for}); it is approved or sent back first"
        )
    chain = ctx.params.get("chain")
    if not chain or chain[-1] != "signer":
        raise ValidationError(
            f"submit_for_review: request {ctx.request}: the review chain {chain!r} must end "
            "with signer (签发)"
        )


def _guard_step(ctx: GuardContext, event: Event) -> None:
    case = ctx.review
    if case is None or case.waiting_for is None:
        raise TransitionError(
            f"{event.value}: request {ctx.request} has no draft waiting for review"
        )
    role = case.waiting_for
    if role not in ctx.actor_roles:
        raise PermissionDenied(
            f"{event.value}: request {ctx.request}: step {len(case.approvals) + 1} of draft "
            f"#{case.number} needs the role {role}; {ctx.actor!r} holds "
            f"{', '.join(sorted(ctx.actor_roles)) or 'no role'}"
        )
    if ctx.actor == case.drafter:
        raise PermissionDenied(
            f"{event.value}: request {ctx.request}: {ctx.actor!r} drafted #{case.number} and "
            "cannot review it (separation of duties: a reply is signed off by someone else)"
        )
    require_text(ctx, event.value, "opinion", "审核意见")


_GUARDS: Final = {
    Event.ASSIGN: _guard_assign,
    Event.REASSIGN: _guard_assign,
    Event.ACCEPT_ASSIGNMENT: _guard_accept,
    Event.RETURN_ASSIGNMENT: _guard_return,
    Event.SUBMIT_FOR_REVIEW: _guard_submit,
    Event.APPROVE: _guard_step,
    Event.SEND_BACK: _guard_step,
}


def inner_guards(event: Event) -> list[Any]:
    """The guards of an inner-work event, for the machine's table."""
    return [_GUARDS[event]]


# --------------------------------------------------------------------------- parameters


def derive_inner_params(
    event: Event,
    params: dict[str, Any],
    *,
    actor: str,
    on: date,
    history: Sequence[HistoryItem],
    calendar: WorkdayCalendar,
) -> dict[str, Any]:
    """What an inner-work event stores beyond what the caller gave: numbers, who, due dates.

    ``due_workdays`` (from the agency profile) becomes the item's due date: an assignment is
    signed for, a returned request reassigned, a review step taken within that many working
    days, or the item is late on the morning list.
    """
    workdays = params.pop("due_workdays", None)
    due = calendar.add_workdays(on, workdays) if isinstance(workdays, int) else None
    if event in _ASSIGNING:
        params["number"] = 1 + sum(h.event in _ASSIGNING for h in history)
        params["accept_by"] = due
    elif event is Event.ACCEPT_ASSIGNMENT:
        params["by"] = actor
    elif event is Event.RETURN_ASSIGNMENT:
        params["by"], params["reassign_by"] = actor, due
    elif event is Event.SUBMIT_FOR_REVIEW:
        params["number"] = 1 + sum(h.event is Event.SUBMIT_FOR_REVIEW for h in history)
        params["drafter"], params["step_due"] = actor, due
        params["chain"] = list(params.get("chain") or ())
    elif event in (Event.APPROVE, Event.SEND_BACK):
        case = review_case(history)
        step = len(case.approvals) + 1 if case is not None else 0
        role = case.chain[step - 1] if case is not None and step <= len(case.chain) else None
        params |= {"step": step, "role": role, "by": actor}
        if event is Event.APPROVE and case is not None and step < len(case.chain):
            params["next_step_due"] = due
    return params


def work_changes(
    event: Event, payload: Mapping[str, Any], history: Sequence[HistoryItem], *, done: bool
) -> list[WorkChange]:
    """The work items an event opens and closes (``history`` is before the event); ``done``:
    the request is answered now, so everything still open about it is closed."""
    if done:  # close what is still open (nothing to do for a request that never had any)
        return [WorkChange(open=False)] if any(h.event in _WORK for h in history) else []
    changes = _WORK.get(event)
    return changes(payload, history) if changes is not None else []


def _assigned(payload: Mapping[str, Any], history: Sequence[HistoryItem]) -> list[WorkChange]:
    changes = [WorkChange(open=False, kind="returned")]
    current = assignment(history)
    if current is not None:
        changes.append(WorkChange(open=False, kind="assignment", ref=str(current.number)))
    due = _day(payload.get("accept_by"))
    if due is not None:
        changes.append(
            WorkChange(
                open=True,
                kind="assignment",
                ref=str(payload["number"]),
                department=str(payload["department"]),
                person=payload.get("person"),
                due_on=due,
            )
        )
    return changes


def _signed_for(payload: Mapping[str, Any], history: Sequence[HistoryItem]) -> list[WorkChange]:
    current = assignment(history)
    if current is None:
        return []
    ref = str(current.number)
    changes = [WorkChange(open=False, kind="assignment", ref=ref)]
    due = _day(payload.get("reassign_by"))
    if due is not None:  # returned: the registrar assigns it again
        changes.append(
            WorkChange(open=True, kind="returned", ref=ref, role="registrar", due_on=due)
        )
    return changes


def _search_opened(payload: Mapping[str, Any], _history: Sequence[HistoryItem]) -> list[WorkChange]:
    return [
        WorkChange(
            open=True,
            kind="search_task",
            ref=str(payload["task"]),
            department=str(payload["department"]),
            due_on=_day(payload["due_date"]),
        )
    ]


def _search_answered(
    payload: Mapping[str, Any], _history: Sequence[HistoryItem]
) -> list[WorkChange]:
    return [WorkChange(open=False, kind="search_task", ref=str(payload["task"]))]


def _submitted(payload: Mapping[str, Any], _history: Sequence[HistoryItem]) -> list[WorkChange]:
    return _review_step(payload["number"], 1, payload["chain"][0], payload.get("step_due"))


def _stepped(payload: Mapping[str, Any], history: Sequence[HistoryItem]) -> list[WorkChange]:
    case = review_case(history)
    if case is None:
        return []
    changes = [WorkChange(open=False, kind="review_step", ref=f"{case.number}.{payload['step']}")]
    step = int(payload["step"]) + 1
    if "next_step_due" in payload and step <= len(case.chain):
        changes += _review_step(case.number, step, case.chain[step - 1], payload["next_step_due"])
    return changes


def _review_step(number: int, step: int, role: str, due: object) -> list[WorkChange]:
    day = _day(due)
    if day is None:
        return []
    return [
        WorkChange(open=True, kind="review_step", ref=f"{number}.{step}", role=role, due_on=day)
    ]


def _day(value: object) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


_WORK: Final = {
    Event.ASSIGN: _assigned,
    Event.REASSIGN: _assigned,
    Event.ACCEPT_ASSIGNMENT: _signed_for,
    Event.RETURN_ASSIGNMENT: _signed_for,
    Event.OPEN_SEARCH_TASK: _search_opened,
    Event.ANSWER_SEARCH_TASK: _search_answered,
    Event.SUBMIT_FOR_REVIEW: _submitted,
    Event.APPROVE: _stepped,
    Event.SEND_BACK: _stepped,
}
