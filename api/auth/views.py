"""Routes: POST /api/auth/login (password → bearer token, also set as the login cookie that
pages and maps accept), GET /api/auth/me."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from api.auth.deps import COOKIE, UserDep
from api.auth.service import login
from api.deps import SessionDep, SettingsDep
from api.errors import Unauthorized
from api.inputs import Input

router = APIRouter(prefix="/api/auth", tags=["auth"])


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
    )


@router.post("/login", response_model=Token)
def post_login(
    body: Login, session: SessionDep, settings: SettingsDep, response: Response
) -> Token:
    """Exchange a username and password for a bearer token (also set as an HttpOnly,
    SameSite=Strict cookie for the pages and maps the browser opens itself)."""
    found = login(session=session, username=body.username, password=body.password)
    if found is None:
        raise Unauthorized("wrong username or password", field="password")
    user, token = found
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


@router.get("/me", response_model=Me)
def me(user: UserDep) -> Me:
    """The current user."""
    return _me(user)
