"""Routes of Open311 GeoReport v2 under /open311/v2: JSON or XML by suffix, spec-format errors.

Domain errors keep their meaning but take the spec's statuses: 403 for a missing, invalid or
unauthorised api_key, 404 for what does not exist, 400 for everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Header, Request, Response
from sqlalchemy.orm import Session

from api.cases.service import utcnow
from api.config import Settings
from api.deps import SessionDep, SettingsDep
from api.errors import DomainError, InvalidInput
from api.open311 import service
from api.open311.render import Format, errors, render
from api.reports.service import Limits
from api.routing.service import rules_from

router = APIRouter(prefix="/open311/v2", tags=["open311"])

SPEC_STATUS = {401: 403, 409: 400, 422: 400}
FORM = "application/x-www-form-urlencoded"


def _respond(fmt: str, root: str, produce: Callable[[], tuple[Any, int]]) -> Response:
    try:
        chosen = Format(fmt)
    except ValueError:
        return errors(Format.XML, 404, f"unknown format {fmt!r}: use .xml or .json")
    try:
        document, status = produce()
    except DomainError as exc:
        return errors(chosen, SPEC_STATUS.get(exc.status, exc.status), exc.detail)
    return render(chosen, root, document, status)


def _storable(key: str, value: str) -> None:
    """Refuse a query or form field holding NUL (PostgreSQL text cannot store it)."""
    if "\x00" in key + value:
        raise InvalidInput(f"{key} must not contain NUL (%00) characters", field=key)


def _params(request: Request) -> dict[str, str]:
    """Query parameters; a repeated one is the comma-joined list of its values; NUL is
    refused, as in the form."""
    query = request.query_params
    for key, value in query.multi_items():
        _storable(key, value)
    return {key: ",".join(v for v in query.getlist(key) if v) for key in query}


def parse_form(body: bytes, content_type: str) -> dict[str, str]:
    """A urlencoded form: UTF-8, the first value of each field, empty fields left out."""
    if content_type and not content_type.lower().startswith(FORM):
        raise InvalidInput(f"send the request as {FORM}", field="content-type")
    try:
        pairs = parse_qsl(body.decode(), encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the form is not valid UTF-8", field="body") from exc
    form: dict[str, str] = {}
    for key, value in pairs:
        _storable(key, value)
        form.setdefault(key, value)
    return form


def _read_key(session: Session, settings: Settings, api_key: str | None) -> None:
    service.authorize_read(session=session, api_key=api_key, public=settings.open311_public)


async def _body(request: Request) -> bytes:
    return await request.body()


@router.get("/discovery.{fmt}")
def discovery(fmt: str, request: Request, settings: SettingsDep) -> Response:
    """Service discovery: this endpoint, its formats and how to get an api_key."""
    url = str(request.base_url).rstrip("/") + router.prefix
    return _respond(fmt, "discovery", lambda: (service.discovery(settings=settings, url=url), 200))


@router.get("/services.{fmt}")
def services(fmt: str, session: SessionDep) -> Response:
    """The service list: every sub-category of the catalogue."""
    return _respond(fmt, "services", lambda: (service.services(session=session), 200))


@router.get("/services/{service_code}.{fmt}")
def service_definition(service_code: str, fmt: str, session: SessionDep) -> Response:
    """A service definition (no extra attributes)."""
    return _respond(
        fmt,
        "service_definition",
        lambda: (service.service_definition(session=session, service_code=service_code), 200),
    )


@router.get("/requests.{fmt}")
def list_requests(
    fmt: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Service requests: by id, or by service, date range (default the last 90 days), status
    (an api_key is required unless the server publishes requests)."""

    def produce() -> tuple[Any, int]:
        params = _params(request)
        _read_key(session, settings, params.get("api_key"))
        query = service.parse_query(params, now=utcnow())
        return service.requests(session=session, query=query), 200

    return _respond(fmt, "service_requests", produce)


@router.get("/requests/{service_request_id}.{fmt}")
def get_request(
    service_request_id: str, fmt: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """One service request (an api_key is required unless the server publishes requests)."""

    def produce() -> tuple[Any, int]:
        _read_key(session, settings, _params(request).get("api_key"))
        return service.request(session=session, service_request_id=service_request_id), 200

    return _respond(fmt, "service_requests", produce)


@router.get("/tokens/{token}.{fmt}")
def get_token(
    token: str, fmt: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The service request id of a token (a report id; an api_key is required unless the
    server publishes requests)."""

    def produce() -> tuple[Any, int]:
        _read_key(session, settings, _params(request).get("api_key"))
        return service.token(session=session, token=token), 200

    return _respond(fmt, "service_requests", produce)


_FIELDS = ("api_key", "service_code", "lat", "long", "description", "first_name", "last_name")
POST_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["api_key", "service_code", "lat", "long"],
                    "properties": {name: {"type": "string"} for name in _FIELDS},
                }
            }
        },
    }
}


@router.post("/requests.{fmt}", openapi_extra=POST_FORM)
def create_request(
    fmt: str,
    request: Request,
    body: Annotated[bytes, Depends(_body)],
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    """Create a service request (201; 200 when an Idempotency-Key replays an earlier one)."""

    def produce() -> tuple[Any, int]:
        form = parse_form(body, request.headers.get("content-type", ""))
        with session.begin_nested():  # a refusal leaves nothing behind
            answer, done = service.create(
                session=session,
                form=form,
                idempotency_key=idempotency_key,
                rules=rules_from(settings.data_dir),
                limits=Limits.of(settings),
                at=utcnow(),
            )
        session.commit()
        return answer, 200 if done.replayed else 201

    return _respond(fmt, "service_requests", produce)
