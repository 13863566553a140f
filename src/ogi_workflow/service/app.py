"""The HTTP service: the ASGI application over the same :class:`Workflow` the library is.

One deployment serves every agency stored in its database; a token names its person and
agency, and every call works on that agency's Workflow (its numbering, templates, people),
with the token's person as the actor. Routes are in :mod:`.routes`; errors are problem
details (:mod:`.problems`); POSTs honour ``Idempotency-Key``; a request's ``ETag`` is its
version and ``If-Match`` on an action is the version it was decided on. docs/service.md.
"""

import hashlib
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final, TypeVar

import orjson
from fastapi import Depends, FastAPI, Header, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ogi_workflow.errors import OgiError
from ogi_workflow.models import ID_MAX, describe_errors, utc_now
from ogi_workflow.service.problems import problem, problem_for, problem_response
from ogi_workflow.storage import access
from ogi_workflow.storage.engine import make_engine
from ogi_workflow.storage.migrate import check_schema
from ogi_workflow.workflow import Workflow

__all__ = [
    "DOCX",
    "HTTP_PARSER",
    "IDEMPOTENCY_KEY_PATTERN",
    "XLSX",
    "Authenticated",
    "Caller",
    "Deployment",
    "IdempotencyKey",
    "IfMatch",
    "RequestId",
    "app_from_environment",
    "authenticate",
    "create_app",
    "deployment_of",
    "download",
    "file_response",
    "idempotent",
    "is_quick",
    "json_response",
    "quick",
]

# uvicorn's HTTP protocol: its httptools one, serving a request that offers an upgrade to
# cleartext HTTP/2 (Upgrade: h2c, as the JDK's HttpClient and curl --http2 send) as plain
# HTTP/1.1 with its body (service/protocol.py).
HTTP_PARSER: Final = "ogi_workflow.service.protocol:HttpProtocol"

# How long a worker keeps a token's person: a revoked token stops working at once in the
# worker that revoked it and within this many seconds in the others (docs/service.md).
TOKEN_CACHE_S: Final = 2.0
_TOKEN_CACHE_SIZE: Final = 10_000


class Caller:
    """Who is calling (from the token) and the Workflow of their agency."""

    def __init__(self, found: access.Caller, workflow: Workflow) -> None:
        self.token_id = found.token_id
        self.agency = found.agency
        self.login = found.login
        self.wf = workflow


class Deployment:
    """The database and one Workflow per agency, opened on first use and shared by the
    server's threads.

    ``inline``: on SQLite the quick routes run on the server's event loop itself. SQLite
    takes one writer at a time whatever the threads, and the hop to a pool thread and back
    cost a fifth of a call (docs/benchmarks.md). On PostgreSQL they run in the thread pool,
    so the calls a worker holds overlap in the database.
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        letter_templates: str | Path | None = None,
    ) -> None:
        self.url = url
        self.clock = clock
        self.letter_templates = Path(letter_templates) if letter_templates else None
        self.engine = make_engine(url)
        try:
            check_schema(self.engine, url, read_only=False)
        except BaseException:
            self.engine.dispose()
            raise
        self.inline = self.engine.dialect.name == "sqlite"
        self._workflows: dict[str, Workflow] = {}
        self._lock = threading.Lock()
        self._callers: dict[str, tuple[float, Caller]] = {}

    def workflow(self, agency: str) -> Workflow:
        found = self._workflows.get(agency)
        if found is not None:
            return found
        with self._lock:
            if agency not in self._workflows:
                self._workflows[agency] = Workflow.open(
                    self.url,
                    agency_code=agency,
                    clock=self.clock,
                    letter_templates=self._templates(agency),
                )
            return self._workflows[agency]

    def _templates(self, agency: str) -> Path | None:
        """An agency's own letter templates: ``<folder>/<agency code>/`` when it exists."""
        if self.letter_templates is None:
            return None
        own = self.letter_templates / agency
        return own if own.is_dir() else None

    def known(self, token: str) -> Caller | None:
        """The token's caller as looked up less than TOKEN_CACHE_S ago; never waits."""
        cached = self._callers.get(token)
        if cached is not None and time.monotonic() - cached[0] < TOKEN_CACHE_S:
            return cached[1]
        return None

    def caller(self, token: str) -> Caller | None:
        """The token's caller: :meth:`known`, or looked up (None: unknown or revoked)."""
        cached = self.known(token)
        if cached is not None:
            return cached
        now = time.monotonic()
        with self.engine.connect().execution_options(ogi_read=True) as conn:
            found = access.token_caller(conn, token)
        if found is None:  # unknown tokens are not kept: they cannot fill the memory
            return None
        caller = Caller(found, self.workflow(found.agency))
        if len(self._callers) >= _TOKEN_CACHE_SIZE:
            self._callers.clear()
        self._callers[token] = (now, caller)
        return caller

    def forget_token(self, token_id: int) -> None:
        """A token revoked through this worker: refused from its next call on."""
        for token, (_, found) in list(self._callers.items()):
            if found.token_id == token_id:
                self._callers.pop(token, None)

    def close(self) -> None:
        with self._lock:
            for workflow in self._workflows.values():
                workflow.close()
            self._workflows.clear()
        self.engine.dispose()


def deployment_of(request: Request) -> Deployment:
    """The deployment the app serving ``request`` was created over."""
    deployment: Deployment = request.app.state.deployment
    return deployment


class _TokenAuth(SecurityBase):
    """The person of the request's ``Authorization: Bearer`` token, or a 401 problem.

    One dependency (not HTTPBearer's credentials passed on to a second): each level of
    dependencies costs every call its own resolution. A token seen lately costs no
    database call and no thread; otherwise it is looked up (in the thread pool, unless on
    SQLite)."""

    def __init__(self) -> None:
        self.model = HTTPBearerModel(description="An API token: ogi-workflow token create")
        self.scheme_name = "HTTPBearer"

    async def __call__(self, request: Request) -> Caller:
        scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
        if scheme.lower() != "bearer" or not token:
            raise _UnauthenticatedError("no token: send Authorization: Bearer <token>")
        deployment = deployment_of(request)
        found = deployment.known(token)
        if found is None:
            if deployment.inline:
                found = deployment.caller(token)
            else:
                found = await run_in_threadpool(deployment.caller, token)
        if found is None:
            raise _UnauthenticatedError("the token is unknown or revoked")
        return found


authenticate: Final = _TokenAuth()
Authenticated = Annotated[Caller, Depends(authenticate)]
RequestId = Annotated[int, PathParam(ge=1, le=ID_MAX, description="The request's id")]
IDEMPOTENCY_KEY_PATTERN: Final = r"^[!-~]{1,255}$"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Any unique string (1 to 255 visible ASCII characters); a retry with "
        "the same key and body gets the first answer and acts no twice.",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The request\'s ETag as last read (its version, e.g. "3"): the action '
        "is refused with 412 if the request has changed since.",
    ),
]


_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def quick(endpoint: _Endpoint) -> _Endpoint:
    """Marks a route that answers from the database alone in about a millisecond: on SQLite
    it runs on the event loop, not in a thread (:attr:`Deployment.inline`)."""
    endpoint._ogi_quick = True  # type: ignore[attr-defined]
    return endpoint


def is_quick(endpoint: Callable[..., Any]) -> bool:
    """Whether ``endpoint`` was marked :func:`quick`."""
    return getattr(endpoint, "_ogi_quick", False) is True


class _UnauthenticatedError(Exception):
    pass


def json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


DOCX: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(*media: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answer of a route that sends a file."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"content": dict.fromkeys(media, binary), "description": "The file"}}


def download(data: bytes, media: str, name: str) -> Response:
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def idempotent(
    caller: Caller, key: str | None, request: Request, body: BaseModel, run: Callable[[], Response]
) -> Response:
    """Run a POST once per (token, key): the answer is stored in the action's transaction,
    and a retry with the same key and the same ``body`` (as validated) gets it back; another
    body is a 422."""
    if key is None:
        return run()
    fingerprint = hashlib.sha256(
        b"\0".join(
            [request.method.encode(), request.url.path.encode(), body.model_dump_json().encode()]
        )
    ).hexdigest()
    wf = caller.wf
    stored = wf.stored_answer(caller.token_id, key)
    if stored is None:
        try:
            # The action and its stored answer: one transaction, whose answer shows the
            # registration number the action gave.
            with wf.batch(number_now=True):
                response = run()
                wf.store_answer(caller.token_id, key, _answer(fingerprint, response))
            return response
        except (IntegrityError, OgiError):
            # The same key at the same time: the other call acted first (its answer is
            # stored, or its action made this one conflict or no longer allowed).
            stored = wf.stored_answer(caller.token_id, key)
            if stored is None:
                raise
    if stored.fingerprint != fingerprint:
        raise _ReusedKeyError(key)
    headers = {**stored.headers, "Idempotent-Replayed": "true"}
    return Response(stored.body, status_code=stored.status, headers=headers)


class _ReusedKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was first used with another method, path or body; "
            "use a new key for a new request"
        )


def _answer(fingerprint: str, response: Response) -> access.StoredAnswer:
    kept = ("content-type", "etag", "location", "content-disposition")
    headers = {k: v for k, v in response.headers.items() if k in kept}
    return access.StoredAnswer(fingerprint, response.status_code, headers, bytes(response.body))


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(OgiError)
    async def _ogi(_request: Request, exc: OgiError) -> Response:
        return problem_response(problem_for(exc))

    @app.exception_handler(_UnauthenticatedError)
    async def _unauthenticated(_request: Request, exc: _UnauthenticatedError) -> Response:
        return problem_response(
            problem("unauthenticated", str(exc)), headers={"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(_ReusedKeyError)
    async def _reused(_request: Request, exc: _ReusedKeyError) -> Response:
        return problem_response(problem("idempotency-reused", str(exc)))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        unreadable = [e for e in exc.errors() if e.get("type") == "json_invalid"]
        if unreadable:  # not JSON at all: 400, as a body that is not UTF-8
            where = unreadable[0]["loc"][-1]
            found = problem("validation", f"the body is not JSON (at character {where})")
            found.status = 400
            return problem_response(found)
        # The library's own description: the same bilingual lines and field list as a
        # ValidationError of the Python API (a body's fields named from its root).
        errors = [
            {**e, "loc": tuple(e["loc"][1:] if e["loc"][:1] == ("body",) else e["loc"])}
            for e in exc.errors()
        ]
        return problem_response(problem_for(describe_errors(request.url.path, errors)))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        kind = {404: "not-found", 405: "method", 401: "unauthenticated"}.get(
            exc.status_code, "validation"
        )
        found = problem(kind, str(exc.detail))
        found.status = exc.status_code
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Every method the path answers (RFC 9110 §15.5.6): Starlette names only the
            # first route's, and a path has one route per method here (routes.install).
            path = request.url.path
            allowed: list[str] = next(
                (m for regex, m in app.state.methods if regex.match(path)), []
            )
            headers["Allow"] = ", ".join(allowed)
        return problem_response(found, headers=headers)

    @app.exception_handler(Exception)
    async def _internal(_request: Request, exc: Exception) -> Response:
        # Logged with its traceback by the server; the caller gets no internals.
        return problem_response(problem("internal", f"internal error: {type(exc).__name__}"))


MAX_BODY_BYTES: Final = 4 * 1024 * 1024  # a notice file's 200,000 characters fit, escaped


class _BodyFirst:
    """Reads a request's whole body before the routes see it, and refuses one over
    MAX_BODY_BYTES with 413. A route that answers without reading the body (a media type it
    does not take, a missing token) would otherwise leave a client that is still sending a
    large body blocked until it times out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size <= MAX_BODY_BYTES:
                chunks.append(chunk)
            more = message.get("more_body", False)
        if size > MAX_BODY_BYTES:
            detail = f"the body has {size} bytes; the service takes at most {MAX_BODY_BYTES}"
            await problem_response(problem("too-large", detail))(scope, receive, send)
            return
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def create_app(
    url: str,
    *,
    clock: Callable[[], datetime] = utc_now,
    letter_templates: str | Path | None = None,
    deliver_every: float | None = None,
) -> FastAPI:
    """The ASGI application over the database at ``url``; with ``deliver_every`` (seconds),
    webhook deliveries run inside the server too (otherwise: ``ogi-workflow deliver``)."""
    from importlib.metadata import version  # noqa: PLC0415

    from ogi_workflow.service import routes  # noqa: PLC0415

    deployment = Deployment(url, clock=clock, letter_templates=letter_templates)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop: Callable[[], Awaitable[None]] | None = None
        if deliver_every is not None:
            from ogi_workflow.service.delivery import run_in_background  # noqa: PLC0415

            stop = run_in_background(deployment, every=deliver_every)
        try:
            yield
        finally:
            if stop is not None:
                await stop()
            deployment.close()

    app = FastAPI(
        title="ogi-workflow",
        version=version("ogi-workflow"),
        summary="政府信息公开申请 (依申请公开) lifecycle, deadlines and letters over HTTP.",
        description=(
            "Every action, read, letter, report and calendar notice of the ogi-workflow "
            "library. Authenticate with `Authorization: Bearer <token>` (ogi-workflow token "
            "create). Errors are RFC 9457 problem details. docs/service.md."
        ),
        lifespan=lifespan,
        responses={},
    )
    app.state.deployment = deployment
    app.add_middleware(_BodyFirst)
    _handlers(app)
    routes.install(app, deployment)
    return app


def app_from_environment() -> FastAPI:
    """The app ``ogi-workflow serve`` starts in each worker process (settings passed in the
    environment, as uvicorn's workers are started by import)."""
    import os  # noqa: PLC0415

    every = float(os.environ.get("OGI_SERVE_DELIVER_EVERY", "0") or 0)
    return create_app(
        os.environ["OGI_SERVE_DB"],
        letter_templates=os.environ.get("OGI_SERVE_TEMPLATES") or None,
        deliver_every=every or None,
    )
