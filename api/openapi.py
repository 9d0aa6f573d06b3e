"""The OpenAPI document as the server behaves: problem+json errors, security schemes, Open311.

FastAPI writes each operation from its signature; what the service does around the signature
is added here, in one pass over the generated document (``install_openapi``):

- the problem+json answers (``api.errors``) an operation can give: 400 for a body the
  framework cannot read, 401/403 where a login is needed, 404 for an id or code (in the path
  or the query) that names nothing, 409 for a change the case's state refuses, 422 for a
  refused input, 429 for throttled logins and 503 with ``Retry-After`` while the database is
  out of reach (``api.db.outage``);
- the security schemes: the bearer token, and the login cookie that pages and maps also
  accept, applied where the operation reads the ``Authorization`` header;
- Open311's own error documents (JSON or XML by suffix) and its ``api_key``;
- ``#/$defs/…`` references of hand-written schemas, moved to ``#/components/schemas``, and
  a title of its own for each schema (a generated client names its classes by title).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import FastAPI

from api.auth.deps import COOKIE
from api.db.outage import RETRY_AFTER_S
from api.errors import PROBLEM_JSON

BEARER = "bearerAuth"
COOKIE_SCHEME = "cookieAuth"
PROBLEM = "Problem"
OPEN311_ERRORS = "Open311Errors"
SCHEMAS = "#/components/schemas/"

SECURITY_SCHEMES: dict[str, Any] = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "a token from POST /api/auth/login or `gridwhistle users token NAME`",
    },
    COOKIE_SCHEME: {
        "type": "apiKey",
        "in": "cookie",
        "name": COOKIE,
        "description": "the login cookie POST /api/auth/login sets; GET pages, maps and map"
        " data only",
    },
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": PROBLEM,
    "description": "An RFC 9457 problem; ``field`` names the input at fault.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "message": {"type": "string", "description": "what went wrong, in Chinese, for people"},
        "instance": {"type": "string"},
        "field": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
        "retry_after": {"type": "integer", "description": "seconds (503)"},
    },
    "additionalProperties": True,
}

OPEN311_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "title": OPEN311_ERRORS,
    "description": "GeoReport v2 errors (JSON; the .xml suffix answers the same as XML)",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}

REASONS = {
    400: "the body cannot be read (not UTF-8, not JSON, nested too deeply)",
    401: "no valid token (missing, unknown, expired or revoked)",
    403: "the role or jurisdiction does not allow it",
    404: "what the path names does not exist",
    409: "the current state refuses it (e.g. an illegal transition)",
    422: "an input is refused; ``field`` names it",
    429: "too many failed logins; retry after ``Retry-After`` seconds",
    503: "the database is out of reach; retry after ``Retry-After`` seconds",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": f"seconds to wait (e.g. {RETRY_AFTER_S})",
        "schema": {"type": "integer"},
    }
}
OPEN311_API_KEY: dict[str, Any] = {
    "name": "api_key",
    "in": "query",
    "required": False,
    "description": "an Open311 key (`gridwhistle users key NAME`); required unless the server"
    " publishes requests (GRIDWHISTLE_OPEN311_PUBLIC)",
    "schema": {"type": "string", "maxLength": 200, "pattern": "^[^\\u0000]*$"},
}
# operations that answer 409 besides the POSTs on a case, an assignment or an extension
CONFLICTS = {("get", "/api/locate"), ("post", "/api/route"), ("post", "/api/reports")}
THROTTLED = {("post", "/api/auth/login")}
NO_DATABASE = {("get", "/api/health")}


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": REASONS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"{SCHEMAS}{PROBLEM}"}}},
    }
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response


def _open311_error(description: str) -> dict[str, Any]:
    schema = {"$ref": f"{SCHEMAS}{OPEN311_ERRORS}"}
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}, "text/xml": {"schema": {}}},
    }


def _take_security(operation: dict[str, Any]) -> list[dict[str, list[str]]]:
    """Remove the ``Authorization`` header and login cookie parameters of an operation; the
    security requirement they stood for."""
    params = operation.get("parameters", [])
    header = [p for p in params if p["in"] == "header" and p["name"].lower() == "authorization"]
    cookie = [p for p in params if p["in"] == "cookie" and p["name"] == COOKIE]
    operation["parameters"] = [p for p in params if p not in header and p not in cookie]
    if not operation["parameters"]:
        del operation["parameters"]
    if not header:
        return []
    return [{BEARER: []}, {COOKIE_SCHEME: []}] if cookie else [{BEARER: []}]


def _api_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    security = _take_security(operation)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's validation error; the problem below where it applies
    statuses = set() if (method, path) in NO_DATABASE else {503}
    params = operation.get("parameters", [])
    if params or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses.add(400)
    if security:
        operation["security"] = security
        statuses |= {401, 403}
    if params:  # an id or code in the path or the query that names nothing
        statuses.add(404)
    if (method == "post" and "{" in path and security) or (method, path) in CONFLICTS:
        statuses.add(409)
    if (method, path) in THROTTLED:
        statuses |= {401, 429}
    html = "text/html" in responses.get("200", {}).get("content", {})
    if html and security:  # a page or map: a browser without a login is sent to log in
        responses["303"] = {
            "description": "no login: to /app/login?next=…",
            "headers": {"Location": {"schema": {"type": "string"}}},
        }
    for status in sorted(statuses):
        responses[str(status)] = _problem(status)


def _open311_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    ok = responses.get("200") or responses.get("201") or {"description": "the document"}
    ok["content"] = {"application/json": {"schema": {}}, "text/xml": {"schema": {}}}
    responses.pop("422", None)
    if method == "post":
        responses["201"] = {**ok, "description": "the service request created"}
        responses["200"] = {**ok, "description": "a retry with the same Idempotency-Key"}
    errors = {
        400: "a refused input or a conflict",
        404: "an unknown format, service or request",
        503: "the database is out of reach",
    }
    if "/requests" in path or "/tokens/" in path:
        errors[403] = "a missing, unknown or unauthorised api_key"
        if method == "get":
            params = operation.setdefault("parameters", [])
            if all(p["name"] != "api_key" for p in params):
                params.append(OPEN311_API_KEY)
    for status, description in sorted(errors.items()):
        responses[str(status)] = _open311_error(description)


def _hoist_defs(node: Any, schemas: dict[str, Any]) -> Any:
    """``node`` with nested ``$defs`` moved into ``schemas`` and their references rewritten
    (a ``#/$defs/…`` reference inside the document would point at the document's root)."""
    if isinstance(node, list):
        return [_hoist_defs(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    for name, definition in node.pop("$defs", {}).items():
        schemas.setdefault(name, _hoist_defs(definition, schemas))
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        node["$ref"] = SCHEMAS + ref.removeprefix("#/$defs/")
    return {key: _hoist_defs(value, schemas) for key, value in node.items()}


def _distinct_titles(schemas: dict[str, Any]) -> None:
    """Schemas that share a title (two enums named ``Level``) take their component name as
    title: a generated client names its classes by title and would keep only one."""
    titles = Counter(schema.get("title") for schema in schemas.values())
    for name, schema in schemas.items():
        if titles[schema.get("title")] > 1:
            schema["title"] = name


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """The generated document with what the server does around the signatures (in place)."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas[PROBLEM] = PROBLEM_SCHEMA
    schemas[OPEN311_ERRORS] = OPEN311_ERRORS_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if path.startswith("/open311/"):
                _open311_operation(path, method, operation)
            else:
                _api_operation(path, method, operation)
    document["paths"] = _hoist_defs(document.get("paths", {}), schemas)
    _distinct_titles(schemas)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json. FastAPI builds it again when routes
    are added (tests include the pages router later); each new build is completed once."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        if PROBLEM not in document.get("components", {}).get("schemas", {}):
            complete(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
