"""Helpers for tests in real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
from fastapi import FastAPI

from api.threaded import serve_in_thread

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_or_skip() -> str:
    """Path of Debian's chromium (make test installs it), or skip."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("chromium is not installed (make test installs it)")
    return path


def serve(app: FastAPI) -> AbstractContextManager[str]:
    """Run ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    return serve_in_thread(app)


@dataclass
class PageLog:
    """What a page did: console errors, page errors, every requested URL."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def foreign_hosts(self) -> set[str]:
        """Hosts other than 127.0.0.1 that the page contacted (data: URLs ignored)."""
        hosts = {
            urlparse(u).hostname for u in self.requests if not u.startswith(("data:", "blob:"))
        }
        return {h or "" for h in hosts} - {"127.0.0.1"}


@contextmanager
def browser_page(executable: str) -> Iterator[tuple[object, PageLog]]:
    """A fresh headless Chromium page whose console errors and requests are logged."""
    from playwright.sync_api import sync_playwright

    log = PageLog()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on(
                "console",
                lambda m: log.console_errors.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: log.console_errors.append(str(e)))
            page.on("request", lambda r: log.requests.append(r.url))
            page.on(
                "response",
                lambda r: log.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            yield page, log
        finally:
            browser.close()


def set_login_cookie(page: object, base: str, token: str) -> None:
    """Give the page's browser the login cookie of ``token`` for ``base``, as
    ``POST /api/auth/login`` sets it (maps and pages opened by navigation need it)."""
    from api.auth.deps import COOKIE

    cookie = {"name": COOKIE, "value": token, "url": base, "httpOnly": True, "sameSite": "Strict"}
    page.context.add_cookies([cookie])  # type: ignore[attr-defined]
