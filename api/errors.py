"""Domain errors that carry their HTTP mapping (status, title, field): pure, no web framework.

Domain code raises these (never HTTPException); ``api.problems`` renders them as RFC 9457
problem+json.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from api.messages import problem_message

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """Base of errors a user can act on; subclasses set status and title."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init__(
        self, detail: str, *, field: str | None = None, message: str | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        # what the pages show, in Chinese (``api.messages`` composes one when not given)
        self.message = message or problem_message(type(self).__name__, field, status=self.status)
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """The problem+json body of this error."""
        body: dict[str, Any] = {
            "type": f"/problems/{type(self).__name__}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "message": self.message,
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


class LoginRequired(Unauthorized):
    """No valid credentials for a page or map: the browser is sent to the login page (303),
    which returns to ``next`` (the path and query asked for) after logging in."""

    status = 303

    def __init__(self, detail: str, *, next_url: str) -> None:
        super().__init__(detail, field="authorization")
        self.location = f"/app/login?next={quote(next_url, safe='/')}"


class Forbidden(DomainError):
    """Valid credentials, but not allowed here (role or jurisdiction)."""

    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    """The request conflicts with the current state (e.g. an illegal transition)."""

    status = 409
    title = "Conflict"
