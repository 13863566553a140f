"""A deliberately naive reference clock, for the tests only.

It is written from the rules of the 《政府信息公开条例》(2019) listed below, not from
``ogi_workflow.clock`` or ``ogi_workflow.lifecycle``: it imports nothing from the library,
walks the calendar one day at a time, and asks exactly one question, whether a single day is
a working day (the ``is_workday`` callable it is given: ``WorkdayCalendar.is_workday``).
tests/test_clock_reference.py plays it against the library.

Speed and elegance are not goals: every answer is computed from the full event list by the
most literal reading of the rules (cached per instance, which never changes), so that a
disagreement with the library points at one of the two readings.

The rules:

1. Clock start: the receipt day; receipt of a corrected application on day c restarts the
   clock from zero at c and forgets every pause and 条例第三十五条 date before it (条例第三十条:
   the period runs from receipt of the corrected application).
2. 20 working days after the clock start (条例第三十三条); one extension adds n working days
   (1..20, default 20).
3. Pauses (条例第三十三条第二款): a consultation started on day s (third party, 第三十二条, or
   another agency, 第三十四条) leaves the days in (s, min(end, L)] uncounted, L being the 15th
   working day after the consulted party received the letter (default: s); an open pause
   counts (s, L]. A fee notice pauses the same way until payment, lapse, withdrawal or reply,
   with L the 20th working day after the applicant received it (国办函〔2020〕109号), and only
   when the policy says the fee period pauses the clock.
4. Due date: walking from the clock start, the day on which the count of working days outside
   pauses reaches 20 + extension; if a pause begins that very day, the clock stopped with no
   working day left, and the reply is due on the pause's last working day.
5. 条例第三十五条: a reasonable delay sets the due date to X, after the statutory due date (and
   after the X in force, for a second one); a pause begun once the statutory count is complete
   leaves X as it is.
6. Within the period: an extension, a pause start or an 条例第三十五条 delay on day t needs
   t <= the due date as it stands on t. Being inside a pause is no exception: a pause that
   stops the clock moves the due date past its last paused day, and one begun in an
   条例第三十五条 period stops no clock (rule 5). A fee notice that does not pause the clock
   (policy) is no pause start and is not bound.
7. Overdue on D: awaiting a reply and D > due; working days left = working days in (D, due]
   (negative: minus those in (due, D]).
8. The 补正 notice is due within 7 working days of receipt (条例第三十条).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Final, Literal

__all__ = [
    "AWAITING_REPLY",
    "RefEvent",
    "RefPause",
    "ReferenceClock",
    "UndefinedByTheRulesError",
    "Verdict",
]

IsWorkday = Callable[[date], bool]
PauseKind = Literal["consultation", "fee"]

REPLY_WORKDAYS: Final = 20  # 条例第三十三条第一款
MAX_EXTENSION_WORKDAYS: Final = 20  # 条例第三十三条第一款
CONSULTATION_WORKDAYS: Final = 15  # 条例第三十二条、第三十四条
FEE_PAYMENT_WORKDAYS: Final = 20  # 国办函〔2020〕109号
CORRECTION_WINDOW_WORKDAYS: Final = 7  # 条例第三十条
ONE_DAY: Final = timedelta(days=1)

# States by their stored names (the reference imports nothing from the library).
AWAITING_REPLY: Final = frozenset(
    {"received", "registered", "handling", "consulting", "fee_pending"}
)
# Where a 补正 notice could still go out (条例第三十条): before consulting or charging.
CORRECTION_STILL_POSSIBLE: Final = frozenset({"received", "registered", "handling"})
_NEXT_STATE: Final[dict[str, str | None]] = {
    "register": "registered",
    "reply_on_the_spot": "replied",
    "start_handling": "handling",
    "request_correction": "correction_pending",
    "receive_correction": "handling",
    "correction_lapsed": "replied",
    "start_consultation": "consulting",
    "end_consultation": "handling",
    "extend": None,
    "delay_reasonably": None,
    "issue_fee_notice": "fee_pending",
    "receive_payment": "handling",
    "fee_lapsed": "replied",
    "withdraw": "replied",
    "reply": "replied",
    "archive": "archived",
}
_CLOSES_A_PAUSE: Final = frozenset(
    {"end_consultation", "receive_payment", "fee_lapsed", "withdraw", "reply"}
)
# The acts that must fall within the reply period (rule 6).
WITHIN_THE_PERIOD: Final = frozenset(
    {"extend", "start_consultation", "issue_fee_notice", "delay_reasonably"}
)


class UndefinedByTheRulesError(Exception):
    """The rules do not settle this case (e.g. an 条例第三十五条 date overtaken later on)."""


@dataclass(frozen=True, slots=True)
class RefEvent:
    """One event as the reference sees it: its name, its day and the parameters it reads."""

    kind: str
    on: date
    workdays: int | None = None  # extend (None: the maximum, 20)
    delayed_to: date | None = None  # delay_reasonably
    notice_received_on: date | None = None  # start_consultation, issue_fee_notice
    correct_by: date | None = None  # request_correction
    late_reason: str | None = None  # request_correction


@dataclass(frozen=True, slots=True)
class RefPause:
    """A pause: the days in (start, last_paused_day] are not counted."""

    kind: PauseKind
    start: date
    limit: date  # the consulted party's or the payer's last day
    end: date | None  # None while still open

    @property
    def last_paused_day(self) -> date:
        return self.limit if self.end is None else min(self.end, self.limit)

    def covers(self, day: date) -> bool:
        return self.start < day <= self.last_paused_day


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether an event is allowed; ``rule`` says which kind of rule refuses it."""

    legal: bool
    rule: Literal["", "guard", "period"] = ""
    why: str = ""


def _nth_workday_after(is_workday: IsWorkday, day: date, n: int) -> date:
    """The n-th working day after ``day`` (the day itself never counts)."""
    count = 0
    while count < n:
        day += ONE_DAY
        if is_workday(day):
            count += 1
    return day


def _workdays_in(is_workday: IsWorkday, after: date, through: date) -> int:
    """Working days d with after < d <= through."""
    count = 0
    day = after + ONE_DAY
    while day <= through:
        if is_workday(day):
            count += 1
        day += ONE_DAY
    return count


class ReferenceClock:
    """One request's clock, recomputed naively from its events on every question.

    Immutable: :meth:`with_event` returns a new clock with one more event.
    """

    def __init__(
        self,
        received_on: date,
        is_workday: IsWorkday,
        *,
        fee_pauses_clock: bool = True,
        events: Sequence[RefEvent] = (),
    ) -> None:
        self.received_on = received_on
        self.is_workday = is_workday
        self.fee_pauses_clock = fee_pauses_clock
        self.events: tuple[RefEvent, ...] = tuple(events)

    def with_event(self, event: RefEvent) -> ReferenceClock:
        if self.events and event.on < self.events[-1].on:
            raise ValueError(f"{event.kind} on {event.on} is before the previous event")
        if event.on < self.received_on:
            raise ValueError(f"{event.kind} on {event.on} is before the receipt")
        return ReferenceClock(
            self.received_on,
            self.is_workday,
            fee_pauses_clock=self.fee_pauses_clock,
            events=(*self.events, event),
        )

    # ------------------------------------------------------------------ the life so far

    @property
    def state(self) -> str:
        state = "received"
        for event in self.events:
            state = _NEXT_STATE[event.kind] or state
        return state

    @property
    def last_day(self) -> date:
        return self.events[-1].on if self.events else self.received_on

    @property
    def correction_requested(self) -> bool:
        return any(e.kind == "request_correction" for e in self.events)

    @property
    def corrected_on(self) -> date | None:
        days = [e.on for e in self.events if e.kind == "receive_correction"]
        return days[-1] if days else None

    @property
    def correct_by(self) -> date | None:
        days = [e.correct_by for e in self.events if e.kind == "request_correction"]
        return days[-1] if days else None

    @property
    def extended(self) -> bool:
        return any(e.kind == "extend" for e in self.events)

    @property
    def extension_workdays(self) -> int:
        for event in self.events:
            if event.kind == "extend":
                return MAX_EXTENSION_WORKDAYS if event.workdays is None else event.workdays
        return 0

    @property
    def delayed_to(self) -> date | None:
        """The 条例第三十五条 date in force (rule 1: one decided before a correction lapses)."""
        corrected = self.corrected_on
        days = [
            e.delayed_to
            for e in self.events
            if e.kind == "delay_reasonably" and (corrected is None or e.on >= corrected)
        ]
        return days[-1] if days else None

    # ------------------------------------------------------------------ rules 1 to 4

    @property
    def clock_start(self) -> date:
        """Rule 1: the receipt day, or the day the corrected application came."""
        return self.corrected_on or self.received_on

    @cached_property
    def correction_window_end(self) -> date:
        """Rule 8: the 7th working day after receipt."""
        return _nth_workday_after(self.is_workday, self.received_on, CORRECTION_WINDOW_WORKDAYS)

    @cached_property
    def all_pauses(self) -> tuple[RefPause, ...]:
        """Rule 3: every pause since the clock (re)started, open or closed, in order."""
        pauses: list[RefPause] = []
        open_pause: RefPause | None = None
        for event in self.events:
            if event.kind == "receive_correction":
                pauses, open_pause = [], None  # rule 1: earlier pauses are forgotten
            elif event.kind in ("start_consultation", "issue_fee_notice"):
                kind: PauseKind = "consultation" if event.kind == "start_consultation" else "fee"
                workdays = CONSULTATION_WORKDAYS if kind == "consultation" else FEE_PAYMENT_WORKDAYS
                received = event.notice_received_on or event.on
                limit = _nth_workday_after(self.is_workday, received, workdays)
                open_pause = RefPause(kind, event.on, limit, None)
            elif event.kind in _CLOSES_A_PAUSE and open_pause is not None:
                pauses.append(
                    RefPause(open_pause.kind, open_pause.start, open_pause.limit, event.on)
                )
                open_pause = None
        if open_pause is not None:
            pauses.append(open_pause)
        return tuple(pauses)

    @cached_property
    def pauses(self) -> tuple[RefPause, ...]:
        """The pauses that stop the clock (a fee period only when the policy says so)."""
        return tuple(p for p in self.all_pauses if p.kind != "fee" or self.fee_pauses_clock)

    def paused(self, day: date) -> bool:
        return any(p.covers(day) for p in self.pauses)

    @cached_property
    def _walk(self) -> tuple[date, int]:
        """Rule 4: (statutory due date, working days skipped as paused on the way)."""
        target = REPLY_WORKDAYS + self.extension_workdays
        day, counted, skipped = self.clock_start, 0, 0
        while counted < target:
            day += ONE_DAY
            if not self.is_workday(day):
                continue
            if self.paused(day):
                skipped += 1
            else:
                counted += 1
        # A pause begun on the day reached stops the clock there: the date moves past it,
        # and again for a pause begun on the day that one ends (each pause counted once).
        seen: list[RefPause] = []
        begun_today = [p for p in self.pauses if p.start == day]
        while begun_today:
            pause = begun_today[0]
            seen.append(pause)
            walk = day
            while walk < pause.last_paused_day:
                walk += ONE_DAY
                if self.is_workday(walk):
                    skipped, day = skipped + 1, walk
            begun_today = [p for p in self.pauses if p.start == day and p not in seen]
        return day, skipped

    @property
    def statutory_due_date(self) -> date:
        return self._walk[0]

    @property
    def paused_workdays(self) -> int:
        """Working days not counted because of a pause, before the due date is reached."""
        return self._walk[1]

    @property
    def due_date(self) -> date:
        """Rules 4 and 5; raises UndefinedByTheRulesError when a 第三十五条 date is overtaken."""
        statutory = self.statutory_due_date
        delayed_to = self.delayed_to
        if delayed_to is None:
            return statutory
        if delayed_to <= statutory:
            raise UndefinedByTheRulesError(
                f"the 条例第三十五条 date {delayed_to} is no longer after the statutory due "
                f"date {statutory} (a later extension, pause or correction overtook it)"
            )
        return delayed_to

    # ------------------------------------------------------------------ rule 7

    def workdays_left(self, day: date) -> int:
        due = self.due_date
        if due >= day:
            return _workdays_in(self.is_workday, day, due)
        return -_workdays_in(self.is_workday, due, day)

    def clock_overdue(self, day: date) -> bool:
        """What the pure clock says: the due date has passed (whatever the state)."""
        return day > self.due_date

    def overdue(self, day: date) -> bool:
        """Rule 7: awaiting a reply and past the due date."""
        return self.state in AWAITING_REPLY and day > self.due_date

    def due_soon(self, day: date, within: int) -> bool:
        """Awaiting a reply, not yet overdue, at most ``within`` working days left."""
        return (
            within > 0
            and self.state in AWAITING_REPLY
            and day <= self.due_date
            and self.workdays_left(day) <= within
        )

    def correction_window_closing(self, day: date, within: int) -> bool:
        """Rule 8 on the morning list: no 补正 notice yet and the window ends within
        ``within`` working days of ``day`` (today included)."""
        end = self.correction_window_end
        return (
            not self.correction_requested
            and self.state in CORRECTION_STILL_POSSIBLE
            and day <= end
            and _workdays_in(self.is_workday, day, end) <= within
        )

    def morning_list(self, day: date, within: int) -> set[tuple[str, date, int]]:
        """The entries (kind, deadline, working days left) the request has on the list."""
        entries: set[tuple[str, date, int]] = set()
        if self.overdue(day):
            entries.add(("overdue", self.due_date, self.workdays_left(day)))
        elif self.due_soon(day, within):
            entries.add(("due_soon", self.due_date, self.workdays_left(day)))
        if self.correction_window_closing(day, within):
            end = self.correction_window_end
            entries.add(("correction_window", end, _workdays_in(self.is_workday, day, end)))
        return entries

    # ------------------------------------------------------------------ rule 6 and limits

    def within_period(self, day: date) -> bool:
        """Rule 6: on or before the due date as it stands."""
        return day <= self.due_date

    def must_be_within_the_period(self, event: RefEvent) -> bool:
        """Rule 6 binds the acts that move the clock: a fee notice only when it pauses it."""
        if event.kind == "issue_fee_notice":
            return self.fee_pauses_clock
        return event.kind in WITHIN_THE_PERIOD

    def open_pause(self) -> RefPause | None:
        pauses = self.all_pauses
        if pauses and pauses[-1].end is None:
            return pauses[-1]
        return None

    def verdict(self, event: RefEvent) -> Verdict:
        """Whether the time rules allow ``event`` now (the state machine is not judged here).

        A refusal by rule 6 alone has ``rule == "period"``. Raises UndefinedByTheRulesError
        when the event would leave the rules without an answer (see :attr:`due_date`).
        """
        refusal = self._guard_refusal(event)
        if refusal is not None:
            return Verdict(False, "guard", refusal)
        if self.must_be_within_the_period(event) and not self.within_period(event.on):
            return Verdict(
                False,
                "period",
                f"{event.kind} on {event.on} is after the period (due {self.due_date})",
            )
        _ = self.with_event(event).due_date  # may raise UndefinedByTheRulesError
        return Verdict(True)

    def _guard_refusal(self, event: RefEvent) -> str | None:
        """Why a time limit other than rule 6 refuses ``event``, if one does."""
        t = event.on
        checks: list[tuple[bool, str]] = []
        if event.kind == "extend":
            days = event.workdays
            checks = [
                (self.extended, "条例第三十三条 allows one extension"),
                (days is not None and not 1 <= days <= MAX_EXTENSION_WORKDAYS, f"{days} days"),
            ]
        elif event.kind == "delay_reasonably":
            statutory, in_force = self.statutory_due_date, self.delayed_to
            checks = [
                (
                    event.delayed_to is None or event.delayed_to <= statutory,
                    f"delayed_to {event.delayed_to} is not after {statutory} (条例第三十五条)",
                ),
                (
                    in_force is not None
                    and event.delayed_to is not None
                    and event.delayed_to <= in_force,
                    f"delayed_to {event.delayed_to} is not after the date in force {in_force}",
                ),
            ]
        elif event.kind == "request_correction":
            window = self.correction_window_end
            checks = [
                (self.correction_requested, "one 补正 notice per application (条例第三十条)"),
                (t > window and not event.late_reason, f"补正 notice after the window ({window})"),
                (event.correct_by is None or event.correct_by <= t, "correct_by must be later"),
            ]
        elif event.kind == "correction_lapsed":
            by = self.correct_by
            checks = [(by is not None and t <= by, f"the applicant may correct until {by}")]
        elif event.kind == "fee_lapsed":
            pause = self.open_pause()
            if pause is not None and pause.kind == "fee":
                checks = [(t <= pause.limit, f"the applicant may pay until {pause.limit}")]
        return next((why for refused, why in checks if refused), None)
