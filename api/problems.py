"""The RFC 9457 problem+json handlers: domain errors, validation errors and HTTP errors of the
framework, each rendered with its field and reason."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from api.errors import PROBLEM_JSON, DomainError, LoginRequired
from api.messages import problem_message, validation_message


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def _error_of(error: Any) -> dict[str, str]:
    """A validation error as {field, reason}; a body that is not JSON is the request's fault
    (FastAPI puts the character position in ``loc``, which names no field)."""
    if error.get("type") == "json_invalid":
        loc, cause = error.get("loc", ()), (error.get("ctx") or {}).get("error")
        if cause and len(loc) > 1:
            return {"field": "request", "reason": f"Invalid JSON: {cause} at character {loc[-1]}"}
        return {"field": "request", "reason": error["msg"]}
    return {"field": _field_of(error["loc"]), "reason": error["msg"]}


def _unreadable(cause: BaseException | None) -> str | None:
    """Why the framework could not read a body (it only says "There was an error parsing
    the body"), when the cause tells."""
    if isinstance(cause, UnicodeDecodeError):
        return f"the body is not UTF-8 (byte {cause.object[cause.start]:#04x} at {cause.start})"
    if isinstance(cause, RecursionError):
        return "the body's JSON is nested too deeply"
    return None


def _allowed(request: Request) -> str:
    """The methods of every route at the request's path (Starlette's 405 names only the
    first route's: ``GET`` of a path whose ``POST`` is another route)."""
    path = request.scope["path"]
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.path and route.methods and compile_path(route.path)[0].fullmatch(path):
            methods |= route.methods
    return ", ".join(sorted(methods))


def install_handlers(app: FastAPI) -> None:
    """Render DomainError and request validation errors as problem+json."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.problem(str(request.url.path)), exc.status, media_type=PROBLEM_JSON)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(exc.location, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        raw = list(exc.errors())
        errors = [_error_of(e) for e in raw]
        first = errors[0] if errors else {"field": "request", "reason": "invalid"}
        body = {
            "type": "/problems/InvalidInput",
            "title": "Invalid input",
            "status": 422,
            "detail": f"{first['field']}: {first['reason']}",
            "message": validation_message(errors, [str(e.get("type", "")) for e in raw]),
            "field": first["field"],
            "errors": errors,
            "instance": str(request.url.path),
        }
        return JSONResponse(body, 422, media_type=PROBLEM_JSON)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        # the framework's own refusals: an unknown path or method, or a body it could not
        # read (not UTF-8, nested too deep: a 400 about the request as a whole)
        status = HTTPStatus(exc.status_code)
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": status.phrase,
            "status": exc.status_code,
            "detail": _unreadable(exc.__cause__)
            or (exc.detail if isinstance(exc.detail, str) else status.description),
            "message": problem_message("about:blank", None, status=exc.status_code),
            "instance": str(request.url.path),
        }
        headers = dict(exc.headers or {})
        if exc.status_code == 400:
            body["field"] = "request"
            body["errors"] = [{"field": "request", "reason": body["detail"]}]
        if exc.status_code == 405:
            headers["Allow"] = _allowed(request)
        return JSONResponse(body, exc.status_code, headers=headers, media_type=PROBLEM_JSON)
