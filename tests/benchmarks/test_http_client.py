"""The load generator's lean HTTP client against a real uvicorn server."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI, Request, Response

from api.db.embedded import free_port
from api.threaded import serve_in_thread
from benchmarks.http_client import Client


def _echo_app() -> FastAPI:
    app = FastAPI()

    @app.post("/echo", status_code=201)
    async def echo(request: Request) -> dict[str, Any]:
        return {
            "body": await request.json(),
            "key": request.headers.get("idempotency-key"),
            "peer": request.client.port if request.client else None,
        }

    @app.post("/big")
    async def big() -> Response:
        return Response(b"x" * 300_000, media_type="text/plain")

    @app.post("/bye")
    async def bye() -> Response:
        return Response(b"bye", headers={"Connection": "close"})

    return app


def test_posts_json_and_keeps_the_connection_alive() -> None:
    with serve_in_thread(_echo_app()) as base:
        url = urlsplit(base)

        async def talk() -> list[Any]:
            client = Client(url.hostname or "", url.port or 0)
            try:
                first = await client.post_json(
                    "/echo", {"名": "占道经营"}, {"Idempotency-Key": "k1"}
                )
                second = await client.post_json("/echo", {"n": 2}, {})
                big = await client.post_json("/big", {}, {})
                bye = await client.post_json("/bye", {}, {})
                after = await client.post_json("/echo", {"n": 3}, {})
                return [first, second, big, bye, after]
            finally:
                client.close()

        first, second, big, bye, after = asyncio.run(talk())
    assert first.status_code == 201
    assert first.json()["body"] == {"名": "占道经营"} and first.json()["key"] == "k1"
    assert second.json()["peer"] == first.json()["peer"]  # the same connection
    assert big.status_code == 200 and big.body == b"x" * 300_000
    assert bye.text == "bye"
    # the server closed that connection: the next request opened a new one
    assert after.json()["body"] == {"n": 3} and after.json()["peer"] != first.json()["peer"]


def test_no_server_is_a_connection_error() -> None:
    async def talk() -> None:
        await Client("127.0.0.1", free_port()).post_json("/echo", {}, {})

    with pytest.raises(OSError):
        asyncio.run(talk())
