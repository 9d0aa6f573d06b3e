"""A lean HTTP/1.1 keep-alive client for the load generator: asyncio transports, responses
parsed by ``httptools`` (the parser uvicorn uses).

The load generator shares the 2 cores with the service it measures, so its own CPU per
request matters: aiohttp cost ≈ 0.9 ms per report (httpx 5.8 ms), this ≈ a fifth of that. It
does only what the benchmark needs: one request at a time per connection, a JSON body, the
status and the body of the answer; a connection that fails is opened again on the next
request.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, cast

import httptools


@dataclass(frozen=True)
class Answer:
    """A response as the load generator keeps it."""

    status_code: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class _Exchange(asyncio.Protocol):
    """One connection's protocol: feeds the parser, completes the waiting request."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[Answer] | None = None
        self.chunks: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"unparsable response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionError(f"connection lost: {exc or 'closed by the server'}"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        answer = Answer(self.parser.get_status_code(), b"".join(self.chunks))
        self.chunks = []
        if not self.parser.should_keep_alive():  # "Connection: close": not for another request
            self.closed = True
            if self.transport is not None:
                self.transport.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(answer)

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)


class Client:
    """Requests to one ``host:port``, one at a time, over a kept-alive connection."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._exchange: _Exchange | None = None

    async def post_json(self, path: str, body: Any, headers: dict[str, str]) -> Answer:
        """POST ``body`` as JSON; ``ConnectionError`` or ``TimeoutError`` when no answer came."""
        payload = json.dumps(body, ensure_ascii=False).encode()
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        exchange = await self._connected()
        loop = asyncio.get_running_loop()
        exchange.waiter = loop.create_future()
        assert exchange.transport is not None
        exchange.transport.write(request)
        try:
            return await asyncio.wait_for(exchange.waiter, self.timeout)
        except (ConnectionError, TimeoutError):
            self.close()
            raise

    async def _connected(self) -> _Exchange:
        if self._exchange is None or self._exchange.closed:
            loop = asyncio.get_running_loop()
            _, self._exchange = await loop.create_connection(_Exchange, self.host, self.port)
        return self._exchange

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._exchange is not None and self._exchange.transport is not None:
            self._exchange.transport.close()
        self._exchange = None
