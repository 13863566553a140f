"""The routes: one per library operation, each a thin call of the caller's Workflow.

The action routes are built from the typed action methods themselves: each method's
parameters (less the request, the actor and the expected version) are its body, a named
schema ``<Action>Body``, and its docstring is the operation's description. So the HTTP
contract cannot drift from the library's; the checked-in openapi.json shows every change.
"""

import asyncio
import functools
import inspect
import re
import tempfile
import threading
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Body, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, create_model
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Match, compile_path
from starlette.types import Scope

from ogi_workflow.errors import StaleVersionError
from ogi_workflow.lifecycle import Event, State
from ogi_workflow.lifecycle.typed_events import TypedEvent, typed_event
from ogi_workflow.models import (
    Application,
    RequestView,
    SearchTaskView,
)
from ogi_workflow.outcomes import Outcome
from ogi_workflow.service import fastpath
from ogi_workflow.service.app import (
    DOCX,
    Authenticated,
    Deployment,
    IdempotencyKey,
    IfMatch,
    RequestId,
    download,
    file_response,
    idempotent,
    is_quick,
    json_response,
    quick,
)
from ogi_workflow.service.problems import BODY_RESPONSES, PROBLEM_RESPONSES
from ogi_workflow.service.schemas import (
    DeadlineExplained,
    DeadlineOut,
    ExplainDay,
    IsoDate,
    LetterOrder,
    LetterOut,
    RequestPage,
    WebhookDelivery,
)
from ogi_workflow.storage.engine import writer_check
from ogi_workflow.workflow import Workflow

ACTIONS: Final = tuple(
    e.value for e in Event if e not in (Event.RECEIVE, Event.RECOMPUTE_DEADLINE, Event.ISSUE_LETTER)
)
_NOT_BODY: Final = frozenset({"self", "request", "actor", "expected_version"})
_STRICT: Final[dict[Any, Any]] = {date: IsoDate, int: StrictInt, bool: StrictBool}
_FILE_FORMATS: Final = {"docx": DOCX, "pdf": "application/pdf", "txt": "text/plain; charset=utf-8"}


class _OnLoop:
    """Where the quick routes of a SQLite deployment run: on the event loop, unless another
    thread is writing to the database (a letter being issued, a webhook round): then in the
    pool, so that the loop never waits for SQLite's lock and every other call stalls behind
    it.

    A quick call sent to the pool holds the writer lock in its turn. A call that came then
    and went to the pool for that would hold it for the next, and so on: under a steady
    stream from several callers every call ran in the pool from the first webhook round on
    (0.6 ms more CPU a call, docs/benchmarks.md). So a call that finds the database written
    by one of these quick calls waits on the loop for it to return, then looks again.
    """

    def __init__(self, engine: Engine) -> None:
        self._writing = writer_check(engine)
        self._pool_threads: set[int] = set()  # the threads of the quick calls in the pool
        self._returned = asyncio.Event()  # set (and replaced) as a call in the pool returns

    def wrap(self, endpoint: Callable[..., Any]) -> Callable[..., Any]:
        def in_pool(*args: Any, **kwargs: Any) -> Any:
            thread = threading.get_ident()
            self._pool_threads.add(thread)
            try:
                return endpoint(*args, **kwargs)
            finally:
                self._pool_threads.discard(thread)

        @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
        async def run(*args: Any, **kwargs: Any) -> Any:
            while (writer := self._writing()) is not None and writer in self._pool_threads:
                await self._returned.wait()
            if writer is None:
                return endpoint(*args, **kwargs)
            try:
                return await run_in_threadpool(in_pool, *args, **kwargs)
            finally:
                returned, self._returned = self._returned, asyncio.Event()
                returned.set()

        return run


def _route_class(deployment: Deployment) -> type[APIRoute]:
    on_loop = _OnLoop(deployment.engine) if deployment.inline else None

    class Route(APIRoute):
        """A route as this service declares it: a POST (every one has a body) may also
        answer 400 and 413; a quick one runs on the event loop on SQLite."""

        def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
            if "POST" in (kwargs.get("methods") or ()):
                kwargs["responses"] = {**BODY_RESPONSES, **(kwargs.get("responses") or {})}
            if on_loop is not None and is_quick(endpoint):
                endpoint = on_loop.wrap(endpoint)
            super().__init__(path, endpoint, **kwargs)
            self._tail = path.rpartition("}")[2]  # the literal end, after the last parameter

        def get_route_handler(self) -> fastpath.Handler:
            stock = super().get_route_handler()
            return fastpath.route_handler(self.endpoint, stock) or stock

        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            # A call tries the routes in turn: a path that does not end as this one's
            # cannot match it, which is decided without the full match's cost.
            if scope["type"] == "http" and not scope["path"].endswith(self._tail):
                return Match.NONE, {}
            return super().matches(scope)

    return Route


def _etag(view: RequestView) -> dict[str, str]:
    return {"ETag": f'"{view.version}"'}


def _request_response(view: RequestView, status: int = 200) -> Response:
    headers = _etag(view)
    if status == 201:
        headers["Location"] = f"/v1/requests/{view.id}"
    return Response(view.model_dump_json(), status, headers, "application/json")


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
    """A parameter's type as a body field: abstract collections as JSON's own; dates as
    ISO text, numbers and yes/no as JSON's own only (not ``"3"`` or ``false`` for a number);
    and an enum the method also takes as its plain value as the enum (over JSON the value
    is all there is, and the schema then lists the values allowed)."""
    if hint in _STRICT:
        return _STRICT[hint]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        args = tuple(_plain(a) for a in typing.get_args(hint))
        if any(isinstance(a, type) and issubclass(a, StrEnum) for a in args):
            args = tuple(a for a in args if a is not str)
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

    @quick
    def act(
        request_id: RequestId,
        body: Annotated[body_model, Body()],  # type: ignore[valid-type]
        caller: Authenticated,
        request: Request,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        params = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]

        def run() -> Response:
            view = getattr(caller.wf, name)(
                request_id,
                actor=caller.login,
                expected_version=_if_match(if_match),
                **params,
            )
            return _request_response(view)

        return idempotent(caller, idempotency_key, request, body, run)

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


def _request_routes(router: APIRouter) -> None:  # noqa: PLR0915 - one route after another
    @router.post(
        "/v1/requests",
        operation_id="receive",
        status_code=201,
        response_model=RequestView,
        tags=["requests"],
        summary="接收: store a new application",
    )
    @quick
    def receive(
        application: Application,
        caller: Authenticated,
        request: Request,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """接收: a new application (state ``received``); 条例第三十一条 sets its day."""

        def run() -> Response:
            return _request_response(caller.wf.receive(application, actor=caller.login), 201)

        return idempotent(caller, idempotency_key, request, application, run)

    @router.get("/v1/requests", operation_id="find", response_model=RequestPage, tags=["requests"])
    @quick
    def find(
        caller: Authenticated,
        state: State | None = None,
        outcome: Outcome | None = None,
        handler: Annotated[str | None, Query(max_length=64)] = None,
        applicant_key: Annotated[str | None, Query(max_length=300)] = None,
        received_from: IsoDate | None = None,
        received_to: IsoDate | None = None,
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
    @quick
    def get_request(request_id: RequestId, caller: Authenticated) -> Response:
        """One request; its ETag is its version (send it back as If-Match on an action)."""
        return _request_response(caller.wf.get(request_id))

    @router.get(
        "/v1/requests/{request_id}/events",
        operation_id="events",
        response_model=list[TypedEvent],
        tags=["requests"],
    )
    @quick
    def events(request_id: RequestId, caller: Authenticated) -> Response:
        """The request's audit log, oldest first; each event's payload is its own type's
        (told apart by ``event``)."""
        # Each event is checked against its type here, so the answer is not checked again.
        typed = [typed_event(view) for view in caller.wf.events(request_id)]
        return json_response([e.model_dump(mode="json", by_alias=True) for e in typed])

    @router.get(
        "/v1/requests/{request_id}/deadline",
        operation_id="deadline",
        response_model=DeadlineExplained,
        tags=["requests"],
    )
    @quick
    def deadline(
        request_id: RequestId, caller: Authenticated, as_of: IsoDate | None = None
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
    @quick
    def search_tasks(request_id: RequestId, caller: Authenticated) -> list[SearchTaskView]:
        """The request's 协查 tasks, open and answered."""
        return caller.wf.search_tasks(request_id)

    @router.get(
        "/v1/requests/{request_id}/letters",
        operation_id="letters",
        response_model=list[LetterOut],
        tags=["letters"],
    )
    @quick
    def letters(request_id: RequestId, caller: Authenticated) -> list[LetterOut]:
        """The letters issued for the request, in issue order."""
        return [_letter_out(i, x) for i, x in enumerate(caller.wf.letters(request_id), 1)]

    @router.post(
        "/v1/requests/{request_id}/letters",
        operation_id="issue_letter",
        response_model=LetterOut,
        tags=["letters"],
    )
    def issue_letter(
        request_id: RequestId,
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

        return idempotent(caller, idempotency_key, request, order, run)

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
        request_id: RequestId,
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
        return download(data, _FILE_FORMATS[format], f"letter-{index}.{format}")

    @router.get(
        "/v1/requests/{request_id}/case-file",
        operation_id="case_file",
        tags=["letters"],
        response_class=Response,
        responses=file_response("application/zip"),
    )
    def case_file(request_id: RequestId, caller: Authenticated) -> Response:
        """归档: the request's case file (一案一档) as a zip, with an index."""
        with tempfile.TemporaryDirectory() as folder:
            path = caller.wf.case_file(request_id, Path(folder) / "case.zip", actor=caller.login)
            data = path.read_bytes()
        return download(data, "application/zip", f"case-{request_id}.zip")

    @router.get(
        "/v1/requests/{request_id}/approval-form",
        operation_id="approval_form",
        tags=["letters"],
        response_class=Response,
        responses=file_response(DOCX),
    )
    def approval_form(
        request_id: RequestId,
        caller: Authenticated,
        draft: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    ) -> Response:
        """The 审批表 of a draft reply (default: the latest submitted), as .docx."""
        data = caller.wf.approval_form(request_id, actor=caller.login, draft=draft)
        return download(data, DOCX, f"approval-{request_id}.docx")


def _letter_out(index: int, letter: Any) -> LetterOut:
    return LetterOut(
        index=index,
        number=letter.number,
        kind=letter.kind,
        title=letter.title,
        date=letter.date,
        recipient=letter.recipient,
    )


def install(app: FastAPI, deployment: Deployment) -> None:
    """Every route, with the problem answers each authenticated one may give; on SQLite
    (``deployment.inline``), the quick ones on the event loop."""
    from ogi_workflow.service.agency_routes import (  # noqa: PLC0415 - they import this module
        agency_routes,
        health_routes,
        people_routes,
    )

    route_class = _route_class(deployment)
    router = APIRouter(route_class=route_class)
    health_routes(router)
    authenticated = APIRouter(responses=PROBLEM_RESPONSES, route_class=route_class)
    _request_routes(authenticated)
    for name in ACTIONS:
        _action_route(authenticated, name)
    agency_routes(authenticated)
    people_routes(authenticated)
    methods: dict[str, set[str]] = {}
    for route in (*router.routes, *authenticated.routes):
        if isinstance(route, APIRoute):
            methods.setdefault(route.path, set()).update(route.methods or ())
    app.state.methods = [(compile_path(path)[0], sorted(found)) for path, found in methods.items()]
    # The routes join the app's own router as they are: FastAPI matches the routes of an
    # included router twice (to pick the router, then within it), about a tenth of a quick
    # call's time in the app. (So app.dependency_overrides do not reach them: none is used.)
    app.router.routes.extend([*router.routes, *authenticated.routes])

    @app.webhooks.post("request-event", operation_id="request_event", tags=["webhooks"])
    def request_event(body: WebhookDelivery) -> None:
        """Each event of the agency's requests, POSTed to every webhook of the agency: at
        least once, in order per request, with ``Ogi-Event-Id`` (the body's ``id``) and
        ``Ogi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
        Answer 2xx once it is stored; anything else is retried (docs/service.md)."""

    document = app.openapi

    def openapi() -> dict[str, Any]:
        found = document()
        # What the receiver answers: FastAPI would describe this service's own answers.
        answers = {"2XX": {"description": "Stored: any other answer, or none in 10 s, is retried"}}
        found["webhooks"]["request-event"]["post"]["responses"] = answers
        for unused in ("HTTPValidationError", "ValidationError"):
            found["components"]["schemas"].pop(unused, None)
        return found

    app.openapi = openapi  # type: ignore[method-assign]
