"""One hierarchy for every error ogi-workflow raises on purpose.

A message names the value, the rule and what is allowed, so that the line an OA system
logs (or the CLI prints) is enough to fix the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "CalendarError",
    "ConflictError",
    "FieldProblem",
    "NotFoundError",
    "OgiError",
    "PermissionDenied",
    "SchemaVersionError",
    "StaleVersionError",
    "StorageError",
    "TransitionError",
    "ValidationError",
]


class OgiError(Exception):
    """Base class: catch this to handle every ogi-workflow error."""


class FieldProblem(NamedTuple):
    """One bad field of an input: where it is, and what is wrong in English and Chinese."""

    field: str  # dotted path, e.g. ``applicant.id_number``
    message: str
    message_zh: str


class ValidationError(OgiError, ValueError):
    """An input value is outside what the rule allows; nothing was changed.

    ``fields`` lists every bad field when the input was a whole model (an application, an
    agency profile); the message says the same in words.
    """

    def __init__(self, message: str, *, fields: Sequence[FieldProblem] = ()) -> None:
        super().__init__(message)
        self.fields = tuple(fields)


class CalendarError(OgiError):
    """A working-day answer depends on a day whose official schedule is not known."""


class TransitionError(OgiError):
    """The event is not allowed in the request's state, or a legal guard refused it."""


class PermissionDenied(OgiError):  # noqa: N818 - the name the HTTP and Java side expect
    """The actor is not a registered, active person holding a role allowed for the action
    (or the action needs two different people); the message names actor, role and action."""


class ConflictError(OgiError):
    """Another worker changed the request first; reload it and decide again."""


class StaleVersionError(ConflictError):
    """The caller acted on a version of the request that is no longer the stored one
    (``expected_version``, HTTP ``If-Match``); reload it and decide again."""


class NotFoundError(OgiError, LookupError):
    """No request with that id or registration number."""


class StorageError(OgiError):
    """The environment failed, not the input: the database is unreachable, locked past its
    timeout, not an ogi-workflow database, or a file cannot be written. Nothing was changed."""


class SchemaVersionError(StorageError):
    """The database's schema is older or newer than this ogi-workflow; the message names the
    command that upgrades it."""
