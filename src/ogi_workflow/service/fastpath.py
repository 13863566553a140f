"""A shorter way through FastAPI for a plainly well-formed call.

FastAPI's handler works out each parameter of a call through its dependency machinery: the
token, the path's id, the headers, the body. For a quick call that is a fifth of the app's
time (docs/benchmarks.md). Most routes of this service take the same few things: a request id
in the path, the caller from the token, the request, ``If-Match``, ``Idempotency-Key`` and
one JSON body. For those, :func:`route_handler` reads them directly when the call is plainly
well formed, and hands every other call (another content type, a body that is not JSON or
does not validate, an id out of range, a malformed key) to FastAPI's own handler. So every
error answer is FastAPI's, and a well-formed call gets the values FastAPI would have given:
the same body model validated from the same JSON.
"""

import inspect
import re
import typing
from collections.abc import Callable, Coroutine
from typing import Any, Final

import orjson
from fastapi import params
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ogi_workflow.models import ID_MAX
from ogi_workflow.service.app import (
    IDEMPOTENCY_KEY_PATTERN,
    Authenticated,
    IdempotencyKey,
    IfMatch,
    RequestId,
    authenticate,
)

__all__ = ["Handler", "route_handler"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

_KEY: Final = re.compile(IDEMPOTENCY_KEY_PATTERN)


class _NotPlainError(Exception):
    """The call is not plainly well formed: FastAPI's handler answers it."""


def route_handler(endpoint: Callable[..., Any], stock: Handler) -> Handler | None:
    """A handler that serves a plainly well-formed call of ``endpoint`` itself and passes
    the rest to ``stock`` (FastAPI's); None if a parameter of ``endpoint`` is of a kind this
    module does not read, or it does not answer with a Response of its own."""
    signature = inspect.signature(endpoint)
    if signature.return_annotation is not Response:
        return None
    readers: list[tuple[str, Callable[[Request], Any]]] = []
    body: tuple[str, _Body] | None = None
    caller: str | None = None
    for name, param in signature.parameters.items():
        kind = param.annotation
        if kind is Authenticated:
            caller = name
        elif kind is Request:
            readers.append((name, _itself))
        elif kind is RequestId:
            readers.append((name, _request_id(name)))
        elif kind is IfMatch:
            readers.append((name, _header("if-match")))
        elif kind is IdempotencyKey:
            readers.append((name, _header("idempotency-key", pattern=_KEY)))
        elif body is None and (model := _body_model(kind)) is not None:
            body = (name, _Body(model))
        else:  # anything else, or a second body (FastAPI would embed both)
            return None
    if caller is None:
        return None
    is_async = inspect.iscoroutinefunction(endpoint)

    async def handler(request: Request) -> Response:
        try:
            values = {name: read(request) for name, read in readers}
            if body is not None:
                values[body[0]] = await body[1](request)
        except _NotPlainError:
            return await stock(request)
        values[caller] = await authenticate(request)
        if is_async:
            response: Response = await endpoint(**values)
        else:
            response = await run_in_threadpool(endpoint, **values)
        return response

    return handler


def _itself(request: Request) -> Request:
    return request


def _request_id(name: str) -> Callable[[Request], int]:
    def read(request: Request) -> int:
        text: str = request.path_params[name]
        if not (text.isascii() and text.isdigit() and len(text) <= 19):
            raise _NotPlainError
        value = int(text)
        if not 1 <= value <= ID_MAX:
            raise _NotPlainError
        return value

    return read


def _header(name: str, pattern: re.Pattern[str] | None = None) -> Callable[[Request], str | None]:
    def read(request: Request) -> str | None:
        value = request.headers.get(name)
        if pattern is not None and value is not None and pattern.fullmatch(value) is None:
            raise _NotPlainError
        return value

    return read


class _Body:
    """The JSON body, validated as FastAPI validates it: the model from the parsed value."""

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model

    async def __call__(self, request: Request) -> BaseModel:
        kind, _, _ = request.headers.get("content-type", "").partition(";")
        if kind.strip().lower() != "application/json":
            raise _NotPlainError
        raw = await request.body()
        if not raw:
            raise _NotPlainError
        try:
            return self.model.model_validate(orjson.loads(raw))
        except (orjson.JSONDecodeError, ValidationError) as exc:
            raise _NotPlainError from exc


def _body_model(kind: Any) -> type[BaseModel] | None:
    """The model of a body parameter: ``Model`` or ``Annotated[Model, Body()]``."""
    if typing.get_origin(kind) is typing.Annotated:
        model, *extras = typing.get_args(kind)
        if not any(isinstance(extra, params.Body) for extra in extras):
            return None
        kind = model
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return kind
    return None
