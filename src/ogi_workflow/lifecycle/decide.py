"""decide(): the whole rule of one action, with no I/O.

Given the stored request, its event log, the event and its parameters, :func:`decide`
returns every change the action makes (the state, the clock fields, the columns the event
sets and the audit payload) or raises and changes nothing. The facade (``workflow.py``)
loads, decides and saves in one transaction. The stored clock fields are a projection of
the event log (:func:`clock_events`, :func:`clock_fields`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Final

import orjson

from ogi_workflow._text import MAX_TEXT, shown, text_problem
from ogi_workflow.calendar.workdays import WorkdayCalendar
from ogi_workflow.clock import (
    Channel,
    ClockEvents,
    ClockPolicy,
    Extension,
    Pause,
    PauseReason,
    compute_deadline,
)
from ogi_workflow.errors import StaleVersionError, ValidationError
from ogi_workflow.fees import FeeBasis, fee_per_request, fee_per_volume
from ogi_workflow.lifecycle.forwarding import forward_params
from ogi_workflow.lifecycle.inner import (
    WorkChange,
    assignment,
    derive_inner_params,
    review_case,
    search_tasks,
    work_changes,
)
from ogi_workflow.lifecycle.machine import (
    DONE,
    OUTCOME_OF_EVENT,
    Event,
    GuardContext,
    HistoryItem,
    State,
    fire,
)
from ogi_workflow.outcomes import Outcome

__all__ = [
    "CLOCK_FIELDS",
    "EARLIEST",
    "FUTURE_TOLERANCE",
    "Decision",
    "check_actor",
    "check_params",
    "clock_events",
    "clock_fields",
    "decide",
    "jsonable",
    "jsonable_columns",
    "parse_outcome",
    "request_label",
    "search_tasks",
]

_CLOSES_PAUSE: Final = frozenset(
    {
        Event.END_CONSULTATION,
        Event.RECEIVE_PAYMENT,
        Event.FEE_LAPSED,
        Event.WITHDRAW,
        Event.REPLY,
        Event.FORWARD,
        Event.CORRECTION_LAPSED,
    }
)
# The clock is first computed when a request leaves ``received``; after that only the events
# clock_events() reads (and an event that closes an open pause, which only a paused state
# has) can move it, so only they recompute it. The stateful tests check every stored clock
# against a full recomputation.
_CLOCK_EVENTS: Final = frozenset(
    {
        Event.RECEIVE_CORRECTION,
        Event.START_CONSULTATION,
        Event.ISSUE_FEE_NOTICE,
        Event.EXTEND,
        Event.DELAY_REASONABLY,
    }
)
_PAUSED: Final = frozenset({State.CONSULTING, State.FEE_PENDING})
_INNER: Final = frozenset(
    {
        Event.ASSIGN,
        Event.ACCEPT_ASSIGNMENT,
        Event.RETURN_ASSIGNMENT,
        Event.REASSIGN,
        Event.SUBMIT_FOR_REVIEW,
        Event.APPROVE,
        Event.SEND_BACK,
    }
)
_ASSIGNS_HANDLER: Final = frozenset({Event.REQUEST_CORRECTION, Event.RECEIVE_CORRECTION})
CLOCK_FIELDS: Final = (
    "clock_start",
    "due_date",
    "correction_window_end",
    "paused_workdays",
    "extension_workdays",
    "estimated",
)


@dataclass(frozen=True, slots=True)
class Decision:
    """The whole effect of one action, decided without I/O; the facade stores it as is."""

    event: Event
    on: date
    updates: Mapping[str, Any]  # the columns to set, the state included
    payload: Mapping[str, Any]  # JSON-ready: the audit row's payload
    item: HistoryItem  # the event as the clock and the guards see it from now on
    registers: bool = False  # the facade numbers the request (登记编号): see with_registration
    work: tuple[WorkChange, ...] = ()  # the agency's work items it opens and closes

    def with_registration(self, reg_no: str | None, seq: int | None) -> Decision:
        """The decision with the registration number the facade allocated (None: given
        when the batch it is in is written)."""
        columns = {"reg_no": reg_no, "reg_year": self.on.year, "reg_seq": seq}
        return replace(self, updates={**self.updates, **columns}, registers=False)

    def with_forwarding(self, agency: str, request_id: int) -> Decision:
        """A forward's decision with the request the facade created in ``agency`` (转送)."""
        columns = {"forwarded_to_agency": agency, "forwarded_to_request": request_id}
        payload = {**self.payload, "to_request": request_id}
        item = HistoryItem(self.event, self.on, payload)
        return replace(self, updates={**self.updates, **columns}, payload=payload, item=item)


def decide(
    row: Mapping[str, Any],
    history: Sequence[HistoryItem],
    event: Event,
    *,
    actor: str,
    on: date,
    params: Mapping[str, Any],
    calendar: WorkdayCalendar,
    policy: ClockPolicy,
    expected_version: int | None = None,
    actor_roles: frozenset[str] = frozenset(),
    actor_department: str | None = None,
) -> Decision:
    """Apply ``event`` to the stored request ``row`` with its ``history``: every change, or an
    error (:class:`ValidationError`, :class:`TransitionError`, :class:`StaleVersionError`,
    :class:`PermissionDenied` when the inner-work rules need another person).

    ``actor_roles`` and ``actor_department`` are what the agency's records say of the actor
    now: an assignment is signed for in its department, a review step by its role."""
    check_actor(actor)
    label = request_label(row)
    check_params(f"{event.value}: request {label}", params, on)
    if expected_version is not None and row["version"] != expected_version:
        raise StaleVersionError(
            f"{event.value}: request {label} is at version {row['version']}, not "
            f"{expected_version}: another action came first; reload and decide again"
        )
    last = max(h.on for h in history if h.event is not Event.RECOMPUTE_DEADLINE)
    if on < last:
        raise ValidationError(
            f"{event.value}: request {label}: {on} is before the previous event on {last}; "
            "events are recorded in date order"
        )
    params = _derived_params(
        event, dict(params), on, calendar, policy, history=history, due=row["due_date"]
    )
    if event in _INNER:
        params = derive_inner_params(
            event, params, actor=actor, on=on, history=history, calendar=calendar
        )
    ctx = GuardContext(
        request=label,
        on=on,
        received_on=row["received_on"],
        corrected_on=next(
            (h.on for h in reversed(history) if h.event is Event.RECEIVE_CORRECTION), None
        ),
        consulted_third_party=any(
            h.event is Event.START_CONSULTATION and h.payload.get("party") == "third_party"
            for h in history
        ),
        due_date=row["due_date"],
        correction_window_end=row["correction_window_end"],
        correction_due=_last_date(history, Event.REQUEST_CORRECTION, "correct_by"),
        extended_on=next((h.on for h in history if h.event is Event.EXTEND), None),
        fee_payment_due=_last_date(history, Event.ISSUE_FEE_NOTICE, "payment_due"),
        open_search_tasks={
            t["task"]: t["department"] for t in search_tasks(history) if t["answer"] is None
        },
        params=params,
        policy=policy,
        actor=actor,
        actor_roles=actor_roles,
        actor_department=actor_department,
        assignment=assignment(history),
        review=review_case(history),
    )
    before = State(row["state"])
    after = fire(before, event, ctx)
    if event is Event.REPLY:
        _check_as_signed_off(label, params, ctx)
    if event in (Event.RECORD_REVIEW, Event.RECORD_LITIGATION):
        # 复议/诉讼 over the reply, or over the lack of one (逾期未作出处理).
        params["against"] = "reply" if before in DONE else "non_reply"
    payload = jsonable({k: v for k, v in params.items() if v is not None})
    assert isinstance(payload, dict)
    item = HistoryItem(event, on, payload)
    updates: dict[str, Any] = {"state": after.value}
    moves_clock = (
        before is State.RECEIVED
        or event in _CLOCK_EVENTS
        or (event in _CLOSES_PAUSE and before in _PAUSED)
    )
    if moves_clock:
        updates |= clock_fields(row, [*history, item], calendar, policy)
    updates |= _event_columns(event, before, after, on, params)
    if row["handler"] is None and event in _ASSIGNS_HANDLER:
        updates["handler"] = actor  # whoever handles the 补正 handles the request
    # 有申请必登记: a request answered on the spot gets its registration number too.
    registers = event is Event.REGISTER or (
        event is Event.REPLY_ON_THE_SPOT and row["reg_no"] is None
    )
    done = after in DONE and before not in DONE
    work = tuple(work_changes(event, payload, history, done=done))
    return Decision(event, on, updates, payload, item, registers=registers, work=work)


def _check_as_signed_off(label: str, params: Mapping[str, Any], ctx: GuardContext) -> None:
    """A reply says what its signed-off draft said: the same outcome and details."""
    case = ctx.review
    assert case is not None  # the reply guard required a complete case
    outcome, details = params["outcome"], jsonable(params["details"])
    if outcome.value != case.outcome or details != dict(case.details):
        raise ValidationError(
            f"reply: request {label}: the reply differs from draft #{case.number} as signed "
            f"off (outcome {case.outcome}); leave outcome and details out to send the draft "
            "as approved, or submit the changed draft for review"
        )


def _derived_params(
    event: Event,
    params: dict[str, Any],
    on: date,
    calendar: WorkdayCalendar,
    policy: ClockPolicy,
    *,
    history: Sequence[HistoryItem],
    due: date | None,
) -> dict[str, Any]:
    """The parameters an event stores beyond what the caller gave: dates, the fee quote."""
    if event is Event.REPLY and params.get("outcome") is None:
        # The reply sends the signed-off draft as it was approved.
        case = review_case(history)
        if case is not None and case.complete:
            params["outcome"], params["details"] = case.outcome, case.details
    if event in (Event.REPLY, Event.REPLY_ON_THE_SPOT, Event.SUBMIT_FOR_REVIEW):
        if params.get("outcome") is not None or event is not Event.REPLY:
            params["outcome"] = parse_outcome(params.get("outcome"))  # else: the guard says
        params["details"] = dict(params.get("details") or {})
    elif event is Event.FORWARD:
        params = forward_params(params, history)
    elif event is Event.START_CONSULTATION:
        # 条例第三十二条、第三十四条: the consulted party has 15 working days from receiving
        # the letter to answer.
        received = _notice_received(params, on, "start_consultation")
        params["answer_by"] = calendar.add_workdays(received, policy.consultation_workdays)
    elif event is Event.OPEN_SEARCH_TASK:
        # The task's number, and its due date: the agency's default number of working days,
        # never past the reply's own due date (the guard checks a date given).
        params["task"] = 1 + sum(h.event is Event.OPEN_SEARCH_TASK for h in history)
        if params.get("due_date") is None:
            workdays = params.pop("due_workdays", 5)
            default = calendar.add_workdays(on, workdays)
            params["due_date"] = min(default, due) if due is not None else default
        params.pop("due_workdays", None)
    elif event is Event.EXTEND and params.get("workdays") is None:
        params["workdays"] = policy.max_extension_workdays
    elif event is Event.ISSUE_FEE_NOTICE:
        params = _fee_notice(params, on, calendar, policy)
    return params


def _fee_notice(
    params: dict[str, Any], on: date, calendar: WorkdayCalendar, policy: ClockPolicy
) -> dict[str, Any]:
    """国办函〔2020〕109号: 按件 or 按量, never both; none within the free allowance."""
    basis, pages = params.get("basis"), params.get("pages")
    try:
        fee_basis = FeeBasis(str(basis))
    except ValueError:
        raise ValidationError(
            f"issue_fee_notice: basis {basis!r} is not one of: per_request, per_volume"
        ) from None
    if fee_basis is FeeBasis.PER_VOLUME:
        if pages is None:
            raise ValidationError("issue_fee_notice: per_volume needs pages")
        quote = fee_per_volume(pages)
    else:
        if pages is not None:
            raise ValidationError(
                "issue_fee_notice: a fee is per_request or per_volume, never both: "
                "leave pages out for per_request"
            )
        quote = fee_per_request(params["nth_this_month"])
    if quote.fee_yuan <= 0:
        raise ValidationError(
            f"issue_fee_notice: no fee is due ({fee_basis.value}, {quote.quantity}: within "
            "the free allowance of 国办函〔2020〕109号)"
        )
    # The applicant pays within 20 working days from the day after receiving the notice.
    received = _notice_received(params, on, "issue_fee_notice")
    return {
        "basis": fee_basis.value,
        "quantity": quote.quantity,
        "tiers": [list(t) for t in quote.tiers],
        "amount_yuan": quote.fee_yuan,
        "notice_received_on": params.get("notice_received_on"),  # when known
        "payment_due": calendar.add_workdays(received, policy.fee_payment_workdays),
    }


def _notice_received(params: Mapping[str, Any], on: date, event: str) -> date:
    """When the recipient received the notice: given, or the notice's own day."""
    received = params.get("notice_received_on")
    if received is None:
        return on
    if not isinstance(received, date) or received < on:
        raise ValidationError(
            f"{event}: notice_received_on must be a date on or after the notice day {on}, "
            f"got {shown(received)}"
        )
    return received


def clock_events(
    received_on: date, channel: Channel, history: Sequence[HistoryItem]
) -> ClockEvents:
    """The clock's view of a request's event log.

    条例第三十条: receipt of the correction restarts the clock from zero (earlier pauses and
    条例第三十五条 dates no longer matter). 条例第三十三条第二款 and 国办函〔2020〕109号:
    consultation and the fee period are pauses from their start event to their end event,
    never longer than the consulted party's answer period (``answer_by``) or the payment
    period (``payment_due``).
    A pause still open counts up to that limit: the stored due date is the one the request
    reaches if no answer or payment comes.
    """
    corrected_on: date | None = None
    pauses: list[Pause] = []
    open_pause: tuple[date, PauseReason, date] | None = None
    extension: Extension | None = None
    delays: list[tuple[date, date]] = []
    for item in history:
        event = item.event
        if event is Event.RECEIVE_CORRECTION:
            # 条例第三十条: the corrected application starts a new period; pauses and
            # 条例第三十五条 dates decided for the first one no longer apply.
            corrected_on, pauses, open_pause, delays = item.on, [], None, []
        elif event is Event.START_CONSULTATION:
            until = date.fromisoformat(item.payload["answer_by"])
            open_pause = (item.on, PauseReason(item.payload["party"]), until)
        elif event is Event.ISSUE_FEE_NOTICE:
            until = date.fromisoformat(item.payload["payment_due"])
            open_pause = (item.on, PauseReason.FEE, until)
        elif event in _CLOSES_PAUSE and open_pause is not None:
            start, reason, until = open_pause
            pauses.append(Pause(start, item.on, reason, until))
            open_pause = None
        elif event is Event.EXTEND:
            extension = Extension(
                approved_on=item.on,
                workdays=int(item.payload["workdays"]),
                approver=str(item.payload["approver"]),
                reason=str(item.payload["reason"]),
            )
        elif event is Event.DELAY_REASONABLY:
            delays.append((item.on, date.fromisoformat(item.payload["delayed_to"])))
    if open_pause is not None:
        start, reason, until = open_pause
        pauses.append(Pause(start, None, reason, until))
    return ClockEvents(
        received=received_on,
        channel=channel,
        corrected_on=corrected_on,
        pauses=tuple(pauses),
        extension=extension,
        delayed_to=delays[-1][1] if delays else None,
        delayed_on=delays[-1][0] if delays else None,
        earlier_delays=tuple(delays[:-1]),
    )


def clock_fields(
    row: Mapping[str, Any],
    history: Sequence[HistoryItem],
    calendar: WorkdayCalendar,
    policy: ClockPolicy,
) -> dict[str, Any]:
    """The stored clock columns of a request: a projection of its event log."""
    events = clock_events(row["received_on"], Channel(row["channel"]), history)
    deadline = compute_deadline(events, calendar, policy=policy)
    return {name: getattr(deadline, name) for name in CLOCK_FIELDS}


def _event_columns(
    event: Event, before: State, after: State, on: date, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The columns an event sets besides the state and the clock."""
    if after is State.REPLIED and before is not State.REPLIED:
        outcome = OUTCOME_OF_EVENT.get(event) or params["outcome"]
        return {"outcome": outcome.value, "replied_on": on}
    columns = _COLUMNS.get(event)
    return columns(on, params) if columns is not None else {}


def _assigned_to(_on: date, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"department": params["department"], "assignee": params.get("person")}


_COLUMNS: Final[dict[Event, Callable[[date, Mapping[str, Any]], dict[str, Any]]]] = {
    Event.START_HANDLING: lambda _on, p: {"handler": p["handler"]},
    # 分办、转办、签收、退回: where the request is inside the agency now
    Event.ASSIGN: _assigned_to,
    Event.REASSIGN: _assigned_to,
    Event.ACCEPT_ASSIGNMENT: lambda _on, p: {"assignee": p["by"]},
    Event.RETURN_ASSIGNMENT: lambda _on, _p: {"department": None, "assignee": None},
    Event.ARCHIVE: lambda on, _p: {"archived_on": on},
    Event.REQUEST_CORRECTION: lambda on, _p: {"correction_requested_on": on},
}


def _last_date(history: Sequence[HistoryItem], event: Event, key: str) -> date | None:
    for item in reversed(history):
        if item.event is event:
            return date.fromisoformat(item.payload[key])
    return None


def parse_outcome(value: object) -> Outcome:
    try:
        return Outcome(str(value))
    except ValueError:
        allowed = ", ".join(o.value for o in Outcome)
        raise ValidationError(f"outcome {value!r} is not one of: {allowed}") from None


def check_actor(actor: object) -> None:
    """Every action names who took it (the audit log's actor)."""
    if not isinstance(actor, str) or not actor.strip() or len(actor) > 200:
        raise ValidationError(
            f"actor must be a non-empty name of at most 200 characters, got {_short(actor)}"
        )
    if (problem := text_problem(actor, multiline=False)) is not None:
        raise ValidationError(f"actor {problem[1]}")


def check_params(where: str, params: Mapping[str, Any], on: date) -> None:
    """What an action stores is text a letter can print and JSON a database can hold: no
    control characters, bounded sizes, finite numbers, plain types, dates within a year."""
    for name, value in params.items():
        _check_value(where, name, value, on, depth=0)
    details = params.get("details")
    if details is not None and len(orjson.dumps(jsonable(details))) > MAX_DETAILS:
        raise ValidationError(f"{where}: details take more than {MAX_DETAILS // 1024} KiB")


def _check_value(where: str, path: str, value: object, on: date, depth: int) -> None:
    if depth > 8:
        raise ValidationError(f"{where}: {path} is nested more than 8 levels deep")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"{where}: {path} has a key that is not text: {key!r}")
            _check_value(where, f"{path}.{key}", item, on, depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_value(where, f"{path}[{index}]", item, on, depth + 1)
    elif (problem := _scalar_problem(value, on)) is not None:
        raise ValidationError(f"{where}: {path} {problem}")


def _scalar_problem(value: object, on: date) -> str | None:
    for kinds, check in _SCALAR_CHECKS:
        if isinstance(value, kinds):
            return check(value, on)
    return (
        f"is a {type(value).__name__}; allowed: text, whole or finite numbers, true/false, "
        "dates, lists and tables of these"
    )


def _text_problem(value: str, _on: date) -> str | None:
    if len(value) > MAX_TEXT:
        return f"is longer than {MAX_TEXT} characters"
    problem = text_problem(value)
    return problem[1] if problem else None


def _date_problem(value: date, on: date) -> str | None:
    if EARLIEST <= value <= on + FUTURE_TOLERANCE:
        return None
    return f"{value} is outside {EARLIEST} … {on + FUTURE_TOLERANCE} (at most a year ahead)"


_SCALAR_CHECKS: Final[tuple[tuple[Any, Callable[[Any, date], str | None]], ...]] = (
    ((type(None), bool, StrEnum), lambda _value, _on: None),
    (str, _text_problem),
    (int, lambda v, _on: f"is out of range: {_short(v)}" if abs(v) > 2**53 else None),
    (float, lambda v, _on: None if math.isfinite(v) else f"must be a finite number, got {v!r}"),
    (date, _date_problem),
)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def request_label(row: Mapping[str, Any]) -> str:
    """How messages name a request: its registration number, or #id before registration."""
    return str(row["reg_no"]) if row["reg_no"] else f"#{row['id']}"


def jsonable(value: object) -> object:
    """``value`` with dates and enums as the JSON the event log stores."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value.value if isinstance(value, StrEnum) else value


def jsonable_columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored column values (scalars) as the event log's before/after JSON."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


_PLAIN: Final = frozenset({str, int, bool, float, type(None)})
MAX_DETAILS: Final = 64 * 1024  # a reply's details, as JSON
EARLIEST: Final = date(2000, 1, 1)
FUTURE_TOLERANCE: Final = timedelta(days=366)  # planned dates (补正 period, 第三十五条) included
