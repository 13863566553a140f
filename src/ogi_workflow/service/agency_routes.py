"""The agency-wide routes: the morning list, reports, fees, the calendar, people, tokens,
webhooks, and the health checks."""

import tempfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel
from starlette.responses import Response

from ogi_workflow.access import DeliveryView, TokenView, WebhookView
from ogi_workflow.fees import FeeBasis, fee_per_request, fee_per_volume
from ogi_workflow.models import ID_MAX, OverdueItem
from ogi_workflow.people import DepartmentView, PersonView, Role
from ogi_workflow.service.app import (
    XLSX,
    Authenticated,
    Caller,
    IdempotencyKey,
    deployment_of,
    download,
    file_response,
    idempotent,
    json_response,
    quick,
)
from ogi_workflow.service.problems import PROBLEM_RESPONSES
from ogi_workflow.service.schemas import (
    AnnualReportOut,
    CalendarDate,
    DayOut,
    FeeQuoteOut,
    Health,
    IsoDate,
    Me,
    MoveOut,
    NewDepartment,
    NewPerson,
    NewWebhook,
    NoticeOut,
    NoticeUpload,
    OverdueOut,
    Readiness,
    RoleChange,
    RollupOut,
    WorkdaysOut,
)
from ogi_workflow.storage.migrate import schema_state

__all__ = ["agency_routes", "health_routes", "people_routes"]

_Year = Annotated[int, PathParam(ge=2000, le=2199)]  # a report year
_UPLOADED_NOTICE: Final = "(uploaded over HTTP)"  # an uploaded notice's origin


def agency_routes(router: APIRouter) -> None:
    @router.get(
        "/v1/overdue", operation_id="overdue", response_model=list[OverdueOut], tags=["reads"]
    )
    def overdue(
        caller: Authenticated,
        as_of: IsoDate | None = None,
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
        year: _Year,
        by_department: bool = False,
    ) -> AnnualReportOut:
        """Tables 三 and 四 of the 年度报告 for ``year``; with ``by_department``, the internal
        statistics by department too."""
        report = caller.wf.annual_report(year, by_department=by_department)
        return AnnualReportOut(**report.as_dict())

    @router.get(
        "/v1/reports/annual/{year}/rollup",
        operation_id="rollup_report",
        response_model=RollupOut,
        tags=["reports"],
    )
    def rollup_report(caller: Authenticated, year: _Year) -> RollupOut:
        """本级政府: the token's agency's tables 三 and 四 summed with those of its members
        (its profile's ``members``), each agency's 勾稽关系 checked on its own."""
        return RollupOut(**caller.wf.rollup_report(year).as_dict())

    @router.get(
        "/v1/reports/annual/{year}/xlsx",
        operation_id="annual_report_xlsx",
        tags=["reports"],
        response_class=Response,
        responses=file_response(XLSX),
    )
    def annual_report_xlsx(
        caller: Authenticated,
        year: _Year,
        by_department: bool = False,
    ) -> Response:
        """The 年度报告 tables as an .xlsx workbook laid out like the published form."""
        from ogi_workflow.reports.xlsx import write_xlsx  # noqa: PLC0415

        report = caller.wf.annual_report(year, by_department=by_department)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "report.xlsx"
            write_xlsx(report, str(path))
            data = path.read_bytes()
        return download(data, XLSX, f"annual-report-{year}.xlsx")

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
    def calendar_days(
        caller: Authenticated, start: CalendarDate, end: CalendarDate
    ) -> list[DayOut]:
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
            for info in caller.wf.current_calendar().days(start - _ONE_DAY, end)
        ]

    @router.get(
        "/v1/calendar/add-workdays",
        operation_id="add_workdays",
        response_model=WorkdaysOut,
        tags=["calendar"],
    )
    def add_workdays(
        caller: Authenticated,
        start: CalendarDate,
        workdays: Annotated[int, Query(ge=1, le=1000)],
    ) -> WorkdaysOut:
        """The day ``workdays`` working days after ``start`` (the first counted day is the
        next working day after it)."""
        cal = caller.wf.current_calendar()
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
        """Load a calendar notice for every worker: by default the token's agency's own (its
        local rest and working days); open due dates are recomputed and every move is
        answered (and recorded). A deployment-wide notice (``scope: deployment``) only while
        the database serves the token's agency alone: it moves every agency's dates."""

        def run() -> Response:
            own = upload.scope == "agency"
            if not own:
                _check_sole_agency(request, caller.agency)
            moves = caller.wf.load_calendar_notice_text(
                upload.content, origin=_UPLOADED_NOTICE, actor=caller.login, own=own
            )
            return json_response([MoveOut(**asdict(m)).model_dump(mode="json") for m in moves])

        return idempotent(caller, idempotency_key, request, upload, run)

    @router.get(
        "/v1/calendar/notices",
        operation_id="calendar_notices",
        response_model=list[NoticeOut],
        tags=["calendar"],
    )
    def calendar_notices(caller: Authenticated) -> list[NoticeOut]:
        """The notices loaded into the database that the token's agency counts by, oldest
        first: the deployment-wide ones (``agency`` null) and its own, never another's."""
        return [NoticeOut(**asdict(n)) for n in caller.wf.calendar_notices()]


def _once(
    caller: Caller,
    key: str | None,
    request: Request,
    body: BaseModel,
    act: Callable[[], BaseModel],
) -> Response:
    """``act`` as an idempotent POST (``idempotent``), answering the model it returns."""
    return idempotent(
        caller, key, request, body, lambda: json_response(act().model_dump(mode="json"))
    )


def _check_sole_agency(request: Request, agency: str) -> None:
    """A deployment-wide notice changes every agency's due dates: a token, which speaks for
    one agency, may load one only while the database serves that agency alone."""
    from ogi_workflow.errors import PermissionDenied  # noqa: PLC0415
    from ogi_workflow.storage.queries import stored_agency_codes  # noqa: PLC0415

    others = [c for c in stored_agency_codes(deployment_of(request).engine) if c != agency]
    if others:
        raise PermissionDenied(
            "load_calendar_notice: scope 'deployment' would change the due dates of the "
            "other agencies of this database too; a token may load its "
            "agency's own notice (scope 'agency'), the operator loads a deployment-wide one "
            "on the server with `ogi-workflow reflow --calendar FILE`"
        )


_ONE_DAY: Final = timedelta(days=1)


def people_routes(router: APIRouter) -> None:
    @router.get("/v1/me", operation_id="me", response_model=Me, tags=["people"])
    @quick
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
    def add_person(
        new: NewPerson,
        caller: Authenticated,
        request: Request,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """Register a person (an administrator's act)."""
        return _once(
            caller,
            idempotency_key,
            request,
            new,
            lambda: caller.wf.add_person(
                new.login, new.name, roles=new.roles, department=new.department, actor=caller.login
            ),
        )

    @router.post(
        "/v1/people/{login}/roles",
        operation_id="grant_role",
        response_model=PersonView,
        tags=["people"],
    )
    def grant_role(
        login: str,
        change: RoleChange,
        caller: Authenticated,
        request: Request,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        return _once(
            caller,
            idempotency_key,
            request,
            change,
            lambda: caller.wf.grant_role(login, change.role, actor=caller.login),
        )

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
    def add_department(
        new: NewDepartment,
        caller: Authenticated,
        request: Request,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        return _once(
            caller,
            idempotency_key,
            request,
            new,
            lambda: caller.wf.add_department(
                new.code, new.name, contact=new.contact, actor=caller.login
            ),
        )

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
    def revoke_token(
        token_id: Annotated[int, PathParam(ge=1, le=ID_MAX)],
        caller: Authenticated,
        request: Request,
    ) -> Response:
        caller.wf.revoke_token(token_id, actor=caller.login)
        deployment_of(request).forget_token(token_id)
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
    def add_webhook(
        new: NewWebhook,
        caller: Authenticated,
        request: Request,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """Send the agency's events to a URL, signed (docs/service.md)."""
        return _once(
            caller,
            idempotency_key,
            request,
            new,
            lambda: caller.wf.add_webhook(new.url, new.secret, actor=caller.login),
        )

    @router.delete(
        "/v1/webhooks/{webhook_id}", operation_id="remove_webhook", status_code=204, tags=["access"]
    )
    def remove_webhook(
        webhook_id: Annotated[int, PathParam(ge=1, le=ID_MAX)], caller: Authenticated
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


def health_routes(router: APIRouter) -> None:
    @router.get("/healthz", operation_id="healthz", response_model=Health, tags=["health"])
    async def healthz() -> Health:
        """The process answers (no token needed)."""
        return Health(status="ok")

    @router.get(
        "/readyz",
        operation_id="readyz",
        response_model=Readiness,
        tags=["health"],
        responses={401: PROBLEM_RESPONSES[401], 503: {"model": Readiness}},
    )
    def readyz(request: Request, _caller: Authenticated) -> Response:
        """Ready to serve: the database answers, its schema is this version's, and how many
        days the loaded calendar notices still settle. 503 when not ready."""
        from ogi_workflow.calendar import WorkdayCalendar  # noqa: PLC0415
        from ogi_workflow.models import SHANGHAI  # noqa: PLC0415
        from ogi_workflow.storage.migrate import SchemaState  # noqa: PLC0415

        deployment = deployment_of(request)
        database, current = False, False
        try:
            with deployment.engine.connect().execution_options(ogi_read=True) as conn:
                state, _revision = schema_state(conn)
            database, current = True, state is SchemaState.CURRENT
        except Exception:
            pass
        # The national notices another worker loaded count too; an agency's own notices make
        # no year official, so they do not move this.
        calendar = _caller.wf.current_calendar() if current else _caller.wf.calendar
        official = calendar.official_years or WorkdayCalendar.china().official_years
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
