"""``gridwhistle users add|token|list``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from api.auth.models import User
from api.auth.roles import Role
from api.auth.service import API_SCOPE, OPEN311_SCOPE, create_user, issue_token
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
    password: Annotated[str | None, typer.Option(help="password for the pages (optional)")] = None,
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


@app.command("list")
def list_users() -> None:
    """List users with role and jurisdiction."""
    with db_session() as session:
        users = list(session.scalars(select(User).order_by(User.id)))
    table = Table("username", "name", "role", "jurisdiction")
    for u in users:
        table.add_row(u.username, u.display_name, u.role, u.jurisdiction or "—")
    console.print(table)
