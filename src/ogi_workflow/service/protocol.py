"""uvicorn's httptools protocol, serving a request that offers an upgrade as the plain
HTTP/1.1 request it also is.

A client may offer to switch protocols on any request (``Connection: Upgrade`` with
``Upgrade: h2c``: the JDK's HttpClient, curl --http2, Ktor and others do so by default), and
a server may ignore the offer and answer the request as it is (RFC 9110 §7.8). uvicorn's
httptools protocol declines it but loses the request's body: the parser, told of an upgrade,
takes every byte after the head for the new protocol, so the app gets an empty body and a
body sent after the head is refused as an invalid request (uvicorn issue #2722, open).

:class:`HttpProtocol` gives such a request to a fresh parser again, its head without the
``upgrade`` token of ``Connection``, followed by the bytes after the head; that parser then
serves the connection from there on, as the first would have. A WebSocket upgrade the server
takes goes to uvicorn's WebSocket protocol as before. h11 has no such fault, and the service
ran on it before; httptools parses a call in C, which saves about 0.12 ms of the 1.6 ms of
server CPU a quick call took (docs/benchmarks.md).
"""

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HttpProtocol"]


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; an upgrade it declines is served as plain HTTP/1.1."""

    # Whether the message being parsed offers an upgrade this server declines: its head is
    # then given to a fresh parser, and this parser's callbacks for it are ignored.
    _declined = False

    def on_headers_complete(self) -> None:
        if self._offers_declined_upgrade():
            self._declined = True
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._declined:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._declined:
            super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            message = "Invalid HTTP request received."
            self.logger.warning(message)
            self.send_400_response(message)
        except httptools.HttpParserUpgrade as upgrade:
            if self._declined:
                self._as_plain_request(data[upgrade.args[0] :])
            elif self._should_upgrade():
                self.handle_websocket_upgrade()
            else:  # CONNECT, or an upgrade without Connection: Upgrade: uvicorn's answer
                self._unsupported_upgrade_warning()

    def _offers_declined_upgrade(self) -> bool:
        # The parser flags CONNECT as an upgrade too; only an Upgrade header named in
        # Connection is an offer that a parse without it answers.
        return (
            self.parser.should_upgrade()
            and self._get_upgrade() is not None
            and not self._should_upgrade()
        )

    def _as_plain_request(self, rest: bytes) -> None:
        """The declined request's head, without the offer, and ``rest`` (its body and what
        follows it on the connection) to a fresh parser, which serves the connection on."""
        self._declined = False
        head = [self.parser.get_method(), b" ", self.url, b" HTTP/"]
        head.append(self.parser.get_http_version().encode("ascii") + b"\r\n")
        for name, value in self.headers:
            kept = value
            if name == b"connection":
                kept = b",".join(t for t in value.split(b",") if t.strip().lower() != b"upgrade")
                if not kept:
                    continue
            head += [name, b": ", kept, b"\r\n"]
        head.append(b"\r\n")
        self.parser = httptools.HttpRequestParser(self)
        # As uvicorn sets its own: an answer to the first of pipelined requests that close.
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self.data_received(b"".join(head) + rest)
