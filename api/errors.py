"""Domain errors that carry their HTTP mapping, and the RFC 9457 problem+json handlers.

Domain code raises these (never HTTPException); one handler renders them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """Base of errors a user can act on; subclasses set status and title."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """The problem+json body of this error."""
        body: dict[str, Any] = {
            "type": f"/problems/{type(self).__name__}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field:
            body["field"] = self.field
            body["errors"] = [{"field": self.field, "reason": self.detail}]
        if instance:
            body["instance"] = instance
        return {**body, **self.extra}


class InvalidInput(DomainError):
    """The request is well-formed but its content is unacceptable."""

    status = 422
    title = "Invalid input"


class NotFound(DomainError):
    """The thing asked for does not exist."""

    status = 404
    title = "Not found"


class Unauthorized(DomainError):
    """No valid credentials."""

    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    """Valid credentials, but not allowed here (role or jurisdiction)."""

    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    """The request conflicts with the current state (e.g. an illegal transition)."""

    status = 409
    title = "Conflict"


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def install_handlers(app: FastAPI) -> None:
    """Render DomainError and request validation errors as problem+json."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.problem(str(request.url.path)), exc.status, media_type=PROBLEM_JSON)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field_of(e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        first = errors[0] if errors else {"field": "request", "reason": "invalid"}
        body = {
            "type": "/problems/InvalidInput",
            "title": "Invalid input",
            "status": 422,
            "detail": f"{first['field']}: {first['reason']}",
            "field": first["field"],
            "errors": errors,
            "instance": str(request.url.path),
        }
        return JSONResponse(body, 422, media_type=PROBLEM_JSON)
