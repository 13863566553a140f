"""The server's HTTP protocol (service/protocol.py): a request that offers an upgrade the
server declines (Upgrade: h2c) is answered as plain HTTP/1.1 with its whole body (RFC 9110
§7.8), however its bytes arrive, and the connection serves the requests after it.

Raw bytes over a socket to uvicorn with the service's protocol, serving an app that answers
each request with what it received."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from ogi_workflow.service.app import HTTP_PARSER

Scope = dict[str, Any]


async def echo(scope: Scope, receive: Any, send: Any) -> None:
    """Answers a request with its method, path, headers and every byte of its body."""
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    answer = json.dumps(
        {
            "method": scope["method"],
            "path": scope["path"],
            "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
            "body": body.decode(),
        }
    ).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer))]
    await send({"type": "http.response.start", "status": 200, "headers": head})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    config = uvicorn.Config(echo, host="127.0.0.1", port=0, log_level="error", http=HTTP_PARSER)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    thread.join(10)


# The offer of cleartext HTTP/2 that the JDK's HttpClient and curl --http2 make.
OFFER = (
    b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
    b"HTTP2-Settings: AAMAAABkAAQBAAAAAAIAAAAA\r\n"
)


class Connection:
    """One keep-alive connection: bytes out as given, answers read by Content-Length."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pending = b""

    def send(self, *segments: bytes) -> None:
        """Each segment in a write of its own, a moment apart (as Ktor sends head and body)."""
        for i, segment in enumerate(segments):
            if i:
                threading.Event().wait(0.05)
            self.sock.sendall(segment)

    def answer(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.pending:
            self.pending += self._more()
        head, _, rest = self.pending.partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        size = int(headers["content-length"])
        while len(rest) < size:
            rest += self._more()
        self.pending = rest[size:]
        return int(status.split()[1]), headers, rest[:size]

    def echoed(self) -> dict[str, Any]:
        status, _, body = self.answer()
        assert status == 200, body
        found: dict[str, Any] = json.loads(body)
        return found

    def _more(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        return chunk

    def closed_by_server(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def conn(port: int) -> Iterator[Connection]:
    found = Connection(port)
    yield found
    found.close()


def post(body: bytes, *, offer: bytes = OFFER, path: str = "/v1/x") -> tuple[bytes, bytes]:
    """A POST's head (offering ``offer``) and its Content-Length body."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n".encode()
        + offer
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    return head, body


def test_an_h2c_offer_with_its_body_in_the_same_write_keeps_its_body(conn: Connection) -> None:
    head, body = post(b'{"a": 1}')
    conn.send(head + body)
    echoed = conn.echoed()
    assert echoed["body"] == '{"a": 1}'
    assert echoed["method"] == "POST"
    assert echoed["path"] == "/v1/x"
    # The offer is declined: Connection no longer names the upgrade; the rest is as sent.
    assert echoed["headers"]["connection"].lower().replace(" ", "") == "http2-settings"
    assert echoed["headers"]["upgrade"] == "h2c"
    assert echoed["headers"]["content-type"] == "application/json"


def test_an_h2c_offer_whose_body_comes_after_the_head_keeps_its_body(conn: Connection) -> None:
    head, body = post(b'{"name": "\xe5\xbc\xa0\xe4\xb8\x89", "n": 12345}')
    conn.send(head, body[:5], body[5:])
    assert json.loads(conn.echoed()["body"]) == {"name": "张三", "n": 12345}


def test_an_h2c_offer_with_a_chunked_body_keeps_its_body(conn: Connection) -> None:
    head = b"POST /c HTTP/1.1\r\nHost: a\r\n" + OFFER + b"Transfer-Encoding: chunked\r\n\r\n"
    conn.send(head, b"3\r\nabc\r\n", b"4\r\ndefg\r\n0\r\n\r\n")
    assert conn.echoed()["body"] == "abcdefg"


def test_the_connection_serves_the_calls_after_an_h2c_offer(conn: Connection) -> None:
    head, body = post(b"first")
    conn.send(head + body)
    assert conn.echoed()["body"] == "first"
    # Another offer, then a plain call, each on the same connection.
    head, body = post(b"second")
    conn.send(head, body)
    assert conn.echoed()["body"] == "second"
    plain_head, plain_body = post(b"third", offer=b"")
    conn.send(plain_head + plain_body)
    assert conn.echoed()["body"] == "third"


def test_calls_pipelined_behind_an_h2c_offer_are_each_answered(conn: Connection) -> None:
    first = b"".join(post(b"one"))
    second = b"".join(post(b"two", path="/second"))
    third = b"".join(post(b"three", offer=b"", path="/third"))
    conn.send(first + second + third)
    answers = [conn.echoed() for _ in range(3)]
    assert [(a["path"], a["body"]) for a in answers] == [
        ("/v1/x", "one"),
        ("/second", "two"),
        ("/third", "three"),
    ]


def test_a_malformed_body_after_an_h2c_offer_is_refused_with_400(conn: Connection) -> None:
    head = b"POST /c HTTP/1.1\r\nHost: a\r\n" + OFFER + b"Transfer-Encoding: chunked\r\n\r\n"
    conn.send(head + b"zz\r\nabc\r\n0\r\n\r\n")
    status, headers, _ = conn.answer()
    assert status == 400
    assert headers["connection"] == "close"
    assert conn.closed_by_server()


def test_an_h2c_offer_on_a_get_is_answered(conn: Connection) -> None:
    conn.send(b"GET /g?q=1 HTTP/1.1\r\nHost: a\r\n" + OFFER + b"\r\n")
    echoed = conn.echoed()
    assert (echoed["method"], echoed["path"], echoed["body"]) == ("GET", "/g", "")


def test_a_head_that_is_only_an_upgrade_token_loses_the_connection_header(
    conn: Connection,
) -> None:
    conn.send(b"GET /g HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n")
    assert "connection" not in conn.echoed()["headers"]
