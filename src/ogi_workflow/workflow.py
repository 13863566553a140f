"""Workflow: every action on a request, with the clock and storage, in one transaction.

Each action method (named after its event, DESIGN §2) loads the request and its event log,
asks the shared state machine whether the event is allowed (guards enforce the law),
recomputes the clock from the events, and writes the new row and one new event row in the
same transaction, with an optimistic version check. An illegal event raises and writes
nothing.

The row's clock fields are a projection of the event log: :meth:`Workflow.recompute`
derives them again from the events alone.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self

from sqlalchemy import Engine, Select, Update, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from ogi_workflow.deadlines import (
    Channel,
    ClockEvents,
    ClockPolicy,
    Deadline,
    Extension,
    Pause,
    PauseReason,
    WorkdayCalendar,
    YearSchedule,
    compute_deadline,
    read_notice_file,
)
from ogi_workflow.errors import (
    ConflictError,
    NotFoundError,
    OgiError,
    TransitionError,
    ValidationError,
)
from ogi_workflow.fees import FeeBasis, fee_per_request, fee_per_volume
from ogi_workflow.models import (
    SHANGHAI,
    AgencyProfile,
    ApplicantKind,
    Application,
    EventView,
    OverdueItem,
    RequestView,
    Urgency,
    utc_now,
    validate,
)
from ogi_workflow.outcomes import Outcome
from ogi_workflow.states import CLOCK_RUNNING, DONE, Event, GuardContext, State, fire
from ogi_workflow.store import (
    AGENCY,
    EVENT,
    NOTICE,
    REQUEST,
    SET_COUNTER,
    allocate_seq,
    create_schema,
    description_key,
    make_engine,
)

if TYPE_CHECKING:
    from ogi_workflow.replies.letters import Letter, LetterKind, LetterRenderer
    from ogi_workflow.reports import AnnualReport

__all__ = ["DeadlineMove", "HistoryItem", "RequestRef", "Workflow", "clock_events"]

RequestRef = int | str  # the request id, or its registration number
_CLOSES_PAUSE: Final = frozenset(
    {
        Event.END_CONSULTATION,
        Event.RECEIVE_PAYMENT,
        Event.FEE_LAPSED,
        Event.WITHDRAW,
        Event.REPLY,
        Event.CORRECTION_LAPSED,
    }
)
_OUTCOME_OF_EVENT: Final = {
    Event.CORRECTION_LAPSED: Outcome.CORRECTION_LAPSED,  # 条例第三十条: 视为放弃
    Event.FEE_LAPSED: Outcome.FEE_LAPSED,  # 国办函〔2020〕109号: 视为放弃
    Event.WITHDRAW: Outcome.WITHDRAWN,
}
# Events that clock_events() ignores: the clock fields cannot change, so they are not
# recomputed (the stateful tests check the stored clock against a full recomputation).
_CLOCK_NEUTRAL: Final = frozenset(
    {Event.START_HANDLING, Event.ARCHIVE, Event.RECORD_REVIEW, Event.RECORD_LITIGATION}
)
_ASSIGNS_HANDLER: Final = frozenset({Event.REQUEST_CORRECTION, Event.RECEIVE_CORRECTION})
_CLOCK_FIELDS: Final = (
    "clock_start",
    "due_date",
    "correction_window_end",
    "paused_workdays",
    "extension_workdays",
    "estimated",
)
_CHUNK: Final = 500
# Statements built once: executing a prebuilt statement with a dict of values skips
# SQLAlchemy's per-call construction and coercion (most of an action's cost).
_SELECT_BY_ID: Final = select(REQUEST).where(REQUEST.c.id == bindparam("rid"))
_SELECT_BY_REG_NO: Final = select(REQUEST).where(
    REQUEST.c.agency == bindparam("agency"), REQUEST.c.reg_no == bindparam("reg_no")
)
_SELECT_HISTORY: Final = (
    select(EVENT.c.event, EVENT.c.effective_on, EVENT.c.payload)
    .where(EVENT.c.request_id == bindparam("rid"))
    .order_by(EVENT.c.seq)
)


@cache
def _update_request(columns: frozenset[str]) -> Update:
    """UPDATE of exactly these columns plus version and updated_at, checking the version."""
    return (
        update(REQUEST)
        .where(REQUEST.c.id == bindparam("rid"), REQUEST.c.version == bindparam("seen"))
        .values({name: bindparam(name) for name in (*sorted(columns), "version", "updated_at")})
    )


_INSERT_REQUEST: Final = insert(REQUEST).returning(REQUEST.c.id)
_INSERT_REQUEST_WITH_ID: Final = insert(REQUEST)
_REQUEST_COLUMNS: Final = tuple(REQUEST.c.keys())
_INSERT_EVENT: Final = insert(EVENT)


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One past event, as the clock and the guards see it."""

    event: Event
    on: date
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DeadlineMove:
    """A due date that a calendar change moved (see :meth:`Workflow.reflow_deadlines`)."""

    request_id: int
    reg_no: str | None
    before: date | None
    after: date | None
    estimated_before: bool
    estimated_after: bool


def clock_events(
    received_on: date, channel: Channel, history: Sequence[HistoryItem]
) -> ClockEvents:
    """The clock's view of a request's event log.

    条例第三十条: receipt of the correction restarts the clock from zero (earlier pauses no
    longer matter). 条例第三十三条第二款 and 国办函〔2020〕109号: consultation and the fee
    period are pauses from their start event to their end event. A pause still open counts
    nothing yet: the stored due date is the one as of the pause start, and the overdue check
    leaves paused requests out.
    """
    corrected_on: date | None = None
    pauses: list[Pause] = []
    open_pause: tuple[date, PauseReason] | None = None
    extension: Extension | None = None
    delayed_to: date | None = None
    for item in history:
        event = item.event
        if event is Event.RECEIVE_CORRECTION:
            corrected_on, pauses, open_pause = item.on, [], None
        elif event is Event.START_CONSULTATION:
            open_pause = (item.on, PauseReason(item.payload["party"]))
        elif event is Event.ISSUE_FEE_NOTICE:
            open_pause = (item.on, PauseReason.FEE)
        elif event in _CLOSES_PAUSE and open_pause is not None:
            pauses.append(Pause(open_pause[0], item.on, open_pause[1]))
            open_pause = None
        elif event is Event.EXTEND:
            extension = Extension(
                approved_on=item.on,
                workdays=int(item.payload["workdays"]),
                approver=str(item.payload["approver"]),
                reason=str(item.payload["reason"]),
            )
        elif event is Event.DELAY_REASONABLY:
            delayed_to = date.fromisoformat(item.payload["delayed_to"])
    if open_pause is not None:
        pauses.append(Pause(open_pause[0], open_pause[0], open_pause[1]))
    return ClockEvents(
        received=received_on,
        channel=channel,
        corrected_on=corrected_on,
        pauses=tuple(pauses),
        extension=extension,
        delayed_to=delayed_to,
    )


def _jsonable(value: object) -> object:
    if value is None or type(value) in (str, int, bool, float):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Outcome | State | Event | PauseReason | Channel):
        return value.value
    return value


@dataclass(slots=True)
class _Batch:
    """One open batch transaction: a unit of work over the requests it touches.

    Actions inside a batch keep each request's row and history in memory and queue their
    writes; :meth:`flush` inserts the new requests (SQLite: with their final values, ids
    handed out in memory while the batch holds the write lock), issues one version-checked
    UPDATE per changed request and one multi-row INSERT of the queued events. Every read
    inside the batch flushes first, so reads see the batch's own writes.
    """

    conn: Connection
    cache: dict[int, tuple[dict[str, Any], list[HistoryItem]]] = field(default_factory=dict)
    seen: dict[int, int] = field(default_factory=dict)  # version read from the database
    changed: dict[int, set[str]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    poisoned: bool = False
    # Registration counters this batch holds locked (its first UPDATE … RETURNING took the
    # row lock until commit), advanced in memory and written back at flush.
    counters: dict[tuple[str, int], int] = field(default_factory=dict)
    # SQLite only: requests received in this batch and not yet inserted, in order, and the
    # next id to hand out (BEGIN IMMEDIATE holds the write lock, so max(id) + 1 is safe).
    new_rows: dict[int, None] = field(default_factory=dict)
    next_id: int | None = None

    @property
    def defers_inserts(self) -> bool:
        return self.conn.dialect.name == "sqlite"

    def new_request_id(self) -> int:
        if self.next_id is None:
            top = self.conn.execute(select(func.coalesce(func.max(REQUEST.c.id), 0)))
            self.next_id = int(top.scalar_one()) + 1
        request_id, self.next_id = self.next_id, self.next_id + 1
        self.new_rows[request_id] = None
        return request_id

    def next_registration_seq(self, agency: str, year: int) -> int:
        key = (agency, year)
        if key not in self.counters:
            try:
                self.counters[key] = allocate_seq(self.conn, agency, year)
            except BaseException:
                self.poisoned = True
                raise
        else:
            self.counters[key] += 1
        return self.counters[key]

    def _update(self, columns: frozenset[str], params: list[dict[str, Any]]) -> None:
        """One executemany per column set; the summed rowcount proves every version matched."""
        statement = _update_request(columns)
        if self.conn.dialect.supports_sane_multi_rowcount:
            if self.conn.execute(statement, params).rowcount == len(params):
                return
        else:
            for one in params:
                if self.conn.execute(statement, one).rowcount != 1:
                    break
            else:
                return
        raise ConflictError(
            "batch: a request was changed by another worker during the batch; "
            "the batch was rolled back"
        )

    def flush(self) -> None:
        try:
            if self.new_rows:  # inserted once, with every change of the batch already in
                self.conn.execute(
                    _INSERT_REQUEST_WITH_ID,
                    [{c: self.cache[i][0][c] for c in _REQUEST_COLUMNS} for i in self.new_rows],
                )
            groups: dict[frozenset[str], list[dict[str, Any]]] = {}
            for request_id, columns in self.changed.items():
                if request_id in self.new_rows:
                    continue
                row = self.cache[request_id][0]
                groups.setdefault(frozenset(columns), []).append(
                    {
                        **{c: row[c] for c in columns},
                        "rid": request_id,
                        "seen": self.seen[request_id],
                        "version": row["version"],
                        "updated_at": row["updated_at"],
                    }
                )
            for column_set, params in groups.items():
                self._update(column_set, params)
            for (agency, year), last in self.counters.items():
                self.conn.execute(
                    SET_COUNTER,
                    {
                        "b_agency": agency,
                        "b_series": "registration",
                        "b_year": year,
                        "last_seq": last,
                    },
                )
            if self.events:
                self.conn.execute(_INSERT_EVENT, self.events)
        except BaseException:
            self.poisoned = True
            raise
        self.counters.clear()
        self.new_rows.clear()
        self.seen.clear()
        self.changed.clear()
        self.events.clear()


class Workflow:
    """The lifecycle of 政府信息公开 requests for one agency, on one database.

    Open with :meth:`open`. A Workflow holds one connection pool; use one per process or
    thread (actions are not meant to be interleaved from several threads on one object).
    """

    def __init__(
        self,
        engine: Engine,
        agency: AgencyProfile,
        calendar: WorkdayCalendar,
        *,
        policy: ClockPolicy = ClockPolicy(),  # noqa: B008 - frozen
        clock: Callable[[], datetime] = utc_now,
        letter_templates: str | Path | None = None,
    ) -> None:
        self._engine = engine
        if letter_templates is not None and not Path(letter_templates).is_dir():
            raise ValidationError(f"letter templates: {letter_templates} is not a folder")
        self._letter_templates = letter_templates
        self._renderer: LetterRenderer | None = None  # built on the first letter
        self.agency = agency
        self.calendar = calendar
        self.policy = policy
        self._clock = clock
        self._batch: _Batch | None = None

    @classmethod
    def open(
        cls,
        url: str,
        *,
        agency: AgencyProfile | Mapping[str, Any] | str | Path | None = None,
        calendar: WorkdayCalendar | None = None,
        policy: ClockPolicy = ClockPolicy(),  # noqa: B008 - frozen
        clock: Callable[[], datetime] = utc_now,
        letter_templates: str | Path | None = None,
    ) -> Workflow:
        """Connect to ``url`` (a SQLite path or URL, or ``postgresql://…``), create the schema.

        ``agency`` is a profile, a mapping, or a TOML file path; it is saved in the database,
        so later ``open`` calls (and CLI commands given only ``--db``) may leave it out when
        the database serves one agency. The default calendar is the
        bundled State Council schedule plus the notices loaded into this database, with
        estimates allowed for days no notice settles yet: such due dates are stored with
        ``estimated = true`` and move when the notice is loaded (:meth:`load_calendar_notice`).
        ``letter_templates`` is a folder whose ``<kind>.j2`` files replace the bundled letter
        templates (docs/letters.md).
        """
        engine = make_engine(url)
        create_schema(engine)
        if agency is None:
            profile = _stored_agency(engine)
        else:
            profile = (
                AgencyProfile.from_toml(agency)
                if isinstance(agency, str | Path)
                else validate(AgencyProfile, agency)
            )
            _save_agency(engine, profile, clock())
        cal = calendar or WorkdayCalendar.china(allow_estimated=True)
        with engine.connect().execution_options(ogi_read=True) as conn:
            for row in conn.execute(select(NOTICE.c.content).order_by(NOTICE.c.id)):
                cal = cal.with_schedule(YearSchedule.from_text(row.content, origin="database"))
        return cls(
            engine, profile, cal, policy=policy, clock=clock, letter_templates=letter_templates
        )

    def close(self) -> None:
        if self._engine.dialect.name == "sqlite":
            # SQLite's advice: let it refresh the planner's statistics when closing, so
            # queries keep choosing the covering indexes as the tables grow.
            with self._engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=400")  # sampled, so it stays quick
                conn.exec_driver_sql("PRAGMA optimize")
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        return self._engine

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run many actions in one transaction: all of them are stored, or none.

        An action refused by a guard inside the batch writes nothing and the batch may go
        on; an action that failed half-way through its writes aborts the whole batch.
        """
        if self._batch is not None:
            yield
            return
        with self._engine.begin() as conn:
            batch = self._batch = _Batch(conn)
            try:
                yield
                batch.flush()
                if batch.poisoned:
                    raise OgiError(
                        "batch: an action failed while writing; the whole batch was rolled back"
                    )
            finally:
                self._batch = None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if self._batch is not None:
            yield self._batch.conn
            return
        with self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if self._batch is not None:
            self._batch.flush()
            yield self._batch.conn
            return
        with self._engine.connect().execution_options(ogi_read=True) as conn:
            yield conn

    def _today(self) -> date:
        return self._clock().astimezone(SHANGHAI).date()

    # ------------------------------------------------------------------ actions

    def receive(self, application: Application | Mapping[str, Any], *, actor: str) -> RequestView:
        """接收: store a new application (state ``received``); 条例第三十一条 sets its day."""
        app = validate(Application, application)
        _check_actor(actor)
        now = self._clock()
        row = {
            "agency": self.agency.code,
            "state": State.RECEIVED.value,
            "applicant_kind": app.applicant.kind.value,
            "applicant_name": app.applicant.name,
            "applicant_key": app.applicant.identity_key,
            "description": app.description,
            "description_key": description_key(app.description),
            "channel": app.channel.value,
            "received_at": app.received_at,
            "received_on": app.received_on,
            "application": app.model_dump(mode="json"),
            "version": 1,
            "paused_workdays": 0,
            "extension_workdays": 0,
            "estimated": False,
            "created_at": now,
            "updated_at": now,
        }
        with self._write() as conn:
            batch = self._batch
            if batch is not None and batch.defers_inserts:
                request_id = batch.new_request_id()  # inserted at flush, final values and all
            else:
                request_id = conn.execute(_INSERT_REQUEST, row).scalar_one()
            self._insert_event(
                conn,
                {
                    "request_id": request_id,
                    "seq": 1,
                    "event": Event.RECEIVE.value,
                    "actor": actor,
                    "at": now,
                    "effective_on": app.received_on,
                    "state_before": None,
                    "state_after": State.RECEIVED.value,
                    "reason": None,
                    "payload": {"channel": app.channel.value},
                    "before_values": {},
                    "after_values": {},
                },
            )
        stored = {
            **row,
            "id": request_id,
            "reg_no": None,
            "reg_year": None,
            "reg_seq": None,
            "outcome": None,
            "clock_start": None,
            "due_date": None,
            "correction_window_end": None,
            "handler": None,
            "replied_on": None,
            "archived_on": None,
            "correction_requested_on": None,
        }
        if self._batch is not None:
            first = HistoryItem(Event.RECEIVE, app.received_on, {"channel": app.channel.value})
            self._batch.cache[request_id] = (stored, [first])
        return _view(stored)

    def register(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """登记: number the request (unique per agency and year, no gaps); the clock runs."""
        return self._act(
            request, Event.REGISTER, actor=actor, on=on, expected_version=expected_version
        )

    def reply_on_the_spot(
        self,
        request: RequestRef,
        *,
        actor: str,
        outcome: Outcome,
        details: Mapping[str, Any] | None = None,
        on: date | None = None,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """当场答复 (条例第三十三条第一款)."""
        return self._act(
            request,
            Event.REPLY_ON_THE_SPOT,
            actor=actor,
            on=on,
            reason=reason,
            expected_version=expected_version,
            params={"outcome": _outcome(outcome), "details": dict(details or {})},
        )

    def start_handling(
        self,
        request: RequestRef,
        *,
        actor: str,
        handler: str | None = None,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """办理: assign the handler (default: the actor)."""
        return self._act(
            request,
            Event.START_HANDLING,
            actor=actor,
            on=on,
            expected_version=expected_version,
            params={"handler": handler or actor},
        )

    def request_correction(
        self,
        request: RequestRef,
        *,
        actor: str,
        items: Sequence[str],
        correct_by: date,
        on: date | None = None,
        late_reason: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """补正告知 within 7 working days of receipt (条例第三十条); the clock stops."""
        return self._act(
            request,
            Event.REQUEST_CORRECTION,
            actor=actor,
            on=on,
            reason=late_reason,
            expected_version=expected_version,
            params={"items": list(items), "correct_by": correct_by, "late_reason": late_reason},
        )

    def receive_correction(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """收到补正: the reply period restarts from zero on this day (条例第三十条)."""
        return self._act(
            request,
            Event.RECEIVE_CORRECTION,
            actor=actor,
            on=on,
            reason=note,
            expected_version=expected_version,
        )

    def correction_lapsed(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """逾期不补正: 视为放弃 (条例第三十条); outcome ``correction_lapsed``."""
        return self._act(
            request, Event.CORRECTION_LAPSED, actor=actor, on=on, expected_version=expected_version
        )

    def start_consultation(
        self,
        request: RequestRef,
        *,
        actor: str,
        party: str,
        consulted: str,
        reason: str | None = None,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """征求意见: ``party`` is ``third_party`` (第三十二条) or ``co_agency`` (第三十四条).

        The consulted party has 15 working days; the time does not count (第三十三条第二款).
        """
        when = on or self._today()
        answer_by = self.calendar.add_workdays(when, self.policy.consultation_workdays)
        return self._act(
            request,
            Event.START_CONSULTATION,
            actor=actor,
            on=when,
            expected_version=expected_version,
            params={
                "party": party,
                "consulted": consulted,
                "reason": reason,  # why it may harm the third party (its letter says so)
                "answer_by": answer_by,
            },
        )

    def end_consultation(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        opinion: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """征求意见结束 (an answer, or silence after 15 working days); the clock runs again."""
        return self._act(
            request,
            Event.END_CONSULTATION,
            actor=actor,
            on=on,
            reason=opinion,
            expected_version=expected_version,
            params={"opinion": opinion},
        )

    def extend(
        self,
        request: RequestRef,
        *,
        actor: str,
        approver: str,
        reason: str,
        workdays: int = 20,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """延期答复: once, ≤ 20 working days, approved, within the period (条例第三十三条)."""
        return self._act(
            request,
            Event.EXTEND,
            actor=actor,
            on=on,
            reason=reason,
            expected_version=expected_version,
            params={"approver": approver, "reason": reason, "workdays": workdays},
        )

    def delay_reasonably(
        self,
        request: RequestRef,
        *,
        actor: str,
        delayed_to: date,
        reason: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """合理延迟 for a voluminous or frequent request (条例第三十五条)."""
        return self._act(
            request,
            Event.DELAY_REASONABLY,
            actor=actor,
            on=on,
            reason=reason,
            expected_version=expected_version,
            params={"delayed_to": delayed_to, "reason": reason},
        )

    def issue_fee_notice(
        self,
        request: RequestRef,
        *,
        actor: str,
        basis: FeeBasis | str,
        pages: int | None = None,
        on: date | None = None,
        notice_received_on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """收费通知 (国办函〔2020〕109号): 按件 or 按量, never both; the clock stops by policy.

        按件 counts the applicant's requests (same normalised identity) received in the same
        natural month, up to this one; 按量 charges ``pages``. The applicant pays within 20
        working days from the day after receiving the notice (``notice_received_on``,
        default the notice day).
        """
        when = on or self._today()
        try:
            fee_basis = FeeBasis(basis)
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
            quote = fee_per_request(self._nth_this_month(request))
        if quote.fee_yuan <= 0:
            raise ValidationError(
                f"issue_fee_notice: no fee is due ({fee_basis.value}, {quote.quantity}: within "
                "the free allowance of 国办函〔2020〕109号)"
            )
        received = notice_received_on or when
        payment_due = self.calendar.add_workdays(received, self.policy.fee_payment_workdays)
        return self._act(
            request,
            Event.ISSUE_FEE_NOTICE,
            actor=actor,
            on=when,
            expected_version=expected_version,
            params={
                "basis": fee_basis.value,
                "quantity": quote.quantity,
                "tiers": [list(t) for t in quote.tiers],
                "amount_yuan": quote.fee_yuan,
                "notice_received_on": received,
                "payment_due": payment_due,
            },
        )

    def _nth_this_month(self, request: RequestRef) -> int:
        """Which of the applicant's requests in its natural month this one is (按件)."""
        with self._read() as conn:
            row = self._row(conn, request)
            first = row["received_on"].replace(day=1)
            return int(
                conn.execute(
                    select(func.count()).where(
                        REQUEST.c.agency == self.agency.code,
                        REQUEST.c.applicant_key == row["applicant_key"],
                        REQUEST.c.received_on >= first,
                        REQUEST.c.received_on <= row["received_on"],
                        REQUEST.c.id <= row["id"],
                    )
                ).scalar_one()
            )

    def receive_payment(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """缴费: the clock runs again."""
        return self._act(
            request, Event.RECEIVE_PAYMENT, actor=actor, on=on, expected_version=expected_version
        )

    def fee_lapsed(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """逾期未缴费: 视为放弃 (国办函〔2020〕109号); outcome ``fee_lapsed``."""
        return self._act(
            request, Event.FEE_LAPSED, actor=actor, on=on, expected_version=expected_version
        )

    def withdraw(
        self,
        request: RequestRef,
        *,
        actor: str,
        reason: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """撤回: the applicant withdraws; outcome ``withdrawn`` (其他处理)."""
        return self._act(
            request,
            Event.WITHDRAW,
            actor=actor,
            on=on,
            reason=reason,
            expected_version=expected_version,
        )

    def reply(
        self,
        request: RequestRef,
        *,
        actor: str,
        outcome: Outcome,
        details: Mapping[str, Any] | None = None,
        on: date | None = None,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """答复 with one outcome (DESIGN §3); ``details`` feed the letter."""
        return self._act(
            request,
            Event.REPLY,
            actor=actor,
            on=on,
            reason=reason,
            expected_version=expected_version,
            params={"outcome": _outcome(outcome), "details": dict(details or {})},
        )

    def archive(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """归档: afterwards only 复议/诉讼 records may be added."""
        return self._act(
            request, Event.ARCHIVE, actor=actor, on=on, expected_version=expected_version
        )

    def record_review(
        self,
        request: RequestRef,
        *,
        actor: str,
        result: str,
        on: date | None = None,
        case_no: str | None = None,
        reason: str | None = None,
    ) -> RequestView:
        """Record a 行政复议 about the reply: upheld, corrected, other or pending."""
        return self._act(
            request,
            Event.RECORD_REVIEW,
            actor=actor,
            on=on,
            reason=reason,
            params={"result": result, "case_no": case_no},
        )

    def record_litigation(
        self,
        request: RequestRef,
        *,
        actor: str,
        result: str,
        after_review: bool,
        on: date | None = None,
        case_no: str | None = None,
        reason: str | None = None,
    ) -> RequestView:
        """Record a 行政诉讼 (直接起诉 or 复议后起诉): upheld, corrected, other or pending."""
        return self._act(
            request,
            Event.RECORD_LITIGATION,
            actor=actor,
            on=on,
            reason=reason,
            params={"result": result, "after_review": after_review, "case_no": case_no},
        )

    # ------------------------------------------------------------------ the engine of actions

    def _act(
        self,
        request: RequestRef,
        event: Event,
        *,
        actor: str,
        on: date | None,
        expected_version: int | None = None,
        reason: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> RequestView:
        _check_actor(actor)
        params = dict(params or {})
        with self._write() as conn:
            batch = self._batch
            cached = batch.cache.get(request) if batch and isinstance(request, int) else None
            if cached is not None:
                row, history = cached
            else:
                if batch is not None:
                    batch.flush()
                row = self._row(conn, request)
                history = self._history(conn, row["id"])
            label = _label(row)
            if expected_version is not None and row["version"] != expected_version:
                raise ConflictError(
                    f"{event.value}: request {label} is at version {row['version']}, not "
                    f"{expected_version}: another action came first; reload and decide again"
                )
            when = on or self._today()
            last = max(h.on for h in history if h.event is not Event.RECOMPUTE_DEADLINE)
            if when < last:
                raise ValidationError(
                    f"{event.value}: request {label}: {when} is before the previous event "
                    f"on {last}; events are recorded in date order"
                )
            ctx = GuardContext(
                request=label,
                on=when,
                due_date=row["due_date"],
                correction_window_end=row["correction_window_end"],
                correction_due=_last_date(history, Event.REQUEST_CORRECTION, "correct_by"),
                extended_on=next((h.on for h in history if h.event is Event.EXTEND), None),
                fee_payment_due=_last_date(history, Event.ISSUE_FEE_NOTICE, "payment_due"),
                params=params,
            )
            before = State(row["state"])
            after = fire(before, event, ctx)
            payload = _jsonable({k: v for k, v in params.items() if v is not None})
            assert isinstance(payload, dict)
            item = HistoryItem(event, when, payload)
            changes: dict[str, Any] = {"state": after.value}
            if after is not State.RECEIVED and event not in _CLOCK_NEUTRAL:
                changes |= self._clock_fields(row, [*history, item])
            if event is Event.REGISTER:
                if batch is not None:
                    seq = batch.next_registration_seq(self.agency.code, when.year)
                else:
                    seq = allocate_seq(conn, self.agency.code, when.year)
                changes |= {
                    "reg_no": self.agency.registration_number(when.year, seq),
                    "reg_year": when.year,
                    "reg_seq": seq,
                }
            changes |= _event_columns(event, before, after, when, params)
            if row["handler"] is None and event in _ASSIGNS_HANDLER:
                changes["handler"] = actor  # whoever handles the 补正 handles the request
            merged = self._store(
                conn, row, changes, event, actor=actor, on=when, reason=reason, payload=payload
            )
            self._remember(merged, [*history, item])
        return _view(merged)

    def _remember(self, row: dict[str, Any], history: list[HistoryItem]) -> None:
        """Inside a batch, keep the request as just written for the next action on it."""
        if self._batch is not None:
            self._batch.cache[row["id"]] = (row, history)

    def _clock_fields(
        self, row: Mapping[str, Any], history: Sequence[HistoryItem]
    ) -> dict[str, Any]:
        events = clock_events(row["received_on"], Channel(row["channel"]), history)
        deadline = compute_deadline(events, self.calendar, policy=self.policy)
        return {name: getattr(deadline, name) for name in _CLOCK_FIELDS}

    def _store(
        self,
        conn: Connection,
        row: Mapping[str, Any],
        changes: Mapping[str, Any],
        event: Event,
        *,
        actor: str,
        on: date,
        reason: str | None,
        payload: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Write the changed columns (version-checked) and the event row; the new row."""
        now = self._clock()
        version = row["version"] + 1
        changed = {k: v for k, v in changes.items() if row[k] != v}
        event_row = {
            "request_id": row["id"],
            "seq": version,
            "event": event.value,
            "actor": actor,
            "at": now,
            "effective_on": on,
            "state_before": row["state"],
            "state_after": changes.get("state", row["state"]),
            "reason": reason,
            "payload": dict(payload),
            "before_values": _jsonable({k: row[k] for k in changed if k != "state"}),
            "after_values": _jsonable({k: v for k, v in changed.items() if k != "state"}),
        }
        merged = {**row, **changed, "version": version, "updated_at": now}
        batch = self._batch
        if batch is not None:  # queued; flushed as one UPDATE per request (see _Batch)
            batch.seen.setdefault(row["id"], row["version"])
            batch.changed.setdefault(row["id"], set()).update(changed)
            self._insert_event(conn, event_row)
            return merged
        result = conn.execute(
            _update_request(frozenset(changed)),
            {
                **changed,
                "rid": row["id"],
                "seen": row["version"],
                "version": version,
                "updated_at": now,
            },
        )
        if result.rowcount != 1:
            raise ConflictError(
                f"{event.value}: request {_label(row)} was changed by another worker at the "
                "same time; reload and decide again"
            )
        self._insert_event(conn, event_row)
        return merged

    def _insert_event(self, conn: Connection, event_row: dict[str, Any]) -> None:
        if self._batch is not None:
            self._batch.events.append(event_row)
        else:
            conn.execute(_INSERT_EVENT, event_row)

    def _row(self, conn: Connection, request: RequestRef) -> dict[str, Any]:
        if isinstance(request, int):
            result = conn.execute(_SELECT_BY_ID, {"rid": request})
        else:
            result = conn.execute(
                _SELECT_BY_REG_NO, {"agency": self.agency.code, "reg_no": request}
            )
        row = result.mappings().one_or_none()
        if row is None:
            raise NotFoundError(f"no request {request!r} for agency {self.agency.code}")
        return dict(row)

    def _history(self, conn: Connection, request_id: int) -> list[HistoryItem]:
        rows = conn.execute(_SELECT_HISTORY, {"rid": request_id})
        return [HistoryItem(Event(r.event), r.effective_on, r.payload) for r in rows]

    # ------------------------------------------------------------------ reads

    def get(self, request: RequestRef) -> RequestView:
        with self._read() as conn:
            return _view(self._row(conn, request))

    def events(self, request: RequestRef) -> list[EventView]:
        """The request's audit log, oldest first."""
        with self._read() as conn:
            return self._event_views(conn, self._row(conn, request)["id"])

    def _event_views(self, conn: Connection, request_id: int) -> list[EventView]:
        rows = conn.execute(
            select(EVENT).where(EVENT.c.request_id == request_id).order_by(EVENT.c.seq)
        ).mappings()
        return [
            EventView(
                seq=r["seq"],
                event=r["event"],
                actor=r["actor"],
                at=r["at"],
                on=r["effective_on"],
                state_before=r["state_before"],
                state_after=r["state_after"],
                reason=r["reason"],
                payload=r["payload"],
                before=r["before_values"],
                after=r["after_values"],
            )
            for r in rows
        ]

    def find(
        self,
        *,
        state: State | str | None = None,
        outcome: Outcome | str | None = None,
        applicant_key: str | None = None,
        handler: str | None = None,
        received_from: date | None = None,
        received_to: date | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RequestView]:
        """Requests matching every given filter, by id."""
        if not 1 <= limit <= 10_000 or offset < 0:
            raise ValidationError(
                f"find: limit must be 1..10000 and offset >= 0, got {limit}, {offset}"
            )
        conditions = [REQUEST.c.agency == self.agency.code]
        if state is not None:
            conditions.append(REQUEST.c.state == State(state).value)
        if outcome is not None:
            conditions.append(REQUEST.c.outcome == Outcome(outcome).value)
        if applicant_key is not None:
            conditions.append(REQUEST.c.applicant_key == applicant_key)
        if handler is not None:
            conditions.append(REQUEST.c.handler == handler)
        if received_from is not None:
            conditions.append(REQUEST.c.received_on >= received_from)
        if received_to is not None:
            conditions.append(REQUEST.c.received_on <= received_to)
        query = (
            select(REQUEST).where(*conditions).order_by(REQUEST.c.id).limit(limit).offset(offset)
        )
        with self._read() as conn:
            return [_view(dict(r)) for r in conn.execute(query).mappings()]

    def count(self, *, state: State | str | None = None) -> int:
        conditions = [REQUEST.c.agency == self.agency.code]
        if state is not None:
            conditions.append(REQUEST.c.state == State(state).value)
        with self._read() as conn:
            return int(conn.execute(select(func.count()).where(*conditions)).scalar_one())

    def _overdue_queries(self, day: date, within: int) -> tuple[Select[Any], Select[Any]]:
        if within < 0:
            raise ValidationError(f"overdue: within must be >= 0 working days, got {within}")
        soon = self.calendar.add_workdays(day, within) if within else day
        running = REQUEST.c.state.in_([s.value for s in CLOCK_RUNNING])
        columns = (
            REQUEST.c.id,
            REQUEST.c.reg_no,
            REQUEST.c.state,
            REQUEST.c.due_date,
            REQUEST.c.estimated,
            REQUEST.c.handler,
        )
        deadlines = (
            select(REQUEST.c.due_date, *columns)
            .where(
                REQUEST.c.agency == self.agency.code,
                running,
                REQUEST.c.due_date <= (soon if within else day - timedelta(days=1)),
            )
            .order_by(REQUEST.c.due_date, REQUEST.c.id)
        )
        # 条例第三十条: a 补正 notice must go out within 7 working days of receipt.
        windows = (
            select(REQUEST.c.correction_window_end, *columns)
            .where(
                REQUEST.c.agency == self.agency.code,
                running,
                REQUEST.c.correction_requested_on.is_(None),
                REQUEST.c.correction_window_end >= day,
                REQUEST.c.correction_window_end <= soon,
            )
            .order_by(REQUEST.c.correction_window_end, REQUEST.c.id)
        )
        return deadlines, windows

    def iter_overdue(self, as_of: date | None = None, within: int = 0) -> Iterator[OverdueItem]:
        """The morning list, most urgent first, streamed in bounded memory.

        Reply deadlines that have passed (``overdue``) or fall within ``within`` working days
        (``due_soon``), and 补正 windows (7 working days from receipt, 条例第三十条) that end
        within ``within`` working days for requests with no correction notice yet
        (``correction_window``). Paused requests (补正, consultation, fee) are left out: their
        clock stands still.
        """
        day = as_of or self._today()
        deadlines, windows = self._overdue_queries(day, within)
        with self._read() as conn:
            streams = [
                self._urgent(conn.execution_options(yield_per=5000).execute(query), day, kind)
                for query, kind in ((deadlines, None), (windows, Urgency.CORRECTION_WINDOW))
            ]
            yield from heapq.merge(*streams, key=lambda item: (item.deadline, item.id))

    def _urgent(self, rows: Any, day: date, kind: Urgency | None) -> Iterator[OverdueItem]:
        between = self.calendar.workdays_from(day)
        states = {s.value: s for s in State}
        # Trusted columns straight from our own table, unpacked as plain tuples: this loop
        # runs once per listed row.
        for deadline, request_id, reg_no, state, due, estimated, handler in rows:
            late = day > due if due is not None else False
            yield OverdueItem(
                id=request_id,
                reg_no=reg_no,
                state=states[state],
                kind=kind or (Urgency.OVERDUE if late else Urgency.DUE_SOON),
                deadline=deadline,
                due_date=due,
                workdays_left=between(deadline),
                overdue=late,
                estimated=estimated,
                handler=handler,
            )

    def count_overdue(self, as_of: date | None = None, within: int = 0) -> int:
        """How many items :meth:`iter_overdue` will list (for progress bars)."""
        day = as_of or self._today()
        with self._read() as conn:
            return sum(
                int(conn.execute(select(func.count()).select_from(q.subquery())).scalar_one())
                for q in self._overdue_queries(day, within)
            )

    def overdue(self, as_of: date | None = None, within: int = 0) -> list[OverdueItem]:
        """:meth:`iter_overdue` as a list."""
        return list(self.iter_overdue(as_of, within))

    def recompute(self, request: RequestRef) -> Deadline:
        """The deadline derived from the request's events alone (what the row should hold)."""
        with self._read() as conn:
            row = self._row(conn, request)
            history = self._history(conn, row["id"])
        events = clock_events(row["received_on"], Channel(row["channel"]), history)
        return compute_deadline(events, self.calendar, policy=self.policy)

    def annual_report(self, year: int) -> AnnualReport:
        """Tables 三 and 四 of the 年度报告 for ``year`` (国办公开办函〔2021〕30号)."""
        from ogi_workflow.reports import annual_report  # noqa: PLC0415 - loads numpy

        if not 2000 <= year <= 2199:
            raise ValidationError(f"report: year {year} is out of range (2000–2199)")
        with self._read() as conn:
            return annual_report(
                conn,
                agency=self.agency.code,
                agency_name=self.agency.name,
                year=year,
                calendar=self.calendar,
            )

    # ------------------------------------------------------------------ letters

    def render(
        self,
        request: RequestRef,
        kind: LetterKind | str | None = None,
        fmt: str = "docx",
        *,
        actor: str = "system",
    ) -> Letter:
        """出具文书: the letter ``kind`` (default: the one the latest event calls for).

        The letter gets a 文号 from the agency's letter series the first time it is issued
        for the event it answers, and an ``issue_letter`` event records it (kind, number,
        recipient); printing it again returns the same number and records nothing. Its date
        is the date of that event. A missing fact the letter needs is a ValidationError and
        nothing is recorded. ``fmt`` ("docx", "txt" or "pdf") says which form is wanted; every
        form stays available on the returned Letter (``text()``, ``docx()``, ``pdf()``).
        """
        # Letters pull in Jinja2 and the Word writer: loaded on the first letter only.
        from ogi_workflow.replies.facts import (  # noqa: PLC0415
            basis_event,
            default_kind,
            letter_facts,
        )
        from ogi_workflow.replies.letters import Letter, LetterRenderer  # noqa: PLC0415

        if fmt not in ("docx", "txt", "pdf"):
            raise ValidationError(f"render: format {fmt!r} is not one of: docx, txt, pdf")
        if self._renderer is None:
            self._renderer = LetterRenderer(self._letter_templates)
        _check_actor(actor)
        with self._write() as conn:
            if self._batch is not None:
                self._batch.flush()
            row = self._row(conn, request)
            view, events = _view(row), self._event_views(conn, row["id"])
            label = _label(row)
            letter_kind = _letter_kind(kind) if kind is not None else default_kind(view, events)
            basis = basis_event(letter_kind, view, events)
            issued = next(
                (
                    e.payload["number"]
                    for e in events
                    if e.event == Event.ISSUE_LETTER.value
                    and e.payload.get("kind") == letter_kind.value
                    and e.payload.get("basis_seq") == basis.seq
                ),
                None,
            )
            if issued is None and view.state is State.ARCHIVED:
                raise TransitionError(
                    f"render: request {label} is archived; a letter not issued before cannot "
                    "be issued now (only 复议/诉讼 records may be added after archiving)"
                )
            year = basis.on.year
            number = issued or self.agency.letter_number(
                year, allocate_seq(conn, self.agency.code, year, "letter")
            )
            facts = letter_facts(
                letter_kind,
                request=view,
                events=events,
                basis=basis,
                agency=self.agency,
                policy=self.policy,
                number=number,
            )
            blocks = self._renderer.render(letter_kind, facts, request_label=label)
            recipient = (
                str(facts["consultation"].get("consulted"))
                if letter_kind.spec.recipient == "consulted"
                else view.applicant_name
            )
            letter = Letter(
                letter_kind, number, basis.on, recipient, blocks, base_docx=self._renderer.base_docx
            )
            if fmt != "txt":  # built now, so a failure records nothing
                letter = replace(letter, _docx=letter.docx())
            if issued is None:
                payload = {
                    "kind": letter_kind.value,
                    "number": number,
                    "basis_seq": basis.seq,
                    "recipient": recipient,
                }
                merged = self._store(
                    conn,
                    row,
                    {},
                    Event.ISSUE_LETTER,
                    actor=actor,
                    on=basis.on,
                    reason=None,
                    payload=payload,
                )
                if self._batch is not None:  # the events just read are the history
                    history = [HistoryItem(Event(e.event), e.on, e.payload) for e in events]
                    self._remember(
                        merged, [*history, HistoryItem(Event.ISSUE_LETTER, basis.on, payload)]
                    )
        return letter

    # ------------------------------------------------------------------ calendar changes

    def load_calendar_notice(self, path: str | Path, *, actor: str) -> list[DeadlineMove]:
        """Load a notice file (e.g. the 2027 schedule) for every worker, then reflow.

        The file is stored in the database so that every Workflow opened on it uses the
        same calendar; open requests' due dates are recomputed and every move is recorded.
        """
        _check_actor(actor)
        content = read_notice_file(path)
        schedule = YearSchedule.from_text(content, origin=str(path))
        calendar = self.calendar.with_schedule(schedule)
        with self._write() as conn:
            conn.execute(
                insert(NOTICE).values(
                    year=schedule.year, content=content, loaded_at=self._clock(), loaded_by=actor
                )
            )
        self.calendar = calendar
        return self.reflow_deadlines(actor=actor)

    def reflow_deadlines(self, *, actor: str = "system") -> list[DeadlineMove]:
        """Recompute every open request's clock with the current calendar.

        Each request whose clock fields change gets a ``recompute_deadline`` event with the
        values before and after. Returns what moved.
        """
        _check_actor(actor)
        open_states = [s.value for s in State if s not in DONE and s is not State.RECEIVED]
        with self._read() as conn:
            ids = list(
                conn.execute(
                    select(REQUEST.c.id)
                    .where(REQUEST.c.agency == self.agency.code, REQUEST.c.state.in_(open_states))
                    .order_by(REQUEST.c.id)
                ).scalars()
            )
        moves: list[DeadlineMove] = []
        today = self._today()
        for start in range(0, len(ids), _CHUNK):
            with self._write() as conn:
                for request_id in ids[start : start + _CHUNK]:
                    row = self._row(conn, request_id)
                    if State(row["state"]) in DONE:
                        continue  # replied since the id list was read
                    fields = self._clock_fields(row, self._history(conn, request_id))
                    if all(row[k] == v for k, v in fields.items()):
                        continue
                    self._store(
                        conn,
                        row,
                        fields,
                        Event.RECOMPUTE_DEADLINE,
                        actor=actor,
                        on=today,
                        reason="calendar changed",
                        payload={},
                    )
                    moves.append(
                        DeadlineMove(
                            request_id=request_id,
                            reg_no=row["reg_no"],
                            before=row["due_date"],
                            after=fields["due_date"],
                            estimated_before=row["estimated"],
                            estimated_after=fields["estimated"],
                        )
                    )
        return moves


def _save_agency(engine: Engine, profile: AgencyProfile, now: datetime) -> None:
    with engine.begin() as conn:
        values = {"profile": profile.model_dump(mode="json"), "updated_at": now}
        updated = conn.execute(
            update(AGENCY).where(AGENCY.c.code == profile.code).values(values)
        ).rowcount
        if not updated:
            conn.execute(insert(AGENCY).values(code=profile.code, **values))


def _stored_agency(engine: Engine) -> AgencyProfile:
    with engine.connect().execution_options(ogi_read=True) as conn:
        profiles = list(conn.execute(select(AGENCY.c.profile)).scalars())
    if len(profiles) != 1:
        found = "no agency" if not profiles else f"{len(profiles)} agencies"
        raise ValidationError(
            f"the database holds {found}; pass the agency profile (agency=… / --agency FILE)"
        )
    return validate(AgencyProfile, profiles[0])


def _label(row: Mapping[str, Any]) -> str:
    """How messages name a request: its registration number, or #id before registration."""
    return str(row["reg_no"]) if row["reg_no"] else f"#{row['id']}"


def _check_actor(actor: str) -> None:
    if not isinstance(actor, str) or not actor.strip() or len(actor) > 200:
        raise ValidationError(
            f"actor must be a non-empty name of at most 200 characters, got {actor!r}"
        )


def _letter_kind(value: LetterKind | str) -> LetterKind:
    from ogi_workflow.replies.letters import LetterKind  # noqa: PLC0415

    try:
        return LetterKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in LetterKind)
        raise ValidationError(f"render: letter kind {value!r} is not one of: {allowed}") from None


def _outcome(value: Outcome | str) -> Outcome:
    try:
        return Outcome(value)
    except ValueError:
        allowed = ", ".join(o.value for o in Outcome)
        raise ValidationError(f"outcome {value!r} is not one of: {allowed}") from None


def _event_columns(
    event: Event, before: State, after: State, on: date, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The columns an event sets besides the state and the clock."""
    if event is Event.START_HANDLING:
        return {"handler": params["handler"]}
    if event is Event.ARCHIVE:
        return {"archived_on": on}
    if event is Event.REQUEST_CORRECTION:
        return {"correction_requested_on": on}
    if after is State.REPLIED and before is not State.REPLIED:
        outcome = _OUTCOME_OF_EVENT.get(event) or params["outcome"]
        return {"outcome": outcome.value, "replied_on": on}
    return {}


def _last_date(history: Sequence[HistoryItem], event: Event, key: str) -> date | None:
    for item in reversed(history):
        if item.event is event:
            return date.fromisoformat(item.payload[key])
    return None


def _view(row: Mapping[str, Any]) -> RequestView:
    # The row was validated on the way in and written by this module: construct without
    # validating again (the enum fields are converted explicitly).
    return RequestView.model_construct(
        id=row["id"],
        agency=row["agency"],
        reg_no=row["reg_no"],
        state=State(row["state"]),
        outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        applicant_kind=ApplicantKind(row["applicant_kind"]),
        applicant_name=row["applicant_name"],
        description=row["description"],
        channel=Channel(row["channel"]),
        received_on=row["received_on"],
        clock_start=row["clock_start"],
        due_date=row["due_date"],
        correction_window_end=row["correction_window_end"],
        paused_workdays=row["paused_workdays"],
        extension_workdays=row["extension_workdays"],
        estimated=row["estimated"],
        handler=row["handler"],
        replied_on=row["replied_on"],
        version=row["version"],
        application=row["application"],
    )
