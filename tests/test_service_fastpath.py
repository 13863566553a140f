"""The service's short way through FastAPI (service/fastpath.py) answers every call exactly
as FastAPI's own handler does: the same calls, well formed or not, sent to an app with it
and to one without it, over two databases set up alike, get the same status, headers and
bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import orjson
import pytest
from conftest import AGENCY, application, details, fixed_clock, open_staffed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_service import _Server

from ogi_workflow.outcomes import Outcome
from ogi_workflow.service import fastpath
from ogi_workflow.service.app import create_app

PEOPLE = ("窗口", "登记员", "李明", "审核员", "王主任", "管理员")
# Bodies the library takes, so that calls also get past validation and act.
GOOD: dict[str, list[dict[str, Any]]] = {
    "receive": [application(), application("2026-03-03T10:00", name="李四")],
    "register": [{}, {"on": "2026-03-02"}],
    "start_handling": [{"on": "2026-03-03"}],
    "submit_for_review": [
        {"outcome": "disclosed", "details": details(Outcome.DISCLOSED), "on": "2026-03-20"}
    ],
    "approve": [{"opinion": "同意", "on": "2026-03-20"}],
    "reply": [{"on": "2026-03-20"}],
    "archive": [{"on": "2026-03-23"}],
    "withdraw": [{"on": "2026-03-05"}],
}
# A whole life, each step by the person who takes it: so that random calls also meet
# requests in every state, and well-formed calls act.
LIFE = (
    ("窗口", "receive"),
    ("窗口", "register"),
    ("李明", "start_handling"),
    ("李明", "submit_for_review"),
    ("审核员", "approve"),
    ("王主任", "approve"),
    ("李明", "reply"),
    ("窗口", "archive"),
)
LATEST = "latest"  # the request the last receive created
KEPT_HEADERS = (
    "content-type",
    "etag",
    "location",
    "www-authenticate",
    "allow",
    "idempotent-replayed",
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


class Call(NamedTuple):
    who: str | None
    target: str
    request_id: str
    body: bytes
    content_type: str | None
    if_match: str | None
    key: str | None


@st.composite
def life(draw: st.DrawFn) -> list[Call]:
    """A whole life, each call plainly well formed, some with a key or the right If-Match."""
    found = []
    for version, (who, target) in enumerate(LIFE):
        if_match = draw(st.sampled_from([None, f'"{version}"']))
        key = draw(st.sampled_from([None, f"life-{draw(st.uuids())}"]))
        body = orjson.dumps(draw(st.sampled_from(GOOD[target])))
        rid = "" if target == "receive" else LATEST
        found.append(Call(who, target, rid, body, "application/json", if_match, key))
    return found


@st.composite
def calls(draw: st.DrawFn) -> Call:
    target = draw(st.sampled_from([*GOOD, "get"]))
    good = GOOD.get(target, [{}])
    body = draw(
        st.one_of(
            st.sampled_from(good).map(orjson.dumps),
            st.sampled_from(good).map(lambda b: orjson.dumps({**b, "extra": 1})),
            json_values.map(lambda v: json.dumps(v).encode()),  # big numbers, Infinity
            st.binary(max_size=20),
            st.just(b""),
        )
    )
    return Call(
        who=draw(st.sampled_from([*PEOPLE, *PEOPLE, "nobody", None])),
        target=target,
        request_id=draw(
            st.integers(1, 40).map(str)
            | st.sampled_from(["0", "-1", "007", "9223372036854775808", "x", "1.5", "１", "٣"])
        ),
        body=body,
        content_type=draw(
            st.sampled_from(
                [
                    "application/json",
                    "application/json",
                    "application/json; charset=utf-8",
                    "Application/JSON",
                    "application/problem+json",
                    "text/plain",
                    None,
                ]
            )
        ),
        if_match=draw(st.none() | st.sampled_from(['"1"', '"2"', 'W/"3"', "*", "garbage"])),
        key=draw(st.none() | st.sampled_from(["k1", "k2", "with space", "x" * 256, "é"])),
    )


class Pair(NamedTuple):
    fast: httpx.Client
    stock: httpx.Client
    tokens: list[dict[str, str]]
    fast_app: Any


def _served(path: Path) -> tuple[str, dict[str, str]]:
    url = f"sqlite:///{path}"
    with open_staffed(url, agency=AGENCY, clock=fixed_clock) as wf:
        tokens = {login: wf.create_token(login, actor="管理员")[1] for login in PEOPLE}
    return url, tokens


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp("fastpath")
    fast_url, fast_tokens = _served(folder / "fast.sqlite")
    stock_url, stock_tokens = _served(folder / "stock.sqlite")
    fast_app = create_app(fast_url, clock=fixed_clock)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastpath, "route_handler", lambda *_: None)
        stock_app = create_app(stock_url, clock=fixed_clock)
    with (
        _Server(fast_app) as fast_url,
        _Server(stock_app) as stock_url,
        httpx.Client(base_url=fast_url) as fast,
        httpx.Client(base_url=stock_url) as stock,
    ):
        yield Pair(fast, stock, [fast_tokens, stock_tokens], fast_app)


def _send(client: httpx.Client, tokens: dict[str, str], call: Call) -> tuple[Any, ...]:
    given = {
        "Authorization": None if call.who is None else f"Bearer {tokens.get(call.who, 'x')}",
        "Content-Type": call.content_type,
        "If-Match": call.if_match,
        "Idempotency-Key": call.key,  # é: bytes beyond ASCII
    }
    headers = {k.encode(): v.encode() for k, v in given.items() if v is not None}
    if call.target == "get":
        answer = client.get(f"/v1/requests/{call.request_id}", headers=headers)
    elif call.target == "receive":
        answer = client.post("/v1/requests", content=call.body, headers=headers)
    else:
        path = f"/v1/requests/{call.request_id}/actions/{call.target}"
        answer = client.post(path, content=call.body, headers=headers)
    kept = tuple(answer.headers.get(name) for name in KEPT_HEADERS)
    return answer.status_code, kept, answer.content


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(calls(), max_size=6), st.none() | life(), st.lists(calls(), max_size=6))
def test_every_call_is_answered_as_fastapis_own_handler_answers_it(
    pair: Pair, before: list[Call], whole: list[Call] | None, after: list[Call]
) -> None:
    latest = "1"
    for drawn in [*before, *(whole or ()), *after]:
        call = drawn._replace(request_id=latest) if drawn.request_id == LATEST else drawn
        fast = _send(pair.fast, pair.tokens[0], call)
        stock = _send(pair.stock, pair.tokens[1], call)
        assert fast == stock, call
        if fast[0] == 201:
            latest = str(orjson.loads(fast[2])["id"])


def test_the_short_way_serves_the_quick_routes(pair: Pair) -> None:
    """The routes it serves: those with only a path id, the token, the request, If-Match,
    Idempotency-Key and a JSON body, answering with a Response; the rest keep FastAPI's."""
    from fastapi.routing import APIRoute  # noqa: PLC0415

    def served(route: APIRoute) -> bool:
        handler = route.get_route_handler()
        return handler.__qualname__.startswith("route_handler")

    routes = {
        (m, r.path): served(r)
        for r in pair.fast_app.router.routes
        if isinstance(r, APIRoute)
        for m in r.methods or ()
    }
    assert routes[("POST", "/v1/requests")]
    assert routes[("POST", "/v1/requests/{request_id}/actions/approve")]
    assert routes[("GET", "/v1/requests/{request_id}")]
    assert not routes[("GET", "/v1/requests")]  # query parameters: FastAPI's handler
    assert not routes[("GET", "/v1/requests/{request_id}/deadline")]  # a response model
