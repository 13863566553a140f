"""The HTTP service's named bodies and answers (the library's own read models aside:
RequestView, EventView, SearchTaskView, PersonView … are served as they are)."""

import re
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal

from fastapi import Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ogi_workflow.calendar import DayKind
from ogi_workflow.clock import ExplainStatus, PauseReason
from ogi_workflow.fees import FeeBasis
from ogi_workflow.letters.kinds import LetterKind
from ogi_workflow.lifecycle import Event, State
from ogi_workflow.lifecycle.typed_events import TypedEvent
from ogi_workflow.models import RequestView, Urgency
from ogi_workflow.people import PersonView, Role

_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    """A date given over HTTP is ISO text: pydantic alone would also take ``0`` or
    ``"0"`` as a Unix time and answer for 1970-01-01 instead of refusing."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


# A date in a query or an action's body.
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
CALENDAR_YEARS: Final = (2000, 2199)


def _calendar_day(value: date) -> date:
    # The calendar estimates every year after the last notice in turn, so a day centuries
    # ahead took seconds on first use (a call that could hold a worker); the law's
    # deadlines need nothing past 2199.
    first, last = CALENDAR_YEARS
    if not first <= value.year <= last:
        raise ValueError(f"the calendar counts days of {first} to {last}, not {value.year}")
    return value


# A day the calendar routes count from or to.
CalendarDate = Annotated[
    date,
    BeforeValidator(_iso_date_only),
    AfterValidator(_calendar_day),
    Query(description="An ISO date, 2000 to 2199"),
]


class RequestPage(BaseModel):
    """One page of requests, by id."""

    items: list[RequestView]
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page; null at the end")


class DeadlineOut(BaseModel):
    """A request's reply deadline (条例第三十三条) as its events make it."""

    received: date
    channel: str
    clock_start: date
    base_due_date: date
    paused_workdays: int
    extended: bool
    extension_workdays: int
    delayed: bool
    due_date: date
    correction_window_end: date
    estimated: bool = Field(description="A day of the period is not settled by a notice yet")
    as_of: date | None = None
    workdays_left: int | None = None
    overdue: bool | None = None
    paused_now: bool | None = None


class ExplainDay(BaseModel):
    """How the clock treated one day."""

    date: date
    status: ExplainStatus
    day_kind: DayKind
    workday_number: int | None
    name: str | None
    source: str | None
    pause_reason: PauseReason | None
    estimated: bool


class DeadlineExplained(BaseModel):
    deadline: DeadlineOut
    days: list[ExplainDay]


class LetterOut(BaseModel):
    """A letter issued for a request (its 文号, kind, date, recipient)."""

    index: int = Field(description="Its place in issue order, from 1 (the download path)")
    number: str
    kind: LetterKind
    title: str
    date: date
    recipient: str


class LetterOrder(BaseModel):
    """Which letter to issue (or print again): default, the one the latest event calls for."""

    model_config = ConfigDict(extra="forbid")
    kind: LetterKind | None = None


class OverdueOut(BaseModel):
    """One line of the morning list."""

    id: int
    reg_no: str | None
    state: State
    kind: Urgency
    deadline: date
    due_date: date | None
    workdays_left: int
    overdue: bool
    estimated: bool
    handler: str | None
    department: str | None
    task: str | None
    contact: str | None


class DepartmentStats(BaseModel):
    """One department's lines of the internal statistics."""

    name: str
    new: int
    carried_in: int
    replied: int
    late: int
    carried_out: int
    results: dict[str, int] = Field(description="Replies by table 三 line")


class AnnualReportOut(BaseModel):
    """Tables 三 and 四 of the 年度报告 (国办公开办函〔2021〕30号), rows and columns by key."""

    year: int
    agency: str
    table3: dict[str, dict[str, int]]
    table4: dict[str, dict[str, int]]
    balanced: bool = Field(description="The 勾稽关系 of table 三 hold")
    received_by_month: dict[str, int]
    replied: int
    average_workdays_to_reply: float | None
    most_requested: list[dict[str, str | int]]
    by_department: dict[str, DepartmentStats] | None = Field(
        default=None, description='By department code ("" for never assigned); internal'
    )


class RollupPart(BaseModel):
    """One agency's tables in a roll-up, and whether its 勾稽关系 holds."""

    agency: str
    balanced: bool
    table3: dict[str, dict[str, int]]
    table4: dict[str, dict[str, int]]


class RollupOut(AnnualReportOut):
    """A 本级政府's roll-up: its agencies' tables summed; ``balanced`` only if every agency's
    table 三 balances on its own."""

    agencies: list[RollupPart] = Field(description="The 本级政府 first, then its members")


class FeeQuoteOut(BaseModel):
    """A 信息处理费 quote (国办函〔2020〕109号)."""

    basis: FeeBasis
    fee_yuan: int
    quantity: int
    tiers: list[tuple[int, int, int]] = Field(description="(from, to, yuan per unit) applied")


class DayOut(BaseModel):
    date: date
    kind: DayKind
    workday: bool
    name: str | None
    source: str | None
    estimated: bool


class WorkdaysOut(BaseModel):
    start: date
    workdays: int
    date: date
    estimated: bool


class NoticeUpload(BaseModel):
    """A calendar notice file's text (TOML, docs/deadlines.md) and whose it is.

    ``agency`` (the default): the token's agency's own notice, its local rest and working
    days on top of the national schedule. ``deployment``: a State Council 节假日安排 notice
    every agency counts by, accepted only while the database serves the token's agency
    alone (otherwise it is the operator's, with ``ogi-workflow reflow --calendar``).
    """

    model_config = ConfigDict(extra="forbid")
    content: str = Field(max_length=200_000)
    scope: Literal["agency", "deployment"] = "agency"


class MoveOut(BaseModel):
    """A due date that a calendar change moved."""

    request_id: int
    reg_no: str | None
    before: date | None
    after: date | None
    estimated_before: bool
    estimated_after: bool
    agency: str


class NoticeOut(BaseModel):
    """A calendar notice loaded into the database that the token's agency counts by."""

    id: int
    year: int
    agency: str | None = Field(
        description="null: deployment-wide (every agency counts by it); a code: that "
        "agency's own notice"
    )
    title: str | None
    source: str | None
    sha256: str | None
    loaded_at: datetime
    loaded_by: str


class Me(BaseModel):
    agency: str
    agency_name: str
    person: PersonView


class NewPerson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: str
    name: str
    roles: list[Role]
    department: str | None = None


class NewDepartment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    name: str
    contact: str | None = None


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


class NewWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(
        pattern=r"^https?://[^\x00-\x20\x7f/?#]+(?:[/?#][^\x00-\x20\x7f]*)?$",
        max_length=2000,
        description="Where events are POSTed (http or https), one line",
    )
    secret: str = Field(
        pattern=r"^[\x00-\x7f]{16,200}$",
        description="16 to 200 ASCII characters; signs every delivery",
    )


class WebhookDelivery(BaseModel):
    """What a webhook receives for one event (POST, signed: docs/service.md)."""

    id: str = Field(
        description="<agency>:<request id>:<event seq>, the same on every attempt (drop repeats)"
    )
    type: Event = Field(description="The event type (as event.event)")
    agency: str = Field(description="The agency's code")
    request_id: int
    reg_no: str | None = Field(description="The registration number, once registered")
    event: TypedEvent = Field(description="The audit log entry, its payload typed by event")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    database: bool
    schema_current: bool
    calendar_days_left: int | None = Field(
        description="Days from today to the end of the last year a State Council notice settles"
    )
