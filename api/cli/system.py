"""``gridwhistle setup-system``: Debian packages (PostgreSQL, PostGIS, Chromium)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import console, fail
from api.config import get_settings
from api.system import ensure


def setup_system_command(
    browser: Annotated[bool, typer.Option(help="also Chromium for the browser tests")] = False,
) -> None:
    """Install missing system packages (as root), or print the command to run."""
    need_db = get_settings().database_url is None
    ok, message = ensure(database=need_db, browser=browser)
    if not ok:
        raise fail(message, code=2)
    console.print(message)
