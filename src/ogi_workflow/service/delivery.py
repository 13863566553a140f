"""Webhook delivery: signed POSTs of each event, at least once, in order per request.

One round (:func:`deliver_once`) dispatches the outbox into deliveries, claims the due ones
(each the oldest undelivered event of its request for that webhook), sends them and records
every answer. A 2xx answer is delivered; anything else (or no answer within the timeout) is
retried after 10 s, 20 s, 40 s … up to an hour; after ``max_attempts`` the delivery is dead
and holds that request's later events for the webhook until ``webhook retry``.

Each delivery is signed (docs/service.md): ``Ogi-Signature: t=<unix seconds>,v1=<hex
HMAC-SHA256(secret, "<t>.<body>")>``; ``Ogi-Event-Id`` is the same on every retry of one
event, so a receiver can drop a repeat.
"""

import asyncio
import hashlib
import hmac
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import httpx
import orjson

from ogi_workflow.lifecycle import Event
from ogi_workflow.lifecycle.typed_events import typed_event
from ogi_workflow.models import utc_now
from ogi_workflow.service.schemas import WebhookDelivery
from ogi_workflow.storage import outbox
from ogi_workflow.storage.engine import writer_lock
from ogi_workflow.storage.views import event_view

__all__ = ["FIRST_RETRY", "Round", "deliver_once", "run_in_background", "sign"]

_log = logging.getLogger(__name__)
LEASE: Final = timedelta(seconds=60)
FIRST_RETRY: Final = timedelta(seconds=10)
LONGEST_RETRY: Final = timedelta(hours=1)
MAX_ATTEMPTS: Final = 12
SENDERS: Final = 8  # deliveries of one round sent at once


@dataclass
class Round:
    """What one round did."""

    dispatched: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)
    # Whether another round at once may find work: a limit was reached, or an event was
    # delivered (the next one of its request may now go). Events with no webhook to go to,
    # or answers to retry later, are no reason to start again before the interval.
    more: bool = False


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Ogi-Signature`` header of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def event_id(claimed: outbox.Claimed) -> str:
    """The delivery's ``Ogi-Event-Id``, the same on every attempt: agency, request, seq."""
    return f"{claimed.agency}:{claimed.event['request_id']}:{claimed.event['seq']}"


def body_of(claimed: outbox.Claimed) -> bytes:
    """The JSON sent for one event: which, of which request and agency, and the event."""
    event = typed_event(event_view(claimed.event))
    body = WebhookDelivery(
        id=event_id(claimed),
        type=Event(event.event),
        agency=claimed.agency,
        request_id=claimed.event["request_id"],
        reg_no=claimed.reg_no,
        event=event,
    )
    return orjson.dumps(body.model_dump(mode="json"))


def _send(
    client: httpx.Client, item: outbox.Claimed, clock: Callable[[], datetime]
) -> tuple[int | None, str | None]:
    """POST one event, signed; the receiver's status and the error, None if it took it."""
    body = body_of(item)
    headers = {
        "Content-Type": "application/json",
        "Ogi-Event-Id": event_id(item),
        "Ogi-Signature": sign(item.secret, int(clock().timestamp()), body),
        "User-Agent": "ogi-workflow-webhook",
    }
    try:
        status = client.post(item.url, content=body, headers=headers).status_code
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def _retry_after(attempts: int) -> timedelta:
    later: timedelta = FIRST_RETRY * 2 ** (attempts - 1)
    return min(later, LONGEST_RETRY)


def deliver_once(
    engine: Any,
    client: httpx.Client,
    *,
    clock: Callable[[], datetime] = utc_now,
    max_attempts: int = MAX_ATTEMPTS,
    limit: int = outbox.CLAIM_LIMIT,
) -> Round:
    """One round of dispatch, claim, send and record; safe on many nodes at once."""
    done = Round()
    # Two transactions a round, whatever its size: on SQLite each queues with the server's own
    # writers (writer_lock) rather than polling for the file's lock, and under load a
    # transaction per delivery kept the deliveries far behind the events.
    writers = writer_lock(engine)
    with writers, engine.begin() as conn:
        done.dispatched = outbox.dispatch(conn, clock())
        claimed = outbox.claim(conn, clock(), LEASE, limit)
    done.more = done.dispatched >= outbox.DISPATCH_LIMIT or len(claimed) >= limit
    if not claimed:
        return done
    # A round holds at most one delivery per request and webhook (claim), so sending them at
    # once keeps each request's order; a receiver that answers slowly holds up only its own.
    with ThreadPoolExecutor(min(SENDERS, len(claimed)), "ogi-webhook-send") as senders:
        answers = list(senders.map(lambda item: _send(client, item, clock), claimed))
    # Recorded together: a node that dies before this sends the round again after the lease
    # (at least once; the receiver drops a repeat by its Ogi-Event-Id).
    with writers, engine.begin() as conn:
        for item, (status, error) in zip(claimed, answers, strict=True):
            attempts = item.attempts + 1
            retry = None if attempts >= max_attempts else _retry_after(attempts)
            result = outbox.finish(
                conn, item, status=status, error=error, now=clock(), retry_in=retry
            )
            if result == "delivered":
                done.delivered += 1
            elif result == "dead":
                done.dead += 1
                _log.warning(
                    "webhook delivery %s dead after %s attempts: %s",
                    item.delivery_id,
                    attempts,
                    error,
                )
            else:
                done.retried += 1
            if error is not None:
                done.errors.append(f"{item.url}: {error}")
    done.more = done.more or done.delivered > 0
    return done


def run_in_background(deployment: Any, *, every: float) -> Callable[[], Awaitable[None]]:
    """Deliver every ``every`` seconds in a thread of the server; the coroutine that stops it."""
    stopping = threading.Event()

    def loop() -> None:
        with httpx.Client(timeout=10.0) as client:
            while not stopping.is_set():
                more = False
                try:
                    more = deliver_once(deployment.engine, client, clock=deployment.clock).more
                except Exception:  # a round that failed is retried next time
                    _log.exception("webhook delivery round failed")
                # A round takes at most 50 deliveries (one per request, in order): while
                # there is work, the next round starts at once, or a steady stream of events
                # would outrun the deliveries for good; events with no webhook are no work
                # (Round.more, docs/benchmarks.md).
                if not more:
                    stopping.wait(every)

    worker = threading.Thread(target=loop, name="ogi-webhooks", daemon=True)
    worker.start()

    async def stop() -> None:
        stopping.set()
        await asyncio.to_thread(worker.join, 30)

    return stop
