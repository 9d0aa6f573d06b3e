"""Fixtures for the page tests: our own demo city served by uvicorn, users, one Chromium.

Browser tests go through a real server, so what they write is committed: they get a
throwaway database of their own (coarse 250,000 m² cells keep it quick to load) and
every test makes users with unique names.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth.roles import Role
from api.auth.service import create_user, issue_token
from api.config import Settings
from api.db.session import engine_for
from api.pages.views import router as pages_router
from tests.browser import CHROMIUM_ARGS, PageLog, chromium_or_skip, serve

PASSWORD = "page-test-password"


@dataclass
class Person:
    """A user the tests created: name and password for the login page, a token for the API."""

    username: str
    password: str
    token: str
    jurisdiction: str | None


@dataclass
class Site:
    """The running service and its database."""

    base: str
    engine: Engine

    def person(self, role: Role, jurisdiction: str | None) -> Person:
        """A new user with a unique name."""
        username = f"p-{role}-{uuid.uuid4().hex[:6]}"
        with Session(self.engine) as session:
            user = create_user(
                session=session,
                username=username,
                role=role,
                jurisdiction=jurisdiction,
                display_name=f"测试{username[-6:]}",
                password=PASSWORD,
            )
            token = issue_token(session=session, user=user, label="test")
            session.commit()
        return Person(username, PASSWORD, token, jurisdiction)

    def api(self, person: Person, method: str, path: str, **kwargs: Any) -> Any:
        """Call the JSON API as ``person``; raise on an error status; return the JSON body."""
        headers = {"Authorization": f"Bearer {person.token}", **kwargs.pop("headers", {})}
        response = httpx.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def inside(self, area_code: str) -> tuple[float, float]:
        """A point well inside an area (lon, lat)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas"
                    " WHERE code = :code ORDER BY generation_high DESC LIMIT 1) AS a"
                ),
                {"code": area_code},
            ).one()
        return float(row[0]), float(row[1])

    def scalar(self, sql: str, **params: Any) -> Any:
        """One value from the database."""
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    def execute(self, sql: str, **params: Any) -> None:
        """Change the database behind the service's back (e.g. move a deadline)."""
        with self.engine.begin() as connection:
            connection.execute(text(sql), params)


@pytest.fixture(scope="module")
def pages_db_url(
    make_database: Callable[[str], str], request: pytest.FixtureRequest
) -> Iterator[str]:
    """A database of the module's own with the demo city (coarse cells): the cases one
    module's tests report cannot attach to another module's open cases nearby. Its pooled
    connections close with the module, so the modules' databases do not add up."""
    from api.geography.imports import load_demo_into

    url = make_database(f"pages_{request.module.__name__.rsplit('.', 1)[-1]}")
    load_demo_into(url, cell_area_m2=250_000)
    yield url
    engine_for(url).dispose()


@pytest.fixture(scope="module")
def site(pages_db_url: str) -> Iterator[Site]:
    """The service with the pages, on a loopback port."""
    engine = engine_for(pages_db_url)
    app = create_app(engine=engine, settings=Settings(environment="test"))
    app.include_router(pages_router)
    with serve(app) as base:
        yield Site(base=base, engine=engine)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, shared by the module's tests."""
    executable = chromium_or_skip()
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Tab:
    """A page in its own browser context, with what it logged."""

    page: Page
    context: BrowserContext
    log: PageLog = field(default_factory=PageLog)

    def assert_clean(self) -> None:
        """No console errors, no failed responses, nothing but 127.0.0.1 contacted."""
        assert self.log.console_errors == []
        assert self.log.failed == []
        assert self.log.foreign_hosts() == set()


PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1366, "height": 900}


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """Factory: a new context (viewport, geolocation …) with one logged page."""
    contexts: list[BrowserContext] = []

    def open_(viewport: ViewportSize = DESKTOP, **options: Any) -> Tab:
        context = browser.new_context(
            viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", **options
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        tab = Tab(page=page, context=context)
        log = tab.log
        page.on(
            "console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: log.console_errors.append(str(e)))
        page.on("request", lambda r: log.requests.append(r.url))
        page.on(
            "response",
            lambda r: log.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        return tab

    yield open_
    for context in contexts:
        context.close()
