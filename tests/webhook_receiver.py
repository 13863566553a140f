"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that checks each delivery
as docs/service.md tells a receiver to (HMAC-SHA256 signature over "<t>.<body>", a recent
timestamp, ``Ogi-Event-Id`` the body's id) and keeps every attempt in arrival order."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Delivery", "WebhookReceiver"]

SIGNATURE_AGE = 300  # seconds: an older Ogi-Signature timestamp is refused


@dataclass
class Delivery:
    event_id: str
    body: dict[str, Any]
    accepted: bool
    at: float  # time.monotonic() on arrival


class WebhookReceiver:
    """Verifies each POST (a bad one is answered 401 and kept in ``bad``), keeps every
    attempt in arrival order, and answers ``status`` if it is set (it may be changed at any
    time); otherwise 2xx, except that it refuses (503) the first attempt of one event in
    ``refuse_one_in`` (by a hash of its id; 0: none), so that the sender's retries run too.
    ``max_age``: the oldest signature timestamp taken, in seconds (None: any, for a sender
    on a fixed test clock)."""

    def __init__(
        self,
        secret: str,
        refuse_one_in: int = 0,
        *,
        status: int | None = None,
        max_age: float | None = SIGNATURE_AGE,
    ) -> None:
        self.secret = secret.encode()
        self.refuse_one_in = refuse_one_in
        self.status = status
        self.max_age = max_age
        self.lock = threading.Lock()
        self.attempts: list[Delivery] = []
        self.refused: set[str] = set()
        self.bad: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a receiver in production would

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                status = outer.take(dict(self.headers.items()), raw)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_port}/ogi-events"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def take(self, headers: dict[str, str], raw: bytes) -> int:
        problem = self._check(headers, raw)
        if problem is not None:
            with self.lock:
                self.bad.append(problem)
            return 401
        event_id = headers["Ogi-Event-Id"]
        body = json.loads(raw)
        with self.lock:
            answer = self.status if self.status is not None else self._answer(event_id)
            self.attempts.append(Delivery(event_id, body, answer < 300, time.monotonic()))
        return answer

    def _answer(self, event_id: str) -> int:
        refuse = self.refuse_one_in > 0 and event_id not in self.refused
        if refuse and zlib.crc32(event_id.encode()) % self.refuse_one_in == 0:
            self.refused.add(event_id)
            return 503
        return 204

    def _check(self, headers: dict[str, str], raw: bytes) -> str | None:
        """What is wrong with a delivery's signature, id or timestamp; None if nothing."""
        try:
            parts = dict(p.split("=", 1) for p in headers["Ogi-Signature"].split(","))
            sent_at = int(parts["t"])
            expected = hmac.new(self.secret, f"{sent_at}.".encode() + raw, hashlib.sha256)
            if not hmac.compare_digest(parts["v1"], expected.hexdigest()):
                return "signature does not match"
            if self.max_age is not None and abs(time.time() - sent_at) > self.max_age:
                return f"timestamp {sent_at} is too old"
            if json.loads(raw)["id"] != headers["Ogi-Event-Id"]:
                return "Ogi-Event-Id is not the body's id"
        except (KeyError, ValueError) as exc:
            return f"unreadable delivery: {exc!r}"
        return None

    def accepted(self) -> list[Delivery]:
        with self.lock:
            return [d for d in self.attempts if d.accepted]

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.http.shutdown()
        self.http.server_close()
