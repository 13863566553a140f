"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the library raises on purpose maps to one problem type and HTTP status; the
``detail`` is the library's own message (English, with the Chinese the library gives) and
``errors`` its field list; ``title_zh`` is the type's Chinese title (data/labels.toml).
Messages are masked for personal data, as the CLI's are.
"""

from typing import Final

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ogi_workflow._pii import mask_pii
from ogi_workflow._resources import label
from ogi_workflow.errors import (
    CalendarError,
    ConflictError,
    NotFoundError,
    OgiError,
    PermissionDenied,
    StaleVersionError,
    StorageError,
    TransitionError,
    ValidationError,
)

__all__ = [
    "BODY_RESPONSES",
    "PROBLEM_RESPONSES",
    "FieldError",
    "Problem",
    "problem_for",
    "problem_response",
]

MEDIA_TYPE: Final = "application/problem+json"
_BASE: Final = "urn:ogi-workflow:problem:"

# kind → (HTTP status, English title)
KINDS: Final[dict[str, tuple[int, str]]] = {
    "validation": (422, "Invalid input"),
    "calendar": (422, "The working days cannot be settled"),
    "idempotency-reused": (422, "Idempotency-Key reused for a different request"),
    "transition": (409, "Not allowed in the request's state"),
    "conflict": (409, "Changed by another caller at the same time"),
    "stale": (412, "The request has changed since the version given in If-Match"),
    "permission": (403, "Not permitted"),
    "not-found": (404, "Not found"),
    "unauthenticated": (401, "No valid API token"),
    "method": (405, "Method not allowed"),
    "too-large": (413, "The body is too large"),
    "storage": (503, "The database is unavailable"),
    "internal": (500, "Internal error"),
}

# Most specific first: StaleVersionError is a ConflictError.
_BY_ERROR: Final[tuple[tuple[type[OgiError], str], ...]] = (
    (ValidationError, "validation"),
    (CalendarError, "calendar"),
    (TransitionError, "transition"),
    (StaleVersionError, "stale"),
    (ConflictError, "conflict"),
    (PermissionDenied, "permission"),
    (NotFoundError, "not-found"),
    (StorageError, "storage"),
)


class FieldError(BaseModel):
    """One bad field: where (a dotted path), and what is wrong in English and Chinese."""

    field: str
    message: str
    message_zh: str


class Problem(BaseModel):
    """An error answer (RFC 9457)."""

    type: str = Field(description="urn:ogi-workflow:problem:<kind>, one per kind of error")
    title: str
    title_zh: str
    status: int
    detail: str = Field(description="What was wrong, naming the value and what is allowed")
    errors: list[FieldError] = Field(
        default_factory=list, description="Every bad field, when the input was a whole body"
    )


def problem(kind: str, detail: str, errors: list[FieldError] | None = None) -> Problem:
    status, title = KINDS[kind]
    return Problem(
        type=_BASE + kind,
        title=title,
        title_zh=label("problem", kind),
        status=status,
        detail=mask_pii(detail),
        errors=[
            FieldError(field=e.field, message=mask_pii(e.message), message_zh=e.message_zh)
            for e in errors or ()
        ],
    )


def problem_for(exc: OgiError) -> Problem:
    kind = next((k for kind_of, k in _BY_ERROR if isinstance(exc, kind_of)), "validation")
    fields = [
        FieldError(field=f.field, message=f.message, message_zh=f.message_zh)
        for f in getattr(exc, "fields", ())
    ]
    return problem(kind, str(exc), fields)


def problem_response(found: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        found.model_dump(mode="json"),
        status_code=found.status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _described(status: int, what: str) -> dict[str, object]:
    return {"model": Problem, "description": what, "content": {MEDIA_TYPE: {}}}


# The answers of an operation with a body: one that is not JSON at all, or too large.
BODY_RESPONSES: Final[dict[int | str, dict[str, object]]] = {
    400: _described(400, "The body could not be read as JSON"),
    413: _described(413, "The body is larger than 4 MiB"),
}

# The error answers every authenticated operation may give, for the OpenAPI document.
PROBLEM_RESPONSES: Final[dict[int | str, dict[str, object]]] = {
    401: _described(401, "No valid API token (Authorization: Bearer ogi_…)"),
    403: _described(403, "The token's person may not do this"),
    404: _described(404, "No such request (or not of the token's agency)"),
    409: _described(409, "Not allowed in the request's state, or changed at the same time"),
    412: _described(412, "If-Match names a version that is no longer the request's"),
    422: _described(422, "Invalid input: every bad field listed"),
    503: _described(503, "The database is unavailable"),
}
