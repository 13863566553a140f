"""From the transactional outbox to the delivery log: the storage half of webhooks.

Every event writes an ``ogi_outbox`` row in its own transaction (:mod:`.session`).
:func:`dispatch` turns undispatched rows into one ``ogi_delivery`` row per active webhook of
the event's agency; :func:`claim` hands out deliveries that are due, each only when every
earlier event of the same request has been delivered to that webhook (order per request);
:func:`finish` records the answer. On PostgreSQL both steps lock with ``FOR UPDATE SKIP
LOCKED``, so many nodes share the work and no delivery is claimed twice at once; a claim is
a lease, so a node that dies mid-delivery leaves it to another after the lease (at least
once).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

from sqlalchemy import Connection, and_, exists, insert, or_, select, update
from sqlalchemy.orm import aliased

from ogi_workflow.storage.schema import DELIVERY, EVENT, OUTBOX, REQUEST, WEBHOOK

__all__ = [
    "CLAIM_LIMIT",
    "DISPATCH_LIMIT",
    "PENDING",
    "Claimed",
    "claim",
    "deliveries",
    "dispatch",
    "finish",
    "retry_dead",
]

PENDING: Final = "pending"
DELIVERED: Final = "delivered"
DEAD: Final = "dead"
DISPATCH_LIMIT: Final = 1000  # outbox rows one dispatch fans out
CLAIM_LIMIT: Final = 50  # deliveries one claim hands out


class Claimed(NamedTuple):
    """A delivery handed to one sender until ``lease`` ends, with what it sends."""

    delivery_id: int
    attempts: int
    url: str
    secret: str
    outbox_id: int
    agency: str
    reg_no: str | None
    event: dict[str, Any]  # the ogi_event row


def _locking(statement: Any, conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement  # SQLite: the writing transaction holds the whole file


def dispatch(conn: Connection, now: datetime, limit: int = DISPATCH_LIMIT) -> int:
    """Fan out up to ``limit`` outbox rows into deliveries; how many rows were dispatched."""
    rows = conn.execute(
        _locking(
            select(OUTBOX.c.id, OUTBOX.c.agency, OUTBOX.c.request_id)
            .where(OUTBOX.c.dispatched.is_(False))
            .order_by(OUTBOX.c.id)
            .limit(limit),
            conn,
        )
    ).all()
    if not rows:
        return 0
    agencies = {r.agency for r in rows}
    hooks: dict[str, list[int]] = {}
    for hook in conn.execute(
        select(WEBHOOK.c.id, WEBHOOK.c.agency).where(
            WEBHOOK.c.agency.in_(agencies), WEBHOOK.c.active.is_(True)
        )
    ):
        hooks.setdefault(hook.agency, []).append(hook.id)
    values = [
        {
            "webhook_id": hook,
            "outbox_id": r.id,
            "request_id": r.request_id,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "claimed_until": None,
            "last_status": None,
            "last_error": None,
            "delivered_at": None,
            "created_at": now,
        }
        for r in rows
        for hook in hooks.get(r.agency, ())
    ]
    if values:
        conn.execute(insert(DELIVERY), values)
    conn.execute(
        update(OUTBOX).where(OUTBOX.c.id.in_([r.id for r in rows])).values(dispatched=True)
    )
    return len(rows)


_EARLIER = aliased(DELIVERY)


def claim(
    conn: Connection, now: datetime, lease: timedelta, limit: int = CLAIM_LIMIT
) -> list[Claimed]:
    """Deliveries due now, each the oldest undelivered one of its (webhook, request), leased
    to the caller until ``now + lease``."""
    waiting_behind = exists().where(
        _EARLIER.c.webhook_id == DELIVERY.c.webhook_id,
        _EARLIER.c.request_id == DELIVERY.c.request_id,
        _EARLIER.c.outbox_id < DELIVERY.c.outbox_id,
        _EARLIER.c.status != DELIVERED,
    )
    due = _locking(
        select(DELIVERY.c.id)
        .where(
            DELIVERY.c.status == PENDING,
            DELIVERY.c.next_attempt_at <= now,
            or_(DELIVERY.c.claimed_until.is_(None), DELIVERY.c.claimed_until < now),
            ~waiting_behind,
        )
        .order_by(DELIVERY.c.outbox_id)
        .limit(limit),
        conn,
    )
    ids = list(conn.execute(due).scalars())
    if not ids:
        return []
    conn.execute(update(DELIVERY).where(DELIVERY.c.id.in_(ids)).values(claimed_until=now + lease))
    rows = conn.execute(
        select(
            DELIVERY.c.id,
            DELIVERY.c.attempts,
            WEBHOOK.c.url,
            WEBHOOK.c.secret,
            OUTBOX.c.id.label("outbox_id"),
            OUTBOX.c.agency,
            REQUEST.c.reg_no,
            *[c.label(f"event_{c.name}") for c in EVENT.c],
        )
        .join(WEBHOOK, WEBHOOK.c.id == DELIVERY.c.webhook_id)
        .join(OUTBOX, OUTBOX.c.id == DELIVERY.c.outbox_id)
        .join(REQUEST, REQUEST.c.id == OUTBOX.c.request_id)
        .join(EVENT, and_(EVENT.c.request_id == OUTBOX.c.request_id, EVENT.c.seq == OUTBOX.c.seq))
        .where(DELIVERY.c.id.in_(ids))
        .order_by(DELIVERY.c.outbox_id)
    ).mappings()
    return [
        Claimed(
            r["id"],
            r["attempts"],
            r["url"],
            r["secret"],
            r["outbox_id"],
            r["agency"],
            r["reg_no"],
            {c.name: r[f"event_{c.name}"] for c in EVENT.c},
        )
        for r in rows
    ]


def finish(
    conn: Connection,
    claimed: Claimed,
    *,
    status: int | None,
    error: str | None,
    now: datetime,
    retry_in: timedelta | None,
) -> str:
    """Record one attempt: delivered (``error`` None), retried after ``retry_in``, or dead
    (``retry_in`` None); the delivery's new status."""
    values: dict[str, Any] = {
        "attempts": claimed.attempts + 1,
        "claimed_until": None,
        "last_status": status,
        "last_error": None if error is None else error[:500],
    }
    if error is None:
        values |= {"status": DELIVERED, "delivered_at": now}
    elif retry_in is None:
        values |= {"status": DEAD}
    else:
        values |= {"status": PENDING, "next_attempt_at": now + retry_in}
    conn.execute(update(DELIVERY).where(DELIVERY.c.id == claimed.delivery_id).values(values))
    return str(values["status"])


def deliveries(
    conn: Connection, agency: str, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The delivery log of the agency's webhooks, newest first."""
    where = [WEBHOOK.c.agency == agency]
    if status is not None:
        where.append(DELIVERY.c.status == status)
    rows = conn.execute(
        select(DELIVERY, OUTBOX.c.seq, EVENT.c.event)
        .join(WEBHOOK, WEBHOOK.c.id == DELIVERY.c.webhook_id)
        .join(OUTBOX, OUTBOX.c.id == DELIVERY.c.outbox_id)
        .join(EVENT, and_(EVENT.c.request_id == OUTBOX.c.request_id, EVENT.c.seq == OUTBOX.c.seq))
        .where(*where)
        .order_by(DELIVERY.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in rows.mappings()]


def retry_dead(conn: Connection, agency: str, webhook_ids: Sequence[int], now: datetime) -> int:
    """Put the dead deliveries of these webhooks of the agency back in the queue, with a
    fresh count of attempts; how many."""
    mine = select(WEBHOOK.c.id).where(WEBHOOK.c.agency == agency, WEBHOOK.c.id.in_(webhook_ids))
    done = conn.execute(
        update(DELIVERY)
        .where(DELIVERY.c.status == DEAD, DELIVERY.c.webhook_id.in_(mine))
        .values(status=PENDING, attempts=0, next_attempt_at=now, claimed_until=None)
    )
    return int(done.rowcount)
