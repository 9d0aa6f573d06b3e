"""FastAPI dependencies: the current user from the bearer token (the JSON API) or, for pages,
maps and map tiles fetched by the browser itself, from the login cookie.

The pages keep the bearer token in localStorage and send it with every API call; a map opened
by navigation cannot send a header, so ``POST /api/auth/login`` also sets the same token as an
HttpOnly, SameSite=Strict cookie. Only the GET routes of pages, maps and map tiles accept it
(``viewer``, ``tile_viewer``): a cookie never authorises a change, so no cross-site form can
act on a user's behalf.

A revoked or expired token opens nothing (``api.auth.service.TOKEN_USER``). Using a valid one
moves its expiry on, at most once per ``token_touch_s``: that write is committed here, before
the route runs, so that a read-only route keeps it too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Cookie, Depends, Header, Request
from sqlalchemy.orm import Session

from api.auth.models import User
from api.auth.roles import Actor
from api.auth.service import TokenPolicy, token_holder
from api.config import Settings, get_settings
from api.deps import SessionDep
from api.errors import LoginRequired, Unauthorized

COOKIE = "gridwhistle_token"


def bearer(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header value; 401 otherwise."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("send Authorization: Bearer <token>", field="authorization")
    return authorization[7:].strip()


def current_user(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> User:
    """The user of ``Authorization: Bearer <token>``; 401 otherwise."""
    actor = authenticate(session, bearer(authorization), settings_of(request))
    user = session.get(User, actor.id)
    if user is None:  # deleted since
        raise Unauthorized("unknown, revoked or expired token", field="authorization")
    return user


def settings_of(request: Request) -> Settings:
    """The app's settings (read only when a token is checked: an app without them, as some
    tests build, serves its anonymous pages all the same)."""
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings or get_settings()


def actor_of_token(session: Session, token: str, settings: Settings) -> Actor | None:
    """The actor of a valid bearer token (None: unknown, revoked or expired); its expiry moved
    on and committed when due."""
    holder = token_holder(session=session, token=token, policy=TokenPolicy.of(settings))
    if holder is None:
        return None
    if holder.touched:
        session.commit()
    return holder.actor


def authenticate(session: Session, token: str, settings: Settings) -> Actor:
    """The actor a bearer token belongs to; 401 when it is unknown, revoked or expired."""
    actor = actor_of_token(session, token, settings)
    if actor is None:
        raise Unauthorized("unknown, revoked or expired token", field="authorization")
    return actor


def current_actor(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    """The current user as the policy sees them (read without loading the ORM user)."""
    return authenticate(session, bearer(authorization), settings_of(request))


ActorDep = Annotated[Actor, Depends(current_actor)]
UserDep = Annotated[User, Depends(current_user)]


def _token(authorization: str | None, cookie: str | None) -> str | None:
    """The bearer token of the header, else the login cookie's."""
    return bearer(authorization) if authorization else cookie or None


def viewer(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
    gridwhistle_token: Annotated[str | None, Cookie()] = None,
) -> Actor:
    """Who looks at a page or map (bearer token or login cookie); without one, a 303 to the
    login page that comes back here."""
    token = _token(authorization, gridwhistle_token)
    actor = actor_of_token(session, token, settings_of(request)) if token else None
    if actor is None:
        url = request.url
        raise LoginRequired(
            "log in to see this page", next_url=url.path + (f"?{url.query}" if url.query else "")
        )
    return actor


def tile_viewer(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
    gridwhistle_token: Annotated[str | None, Cookie()] = None,
) -> Actor:
    """Who fetches map data (bearer token or login cookie); 401 otherwise."""
    token = _token(authorization, gridwhistle_token)
    if token is None:
        raise Unauthorized("send Authorization: Bearer <token>", field="authorization")
    return authenticate(session, token, settings_of(request))


ViewerDep = Annotated[Actor, Depends(viewer)]
TileViewerDep = Annotated[Actor, Depends(tile_viewer)]
