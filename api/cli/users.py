"""``gridwhistle users add|token|revoke|password|list``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import User
from api.auth.roles import Role
from api.auth.service import (
    API_SCOPE,
    OPEN311_SCOPE,
    create_user,
    issue_token,
    revoke_tokens,
    set_password,
)
from api.cli.common import console, db_session, fail
from api.errors import DomainError

app = typer.Typer(help="Users, roles and bearer tokens.")


@app.command("add")
def add(
    username: str,
    role: Annotated[Role, typer.Option(help="role")],
    jurisdiction: Annotated[
        str | None,
        typer.Option(help="community/street/district/department code, or a chief's ref"),
    ] = None,
    name: Annotated[str, typer.Option(help="display name")] = "",
    password: Annotated[
        str | None,
        typer.Option(help="password for the pages (optional; GRIDWHISTLE_PASSWORD_MIN_LENGTH)"),
    ] = None,
) -> None:
    """Add a user and print a bearer token for it."""
    with db_session() as session:
        try:
            user = create_user(
                session=session,
                username=username,
                role=role,
                jurisdiction=jurisdiction,
                display_name=name,
                password=password,
            )
        except DomainError as exc:
            raise fail(exc.detail) from exc
        token = issue_token(session=session, user=user, label="cli")
        session.commit()
    console.print(f"user {username} ({role}, {jurisdiction or 'city-wide'}) token:")
    typer.echo(token)


@app.command("token")
def token(
    username: str,
    open311: Annotated[
        bool,
        typer.Option(
            "--open311",
            help="An Open311 api_key instead: it creates and reads Open311 requests as this "
            "user and opens nothing else (for a resident app or the hotline's system).",
        ),
    ] = False,
) -> None:
    """Issue a new bearer token (or Open311 api_key) for an existing user."""
    with db_session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise fail(f"no user {username!r}")
        value = issue_token(
            session=session,
            user=user,
            label="cli-open311" if open311 else "cli",
            scope=OPEN311_SCOPE if open311 else API_SCOPE,
        )
        session.commit()
    typer.echo(value)


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise fail(f"no user {username!r}")
    return user


@app.command("revoke")
def revoke(username: str) -> None:
    """Revoke every bearer token and Open311 key of a user (a lost phone, a person who left):
    print how many."""
    with db_session() as session:
        count = revoke_tokens(session=session, user=_user(session, username), reason="cli")
        session.commit()
    console.print(f"revoked {count} token(s) of {username}")


@app.command("password")
def password(
    username: str,
    new: Annotated[
        str,
        typer.Option(
            "--password",
            prompt="new password",
            hide_input=True,
            confirmation_prompt=True,
            help="the new password (asked for when not given)",
        ),
    ],
) -> None:
    """Set a user's password (at least GRIDWHISTLE_PASSWORD_MIN_LENGTH characters); the user's
    tokens are revoked."""
    with db_session() as session:
        try:
            count = set_password(session=session, user=_user(session, username), password=new)
        except DomainError as exc:
            raise fail(exc.detail) from exc
        session.commit()
    console.print(f"password of {username} set; revoked {count} token(s)")


@app.command("list")
def list_users() -> None:
    """List users with role and jurisdiction."""
    with db_session() as session:
        users = list(session.scalars(select(User).order_by(User.id)))
    table = Table("username", "name", "role", "jurisdiction")
    for u in users:
        table.add_row(u.username, u.display_name, u.role, u.jurisdiction or "—")
    console.print(table)
