"""One hierarchy for every error ogi-workflow raises on purpose.

A message names the value, the rule and what is allowed, so that the line an OA system
logs (or the CLI prints) is enough to fix the input.
"""

from __future__ import annotations

__all__ = [
    "CalendarError",
    "ConflictError",
    "NotFoundError",
    "OgiError",
    "PermissionDenied",
    "SchemaVersionError",
    "StorageError",
    "TransitionError",
    "ValidationError",
]


class OgiError(Exception):
    """Base class: catch this to handle every ogi-workflow error."""


class ValidationError(OgiError, ValueError):
    """An input value is outside what the rule allows; nothing was changed."""


class CalendarError(OgiError):
    """A working-day answer depends on a day whose official schedule is not known."""


class TransitionError(OgiError):
    """The event is not allowed in the request's state, or a legal guard refused it."""


class PermissionDenied(OgiError):  # noqa: N818 - the name the HTTP and Java side expect
    """The actor is not a registered, active person holding a role allowed for the action
    (or the action needs two different people); the message names actor, role and action."""


class ConflictError(OgiError):
    """Another worker changed the request first; reload it and decide again."""


class NotFoundError(OgiError, LookupError):
    """No request with that id or registration number."""


class StorageError(OgiError):
    """The environment failed, not the input: the database is unreachable, locked past its
    timeout, not an ogi-workflow database, or a file cannot be written. Nothing was changed."""


class SchemaVersionError(StorageError):
    """The database's schema is older or newer than this ogi-workflow; the message names the
    command that upgrades it."""
