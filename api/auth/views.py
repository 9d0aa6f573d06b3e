"""Routes: POST /api/auth/login (password → bearer token, also set as the login cookie that
pages and maps accept), POST /api/auth/logout, GET /api/auth/me, and GET /api/audit (the
audit trail, administrators only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import audit
from api.auth.audit import AuditKind
from api.auth.deps import COOKIE, ActorDep, UserDep, bearer
from api.auth.roles import Actor, Role
from api.auth.service import TokenPolicy, login, revoke_token
from api.auth.throttle import LoginPolicy, LoginThrottled
from api.deps import SessionDep, SettingsDep
from api.errors import PROBLEM_JSON, Forbidden, InvalidInput, Unauthorized
from api.inputs import Input
from api.maps.access import own_map

router = APIRouter(prefix="/api/auth", tags=["auth"])
audit_router = APIRouter(prefix="/api/audit", tags=["auth"])


class Login(Input):
    """Username and password."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    """Who the token belongs to."""

    id: int
    username: str
    display_name: str
    role: str
    jurisdiction: str | None
    map_url: str | None = Field(
        default=None,
        description="the hot spot map of the user's own area that the role may open (a "
        "chief's: the chief's roads), linked from the pages; null when the role sees none",
    )


class Token(BaseModel):
    """A bearer token and its user."""

    token: str
    user: Me


def _me(user) -> Me:  # type: ignore[no-untyped-def]
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        jurisdiction=user.jurisdiction,
        map_url=own_map(Actor(user.id, Role(user.role), user.jurisdiction)),
    )


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a reverse proxy, run the server
    with its forwarded-header options so that this is the browser's, not the proxy's)."""
    return request.client.host if request.client else "unknown"


@router.post("/login", response_model=Token)
def post_login(
    body: Login, request: Request, session: SessionDep, settings: SettingsDep, response: Response
) -> Any:
    """Exchange a username and password for a bearer token (also set as an HttpOnly,
    SameSite=Strict cookie for the pages and maps the browser opens itself). Repeated
    failures for a username or a client address slow, then refuse, further attempts (429
    with Retry-After)."""
    try:
        user, token = login(
            session=session,
            username=body.username,
            password=body.password,
            address=client_address(request),
            policy=LoginPolicy.of(settings),
            tokens=TokenPolicy.of(settings),
        )
    except LoginThrottled as exc:
        session.commit()  # the audit event
        return JSONResponse(
            exc.problem(request.url.path),
            exc.status,
            headers={"Retry-After": str(exc.retry_after_s)},
            media_type=PROBLEM_JSON,
        )
    except Unauthorized:
        session.commit()  # the failure counts, and its audit event stays
        raise
    session.commit()
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.environment == "production",
        path="/",
    )
    return Token(token=token, user=_me(user))


@router.post("/logout", status_code=204, response_class=Response)
def post_logout(
    session: SessionDep,
    settings: SettingsDep,
    _actor: ActorDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Revoke the bearer token of this request (the login cookie is cleared too)."""
    revoke_token(session=session, token=bearer(authorization))
    session.commit()
    response = Response(status_code=204)
    response.delete_cookie(
        COOKIE,
        httponly=True,
        samesite="strict",
        secure=settings.environment == "production",
        path="/",
    )
    return response


@router.get("/me", response_model=Me)
def me(user: UserDep) -> Me:
    """The current user."""
    return _me(user)


class AuditEventPublic(BaseModel):
    """A login, an account change or a token revocation."""

    id: int
    at: datetime
    kind: AuditKind
    username: str = Field(description="the account concerned, as named")
    user_id: int | None
    actor_id: int | None = Field(description="who acted (null: the user, or the command line)")
    address: str | None = Field(description="the client address of a login")
    data: dict[str, Any]


class AuditEventsPublic(BaseModel):
    """Audit events, newest first."""

    data: list[AuditEventPublic]


@audit_router.get("", response_model=AuditEventsPublic)
def list_audit_events(
    session: SessionDep,
    actor: ActorDep,
    kind: AuditKind | None = None,
    user: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="a username"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditEventsPublic:
    """Logins (succeeded, failed, refused), account changes and token revocations, newest
    first (administrators only)."""
    if actor.role is not Role.ADMIN:
        raise Forbidden("only administrators read the audit trail", field="authorization")
    if user is not None and ("\x00" in user or "\ufffd" in user):  # U+FFFD: not UTF-8
        raise InvalidInput(
            "user must be text, without NUL or bytes that are not UTF-8", field="user"
        )
    found = audit.events(session=session, kind=kind, username=user, limit=limit)
    return AuditEventsPublic(
        data=[AuditEventPublic.model_validate(e, from_attributes=True) for e in found]
    )
