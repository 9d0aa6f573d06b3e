"""Fixtures for Open311: the service with the Open311 router on the demo city, api keys."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Generator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth.roles import Role
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_session
from api.open311.views import router
from tests.api.support import Api, issue_tokens

BASE = "/open311/v2"
# WGS-84 pins in the demo city: 广安门外街道 (西城) east of the 西城/丰台 line, 太平桥街道 (丰台) west of it
GUANGWAI_PIN = (116.3235, 39.8905)
TAIPINGQIAO_PIN = (116.3170, 39.8900)
FAR_AWAY = (117.6, 40.6)  # outside every district

KEYS = {
    "admin": (Role.ADMIN, None),  # a city-wide reporting key (e.g. the 12345 hotline)
    "gw": (Role.STREET, "110102020"),
    "worker-tpq": (Role.GRID_WORKER, "110106002"),
    "analyst": (Role.ANALYST, None),  # may read, not report
    "xc-cgzf": (Role.DEPARTMENT, "110102-cgzf"),
}


def open311_app(url: str, session: Callable[[], Session], *, public: bool = False) -> FastAPI:
    """The service (as the lead's app factory builds it) plus the Open311 router; ``public``
    publishes the requests (GRIDWHISTLE_OPEN311_PUBLIC: reads need no api_key)."""
    settings = Settings(environment="test", report_connections=0, open311_public=public)
    app = create_app(engine=engine_for(url), settings=settings)
    app.include_router(router)
    app.dependency_overrides[get_session] = session
    return app


class ReadKey(httpx.Auth):
    """Add ``api_key`` to the query of each GET that does not give one (Open311 reads)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.method == "GET" and "api_key" not in request.url.params:
            request.url = request.url.copy_merge_params({"api_key": self.key})
        yield request


def make_keys(session: Session) -> dict[str, str]:
    """One bearer token (= Open311 api_key) per user in KEYS."""
    return issue_tokens(session, KEYS, prefix="o311-", display_name=lambda name: f"{name} 的显示名")


@pytest.fixture(scope="module")
def o311_client(demo_db_url: str) -> Iterator[tuple[TestClient, dict[str, Session]]]:
    """One app per module (its first request is slow); each test plugs in its own session."""
    current: dict[str, Session] = {}
    with TestClient(open311_app(demo_db_url, lambda: current["session"])) as client:
        yield client, current


@pytest.fixture
def o311(demo_session: Session, o311_client: tuple[TestClient, dict[str, Session]]) -> Api:
    """A client of the service with /open311/v2 whose GETs carry the analyst's api_key
    unless they give one (reads need one); everything written is rolled back."""
    client, current = o311_client
    current["session"] = demo_session
    tokens = make_keys(demo_session)
    client.auth = ReadKey(tokens["analyst"])
    return Api(client=client, tokens=tokens, session=demo_session)


def form(api: Api, key: str | None, **fields: Any) -> dict[str, Any]:
    """A POST requests form with the api_key of ``key`` (a name in KEYS, or a raw string)."""
    data = {k: str(v) for k, v in fields.items() if v is not None}
    if key is not None:
        data["api_key"] = api.tokens.get(key, key)
    return data


def pin(where: tuple[float, float] = GUANGWAI_PIN, /, **fields: Any) -> dict[str, Any]:
    """Form fields of a request at ``where`` (defaults: 暴露垃圾 in 广外)."""
    return {"service_code": "E0101", "long": where[0], "lat": where[1], **fields}


def xml_of(response: Any, root: str) -> ET.Element:
    """Parse an XML answer, checking the declaration, the content type and the root."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8", response.headers
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    element = ET.fromstring(response.content)
    assert element.tag == root, response.text
    return element
