"""The legal reply clock: receipt, ClockPolicy, pauses, the extension, compute and explain.

Everything here is pure: the clock is a function of a request's clock events and a
calendar. Nothing reads today's date; ``as_of`` is always a parameter.

Rules, with their sources (《政府信息公开条例》unless another act is named):

* 条例第三十三条: reply within 20 working days of receipt; one extension of at most 20
  working days, approved by the 工作机构负责人 and given before the period ends.
* 条例第三十一条: what counts as the day of receipt, by channel.
* 条例第三十条: the 补正 notice within 7 working days of receipt; the period restarts from
  receipt of the corrected application.
* 条例第三十三条第二款: time spent consulting third parties (第三十二条) or other agencies
  (第三十四条) is not counted, up to the 15 working days the consulted party has to answer
  (第三十二条、第三十四条): past that the clock runs again even if no answer came.
* 国办函〔2020〕109号: the fee notice-to-payment period (not counted, by default policy), up
  to the 20 working days the applicant has to pay.
* 条例第三十五条: a reasonable later date set by the agency for a voluminous request,
  decided within the period.
* 期间开始之日不计算在内: the clock-start day itself is never counted.

"Within the period" is checked in date order: an act on day t is within the period when t is
on or before the due date as it stands on t (pauses, an extension and an 条例第三十五条 date
decided before t included). A day inside a pause that stops the clock is always so, since the
pause moves the due date past its last paused day; a pause begun in an 条例第三十五条 period
stops no clock, so a day after the date set is after the period even while it runs. An open
pause counts up to its limit: the due date shown is the one the request reaches if nothing
else happens. A pause begun on the due date itself stops the clock with no working day left:
the reply is then due on the pause's last working day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from ogi_workflow._resources import LabelledEnum
from ogi_workflow.calendar.workdays import DayInfo, WorkdayCalendar
from ogi_workflow.errors import ValidationError

__all__ = [
    "Channel",
    "ClockEvents",
    "ClockPolicy",
    "Deadline",
    "ExplainLine",
    "ExplainStatus",
    "Extension",
    "Pause",
    "PauseReason",
    "check_extension_workdays",
    "compute_deadline",
    "explain_deadline",
    "receipt_date",
]


class Channel(LabelledEnum):
    """How the application reached the agency (条例第三十一条)."""

    IN_PERSON = "in_person"
    POST = "post"
    LETTER = "letter"
    ONLINE = "online"
    FAX = "fax"


class PauseReason(LabelledEnum):
    """Why the clock stands still."""

    THIRD_PARTY = "third_party"  # 条例第三十二条
    CO_AGENCY = "co_agency"  # 条例第三十四条
    FEE = "fee"  # 国办函〔2020〕109号


def receipt_date(
    channel: Channel,
    *,
    submitted_on: date | None = None,
    signed_for_on: date | None = None,
    confirmed_on: date | None = None,
) -> date:
    """The day of receipt by channel (条例第三十一条).

    当面 = the submission day; 邮寄 = the day the agency signs for it; 平常信函 = the day the
    agency confirms receipt with the applicant; 互联网/传真 = the day both sides confirm.
    """
    needed: dict[Channel, tuple[str, date | None]] = {
        Channel.IN_PERSON: ("submitted_on", submitted_on),  # 条例第三十一条第一项
        Channel.POST: ("signed_for_on", signed_for_on),  # 条例第三十一条第二项
        Channel.LETTER: ("confirmed_on", confirmed_on),  # 条例第三十一条第二项（平常信函）
        Channel.ONLINE: ("confirmed_on", confirmed_on),  # 条例第三十一条第三项
        Channel.FAX: ("confirmed_on", confirmed_on),  # 条例第三十一条第三项
    }
    name, value = needed[Channel(channel)]
    if value is None:
        raise ValidationError(f"receipt_date: channel '{channel}' needs {name} (条例第三十一条)")
    return value


@dataclass(frozen=True, slots=True)
class ClockPolicy:
    """The numbers of the rules, and the one choice the law leaves to local practice."""

    reply_workdays: int = 20  # 条例第三十三条第一款
    max_extension_workdays: int = 20  # 条例第三十三条第一款
    correction_window_workdays: int = 7  # 条例第三十条
    consultation_workdays: int = 15  # 条例第三十二条、第三十四条
    fee_payment_workdays: int = 20  # 国办函〔2020〕109号
    # 国办函〔2020〕109号 does not say whether the notice-to-payment period counts; most
    # local rules stop the clock. Set False to keep it running.
    fee_pauses_clock: bool = True


def check_extension_workdays(workdays: object, policy: ClockPolicy, what: str) -> int:
    """The extension's length, if the policy allows it (条例第三十三条: at most 20 days)."""
    limit = policy.max_extension_workdays
    if isinstance(workdays, bool) or not isinstance(workdays, int) or not 1 <= workdays <= limit:
        raise ValidationError(
            f"{what}: {workdays!r} working days is not allowed (条例第三十三条 allows 1 to {limit})"
        )
    return workdays


@dataclass(frozen=True, slots=True)
class Pause:
    """Working days in (start, end] are not counted, never past ``until``.

    ``end=None`` while still paused. ``until`` is the last day the pause can cover: the
    consulted party's answer date (条例第三十二条、第三十四条) or the applicant's payment
    date (国办函〔2020〕109号); left out, it is counted from ``start`` with the policy's
    numbers. A pause counts the working days in (start, min(end, until)].
    """

    start: date
    end: date | None
    reason: PauseReason = PauseReason.THIRD_PARTY
    until: date | None = None

    def limit(self, calendar: WorkdayCalendar, policy: ClockPolicy) -> date:
        """The last day this pause can cover."""
        if self.until is not None:
            return self.until
        days = (
            policy.fee_payment_workdays
            if self.reason is PauseReason.FEE
            else policy.consultation_workdays
        )
        return calendar.add_workdays(self.start, days)

    def counted_end(self, calendar: WorkdayCalendar, policy: ClockPolicy) -> date:
        """The end of the days not counted: the pause's end, capped at its limit."""
        limit = self.limit(calendar, policy)
        return limit if self.end is None else min(self.end, limit)


@dataclass(frozen=True, slots=True)
class Extension:
    """The one extension of 条例第三十三条, approved by the 工作机构负责人."""

    approved_on: date
    workdays: int = 20
    approver: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ClockEvents:
    """What the clock needs to know about one request."""

    received: date
    channel: Channel = Channel.IN_PERSON
    corrected_on: date | None = None
    pauses: tuple[Pause, ...] = ()
    extension: Extension | None = None
    delayed_to: date | None = None  # 条例第三十五条: the date in force
    delayed_on: date | None = None  # the day that date was decided
    # Earlier 条例第三十五条 decisions (decided_on, delayed_to), replaced by the one in force:
    # each later act is checked against the period as it stood on its day.
    earlier_delays: tuple[tuple[date, date], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel", Channel(self.channel))
        object.__setattr__(self, "pauses", tuple(sorted(self.pauses, key=lambda p: p.start)))


@dataclass(frozen=True, slots=True)
class Deadline:
    """The computed reply deadline of one request, and its status as of a date if given."""

    received: date
    channel: Channel
    clock_start: date
    base_due_date: date
    paused_workdays: int
    extension_workdays: int
    due_date: date
    correction_window_end: date
    estimated: bool
    delayed: bool = False
    paused_now: bool = False
    as_of: date | None = None
    workdays_left: int | None = None
    overdue: bool | None = None

    @property
    def extended(self) -> bool:
        return self.extension_workdays > 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (dates as ISO strings); the keys the CLI prints."""
        out: dict[str, Any] = {
            "received": self.received.isoformat(),
            "channel": self.channel.value,
            "clock_start": self.clock_start.isoformat(),
            "base_due_date": self.base_due_date.isoformat(),
            "paused_workdays": self.paused_workdays,
            "extended": self.extended,
            "extension_workdays": self.extension_workdays,
            "delayed": self.delayed,
            "due_date": self.due_date.isoformat(),
            "correction_window_end": self.correction_window_end.isoformat(),
            "estimated": self.estimated,
        }
        if self.as_of is not None:
            out |= {
                "as_of": self.as_of.isoformat(),
                "workdays_left": self.workdays_left,
                "overdue": self.overdue,
                "paused_now": self.paused_now,
            }
        return out


def compute_deadline(
    events: ClockEvents,
    calendar: WorkdayCalendar,
    *,
    as_of: date | None = None,
    policy: ClockPolicy = ClockPolicy(),
) -> Deadline:
    """The reply deadline of a request from its clock events.

    due = the (20 + paused + extension)-th working day after the clock start, where the
    clock starts on receipt (条例第三十一条) or on receipt of the correction (条例第三十条),
    and paused working days are those inside (pause start, pause end] (条例第三十三条第二款).
    Raises :class:`ValidationError` for events the law does not allow and
    :class:`CalendarError` for days no loaded notice settles.
    """
    cal = calendar
    # 条例第三十条: the 补正 notice is due within 7 working days of the original receipt.
    correction_end = cal.add_workdays(events.received, policy.correction_window_workdays)
    clock_start = events.received
    if events.corrected_on is not None:
        if events.corrected_on < events.received:
            raise ValidationError(
                f"corrected_on {events.corrected_on} is before the receipt date "
                f"{events.received} (条例第三十条: the period restarts on receipt of the "
                "corrected application)"
            )
        clock_start = events.corrected_on  # 条例第三十条: restart from zero
    base_due = cal.add_workdays(clock_start, policy.reply_workdays)  # 条例第三十三条
    paused, extension_days, due = _walk(events, cal, clock_start, policy)

    delayed = False
    if events.delayed_to is not None:
        # 条例第三十五条: a reasonable later date, never earlier than the statutory one.
        if events.delayed_to <= due:
            raise ValidationError(
                f"delayed_to {events.delayed_to} is not after the statutory due date {due} "
                "(条例第三十五条 allows only a later, reasonable date)"
            )
        delayed, due = True, events.delayed_to

    last_day = max(due, correction_end)
    estimated = cal.span_is_estimated(events.received, last_day)
    result = Deadline(
        received=events.received,
        channel=events.channel,
        clock_start=clock_start,
        base_due_date=base_due,
        paused_workdays=paused,
        extension_workdays=extension_days,
        due_date=due,
        correction_window_end=correction_end,
        estimated=estimated,
        delayed=delayed,
    )
    if as_of is None:
        return result
    paused_now = any(_in_pause(as_of, p, cal, policy) for p in events.pauses if _counts(p, policy))
    left = cal.workdays_between(as_of, due)
    return replace(
        result, as_of=as_of, workdays_left=left, overdue=as_of > due, paused_now=paused_now
    )


def _counts(pause: Pause, policy: ClockPolicy) -> bool:
    return pause.reason is not PauseReason.FEE or policy.fee_pauses_clock


def _in_pause(day: date, pause: Pause, cal: WorkdayCalendar, policy: ClockPolicy) -> bool:
    return pause.start < day <= pause.counted_end(cal, policy)


def _walk(
    events: ClockEvents, cal: WorkdayCalendar, clock_start: date, policy: ClockPolicy
) -> tuple[int, int, date]:
    """Paused days, extension days and the statutory due date, checking every act in date
    order against the period as it stands on its day (条例第三十三条)."""
    paused = extension_days = 0
    counted = [p for p in events.pauses if _counts(p, policy)]
    acts: list[tuple[date, int, Pause | Extension | date]] = [(p.start, 0, p) for p in counted]
    if events.extension is not None:
        check_extension_workdays(events.extension.workdays, policy, "extension")
        acts.append((events.extension.approved_on, 1, events.extension))
    delays = list(events.earlier_delays)
    if events.delayed_on is not None and events.delayed_to is not None:
        delays.append((events.delayed_on, events.delayed_to))
    acts.extend((decided_on, 2, to) for decided_on, to in delays)
    previous: Pause | None = None
    delayed_to: date | None = None  # the 条例第三十五条 date in force on the act's day
    for day, _order, act in sorted(acts, key=lambda a: (a[0], a[1])):
        statutory = cal.add_workdays(clock_start, policy.reply_workdays + paused + extension_days)
        # 条例第三十五条: once set, the reasonable date is the period as it stands.
        due = statutory if delayed_to is None else max(statutory, delayed_to)
        if isinstance(act, Pause):
            end = _check_pause(
                act,
                previous,
                clock_start=clock_start,
                due=due,
                cal=cal,
                policy=policy,
            )
            previous = act
            if act.start <= statutory:
                paused += cal.workdays_between(act.start, end)
        elif isinstance(act, Extension):
            if day > due:
                raise ValidationError(
                    f"extension: approved on {day}, after the reply period ended on {due} "
                    "(条例第三十三条: an extension is decided within the period)"
                )
            extension_days = act.workdays
        else:
            if day > due:
                raise ValidationError(
                    f"delay: decided on {day}, after the reply period ended on {due} "
                    "(条例第三十五条: the reasonable period is set within the period)"
                )
            if delayed_to is not None and act <= delayed_to:
                raise ValidationError(
                    f"delay: a new 条例第三十五条 date {act} must be after the one in force "
                    f"{delayed_to} (the agency may always reply earlier)"
                )
            delayed_to = act
    # 条例第三十三条第二款: a pause leaves its working days out when it begins before the 20
    # (+ extension) working days are complete, whatever order the acts were decided in. One
    # begun later, within an 条例第三十五条 period, stops no statutory clock: the date set stands.
    paused = 0
    for pause in counted:
        statutory = cal.add_workdays(clock_start, policy.reply_workdays + paused + extension_days)
        if pause.start <= statutory:
            paused += cal.workdays_between(pause.start, pause.counted_end(cal, policy))
    due = cal.add_workdays(clock_start, policy.reply_workdays + paused + extension_days)
    return paused, extension_days, due


def _check_pause(
    pause: Pause,
    previous: Pause | None,
    *,
    clock_start: date,
    due: date,
    cal: WorkdayCalendar,
    policy: ClockPolicy,
) -> date:
    """The pause's last counted day, once it is known to fit the period as it stands (begun
    on or before ``due``) and to follow ``previous``."""
    end = pause.counted_end(cal, policy)
    if pause.end is not None and pause.end < pause.start:
        raise ValidationError(f"pause {pause.start}:{pause.end} ends before it starts")
    if end < pause.start:
        raise ValidationError(
            f"pause from {pause.start}: its limit {end} (the answer or payment date) is "
            "before it starts"
        )
    if pause.start < clock_start:
        raise ValidationError(
            f"pause {pause.start}:{end} starts before the clock started on {clock_start}"
        )
    if previous is not None and pause.start < previous.counted_end(cal, policy):
        raise ValidationError(
            f"pause {pause.start}:{end} overlaps the pause ending "
            f"{previous.counted_end(cal, policy)}"
        )
    if pause.start > due:
        raise ValidationError(
            f"pause {pause.start}:{end} starts after the reply period ended on {due} "
            "(条例第三十三条第二款 stops a running clock only)"
        )
    return end


class ExplainStatus(LabelledEnum):
    """How the clock treated one day."""

    START = "start"
    COUNTED = "counted"
    EXTENSION = "extension"
    SKIPPED = "skipped"
    PAUSED = "paused"
    DUE_AFTER_PAUSE = "due_after_pause"  # the period was used up before the pause began
    DELAY = "delay"


@dataclass(frozen=True, slots=True)
class ExplainLine:
    """One day of a deadline's explanation."""

    day: date
    status: ExplainStatus
    info: DayInfo
    ordinal: int | None = None  # the n-th counted working day
    pause_reason: PauseReason | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "status": self.status.value,
            "day_kind": self.info.kind.value,
            "workday_number": self.ordinal,
            "name": self.info.name,
            "source": self.info.source,
            "pause_reason": self.pause_reason.value if self.pause_reason else None,
            "estimated": self.info.estimated,
        }


def explain_deadline(
    events: ClockEvents,
    calendar: WorkdayCalendar,
    *,
    as_of: date | None = None,
    policy: ClockPolicy = ClockPolicy(),
) -> tuple[Deadline, tuple[ExplainLine, ...]]:
    """The deadline and, day by day from the clock start to the due date, why it counts."""
    deadline = compute_deadline(events, calendar, as_of=as_of, policy=policy)
    pauses = [
        (p.start, p.counted_end(calendar, policy), p.reason)
        for p in events.pauses
        if _counts(p, policy)
    ]
    statutory = policy.reply_workdays
    lines = [
        ExplainLine(
            deadline.clock_start, ExplainStatus.START, calendar.day_info(deadline.clock_start)
        )
    ]
    counted = 0
    for info in calendar.days(deadline.clock_start, deadline.due_date):
        reason = next((r for s, e, r in pauses if s < info.day <= e), None)
        if not info.is_workday:
            lines.append(ExplainLine(info.day, ExplainStatus.SKIPPED, info))
        elif reason is not None:
            lines.append(ExplainLine(info.day, ExplainStatus.PAUSED, info, pause_reason=reason))
        elif counted < statutory + deadline.extension_workdays:
            counted += 1
            status = ExplainStatus.COUNTED if counted <= statutory else ExplainStatus.EXTENSION
            lines.append(ExplainLine(info.day, status, info, ordinal=counted))
        else:
            lines.append(ExplainLine(info.day, ExplainStatus.DELAY, info))
    last = lines[-1]
    if last.status is ExplainStatus.PAUSED and last.day == deadline.due_date:
        # A pause that starts on the last counted day ends on the due date: say so.
        lines[-1] = replace(last, status=ExplainStatus.DUE_AFTER_PAUSE)
    return deadline, tuple(lines)
