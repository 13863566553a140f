"""The routes: one per library operation, each a thin call of the caller's Workflow.

The action routes are built from the typed action methods themselves: each method's
parameters (less the request, the actor and the expected version) are its body, a named
schema ``<Action>Body``, and its docstring is the operation's description. So the HTTP
contract cannot drift from the library's; the checked-in openapi.json shows every change.
"""

import inspect
import re
import tempfile
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Body, FastAPI, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.responses import Response

from ogi_workflow.access import DeliveryView, TokenView, WebhookView
from ogi_workflow.calendar import DayKind
from ogi_workflow.clock import ExplainStatus, PauseReason
from ogi_workflow.errors import StaleVersionError
from ogi_workflow.fees import FeeBasis, fee_per_request, fee_per_volume
from ogi_workflow.letters.kinds import LetterKind
from ogi_workflow.lifecycle import Event, State
from ogi_workflow.models import (
    Application,
    EventView,
    OverdueItem,
    RequestView,
    SearchTaskView,
    Urgency,
)
from ogi_workflow.outcomes import Outcome
from ogi_workflow.people import DepartmentView, PersonView, Role
from ogi_workflow.service.app import (
    Authenticated,
    IdempotencyKey,
    IfMatch,
    idempotent,
    json_response,
)
from ogi_workflow.service.problems import PROBLEM_RESPONSES
from ogi_workflow.storage.migrate import schema_state
from ogi_workflow.workflow import Workflow

__all__ = ["ACTIONS", "action_body", "install"]

# Events that are an action method of the Workflow (receive has its own route; the other
# two are records the library writes itself).
ACTIONS: Final = tuple(
    e.value for e in Event if e not in (Event.RECEIVE, Event.RECOMPUTE_DEADLINE, Event.ISSUE_LETTER)
)
_NOT_BODY: Final = frozenset({"self", "request", "actor", "expected_version"})
_RequestId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="The request's id")]
_DOCX: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FILE_FORMATS: Final = {"docx": _DOCX, "pdf": "application/pdf", "txt": "text/plain; charset=utf-8"}


def _file(media: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media: {"schema": {"type": "string", "format": "binary"}}}}}


def _etag(view: RequestView) -> dict[str, str]:
    return {"ETag": f'"{view.version}"'}


def _request_response(view: RequestView, status: int = 200) -> Response:
    headers = _etag(view)
    if status == 201:
        headers["Location"] = f"/v1/requests/{view.id}"
    return json_response(view.model_dump(mode="json"), status, headers)


def _if_match(value: str | None) -> int | None:
    """The version an If-Match names (``"3"``, ``W/"3"``); None for none or ``*``."""
    if value is None or value.strip() == "*":
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,18})"?\s*', value)
    if match is None:
        raise StaleVersionError(f"If-Match {value[:40]!r} is not a version this service issued")
    return int(match.group(1))


# --------------------------------------------------------------------------- bodies


def _plain(hint: Any) -> Any:
    """A parameter's type as a body field: abstract collections as JSON's own."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        args = tuple(_plain(a) for a in typing.get_args(hint))
        return typing.Union[args]  # noqa: UP007 - built from a tuple
    if origin is Mapping:
        key, value = typing.get_args(hint)
        return dict[key, value]  # type: ignore[valid-type]
    if origin is Sequence:
        (item,) = typing.get_args(hint)
        return list[item]  # type: ignore[valid-type]
    return hint


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def action_body(name: str) -> type[BaseModel]:
    """The body of an action: the method's own parameters, their defaults, its docstring."""
    method = getattr(Workflow, name)
    hints = typing.get_type_hints(method)
    fields: dict[str, Any] = {}
    for pname, param in inspect.signature(method).parameters.items():
        if pname in _NOT_BODY:
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (_plain(hints[pname]), default)
    model: type[BaseModel] = create_model(
        f"{_camel(name)}Body",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"The parameters of {name} (the library's Workflow.{name}).",
        **fields,
    )
    return model


def _action_route(router: APIRouter, name: str) -> None:
    body_model = action_body(name)
    doc = inspect.getdoc(getattr(Workflow, name)) or name

    def act(
        request_id: _RequestId,
        body: Annotated[body_model, Body()],  # type: ignore[valid-type]
        caller: Authenticated,
        request: Request,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        params = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        raw = body.model_dump_json().encode()  # type: ignore[attr-defined]

        def run() -> Response:
            view = getattr(caller.wf, name)(
                request_id,
                actor=caller.login,
                expected_version=_if_match(if_match),
                **params,
            )
            return _request_response(view)

        return idempotent(caller, idempotency_key, request, raw, run)

    router.add_api_route(
        f"/v1/requests/{{request_id}}/actions/{name}",
        act,
        methods=["POST"],
        operation_id=name,
        summary=doc.splitlines()[0],
        description=doc,
        response_model=RequestView,
        tags=["actions"],
    )


# --------------------------------------------------------------------------- read models


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
    by_department: dict[str, dict[str, int]] | None = None


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
    """A State Council 节假日安排 notice file's text (TOML, docs/deadlines.md)."""

    model_config = ConfigDict(extra="forbid")
    content: str = Field(max_length=200_000)


class MoveOut(BaseModel):
    """A due date that a calendar change moved."""

    request_id: int
    reg_no: str | None
    before: date | None
    after: date | None
    estimated_before: bool
    estimated_after: bool


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
    url: str = Field(description="Where events are POSTed (http or https)")
    secret: str = Field(description="16 to 200 ASCII characters; signs every delivery")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    database: bool
    schema_current: bool
    calendar_days_left: int | None = Field(
        description="Days from today to the end of the last year a State Council notice settles"
    )


# --------------------------------------------------------------------------- routes


def _request_routes(router: APIRouter) -> None:
    @router.post(
        "/v1/requests",
        operation_id="receive",
        status_code=201,
        response_model=RequestView,
        tags=["requests"],
        summary="接收: store a new application",
    )
    def receive(
        application: Application,
        caller: Authenticated,
        request: Request,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """接收: a new application (state ``received``); 条例第三十一条 sets its day."""

        def run() -> Response:
            return _request_response(caller.wf.receive(application, actor=caller.login), 201)

        raw = application.model_dump_json().encode()
        return idempotent(caller, idempotency_key, request, raw, run)

    @router.get("/v1/requests", operation_id="find", response_model=RequestPage, tags=["requests"])
    def find(
        caller: Authenticated,
        state: State | None = None,
        outcome: Outcome | None = None,
        handler: Annotated[str | None, Query(max_length=64)] = None,
        applicant_key: Annotated[str | None, Query(max_length=300)] = None,
        received_from: date | None = None,
        received_to: date | None = None,
        reg_no: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    ) -> RequestPage:
        """Requests matching every given filter, by id, one page at a time."""
        if reg_no is not None:
            from ogi_workflow.errors import NotFoundError  # noqa: PLC0415

            try:
                items = [caller.wf.get(reg_no)]
            except NotFoundError:
                items = []
            return RequestPage(
                items=items[offset:][:limit], limit=limit, offset=offset, next_offset=None
            )
        items = caller.wf.find(
            state=state,
            outcome=outcome,
            handler=handler,
            applicant_key=applicant_key,
            received_from=received_from,
            received_to=received_to,
            limit=limit + 1,
            offset=offset,
        )
        more = len(items) > limit
        return RequestPage(
            items=items[:limit],
            limit=limit,
            offset=offset,
            next_offset=offset + limit if more else None,
        )

    @router.get(
        "/v1/requests/{request_id}",
        operation_id="get_request",
        response_model=RequestView,
        tags=["requests"],
    )
    def get_request(request_id: _RequestId, caller: Authenticated) -> Response:
        """One request; its ETag is its version (send it back as If-Match on an action)."""
        return _request_response(caller.wf.get(request_id))

    @router.get(
        "/v1/requests/{request_id}/events",
        operation_id="events",
        response_model=list[EventView],
        tags=["requests"],
    )
    def events(request_id: _RequestId, caller: Authenticated) -> list[EventView]:
        """The request's audit log, oldest first."""
        return caller.wf.events(request_id)

    @router.get(
        "/v1/requests/{request_id}/deadline",
        operation_id="deadline",
        response_model=DeadlineExplained,
        tags=["requests"],
    )
    def deadline(
        request_id: _RequestId, caller: Authenticated, as_of: date | None = None
    ) -> DeadlineExplained:
        """The reply deadline from the request's events, and day by day why it counts."""
        found, lines = caller.wf.explain(request_id, as_of=as_of)
        return DeadlineExplained(
            deadline=DeadlineOut(**found.as_dict()),
            days=[ExplainDay(**line.as_dict()) for line in lines],
        )

    @router.get(
        "/v1/requests/{request_id}/search-tasks",
        operation_id="search_tasks",
        response_model=list[SearchTaskView],
        tags=["requests"],
    )
    def search_tasks(request_id: _RequestId, caller: Authenticated) -> list[SearchTaskView]:
        """The request's 协查 tasks, open and answered."""
        return caller.wf.search_tasks(request_id)

    @router.get(
        "/v1/requests/{request_id}/letters",
        operation_id="letters",
        response_model=list[LetterOut],
        tags=["letters"],
    )
    def letters(request_id: _RequestId, caller: Authenticated) -> list[LetterOut]:
        """The letters issued for the request, in issue order."""
        return [_letter_out(i, x) for i, x in enumerate(caller.wf.letters(request_id), 1)]

    @router.post(
        "/v1/requests/{request_id}/letters",
        operation_id="issue_letter",
        response_model=LetterOut,
        tags=["letters"],
    )
    def issue_letter(
        request_id: _RequestId,
        order: LetterOrder,
        caller: Authenticated,
        request: Request,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """出具文书: issue the letter (a 文号 the first time; printing it again records
        nothing and keeps its number); download it from its index."""

        def run() -> Response:
            letter = caller.wf.render(request_id, order.kind, actor=caller.login)
            issued = caller.wf.letters(request_id)
            index = next(i for i, x in enumerate(issued, 1) if x.number == letter.number)
            return json_response(_letter_out(index, letter).model_dump(mode="json"))

        return idempotent(caller, idempotency_key, request, order.model_dump_json().encode(), run)

    @router.get(
        "/v1/requests/{request_id}/letters/{index}",
        operation_id="letter_file",
        tags=["letters"],
        response_class=Response,
        responses={
            200: {
                "content": {
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for media in _FILE_FORMATS.values()
                },
                "description": "The letter exactly as issued (.docx), or as PDF or text",
            }
        },
    )
    def letter_file(
        request_id: _RequestId,
        index: Annotated[int, PathParam(ge=1, le=10_000)],
        caller: Authenticated,
        format: Literal["docx", "pdf", "txt"] = "docx",
    ) -> Response:
        """One issued letter as a file: the frozen .docx, or PDF, or plain text."""
        from ogi_workflow.errors import NotFoundError  # noqa: PLC0415

        issued = caller.wf.letters(request_id)
        if index > len(issued):
            raise NotFoundError(f"request {request_id} has {len(issued)} letter(s), not {index}")
        letter = issued[index - 1]
        if format == "docx":
            data = letter.docx()
        elif format == "pdf":
            data = letter.pdf()
        else:
            data = letter.text().encode()
        return _download(data, _FILE_FORMATS[format], f"letter-{index}.{format}")

    @router.get(
        "/v1/requests/{request_id}/case-file",
        operation_id="case_file",
        tags=["letters"],
        response_class=Response,
        responses=_file("application/zip"),
    )
    def case_file(request_id: _RequestId, caller: Authenticated) -> Response:
        """归档: the request's case file (一案一档) as a zip, with an index."""
        with tempfile.TemporaryDirectory() as folder:
            path = caller.wf.case_file(request_id, Path(folder) / "case.zip", actor=caller.login)
            data = path.read_bytes()
        return _download(data, "application/zip", f"case-{request_id}.zip")

    @router.get(
        "/v1/requests/{request_id}/approval-form",
        operation_id="approval_form",
        tags=["letters"],
        response_class=Response,
        responses=_file(_DOCX),
    )
    def approval_form(
        request_id: _RequestId,
        caller: Authenticated,
        draft: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    ) -> Response:
        """The 审批表 of a draft reply (default: the latest submitted), as .docx."""
        data = caller.wf.approval_form(request_id, actor=caller.login, draft=draft)
        return _download(data, _DOCX, f"approval-{request_id}.docx")


def _letter_out(index: int, letter: Any) -> LetterOut:
    return LetterOut(
        index=index,
        number=letter.number,
        kind=letter.kind,
        title=letter.title,
        date=letter.date,
        recipient=letter.recipient,
    )


def _download(data: bytes, media: str, name: str) -> Response:
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _agency_routes(router: APIRouter) -> None:
    @router.get(
        "/v1/overdue", operation_id="overdue", response_model=list[OverdueOut], tags=["reads"]
    )
    def overdue(
        caller: Authenticated,
        as_of: date | None = None,
        within: Annotated[int, Query(ge=0, le=250)] = 0,
        department: Annotated[str | None, Query(max_length=40)] = None,
        person: Annotated[str | None, Query(max_length=64)] = None,
    ) -> list[OverdueOut]:
        """The morning list, most urgent first: overdue, due within ``within`` working days,
        补正 windows closing, and the agency's inner work late or due as soon."""
        items: list[OverdueItem] = caller.wf.overdue(
            as_of, within, department=department, person=person
        )
        return [OverdueOut(**item._asdict()) for item in items]

    @router.get(
        "/v1/reports/annual/{year}",
        operation_id="annual_report",
        response_model=AnnualReportOut,
        tags=["reports"],
    )
    def annual_report(
        caller: Authenticated,
        year: Annotated[int, PathParam(ge=2000, le=2199)],
        by_department: bool = False,
    ) -> AnnualReportOut:
        """Tables 三 and 四 of the 年度报告 for ``year``; with ``by_department``, the internal
        statistics by department too."""
        report = caller.wf.annual_report(year, by_department=by_department)
        return AnnualReportOut(**report.as_dict())

    @router.get(
        "/v1/reports/annual/{year}/xlsx",
        operation_id="annual_report_xlsx",
        tags=["reports"],
        response_class=Response,
        responses=_file(_XLSX),
    )
    def annual_report_xlsx(
        caller: Authenticated,
        year: Annotated[int, PathParam(ge=2000, le=2199)],
        by_department: bool = False,
    ) -> Response:
        """The 年度报告 tables as an .xlsx workbook laid out like the published form."""
        from ogi_workflow.reports.xlsx import write_xlsx  # noqa: PLC0415

        report = caller.wf.annual_report(year, by_department=by_department)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "report.xlsx"
            write_xlsx(report, str(path))
            data = path.read_bytes()
        return _download(data, _XLSX, f"annual-report-{year}.xlsx")

    @router.get(
        "/v1/fees/{basis}/{quantity}",
        operation_id="fee",
        response_model=FeeQuoteOut,
        tags=["reads"],
    )
    def fee(
        caller: Authenticated,
        basis: FeeBasis,
        quantity: Annotated[int, PathParam(ge=1, le=1_000_000)],
    ) -> FeeQuoteOut:
        """信息处理费: per_request (the applicant's n-th request this month) or per_volume
        (pages)."""
        quote = (fee_per_request if basis is FeeBasis.PER_REQUEST else fee_per_volume)(quantity)
        return FeeQuoteOut(
            basis=quote.basis,
            fee_yuan=quote.fee_yuan,
            quantity=quote.quantity,
            tiers=list(quote.tiers),
        )

    @router.get(
        "/v1/calendar/days",
        operation_id="calendar_days",
        response_model=list[DayOut],
        tags=["calendar"],
    )
    def calendar_days(caller: Authenticated, start: date, end: date) -> list[DayOut]:
        """Every day from ``start`` to ``end`` (at most 366 days): working day or not, and
        which notice says so."""
        from ogi_workflow.errors import ValidationError  # noqa: PLC0415

        if not 0 <= (end - start).days <= 366:
            raise ValidationError("calendar: end must be 0 to 366 days after start")
        return [
            DayOut(
                date=info.day,
                kind=info.kind,
                workday=info.is_workday,
                name=info.name,
                source=info.source,
                estimated=info.estimated,
            )
            for info in caller.wf.calendar.days(start - _ONE_DAY, end)
        ]

    @router.get(
        "/v1/calendar/add-workdays",
        operation_id="add_workdays",
        response_model=WorkdaysOut,
        tags=["calendar"],
    )
    def add_workdays(
        caller: Authenticated, start: date, workdays: Annotated[int, Query(ge=1, le=1000)]
    ) -> WorkdaysOut:
        """The day ``workdays`` working days after ``start`` (the first counted day is the
        next working day after it)."""
        cal = caller.wf.calendar
        end = cal.add_workdays(start, workdays)
        return WorkdaysOut(
            start=start, workdays=workdays, date=end, estimated=cal.span_is_estimated(start, end)
        )

    @router.post(
        "/v1/calendar/notices",
        operation_id="load_calendar_notice",
        response_model=list[MoveOut],
        tags=["calendar"],
    )
    def load_calendar_notice(
        upload: NoticeUpload,
        caller: Authenticated,
        request: Request,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """Load a State Council notice for every worker; open due dates are recomputed and
        every move is answered (and recorded)."""

        def run() -> Response:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "notice.toml"
                path.write_text(upload.content, encoding="utf-8")
                moves = caller.wf.load_calendar_notice(path, actor=caller.login)
            return json_response([MoveOut(**vars(m)).model_dump(mode="json") for m in moves])

        raw = upload.model_dump_json().encode()
        return idempotent(caller, idempotency_key, request, raw, run)


_ONE_DAY: Final = timedelta(days=1)


def _people_routes(router: APIRouter) -> None:
    @router.get("/v1/me", operation_id="me", response_model=Me, tags=["people"])
    def me(caller: Authenticated) -> Me:
        """The token's person and agency."""
        return Me(
            agency=caller.agency,
            agency_name=caller.wf.agency.name,
            person=caller.wf.person(caller.login),
        )

    @router.get(
        "/v1/people", operation_id="people", response_model=list[PersonView], tags=["people"]
    )
    def people(caller: Authenticated) -> list[PersonView]:
        return caller.wf.people()

    @router.post(
        "/v1/people", operation_id="add_person", response_model=PersonView, tags=["people"]
    )
    def add_person(new: NewPerson, caller: Authenticated) -> PersonView:
        """Register a person (an administrator's act)."""
        return caller.wf.add_person(
            new.login, new.name, roles=new.roles, department=new.department, actor=caller.login
        )

    @router.post(
        "/v1/people/{login}/roles",
        operation_id="grant_role",
        response_model=PersonView,
        tags=["people"],
    )
    def grant_role(login: str, change: RoleChange, caller: Authenticated) -> PersonView:
        return caller.wf.grant_role(login, change.role, actor=caller.login)

    @router.delete(
        "/v1/people/{login}/roles/{role}",
        operation_id="revoke_role",
        response_model=PersonView,
        tags=["people"],
    )
    def revoke_role(login: str, role: Role, caller: Authenticated) -> PersonView:
        return caller.wf.revoke_role(login, role, actor=caller.login)

    @router.get(
        "/v1/departments",
        operation_id="departments",
        response_model=list[DepartmentView],
        tags=["people"],
    )
    def departments(caller: Authenticated) -> list[DepartmentView]:
        return caller.wf.departments()

    @router.post(
        "/v1/departments",
        operation_id="add_department",
        response_model=DepartmentView,
        tags=["people"],
    )
    def add_department(new: NewDepartment, caller: Authenticated) -> DepartmentView:
        caller.wf.add_department(new.code, new.name, contact=new.contact, actor=caller.login)
        return next(d for d in caller.wf.departments() if d.code == new.code)

    @router.get(
        "/v1/tokens", operation_id="tokens", response_model=list[TokenView], tags=["access"]
    )
    def tokens(caller: Authenticated) -> list[TokenView]:
        """The agency's API tokens (never the tokens themselves)."""
        caller.wf._may("manage_access", caller.login)
        return caller.wf.tokens()

    @router.delete(
        "/v1/tokens/{token_id}", operation_id="revoke_token", status_code=204, tags=["access"]
    )
    def revoke_token(token_id: Annotated[int, PathParam(ge=1)], caller: Authenticated) -> Response:
        caller.wf.revoke_token(token_id, actor=caller.login)
        return Response(status_code=204)

    @router.get(
        "/v1/webhooks", operation_id="webhooks", response_model=list[WebhookView], tags=["access"]
    )
    def webhooks(caller: Authenticated) -> list[WebhookView]:
        caller.wf._may("manage_access", caller.login)
        return caller.wf.webhooks()

    @router.post(
        "/v1/webhooks", operation_id="add_webhook", response_model=WebhookView, tags=["access"]
    )
    def add_webhook(new: NewWebhook, caller: Authenticated) -> WebhookView:
        """Send the agency's events to a URL, signed (docs/service.md)."""
        return caller.wf.add_webhook(new.url, new.secret, actor=caller.login)

    @router.delete(
        "/v1/webhooks/{webhook_id}", operation_id="remove_webhook", status_code=204, tags=["access"]
    )
    def remove_webhook(
        webhook_id: Annotated[int, PathParam(ge=1)], caller: Authenticated
    ) -> Response:
        caller.wf.remove_webhook(webhook_id, actor=caller.login)
        return Response(status_code=204)

    @router.get(
        "/v1/deliveries",
        operation_id="deliveries",
        response_model=list[DeliveryView],
        tags=["access"],
    )
    def deliveries(
        caller: Authenticated,
        status: Literal["pending", "delivered", "dead"] | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[DeliveryView]:
        """The delivery log of the agency's webhooks, newest first."""
        caller.wf._may("manage_access", caller.login)
        return caller.wf.deliveries(status=status, limit=limit)


def _health_routes(router: APIRouter) -> None:
    @router.get("/healthz", operation_id="healthz", response_model=Health, tags=["health"])
    def healthz() -> Health:
        """The process answers (no token needed)."""
        return Health(status="ok")

    @router.get("/readyz", operation_id="readyz", response_model=Readiness, tags=["health"])
    def readyz(request: Request, _caller: Authenticated) -> Response:
        """Ready to serve: the database answers, its schema is this version's, and how many
        days the loaded calendar notices still settle. 503 when not ready."""
        from ogi_workflow.calendar import WorkdayCalendar  # noqa: PLC0415
        from ogi_workflow.models import SHANGHAI  # noqa: PLC0415
        from ogi_workflow.storage.migrate import SchemaState  # noqa: PLC0415

        deployment = request.app.state.deployment
        database, current = False, False
        try:
            with deployment.engine.connect().execution_options(ogi_read=True) as conn:
                state, _revision = schema_state(conn)
            database, current = True, state is SchemaState.CURRENT
        except Exception:
            pass
        official = _caller.wf.calendar.official_years or WorkdayCalendar.china().official_years
        today = datetime.now(SHANGHAI).date()
        left = (date(max(official), 12, 31) - today).days if official else None
        ready = database and current
        body = Readiness(
            status="ready" if ready else "not_ready",
            database=database,
            schema_current=current,
            calendar_days_left=left,
        )
        return json_response(body.model_dump(mode="json"), 200 if ready else 503)


def install(app: FastAPI) -> None:
    """Every route, with the problem answers each authenticated one may give."""
    router = APIRouter()
    _health_routes(router)
    authenticated = APIRouter(responses=PROBLEM_RESPONSES)
    _request_routes(authenticated)
    for name in ACTIONS:
        _action_route(authenticated, name)
    _agency_routes(authenticated)
    _people_routes(authenticated)
    app.include_router(router)
    app.include_router(authenticated)
