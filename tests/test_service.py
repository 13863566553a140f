"""The HTTP service against a live server (uvicorn on 127.0.0.1), on SQLite and PostgreSQL:
the quick start over HTTP, problem answers, ETag/If-Match, idempotent POSTs, tokens and
agencies, the published OpenAPI document, and signed webhook delivery."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import jsonschema
import pytest
import uvicorn
from conftest import AGENCY, application, fixed_clock, free_port, open_staffed
from webhook_receiver import WebhookReceiver

from ogi_workflow import ValidationError, Workflow
from ogi_workflow.service.app import HTTP_PARSER, create_app
from ogi_workflow.service.delivery import deliver_once
from ogi_workflow.storage.engine import make_engine, writer_lock

OPENAPI = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"
EVENTS = OPENAPI.with_name("events")
PEOPLE = ("窗口", "登记员", "李明", "审核员", "王主任", "管理员", "法制科")


class Live(NamedTuple):
    client: httpx.Client
    tokens: dict[str, str]
    db: str

    def as_(self, login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[login]}"}


class _Server:
    """uvicorn serving ``app`` on a free port of 127.0.0.1, in a thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", http=HTTP_PARSER
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                break
            threading.Event().wait(0.01)
        socket = self.server.servers[0].sockets[0]
        return f"http://127.0.0.1:{socket.getsockname()[1]}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def tokens_for(wf: Workflow, people: tuple[str, ...] = PEOPLE) -> dict[str, str]:
    return {login: wf.create_token(login, actor="管理员")[1] for login in people}


@pytest.fixture
def live(db_url: str) -> Iterator[Live]:
    with open_staffed(db_url, agency=AGENCY, clock=fixed_clock) as wf:
        tokens = tokens_for(wf)
    with _Server(create_app(db_url, clock=fixed_clock)) as url, httpx.Client(base_url=url) as c:
        yield Live(c, tokens, db_url)


def _receive(live: Live, **headers: str) -> httpx.Response:
    body = application("2026-03-02T09:30")
    return live.client.post("/v1/requests", json=body, headers=live.as_("窗口") | headers)


def _act(live: Live, who: str, rid: int, action: str, **body: Any) -> httpx.Response:
    return live.client.post(
        f"/v1/requests/{rid}/actions/{action}", json=body, headers=live.as_(who)
    )


def test_the_quick_start_runs_over_http_from_receipt_to_archive(live: Live) -> None:
    created = _receive(live)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert created.headers["Location"] == f"/v1/requests/{rid}"
    assert created.headers["ETag"] == '"1"'
    registered = _act(live, "登记员", rid, "register", on="2026-03-02")
    assert registered.json()["reg_no"] == "2026-0001"
    assert registered.json()["due_date"] == "2026-03-30"
    assert _act(live, "李明", rid, "start_handling", on="2026-03-02").status_code == 200
    details = {"provided": "《关于某项目立项的批复》复制件1份"}
    submitted = _act(
        live, "李明", rid, "submit_for_review", outcome="disclosed", details=details,
        on="2026-03-18",
    )  # fmt: skip
    assert submitted.status_code == 200, submitted.text
    for who in ("审核员", "王主任"):
        assert _act(live, who, rid, "approve", opinion="同意", on="2026-03-19").status_code == 200
    replied = _act(live, "李明", rid, "reply", on="2026-03-19")
    assert replied.json()["state"] == "replied"
    letter = live.client.post(f"/v1/requests/{rid}/letters", json={}, headers=live.as_("李明"))
    assert letter.json()["number"] == "某府办信公开〔2026〕1号"
    docx = live.client.get(f"/v1/requests/{rid}/letters/1", headers=live.as_("李明"))
    assert docx.content[:2] == b"PK"
    text = live.client.get(f"/v1/requests/{rid}/letters/1?format=txt", headers=live.as_("李明"))
    assert "答复书" in text.text
    archived = _act(live, "登记员", rid, "archive", on="2026-03-20")
    assert archived.json()["state"] == "archived"
    log = live.client.get(f"/v1/requests/{rid}/events", headers=live.as_("李明")).json()
    assert log[0]["actor"] == "窗口"  # every action recorded under the token's person
    assert [e["actor"] for e in log if e["event"] == "reply"] == ["李明"]
    deadline = live.client.get(f"/v1/requests/{rid}/deadline", headers=live.as_("李明")).json()
    assert deadline["deadline"]["due_date"] == "2026-03-30"
    assert deadline["days"][-1]["workday_number"] == 20
    zipped = live.client.get(f"/v1/requests/{rid}/case-file", headers=live.as_("李明"))
    assert zipped.headers["content-type"] == "application/zip"


def test_errors_are_problem_details_with_the_librarys_message_and_fields(live: Live) -> None:
    bad = application("2026-03-02T09:30", id_type="resident_id", id_number="110101199003071234")
    answer = live.client.post("/v1/requests", json=bad, headers=live.as_("窗口"))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "urn:ogi-workflow:problem:validation"
    assert problem["title_zh"] == "输入有误"
    assert [f["field"] for f in problem["errors"]] == ["applicant.id_number"]
    assert "11010119900307" not in answer.text  # the ID number is masked
    rid = _receive(live).json()["id"]
    refused = _act(live, "李明", rid, "reply", outcome="disclosed")
    assert refused.status_code in (403, 409, 422), refused.text
    wrong_state = _act(live, "登记员", rid, "archive")
    assert (wrong_state.status_code, wrong_state.json()["type"]) == (
        409,
        "urn:ogi-workflow:problem:transition",
    )
    forbidden = _act(live, "窗口", rid, "start_handling")
    assert forbidden.status_code == 403
    missing = live.client.get("/v1/requests/999999", headers=live.as_("李明"))
    assert missing.status_code == 404
    assert live.client.get("/v1/requests/1").status_code == 401
    unknown_body = _act(live, "登记员", rid, "register", by_the_way=1)
    assert unknown_body.status_code == 422
    assert [f["field"] for f in unknown_body.json()["errors"]] == ["by_the_way"]


def test_bodies_are_read_whole_and_checked_as_the_spec_says(live: Live) -> None:
    clerk = live.as_("窗口")
    # Over 4 MiB: 413 once the body is read; a route that takes no text/plain still reads
    # the whole body first (a client still sending would otherwise wait until it times out).
    huge = live.client.post("/v1/requests", content=b"a" * (5 << 20), headers=clerk)
    assert (huge.status_code, huge.json()["type"]) == (413, "urn:ogi-workflow:problem:too-large")
    plain = clerk | {"Content-Type": "text/plain"}
    assert live.client.post("/v1/departments", content=b"a" * (3 << 20), headers=plain).is_error
    # A megabyte of input in a field is refused with a short, masked preview of it.
    long = live.client.post("/v1/requests", json=application(phone="1" * 1_000_000), headers=clerk)
    assert long.status_code == 422
    assert len(long.text) < 2_000
    # Numbers, yes/no and dates are JSON's own, not text or a Unix time that pydantic reads.
    rid = _receive(live).json()["id"]
    for field, value in (("workdays", "3"), ("workdays", False), ("on", 0)):
        body = {"approver": "王主任", "reason": "需要协调", field: value}
        answer = _act(live, "李明", rid, "extend", **body)
        assert answer.status_code == 422, (field, value)
        assert [f["field"] for f in answer.json()["errors"]] == [field]
    overdue = live.client.get("/v1/overdue", params={"as_of": "0"}, headers=clerk)
    assert overdue.status_code == 422
    # A body that is not JSON at all is a 400, cut short or not UTF-8 alike, on the quick
    # routes (receive, an action) as on the others.
    typed = clerk | {"Content-Type": "application/json"}
    for path in ("/v1/requests", f"/v1/requests/{rid}/actions/start_handling", "/v1/departments"):
        for raw in (b'{"applicant":', b"abc", b"\xff\xfe"):
            answer = live.client.post(path, content=raw, headers=typed)
            assert answer.status_code == 400, (path, raw, answer.text)
            assert answer.json()["type"] == "urn:ogi-workflow:problem:validation"
    # Received at a Unix time: refused, not a request received in 2023.
    unix = live.client.post(
        "/v1/requests", json={**application(), "received_at": 1700000000}, headers=clerk
    )
    assert unix.status_code == 422
    assert [f["field"] for f in unix.json()["errors"]] == ["received_at"]
    # 405 lists every method of the path, not only the first route's.
    wrong = live.client.put("/v1/departments", headers=clerk)
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "GET, POST")


def test_if_match_names_the_version_an_action_was_decided_on(live: Live) -> None:
    rid = _receive(live).json()["id"]
    seen = live.client.get(f"/v1/requests/{rid}", headers=live.as_("李明")).headers["ETag"]
    first = live.client.post(
        f"/v1/requests/{rid}/actions/register",
        json={},
        headers=live.as_("登记员") | {"If-Match": seen},
    )
    assert first.headers["ETag"] == '"2"'
    stale = live.client.post(
        f"/v1/requests/{rid}/actions/start_handling", json={},
        headers=live.as_("李明") | {"If-Match": seen},
    )  # fmt: skip
    assert stale.status_code == 412
    assert stale.json()["type"] == "urn:ogi-workflow:problem:stale"
    assert live.client.get(f"/v1/requests/{rid}", headers=live.as_("李明")).json()["state"] == (
        "registered"
    )


def test_a_retried_post_with_the_same_idempotency_key_acts_once(live: Live) -> None:
    first = _receive(live, **{"Idempotency-Key": "receipt-42"})
    again = _receive(live, **{"Idempotency-Key": "receipt-42"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    found = live.client.get("/v1/requests", headers=live.as_("李明")).json()["items"]
    assert len(found) == 1
    other = live.client.post(
        "/v1/requests",
        json=application("2026-03-03T09:30"),
        headers=live.as_("窗口") | {"Idempotency-Key": "receipt-42"},
    )
    assert other.status_code == 422
    assert other.json()["type"] == "urn:ogi-workflow:problem:idempotency-reused"


def test_an_administrators_retried_post_acts_once(live: Live) -> None:
    """A retried webhook registration once made a second webhook (every event then went
    out twice); a retried new person or department was refused as existing."""
    posts = [
        ("/v1/webhooks", {"url": "https://oa.example.cn/hook", "secret": "s" * 16}),
        ("/v1/departments", {"code": "xxk", "name": "信息科"}),
        ("/v1/people", {"login": "新人", "name": "新人", "roles": ["handler"]}),
        ("/v1/people/新人/roles", {"role": "reviewer"}),
    ]
    for number, (path, body) in enumerate(posts):
        headers = live.as_("管理员") | {"Idempotency-Key": f"admin-{number}"}
        first = live.client.post(path, json=body, headers=headers)
        again = live.client.post(path, json=body, headers=headers)
        assert first.status_code == again.status_code == 200, (path, first.text)
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
    admin = live.as_("管理员")
    assert len(live.client.get("/v1/webhooks", headers=admin).json()) == 1
    people = live.client.get("/v1/people", headers=admin).json()
    assert [p["roles"] for p in people if p["login"] == "新人"] == [["handler", "reviewer"]]


def test_concurrent_retries_with_one_key_act_once(live: Live) -> None:
    rid = _receive(live).json()["id"]
    answers: list[httpx.Response] = []

    def register() -> None:
        headers = live.as_("登记员") | {"Idempotency-Key": "reg-1"}
        with httpx.Client(base_url=str(live.client.base_url)) as c:
            answers.append(c.post(f"/v1/requests/{rid}/actions/register", json={}, headers=headers))

    threads = [threading.Thread(target=register) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["reg_no"] for a in answers} == {"2026-0001"}
    log = live.client.get(f"/v1/requests/{rid}/events", headers=live.as_("李明")).json()
    assert [e["event"] for e in log] == ["receive", "register"]


def test_a_token_sees_only_its_agency_and_a_revoked_one_nothing(live: Live) -> None:
    rid = _receive(live).json()["id"]
    other = {**AGENCY, "code": "other-city", "name": "另一市人民政府办公室"}
    with Workflow.open(live.db, agency=other, clock=fixed_clock) as wf:
        wf.add_person("外人", "外人", roles=["admin", "handler"], actor="外人")
        _, stranger = wf.create_token("外人", actor="外人")
    headers = {"Authorization": f"Bearer {stranger}"}
    assert live.client.get(f"/v1/requests/{rid}", headers=headers).status_code == 404
    assert live.client.get("/v1/requests", headers=headers).json()["items"] == []
    assert live.client.get("/v1/me", headers=headers).json()["agency"] == "other-city"
    with Workflow.open(live.db, agency_code=AGENCY["code"], clock=fixed_clock) as wf:
        token_id = next(t.id for t in wf.tokens() if t.login == "李明")
        wf.revoke_token(token_id, actor="管理员")
    assert live.client.get("/v1/me", headers=live.as_("李明")).status_code == 401


def test_ids_past_the_largest_stored_id_are_refused_by_name(live: Live) -> None:
    """A token or webhook id past 2**63 - 1 overflowed the database driver (a 500, and an
    OverflowError from the library); it is refused as out of range, and nothing changes."""
    admin = live.as_("管理员")
    for path in ("/v1/tokens/", "/v1/webhooks/"):
        for too_big in (2**63, 10**20):
            answer = live.client.delete(f"{path}{too_big}", headers=admin)
            assert answer.status_code == 422, (path, too_big, answer.text)
    with Workflow.open(live.db, agency_code=AGENCY["code"], clock=fixed_clock) as wf:
        with pytest.raises(ValidationError, match=r"token_id \d+ is out of range"):
            wf.revoke_token(2**64, actor="管理员")
        with pytest.raises(ValidationError, match=r"webhook_id \d+ is out of range"):
            wf.remove_webhook(2**64, actor="管理员")
        assert all(t.revoked_at is None for t in wf.tokens())


def test_a_deactivated_persons_token_reads_nothing(live: Live) -> None:
    """A token speaks for an active person: deactivating them refuses their token's reads
    too (401), not only their actions, and with no revocation of the token."""
    rid = _receive(live).json()["id"]
    with Workflow.open(live.db, agency_code=AGENCY["code"], clock=fixed_clock) as wf:
        wf.deactivate_person("审核员", actor="管理员")
    for path in ("/v1/me", f"/v1/requests/{rid}", "/v1/requests"):
        answer = live.client.get(path, headers=live.as_("审核员"))
        assert answer.status_code == 401, (path, answer.text)
    assert live.client.get("/v1/me", headers=live.as_("李明")).status_code == 200


def test_article_36_5_forward_over_http_each_agency_sees_its_own_request(live: Live) -> None:
    """转送 with the first agency's token; the receiving agency's token sees the new request
    (where it came from), the first agency's does not."""
    rid = _receive(live).json()["id"]
    resources = AGENCY | {"code": "city-nrb", "name": "某市自然资源和规划局", "phone": "010-654"}
    with open_staffed(live.db, agency=resources, clock=fixed_clock) as wf:
        theirs = {"Authorization": f"Bearer {tokens_for(wf, ('登记员',))['登记员']}"}
    _act(live, "登记员", rid, "register", on="2026-03-02")
    _act(live, "李明", rid, "start_handling", on="2026-03-02")
    draft = {"reason": "该规划许可由你局作出", "convenience": {"holder": resources["name"]}}
    _act(live, "李明", rid, "submit_for_review", outcome="not_responsible", details=draft,
         on="2026-03-16")  # fmt: skip
    for who in ("审核员", "王主任"):
        assert _act(live, who, rid, "approve", opinion="同意", on="2026-03-17").status_code == 200
    reason = "建设工程规划许可由你局作出"
    unknown = _act(live, "李明", rid, "forward", to_agency="city-edu", reason=reason)
    assert unknown.status_code == 422
    assert "not an agency of this database (the others: city-nrb)" in unknown.json()["detail"]
    assert _act(live, "李明", rid, "forward", to_agency="city-nrb").status_code == 422  # reason
    forwarded = _act(live, "李明", rid, "forward", to_agency="city-nrb", reason=reason,
                     on="2026-03-18")  # fmt: skip
    assert forwarded.status_code == 200, forwarded.text
    body = forwarded.json()
    assert (body["state"], body["outcome"], body["forwarded_to_agency"]) == (
        "replied",
        "not_responsible",
        "city-nrb",
    )
    new = body["forwarded_to_request"]
    again = _act(live, "李明", rid, "forward", to_agency="city-nrb", reason=reason)
    assert again.status_code == 409  # already replied
    assert live.client.get(f"/v1/requests/{new}", headers=live.as_("李明")).status_code == 404
    got = live.client.get(f"/v1/requests/{new}", headers=theirs).json()
    assert (got["forwarded_from_agency"], got["forwarded_from_request"]) == ("test-city", rid)
    assert (got["state"], got["received_on"], got["due_date"]) == (
        "received",
        "2026-03-18",
        "2026-04-16",
    )
    assert [r["id"] for r in live.client.get("/v1/requests", headers=theirs).json()["items"]] == [
        new
    ]
    log = live.client.get(f"/v1/requests/{rid}/events", headers=live.as_("李明")).json()
    assert (log[-1]["event"], log[-1]["payload"]["to_request"]) == ("forward", new)
    came = live.client.get(f"/v1/requests/{new}/events", headers=theirs).json()
    assert came[0]["payload"]["from_reg_no"] == "2026-0001"
    letter = live.client.post(
        f"/v1/requests/{rid}/letters", json={"kind": "forward_agency"}, headers=live.as_("李明")
    ).json()
    assert (letter["kind"], letter["recipient"]) == ("forward_agency", "某市自然资源和规划局")


def test_health_and_readiness(live: Live) -> None:
    assert live.client.get("/healthz").json() == {"status": "ok"}
    ready = live.client.get("/readyz", headers=live.as_("李明")).json()
    assert ready["status"] == "ready"
    assert ready["schema_current"] is True
    assert ready["calendar_days_left"] >= 0


def test_on_sqlite_quick_calls_run_on_the_event_loop_and_the_rest_in_threads(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite takes one writer at a time, so a quick call skips the hop to a pool thread; on
    PostgreSQL it takes one, so the calls of a worker overlap in the database."""
    ran_in: dict[str, str] = {}
    for name in ("receive", "get", "people"):
        real = getattr(Workflow, name)

        def spy(
            self: Workflow, *args: Any, _name: str = name, _real: Any = real, **kwargs: Any
        ) -> Any:
            ran_in[_name] = threading.current_thread().name
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Workflow, name, spy)
    rid = _receive(live).json()["id"]
    assert live.client.get(f"/v1/requests/{rid}", headers=live.as_("李明")).status_code == 200
    assert live.client.get("/v1/people", headers=live.as_("管理员")).status_code == 200
    pool = "AnyIO worker thread"
    assert ran_in["people"] == pool
    on_postgresql = live.db.startswith("postgresql")
    assert (ran_in["receive"] == pool) is on_postgresql
    assert (ran_in["get"] == pool) is on_postgresql


def test_on_sqlite_the_loop_answers_while_another_thread_writes(live: Live) -> None:
    """A quick call that would wait for the database's writer (a letter being issued, a
    webhook round) waits in a pool thread, so the server keeps answering meanwhile."""
    if live.db.startswith("postgresql"):
        pytest.skip("SQLite only: PostgreSQL runs every call in the pool")
    engine = make_engine(live.db)
    holding, release = threading.Event(), threading.Event()

    def write_for_a_while() -> None:
        with writer_lock(engine):
            holding.set()
            release.wait(30)

    writer = threading.Thread(target=write_for_a_while)
    writer.start()
    holding.wait(10)
    answers: list[int] = []
    base = str(live.client.base_url)

    def receive() -> None:
        with httpx.Client(base_url=base, timeout=30) as own:
            body = application("2026-03-02T09:30")
            answer = own.post("/v1/requests", json=body, headers=live.as_("窗口"))
            answers.append(answer.status_code)

    waiting = threading.Thread(target=receive)
    waiting.start()
    try:
        threading.Event().wait(0.3)  # the receive is in, waiting for the writer
        assert answers == []
        assert live.client.get("/healthz", timeout=2).status_code == 200
        assert live.client.get("/v1/me", headers=live.as_("李明"), timeout=2).status_code == 200
    finally:
        release.set()
        writer.join(10)
        waiting.join(30)
        engine.dispose()
    assert answers == [201]


def test_the_published_openapi_document_is_the_one_served(live: Live) -> None:
    served = live.client.get("/openapi.json").json()
    published = json.loads(OPENAPI.read_text(encoding="utf-8"))
    assert served == published, "regenerate: python scripts/openapi.py"
    names = set(published["components"]["schemas"])
    assert {"ExtendBody", "RequestView", "Problem", "Application"} <= names
    post_operations = [
        op
        for path in published["paths"].values()
        for method, op in path.items()
        if method == "post"
    ]
    assert post_operations
    for op in post_operations:  # every POST takes an Idempotency-Key
        params = {p["name"] for p in op.get("parameters", [])}
        assert "Idempotency-Key" in params, op["operationId"]


# --------------------------------------------------------------------------- webhooks


SECRET = "s3cret-s3cret-s3cret"


def test_webhooks_get_every_event_signed_in_order_at_least_once(db_url: str) -> None:
    now = [fixed_clock()]
    receiver = WebhookReceiver(SECRET, status=500, max_age=None)  # signed on the test clock
    with receiver, httpx.Client(timeout=5) as client:
        wf = open_staffed(db_url, agency=AGENCY, clock=lambda: now[0])
        with wf:
            hook = wf.add_webhook(receiver.url, SECRET, actor="管理员")
            rid = wf.receive(application("2026-03-02T09:30"), actor="窗口").id
            wf.register(rid, actor="登记员", on=fixed_clock().date().replace(month=3, day=2))
            first = deliver_once(wf.engine, client, clock=lambda: now[0], max_attempts=3)
            # The receiver fails: the first event is retried, the second waits behind it.
            assert (first.dispatched, first.delivered, first.retried) == (2, 0, 1)
            assert len(receiver.attempts) == 1
            now[0] += timedelta(seconds=5)
            assert deliver_once(wf.engine, client, clock=lambda: now[0]).retried == 0  # backoff
            receiver.status = 204
            now[0] += timedelta(seconds=10)
            deliver_once(wf.engine, client, clock=lambda: now[0])
            deliver_once(wf.engine, client, clock=lambda: now[0])
            log = wf.deliveries()
        assert [d.status for d in log] == ["delivered", "delivered"]
        assert [d.event for d in reversed(log)] == ["receive", "register"]
        assert {d.webhook_id for d in log} == {hook.id}
        assert receiver.bad == []  # each signed with the secret, Ogi-Event-Id its body's id
        bodies = [attempt.body for attempt in receiver.attempts]
        assert [b["type"] for b in bodies] == ["receive", "receive", "register"]
        assert bodies[-1]["reg_no"] == "2026-0001"
        for body in bodies:  # each event fits its type's published schema
            schema = json.loads((EVENTS / f"{body['type']}.json").read_text("utf-8"))
            jsonschema.validate(body["event"], schema)
        assert receiver.attempts[0].event_id == receiver.attempts[1].event_id


def test_a_delivery_dies_after_its_last_attempt_and_is_retried_on_request(db_url: str) -> None:
    now = [fixed_clock()]
    with (
        WebhookReceiver(SECRET, status=503, max_age=None) as receiver,
        httpx.Client(timeout=5) as client,
        open_staffed(db_url, agency=AGENCY, clock=lambda: now[0]) as wf,
    ):
        wf.add_webhook(receiver.url, SECRET, actor="管理员")
        wf.receive(application("2026-03-02T09:30"), actor="窗口")
        for _ in range(3):
            deliver_once(wf.engine, client, clock=lambda: now[0], max_attempts=3)
            now[0] += timedelta(hours=2)
        assert [d.status for d in wf.deliveries()] == ["dead"]
        assert wf.deliveries()[0].last_status == 503
        receiver.status = 200
        assert wf.retry_dead_deliveries(actor="管理员") == 1
        deliver_once(wf.engine, client, clock=lambda: now[0])
        assert [d.status for d in wf.deliveries()] == ["delivered"]


def test_reports_fees_and_the_calendar_over_http(live: Live) -> None:
    rid = _receive(live).json()["id"]
    _act(live, "登记员", rid, "register", on="2026-03-02")
    headers = live.as_("李明")
    report = live.client.get("/v1/reports/annual/2026?by_department=true", headers=headers)
    assert report.status_code == 200, report.text
    assert report.json()["table3"]["new"]["total"] == 1
    assert report.json()["balanced"] is True
    xlsx = live.client.get("/v1/reports/annual/2026/xlsx", headers=headers)
    assert xlsx.content[:2] == b"PK"
    fee = live.client.get("/v1/fees/per_volume/120", headers=headers).json()
    assert fee["fee_yuan"] == 1100
    due = live.client.get(
        "/v1/calendar/add-workdays", params={"start": "2026-02-13", "workdays": 20}, headers=headers
    ).json()
    assert due["date"] == "2026-03-19"
    days = live.client.get(
        "/v1/calendar/days", params={"start": "2026-02-14", "end": "2026-02-14"}, headers=headers
    ).json()
    assert days[0]["workday"] is True  # 调休: a working Saturday
    far = live.client.get(
        "/v1/calendar/add-workdays", params={"start": "2862-06-23", "workdays": 5}, headers=headers
    )
    assert far.status_code == 422
    assert "the calendar counts days of 2000 to 2199, not 2862" in far.text
    overdue = live.client.get("/v1/overdue", params={"as_of": "2026-04-01"}, headers=headers)
    assert [i["id"] for i in overdue.json() if i["overdue"]] == [rid]
    # A 本级政府 in the same deployment sums its member agencies' tables.
    assert live.client.get("/v1/reports/annual/2026/rollup", headers=headers).status_code == 422
    city = {**AGENCY, "code": "city", "name": "某市人民政府", "members": [AGENCY["code"]]}
    with Workflow.open(live.db, agency=city, clock=fixed_clock) as wf:
        wf.add_person("市府办", "市府办", roles=["admin"], actor="市府办")
        _, token = wf.create_token("市府办", actor="市府办")
    rollup = live.client.get(
        "/v1/reports/annual/2026/rollup", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [a["agency"] for a in rollup["agencies"]] == ["某市人民政府", AGENCY["name"]]
    assert rollup["table3"]["new"]["total"] == 1
    assert rollup["balanced"] is True


# --------------------------------------------------------------------------- commands


def test_token_and_webhook_commands(tmp_path: Path) -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from ogi_workflow.cli import app  # noqa: PLC0415

    db = str(tmp_path / "cli.sqlite")
    open_staffed(db, agency=AGENCY, clock=fixed_clock).close()
    runner = CliRunner()
    created = runner.invoke(app, ["token", "create", "李明", "--db", db, "--actor", "管理员"])
    assert created.exit_code == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("ogi_")
    listed = runner.invoke(app, ["token", "list", "--db", db, "--json"])
    (entry,) = json.loads(listed.stdout)["tokens"]
    assert token.startswith(entry["prefix"])
    assert token not in listed.stdout
    refused = runner.invoke(app, ["token", "create", "李明", "--db", db, "--actor", "李明"])
    assert refused.exit_code == 2  # only an administrator
    revoked = runner.invoke(
        app, ["token", "revoke", str(entry["id"]), "--db", db, "--actor", "管理员"]
    )
    assert revoked.exit_code == 0
    hook = runner.invoke(
        app, ["webhook", "add", "https://oa.example.cn/ogi", "--secret", SECRET, "--db", db,
              "--actor", "管理员"],
    )  # fmt: skip
    assert hook.exit_code == 0, hook.stderr
    for url in ("ftp://x", "https://a]b/", "https://[::1/"):  # urlsplit raises on the last two
        bad = runner.invoke(
            app, ["webhook", "add", url, "--secret", SECRET, "--db", db, "--actor", "管理员"]
        )
        assert bad.exit_code == 2, url
        assert "url must be an http(s) URL" in bad.stderr, url
    assert "https://oa.example.cn/ogi" in runner.invoke(app, ["webhook", "list", "--db", db]).stdout
    delivered = runner.invoke(app, ["deliver", "--db", db, "--json"])
    assert delivered.exit_code == 0, delivered.stderr


def test_serve_answers_curl_with_a_token(tmp_path: Path) -> None:
    """``serve`` over a database, acted on with a token alone; with --access-log each call
    is logged (the README's lines themselves run in tests/test_docs_service.py)."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import time  # noqa: PLC0415

    db = str(tmp_path / "serve.sqlite")
    with open_staffed(db, agency=AGENCY, clock=fixed_clock) as wf:
        token = wf.create_token("公开办", actor="管理员")[1]
    port = free_port()
    command = [sys.executable, "-m", "ogi_workflow", "serve", "--db", db, "--port", str(port)]
    command.append("--access-log")
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(f"{url}/v1/requests", json=application(), headers=headers)
        assert created.status_code == 201, created.text
        rid = created.json()["id"]
        done = httpx.post(f"{url}/v1/requests/{rid}/actions/register", json={}, headers=headers)
        assert done.json()["state"] == "registered"
    finally:
        server.terminate()
        server.wait(20)
        assert server.stdout is not None
        logged = server.stdout.read().decode()  # uvicorn's access log
        server.stdout.close()
    assert f'"POST /v1/requests/{rid}/actions/register HTTP/1.1" 200' in logged
