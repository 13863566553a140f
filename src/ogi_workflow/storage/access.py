"""Who may call the HTTP service, and what a retried call gets: API tokens, the answers
stored under an ``Idempotency-Key``, and the webhooks an agency's events go to.

A token is ``ogi_`` and 43 random URL-safe characters (256 bits). Only its SHA-256 is kept:
a token that random needs no slow hash, and a lookup by its hash is one index probe.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any, Final, NamedTuple

from sqlalchemy import Connection, insert, select, update

from ogi_workflow.storage import outbox
from ogi_workflow.storage.schema import IDEMPOTENCY, PERSON, TOKEN, WEBHOOK

__all__ = [
    "Caller",
    "StoredAnswer",
    "add_webhook",
    "create_token",
    "find_answer",
    "revoke_token",
    "save_answer",
    "set_webhook_active",
    "token_caller",
    "tokens",
    "webhooks",
]

TOKEN_PREFIX: Final = "ogi_"
_SHOWN: Final = 12  # the characters of a token kept in clear to name it (prefix included)


class Caller(NamedTuple):
    """The person a token speaks for."""

    token_id: int
    agency: str
    login: str


class StoredAnswer(NamedTuple):
    fingerprint: str
    status: int
    headers: dict[str, str]
    body: bytes


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    conn: Connection, agency: str, login: str, *, label: str | None, by: str, now: datetime
) -> tuple[int, str]:
    """A new token for ``login``: its id and the token itself (shown once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    values = {
        "agency": agency,
        "login": login,
        "label": label,
        "prefix": token[:_SHOWN],
        "token_sha256": _digest(token),
        "created_at": now,
        "created_by": by,
        "revoked_at": None,
    }
    token_id = conn.execute(insert(TOKEN).returning(TOKEN.c.id), values).scalar_one()
    return int(token_id), token


def token_caller(conn: Connection, token: str) -> Caller | None:
    """The person of a live token, or None (unknown, malformed or revoked, or its person
    deactivated: a token speaks for an active person only, for reads as for actions)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    person = (PERSON.c.agency == TOKEN.c.agency) & (PERSON.c.login == TOKEN.c.login)
    row = conn.execute(
        select(TOKEN.c.id, TOKEN.c.agency, TOKEN.c.login)
        .join(PERSON, person)
        .where(
            TOKEN.c.token_sha256 == _digest(token),
            TOKEN.c.revoked_at.is_(None),
            PERSON.c.active.is_(True),
        )
    ).one_or_none()
    return None if row is None else Caller(row.id, row.agency, row.login)


def tokens(conn: Connection, agency: str) -> list[dict[str, Any]]:
    """The agency's tokens, newest first, without their hashes."""
    columns = [c for c in TOKEN.c if c.name != "token_sha256"]
    rows = conn.execute(
        select(*columns).where(TOKEN.c.agency == agency).order_by(TOKEN.c.id.desc())
    )
    return [dict(r) for r in rows.mappings()]


def revoke_token(conn: Connection, agency: str, token_id: int, now: datetime) -> bool:
    """Revoke a live token of the agency; False if there is none with that id."""
    done = conn.execute(
        update(TOKEN)
        .where(TOKEN.c.id == token_id, TOKEN.c.agency == agency, TOKEN.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return done.rowcount == 1


def find_answer(conn: Connection, token_id: int, key: str) -> StoredAnswer | None:
    row = conn.execute(
        select(IDEMPOTENCY.c.fingerprint, IDEMPOTENCY.c.status, IDEMPOTENCY.c.headers)
        .add_columns(IDEMPOTENCY.c.body)
        .where(IDEMPOTENCY.c.token_id == token_id, IDEMPOTENCY.c.key == key)
    ).one_or_none()
    return None if row is None else StoredAnswer(row[0], row[1], dict(row[2]), bytes(row[3]))


def save_answer(
    conn: Connection, token_id: int, key: str, answer: StoredAnswer, now: datetime
) -> None:
    """Store the answer in the caller's transaction (the one that acted)."""
    conn.execute(
        insert(IDEMPOTENCY),
        {
            "token_id": token_id,
            "key": key,
            "fingerprint": answer.fingerprint,
            "status": answer.status,
            "headers": answer.headers,
            "body": answer.body,
            "created_at": now,
        },
    )


def add_webhook(
    conn: Connection, agency: str, url: str, *, secret: str, by: str, now: datetime
) -> int:
    # Events from now on (docs/service.md): what the outbox still holds was written before
    # this webhook existed, so it goes to the webhooks there were, not to this one.
    while outbox.dispatch(conn, now):
        pass
    values = {
        "agency": agency,
        "url": url,
        "secret": secret,
        "active": True,
        "created_at": now,
        "created_by": by,
    }
    return int(conn.execute(insert(WEBHOOK).returning(WEBHOOK.c.id), values).scalar_one())


def webhooks(conn: Connection, agency: str) -> list[dict[str, Any]]:
    """The agency's webhooks, without their secrets."""
    columns = [c for c in WEBHOOK.c if c.name != "secret"]
    rows = conn.execute(select(*columns).where(WEBHOOK.c.agency == agency).order_by(WEBHOOK.c.id))
    return [dict(r) for r in rows.mappings()]


def set_webhook_active(conn: Connection, agency: str, webhook_id: int, active: bool) -> bool:
    done = conn.execute(
        update(WEBHOOK)
        .where(WEBHOOK.c.id == webhook_id, WEBHOOK.c.agency == agency)
        .values(active=active)
    )
    return done.rowcount == 1
