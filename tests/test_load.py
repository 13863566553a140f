"""A bounded load test of the HTTP service (issue 12, "Speed and load"), on 127.0.0.1 only.

A real ``ogi-workflow serve`` (one worker, SQLite file, webhook delivery inside the server at
its default interval) on the demo agency with its few hundred requests; a real webhook
receiver in this process that checks every delivery's signature and timestamp
(docs/service.md, Webhooks); ``CLIENTS`` threads with keep-alive connections driving the
quick start (receive, register, start handling, submit, two approvals, reply, letter,
archive) with reads in between (the request, its events and deadline, lists with filters,
the morning list), for ``OGI_LOAD_SECONDS`` (default 60).

Every POST carries an ``Idempotency-Key``; some are sent again with the same key and must
be answered from the stored answer (``Idempotent-Replayed``) without acting twice. Some
calls are wrong on purpose: a stale ``If-Match`` (412) or an action the state does not allow
(409). Each call's expected status is known in advance, so any other answer is an error.

Delivery is at least once, in order per request, and a repeat carries the same
``Ogi-Event-Id`` (docs/service.md): a receiver dedupes by that id. The receiver refuses the
first attempt of some events (503) so that retries run too. After the load the test waits up
to ``OGI_LOAD_DRAIN_SECONDS`` (default 60) for delivery to drain, then checks that:

* each request's events (``GET /v1/requests/{id}/events``) are exactly the actions that
  succeeded, each once, and equal, in order, the bodies the receiver accepted for it after
  dedupe by id; every copy of one id is the same body, so that dedupe is sound;
* no event was attempted before every earlier event of its request was accepted;
* no event was accepted twice. The contract allows a repeat only after a failure: an
  attempt the receiver refused (not counted as accepted) or a delivery round that failed,
  which the server logs with its traceback. The test asserts the server's log has no
  traceback at all, so a second accepted copy here could only be a double claim;
* every outbox row was dispatched and every delivery is ``delivered`` (none pending or dead),
  and the webhook, added after the demo was written, received none of the demo's events.

Run with ``-s`` to see the totals (and how many events arrived while the load ran). The last
three tests pin the three delivery faults the load test found, quickly and on both databases:
events of a webhook added later, a pause between busy rounds, and rounds that sent one
delivery after another, each in a transaction of its own.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from conftest import AGENCY, application, free_port, open_staffed
from sqlalchemy import func, select
from webhook_receiver import Delivery, WebhookReceiver

from ogi_workflow import Workflow
from ogi_workflow.demo import demo_agency, populate
from ogi_workflow.models import SHANGHAI
from ogi_workflow.service.app import Deployment
from ogi_workflow.service.delivery import FIRST_RETRY, deliver_once, run_in_background
from ogi_workflow.storage.engine import make_engine
from ogi_workflow.storage.schema import DELIVERY, OUTBOX

LOAD_SECONDS = float(os.environ.get("OGI_LOAD_SECONDS", "60"))
DRAIN_SECONDS = float(os.environ.get("OGI_LOAD_DRAIN_SECONDS", "60"))
CLIENTS = 12
SECRET = "load-test-secret-0123456789"
REFUSE_ONE_IN = 40  # the receiver refuses the first attempt of about one event in 40
RETRY_NO_SOONER = 9.5  # seconds: the first retry comes 10 s after a refusal (docs/service.md)
STAFF = {"clerk": "公开办", "reviewer": "审核员", "head": "办公室主任", "admin": "管理员"}
DETAILS = {"provided": "某项目的立项批复复制件1份"}


# --------------------------------------------------------------------------- the clients


@dataclass
class _Tally:
    """What one client saw: every call's status and latency, and every unexpected answer."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    replays: int = 0
    # request id -> the events its successful actions should have written, in order
    expected: dict[int, list[str]] = field(default_factory=dict)


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: Any


class _Client:
    """One keep-alive connection (http.client: light, so the server is what is measured)."""

    def __init__(self, port: int, tokens: dict[str, str], name: str, tally: _Tally) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.auth = {who: f"Bearer {token}" for who, token in tokens.items()}
        self.name = name
        self.tally = tally
        self.keys = 0

    def new_key(self) -> str:
        self.keys += 1
        return f"{self.name}-{self.keys}"

    def call(
        self,
        method: str,
        path: str,
        *,
        who: str = "clerk",
        body: Any = None,
        headers: dict[str, str] | None = None,
        expect: int = 200,
    ) -> _Answer:
        sent = {"Authorization": self.auth[who], **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=sent)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()  # reconnects on the next call
            self.tally.errors.append(f"{method} {path}: {exc!r}")
            return _Answer(0, {}, None)
        self.tally.latencies.append(time.perf_counter() - t0)
        self.tally.statuses[response.status] += 1
        answer = _Answer(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            json.loads(raw) if raw and "json" in response.getheader("Content-Type", "") else raw,
        )
        if response.status != expect:
            self.tally.errors.append(
                f"{method} {path} as {who}: {response.status}, expected {expect}: {raw[:300]!r}"
            )
        return answer

    def post(
        self,
        path: str,
        body: Any,
        *,
        who: str = "clerk",
        if_match: str | None = None,
        expect: int = 200,
        retry: bool = False,
    ) -> _Answer:
        """A POST with a fresh Idempotency-Key; with ``retry``, sent again with the same key,
        which must give the same answer, marked replayed."""
        headers = {"Idempotency-Key": self.new_key()}
        if if_match is not None:
            headers["If-Match"] = if_match
        first = self.call("POST", path, who=who, body=body, headers=headers, expect=expect)
        if retry and 200 <= first.status < 300:
            again = self.call("POST", path, who=who, body=body, headers=headers, expect=expect)
            self.tally.replays += 1
            if again.headers.get("idempotent-replayed") != "true" or again.body != first.body:
                self.tally.errors.append(f"POST {path}: a retry with the same key acted again")
        return first

    def close(self) -> None:
        self.conn.close()


# After registration, the quick start's steps: (action, body, who, what to read after it).
STEPS: list[tuple[str, dict[str, Any], str, str | None]] = [
    ("start_handling", {}, "clerk", "deadline"),
    ("submit_for_review", {"outcome": "disclosed", "details": DETAILS}, "clerk", None),
    ("approve", {"opinion": "同意"}, "reviewer", None),
    ("approve", {"opinion": "同意签发"}, "head", "events"),
    ("reply", {}, "clerk", None),
]


def _lifecycle(client: _Client, rng: random.Random) -> None:
    """One request through the quick start (docs/service.md), with reads and wrong calls;
    about one in seven is left open after registration, for the morning list."""
    registered = _receive_and_register(client, rng)
    if registered is None or rng.random() < 0.15:
        return
    rid, done = registered
    base = f"/v1/requests/{rid}"
    for action, body, who, read in STEPS:
        answer = client.post(f"{base}/actions/{action}", body, who=who, retry=rng.random() < 0.2)
        if answer.status != 200:
            return
        done.append(action)
        if read is not None:
            client.call("GET", f"{base}/{read}")
    if rng.random() < 0.3:  # 已答复: no second reply
        client.post(f"{base}/actions/reply", {}, expect=409)
    if rng.random() < 0.25:
        letter = client.post(f"{base}/letters", {}, retry=rng.random() < 0.5)
        if letter.status == 200:
            done.append("issue_letter")
    fresh = client.call("GET", base).headers.get("etag")
    if client.post(f"{base}/actions/archive", {}, if_match=fresh).status == 200:
        done.append("archive")
    if rng.random() < 0.25:
        client.call("GET", "/v1/overdue?within=5")  # the morning list
    if rng.random() < 0.25:
        query = urlencode({"handler": STAFF["clerk"], "state": "archived", "limit": 50})
        client.call("GET", f"/v1/requests?{query}")
    log = client.call("GET", f"{base}/events")
    if log.status == 200 and [e["event"] for e in log.body] != done:
        client.tally.errors.append(f"request {rid}: events {log.body} after {done}")


def _a_minute_ago() -> str:
    """A receipt time the server's today (Asia/Shanghai) accepts actions after."""
    received_at = datetime.now(SHANGHAI).replace(tzinfo=None) - timedelta(minutes=1)
    return received_at.isoformat(timespec="minutes")


def _receive_and_register(client: _Client, rng: random.Random) -> tuple[int, list[str]] | None:
    """A new request, registered; its id and the events it should have so far."""
    application = {
        "applicant": {"kind": "natural_person", "name": f"张三{rng.randrange(10_000)}"},
        "description": f"某项目的立项批复（{client.name}）",
        "received_at": _a_minute_ago(),
    }
    created = client.post("/v1/requests", application, expect=201, retry=rng.random() < 0.25)
    if created.status != 201:
        return None
    rid: int = created.body["id"]
    done = client.tally.expected[rid] = ["receive"]
    base = f"/v1/requests/{rid}"
    etag = client.call("GET", base).headers.get("etag")
    if rng.random() < 0.3:  # 已接收: not yet registered, so not to be archived
        client.post(f"{base}/actions/archive", {}, expect=409)
    registered = client.post(
        f"{base}/actions/register", {}, if_match=etag, retry=rng.random() < 0.2
    )
    if registered.status != 200:
        return None
    done.append("register")
    if rng.random() < 0.3:  # decided on the version before registration
        client.post(f"{base}/actions/start_handling", {}, if_match=etag, expect=412)
    found = client.call("GET", f"/v1/requests?{urlencode({'reg_no': registered.body['reg_no']})}")
    if found.status == 200 and [r["id"] for r in found.body["items"]] != [rid]:
        client.tally.errors.append(f"reg_no {registered.body['reg_no']}: {found.body}")
    client.call("GET", "/v1/requests?state=registered&limit=20")
    return rid, done


def _drive(port: int, tokens: dict[str, str], name: str, until: float, tally: _Tally) -> None:
    client = _Client(port, tokens, name, tally)
    rng = random.Random(name)
    try:
        while time.monotonic() < until:
            _lifecycle(client, rng)
    except Exception as exc:  # reported as an error, not lost in a thread
        tally.errors.append(f"{name}: {exc!r}")
    finally:
        client.close()


# --------------------------------------------------------------------------- the server


@dataclass
class _Serving:
    url: str
    port: int
    log: Path
    db: str
    tokens: dict[str, str]


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[_Serving]:
    """The demo database, tokens for the quick start's people, and ``serve`` over it."""
    db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    with Workflow.open(db, agency=demo_agency()) as wf:
        populate(wf, today=datetime.now(SHANGHAI).date())
        tokens = {who: wf.create_token(login, actor="管理员")[1] for who, login in STAFF.items()}
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "ogi_workflow", "serve", "--db", db, "--port", str(port)]
    with log.open("wb") as sink:
        server = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            if server.poll() is not None:
                break
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            server.kill()
        if server.poll() is not None:
            pytest.fail(f"serve did not start: {log.read_text('utf-8')[-2000:]}")
        yield _Serving(url, port, log, db, tokens)
    finally:
        server.terminate()
        server.wait(30)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


@dataclass
class _Load:
    """What the clients did and saw, merged."""

    seconds: float
    cpu: float
    statuses: Counter[int]
    latencies: list[float]
    errors: list[str]
    replays: int
    expected: dict[int, list[str]]


def _load(serving: _Serving) -> _Load:
    """``CLIENTS`` threads driving lifecycles for ``LOAD_SECONDS``."""
    tallies = [_Tally() for _ in range(CLIENTS)]
    started, cpu = time.monotonic(), time.process_time()
    until = started + LOAD_SECONDS
    threads = [
        threading.Thread(
            target=_drive, args=(serving.port, serving.tokens, f"c{i}", until, tallies[i])
        )
        for i in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = _Load(time.monotonic() - started, time.process_time() - cpu, Counter(), [], [], 0, {})
    for tally in tallies:
        done.statuses += tally.statuses
        done.latencies += tally.latencies
        done.errors += tally.errors
        done.replays += tally.replays
        done.expected |= tally.expected
    return done


@pytest.mark.external
def test_mixed_reads_and_writes_for_a_minute_lose_and_repeat_nothing(serving: _Serving) -> None:
    admin = {"Authorization": f"Bearer {serving.tokens['admin']}"}
    with (
        WebhookReceiver(SECRET, REFUSE_ONE_IN) as receiver,
        httpx.Client(base_url=serving.url, timeout=60) as api,
    ):
        hook = api.post("/v1/webhooks", json={"url": receiver.url, "secret": SECRET}, headers=admin)
        assert hook.status_code == 200, hook.text
        agency = api.get("/v1/me", headers=admin).json()["agency"]
        load = _load(serving)
        loaded, during = time.monotonic(), len(receiver.accepted())

        # The events as the service reads them (every write has been answered).
        events: dict[int, list[dict[str, Any]]] = {}
        for rid in load.expected:
            answer = api.get(f"/v1/requests/{rid}/events", headers=admin)
            assert answer.status_code == 200, answer.text
            events[rid] = answer.json()
        wanted = {f"{agency}:{rid}:{e['seq']}" for rid, log in events.items() for e in log}

        # Drain: every event accepted by the receiver and no delivery pending, or time out.
        while True:
            got = {d.event_id for d in receiver.accepted()}
            pending = api.get("/v1/deliveries?status=pending&limit=1", headers=admin).json()
            if (wanted <= got and not pending) or time.monotonic() > loaded + DRAIN_SECONDS:
                break
            time.sleep(0.25)
        drained = time.monotonic() - loaded
        dead = api.get("/v1/deliveries?status=dead", headers=admin).json()

    calls = sum(load.statuses.values())
    with receiver.lock:
        attempts = list(receiver.attempts)
    accepted = [d for d in attempts if d.accepted]
    ids = Counter(d.event_id for d in accepted)
    print(
        f"\nload: {CLIENTS} clients, {load.seconds:.1f} s: {calls} calls"
        f" ({calls / load.seconds:.0f}/s), statuses {dict(sorted(load.statuses.items()))},"
        f" of which {load.replays} retries with the same Idempotency-Key;"
        f" latency p50 {_percentile(load.latencies, 0.5):.1f} ms,"
        f" p99 {_percentile(load.latencies, 0.99):.1f} ms, max {max(load.latencies) * 1e3:.1f} ms"
        f"; the clients used {load.cpu:.1f} s of CPU"
        f"\nevents: {len(wanted)} in {len(events)} requests; deliveries: {len(attempts)}"
        f" attempts, {len(accepted)} accepted ({len(ids)} events), {len(receiver.refused)}"
        f" refused on purpose and retried; {during} accepted during the load, the other"
        f" {len(accepted) - during} in the {drained:.1f} s after it"
    )

    assert not load.errors, f"{len(load.errors)} unexpected answers, e.g. {load.errors[:5]}"
    assert set(load.statuses) <= {200, 201, 409, 412}, load.statuses
    assert not receiver.bad, receiver.bad[:5]
    assert "Traceback" not in serving.log.read_text("utf-8", errors="replace")
    assert events, "the load created no request"
    # No action lost or done twice: each request's events are the actions that succeeded.
    for rid, log in events.items():
        assert [e["event"] for e in log] == load.expected[rid], rid
        assert [e["seq"] for e in log] == list(range(1, len(log) + 1)), rid

    # Every event delivered, and only those (none of the demo's, written before the webhook).
    missing = wanted - set(ids)
    assert not missing, f"{len(missing)} events not delivered {DRAIN_SECONDS:.0f} s after"
    assert set(ids) == wanted, f"not events of the load: {sorted(set(ids) - wanted)[:5]}"
    assert not dead, dead[:3]
    assert [i for i, n in ids.items() if n > 1] == [], "accepted twice without a failed round"
    _check_bodies(agency, events, accepted)
    _check_order(attempts)
    _check_outbox(serving.db, len(wanted))


def _check_bodies(
    agency: str, events: dict[int, list[dict[str, Any]]], accepted: list[Delivery]
) -> None:
    """After dedupe by id, each request's deliveries are its events in order, each exactly
    as ``GET /v1/requests/{id}/events`` gives it; a repeat of an id is the same body."""
    first: dict[str, dict[str, Any]] = {}
    by_request: dict[int, list[dict[str, Any]]] = {}
    for d in accepted:
        if d.event_id in first:
            assert d.body == first[d.event_id], d.event_id
            continue
        first[d.event_id] = d.body
        by_request.setdefault(d.body["request_id"], []).append(d.body)
    for rid, log in events.items():
        bodies = by_request.get(rid, [])
        assert [b["event"] for b in bodies] == log, rid
        for body in bodies:
            assert body["id"] == f"{agency}:{rid}:{body['event']['seq']}"
            assert (body["agency"], body["type"]) == (agency, body["event"]["event"])


def _check_order(attempts: list[Delivery]) -> None:
    """No event attempted before every earlier event of its request was accepted; a refused
    attempt retried no sooner than the first backoff (10 s), then accepted."""
    reached: dict[int, int] = {}
    refused_at: dict[str, float] = {}
    for d in attempts:
        rid, seq = d.body["request_id"], d.body["event"]["seq"]
        assert seq <= reached.get(rid, 0) + 1, f"{d.event_id} sent before seq {seq - 1} arrived"
        if not d.accepted:
            refused_at[d.event_id] = d.at
            continue
        reached[rid] = max(reached.get(rid, 0), seq)
        if d.event_id in refused_at:
            assert d.at - refused_at.pop(d.event_id) >= RETRY_NO_SOONER, d.event_id
    assert not refused_at, f"refused and never retried: {sorted(refused_at)[:5]}"


def _check_outbox(db: str, events: int) -> None:
    """Every outbox row dispatched, and one delivery per event, delivered."""
    engine = make_engine(db, read_only=True)
    try:
        with engine.connect() as conn:
            undispatched = conn.execute(
                select(func.count()).select_from(OUTBOX).where(OUTBOX.c.dispatched.is_(False))
            ).scalar_one()
            rows = conn.execute(select(DELIVERY.c.status, func.count()).group_by(DELIVERY.c.status))
            by_status: dict[str, int] = {str(r[0]): int(r[1]) for r in rows}
    finally:
        engine.dispose()
    assert undispatched == 0
    assert by_status == {"delivered": events}, by_status


# --------------------------------------------------------------------------- the two fixes


def test_a_webhook_added_later_gets_the_events_from_then_on(db_url: str) -> None:
    """docs/service.md: a webhook added later receives events from then on, even when the
    outbox still holds older ones that no round has dispatched yet (here: no round ran)."""
    with (
        WebhookReceiver(SECRET) as receiver,
        httpx.Client(timeout=5) as client,
        open_staffed(db_url, agency=AGENCY) as wf,
    ):
        early = wf.receive(application(_a_minute_ago()), actor="窗口").id
        wf.add_webhook(receiver.url, SECRET, actor="管理员")
        late = wf.receive(application(_a_minute_ago()), actor="窗口").id
        wf.register(early, actor="登记员")
        deliver_once(wf.engine, client)
        assert deliver_once(wf.engine, client).delivered == 0  # nothing left
        assert [d.status for d in wf.deliveries()] == ["delivered", "delivered"]
    assert sorted(d.event_id for d in receiver.attempts) == sorted(
        [f"{AGENCY['code']}:{early}:2", f"{AGENCY['code']}:{late}:1"]
    )


class _Gathering(WebhookReceiver):
    """Answers no delivery until ``count`` of them are in flight at once; 503 to all if they
    never are within 10 s (a sender that sends one after another)."""

    def __init__(self, secret: str, count: int) -> None:
        super().__init__(secret)
        self.together = threading.Barrier(count, timeout=10)

    def take(self, headers: dict[str, str], raw: bytes) -> int:
        try:
            self.together.wait()
        except threading.BrokenBarrierError:
            return 503
        return super().take(headers, raw)


def test_a_round_sends_its_deliveries_at_once(db_url: str) -> None:
    """One round, four requests' events: sent together, so a receiver that answers slowly
    holds up only its own delivery (docs/service.md)."""
    with (
        _Gathering(SECRET, 4) as receiver,
        httpx.Client(timeout=30) as client,
        open_staffed(db_url, agency=AGENCY) as wf,
    ):
        wf.add_webhook(receiver.url, SECRET, actor="管理员")
        ids = [wf.receive(application(_a_minute_ago()), actor="窗口").id for _ in range(4)]
        done = deliver_once(wf.engine, client)
        assert (done.dispatched, done.delivered, done.errors) == (4, 4, [])
    assert sorted(d.event_id for d in receiver.accepted()) == sorted(
        f"{AGENCY['code']}:{rid}:1" for rid in ids
    )


def test_a_round_asks_for_another_only_when_work_may_be_waiting(db_url: str) -> None:
    """``Round.more``, which starts the next round of ``serve`` at once: a limit reached or an
    event delivered. Events with no webhook, and answers to retry later, wait the interval:
    else a server with no webhooks ran one write transaction after another beside its own
    calls (docs/benchmarks.md)."""
    now = datetime.now(UTC)
    with (
        WebhookReceiver(SECRET, status=503, max_age=None) as receiver,
        httpx.Client(timeout=5) as client,
        open_staffed(db_url, agency=AGENCY) as wf,
    ):
        for _ in range(3):
            wf.receive(application(_a_minute_ago()), actor="窗口")
        alone = deliver_once(wf.engine, client, clock=lambda: now)
        assert (alone.dispatched, alone.more) == (3, False)  # no webhook: nothing to send

        wf.add_webhook(receiver.url, SECRET, actor="管理员")
        for _ in range(3):
            wf.receive(application(_a_minute_ago()), actor="窗口")
        full = deliver_once(wf.engine, client, clock=lambda: now, limit=2)
        assert (full.dispatched, full.retried, full.more) == (3, 2, True)  # the limit
        rest = deliver_once(wf.engine, client, clock=lambda: now, limit=2)
        assert (rest.retried, rest.more) == (1, False)  # refused: due again in 10 s

        receiver.status = None
        later = now + FIRST_RETRY
        sent = deliver_once(wf.engine, client, clock=lambda: later)
        assert (sent.delivered, sent.more) == (3, True)
        assert deliver_once(wf.engine, client, clock=lambda: later).more is False
    assert receiver.bad == []


def test_serve_delivers_round_after_round_while_there_is_work(db_url: str) -> None:
    """The delivery thread of ``serve`` waits its interval only when no delivery waits: a
    round takes 50 deliveries at most, one per request, so 20 requests of 3 events need 3
    rounds, which must not be 30 s apart."""
    with open_staffed(db_url, agency=AGENCY) as wf, WebhookReceiver(SECRET) as receiver:
        wf.add_webhook(receiver.url, SECRET, actor="管理员")
        for _ in range(20):
            rid = wf.receive(application(_a_minute_ago()), actor="窗口").id
            wf.register(rid, actor="登记员")
            wf.start_handling(rid, actor="李明")
        deployment = Deployment(db_url)
        stop = run_in_background(deployment, every=30)
        try:
            deadline = time.monotonic() + 15
            while len(receiver.accepted()) < 60 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:

            async def halt() -> None:
                await stop()

            asyncio.run(halt())
            deployment.close()
        assert len(receiver.accepted()) == 60
        assert [d.status for d in wf.deliveries(limit=100)] == ["delivered"] * 60
