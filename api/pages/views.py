"""Routes: the pages (/app/login, /app/report, /app/mine, … /app/hotline) and the offline
service worker.

The server only serves static shells; every page gets its data from the JSON API with the
bearer token kept in the browser, and the API enforces the roles. The login page, the service
worker and the static assets are open to all; any other page needs a logged-in browser (the
login cookie: ``api.auth.deps.viewer``) and sends anyone else to the login page.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from api.auth.deps import ViewerDep
from api.errors import NotFound

APP_DIR = Path(__file__).resolve().parents[1] / "static" / "app"
NO_CACHE = {"Cache-Control": "no-cache"}
PAGES = ("login", "report", "mine", "triage", "whistles", "scores", "hotline")

router = APIRouter(prefix="/app", tags=["pages"], include_in_schema=False)


def _shell(page: str) -> FileResponse:
    return FileResponse(APP_DIR / f"{page}.html", media_type="text/html", headers=NO_CACHE)


@router.get("")
@router.get("/")
def index() -> RedirectResponse:
    """The login page decides where each role goes."""
    return RedirectResponse("/app/login")


@router.get("/sw.js")
def service_worker() -> FileResponse:
    """The service worker, served under /app/ so that its scope covers the pages."""
    return FileResponse(APP_DIR / "sw.js", media_type="text/javascript", headers=NO_CACHE)


@router.get("/login")
def login_page() -> FileResponse:
    """The login page (open to all)."""
    return _shell("login")


@router.get("/{page}")
def page(page: str, _viewer: ViewerDep) -> FileResponse:
    """One page's HTML shell, for a logged-in browser."""
    if page not in PAGES:
        raise NotFound(f"no page {page!r}; pages: {', '.join(PAGES)}", field="page")
    return _shell(page)
