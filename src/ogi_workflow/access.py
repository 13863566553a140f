"""API tokens and webhooks of an agency: the HTTP service's callers and receivers.

A token speaks for one registered, active person of one agency; every action made with it
is recorded under that person. Creating and revoking tokens and webhooks is an
administrator's act (role ``admin``), written to ``ogi_staff_log`` like every change of
people. docs/service.md describes both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel
from sqlalchemy import Connection

from ogi_workflow._text import text_problem
from ogi_workflow.errors import NotFoundError, ValidationError
from ogi_workflow.models import ID_MAX, AgencyProfile
from ogi_workflow.people import PersonView, check_login
from ogi_workflow.storage import access, outbox, staff
from ogi_workflow.storage.session import Store

__all__ = ["Access", "DeliveryView", "TokenView", "WebhookView"]

_ACTION = "manage_access"


class TokenView(BaseModel):
    """An API token as listed: never the token itself, which is shown once at creation."""

    id: int
    login: str
    label: str | None
    prefix: str  # the token's first characters, to tell tokens apart
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class WebhookView(BaseModel):
    """A webhook as listed (its secret is never shown again)."""

    id: int
    url: str
    active: bool
    created_at: datetime
    created_by: str


class DeliveryView(BaseModel):
    """One event sent (or to be sent) to one webhook: the delivery log."""

    id: int
    webhook_id: int
    request_id: int
    seq: int  # the event's number in its request
    event: str
    status: str  # pending, delivered, dead
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class Access(ABC):
    """Tokens and webhooks of the Workflow's agency."""

    _store: Store
    _clock: Callable[[], datetime]
    agency: AgencyProfile

    @abstractmethod
    def _authorise(
        self, conn: Connection, action: str, actor: object, *, approver: object = None
    ) -> PersonView: ...

    @abstractmethod
    def _log(
        self, conn: Connection, actor: str, action: str, subject: str, payload: dict[str, Any]
    ) -> None: ...

    def create_token(
        self, login: str, *, actor: str, label: str | None = None
    ) -> tuple[TokenView, str]:
        """A new API token for the active person ``login``: its record and the token, which
        is shown this once (only its SHA-256 is stored)."""
        login = check_login("create_token: login", login)
        if label is not None and (
            not isinstance(label, str) or len(label) > 100 or text_problem(label, multiline=False)
        ):
            raise ValidationError("create_token: label must be one line of at most 100 characters")
        with self._store.writing() as session:
            self._authorise(session.conn, _ACTION, actor)
            # The token's person must be one who may act: registered and active.
            self._authorise_person(session.conn, login)
            token_id, token = access.create_token(
                session.conn, self.agency.code, login, label=label, by=actor, now=self._clock()
            )
            self._log(session.conn, actor, "create_token", login, {"token": token_id})
            view = next(t for t in self._tokens(session.conn) if t.id == token_id)
        return view, token

    def _authorise_person(self, conn: Connection, login: str) -> None:
        found = staff.person(conn, self.agency.code, login)
        if found is None or not found["active"]:
            raise ValidationError(
                f"create_token: {login!r} is not an active person of agency {self.agency.code!r}"
            )

    def tokens(self) -> list[TokenView]:
        """The agency's API tokens, newest first (revoked ones too)."""
        with self._store.reading() as conn:
            return self._tokens(conn)

    def _tokens(self, conn: Connection) -> list[TokenView]:
        return [TokenView(**row) for row in access.tokens(conn, self.agency.code)]

    def revoke_token(self, token_id: int, *, actor: str) -> None:
        """Revoke a token: the next call made with it is refused."""
        _check_id("revoke_token", "token_id", token_id)
        with self._store.writing() as session:
            self._authorise(session.conn, _ACTION, actor)
            if not access.revoke_token(session.conn, self.agency.code, token_id, self._clock()):
                raise NotFoundError(
                    f"revoke_token: no live token {token_id!r} in {self.agency.code}"
                )
            self._log(session.conn, actor, "revoke_token", str(token_id), {})

    def add_webhook(self, url: str, secret: str, *, actor: str) -> WebhookView:
        """Send the agency's events to ``url`` (http or https), each signed with ``secret``
        (HMAC-SHA256, docs/service.md); events from now on."""
        try:
            parts = urlsplit(url) if isinstance(url, str) else None
        except ValueError:  # a netloc urlsplit cannot read, e.g. an unclosed "[" or "]"
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError(f"add_webhook: url must be an http(s) URL, got {url!r:.100}")
        if len(url) > 2000 or text_problem(url, multiline=False):
            raise ValidationError("add_webhook: url must be one line of at most 2000 characters")
        if not isinstance(secret, str) or not 16 <= len(secret) <= 200 or not secret.isascii():
            raise ValidationError(
                "add_webhook: secret must be 16 to 200 ASCII characters (a random string)"
            )
        with self._store.writing() as session:
            self._authorise(session.conn, _ACTION, actor)
            hook = access.add_webhook(
                session.conn, self.agency.code, url, secret=secret, by=actor, now=self._clock()
            )
            self._log(session.conn, actor, "add_webhook", str(hook), {"url": url})
            return next(w for w in self._webhooks(session.conn) if w.id == hook)

    def webhooks(self) -> list[WebhookView]:
        with self._store.reading() as conn:
            return self._webhooks(conn)

    def _webhooks(self, conn: Connection) -> list[WebhookView]:
        return [WebhookView(**row) for row in access.webhooks(conn, self.agency.code)]

    def remove_webhook(self, webhook_id: int, *, actor: str) -> None:
        """Stop sending events to a webhook (its delivery log stays)."""
        _check_id("remove_webhook", "webhook_id", webhook_id)
        with self._store.writing() as session:
            self._authorise(session.conn, _ACTION, actor)
            if not access.set_webhook_active(session.conn, self.agency.code, webhook_id, False):
                raise NotFoundError(
                    f"remove_webhook: no webhook {webhook_id!r} in {self.agency.code}"
                )
            self._log(session.conn, actor, "remove_webhook", str(webhook_id), {})

    def deliveries(self, *, status: str | None = None, limit: int = 100) -> list[DeliveryView]:
        """The delivery log of the agency's webhooks, newest first."""
        if status is not None and status not in ("pending", "delivered", "dead"):
            raise ValidationError(
                f"deliveries: status {status!r} is not one of: pending, delivered, dead"
            )
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
            raise ValidationError("deliveries: limit must be a whole number from 1 to 10000")
        with self._store.reading() as conn:
            rows = outbox.deliveries(conn, self.agency.code, status=status, limit=limit)
        return [DeliveryView(**{k: v for k, v in r.items() if k in _DELIVERY}) for r in rows]

    def retry_dead_deliveries(self, *, actor: str) -> int:
        """Queue the agency's dead deliveries again (after fixing the receiver); how many."""
        with self._store.writing() as session:
            self._authorise(session.conn, _ACTION, actor)
            hooks = [w.id for w in self._webhooks(session.conn)]
            count = outbox.retry_dead(session.conn, self.agency.code, hooks, self._clock())
            self._log(session.conn, actor, "retry_deliveries", "webhooks", {"count": count})
        return count

    # ---- the HTTP service's idempotent POSTs

    def stored_answer(self, token_id: int, key: str) -> access.StoredAnswer | None:
        """The answer stored for a token's ``Idempotency-Key``, if any."""
        with self._store.reading() as conn:
            return access.find_answer(conn, token_id, key)

    def store_answer(self, token_id: int, key: str, answer: access.StoredAnswer) -> None:
        """Store the answer in the current unit of work: inside :meth:`batch`, the same
        transaction as the action it answers."""
        with self._store.writing() as session:
            access.save_answer(session.conn, token_id, key, answer, self._clock())


_DELIVERY = frozenset(DeliveryView.model_fields)


def _check_id(action: str, name: str, value: object) -> None:
    """A stored row's id: a whole number from 1 to ID_MAX."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{action}: {name} must be a whole number, got {type(value).__name__}"
        )
    if not 1 <= value <= ID_MAX:
        raise ValidationError(f"{action}: {name} {value} is out of range (1 to {ID_MAX})")
