"""Helpers shared by the CLI commands: console, database preparation, error exits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from api.config import get_settings
from api.db.embedded import EmbeddedDatabaseError
from api.db.migrate import upgrade
from api.db.session import database_url, engine_for, session_factory

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` in red on stderr and return an Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def prepared_url() -> str:
    """The database URL, with the embedded cluster started and migrations applied."""
    try:
        url = database_url(get_settings())
    except EmbeddedDatabaseError as exc:
        raise fail(str(exc)) from exc
    upgrade(url)
    return url


@contextmanager
def db_session() -> Iterator[Session]:
    """A session on the prepared database (commit is the caller's)."""
    factory = session_factory(engine_for(prepared_url()))
    with factory() as session:
        yield session
