"""``gridwhistle catalogues load``: the department and category catalogues from ``data/``."""

from __future__ import annotations

import typer
from sqlalchemy import func, select

from api.cli.common import console, db_session, fail
from api.config import get_settings
from api.departments.models import Department
from api.departments.service import load_catalogues
from api.errors import InvalidInput

catalogues_app = typer.Typer(help="The department and category catalogues (data/*.csv).")


@catalogues_app.command("load")
def load() -> None:
    """Check departments.csv and categories.csv of the data folder (GRIDWHISTLE_DATA_DIR)
    against each other and the duty rules, then add or update them; nothing is written when
    a file is wrong."""
    data_dir = get_settings().data_dir
    with db_session() as session:
        try:
            departments, categories = load_catalogues(session=session, data_dir=data_dir)
        except InvalidInput as exc:
            raise fail(f"{exc.detail}; nothing was written", code=2) from exc
        stored = session.scalar(select(func.count()).select_from(Department)) or 0
        session.commit()
    console.print(f"loaded {departments} department(s), {categories} category(ies) from {data_dir}")
    kept = stored - departments
    if kept > 0:
        console.print(f"{kept} department(s) not in the file are kept (cases may refer to them)")
    console.print("running services load it again now (they heard the commit)")
