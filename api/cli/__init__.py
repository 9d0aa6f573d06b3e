"""The ``gridwhistle`` command line (typer + rich)."""

from __future__ import annotations

import typer

from api.cli import (
    addresses,
    catalogues,
    categories,
    db,
    deadlines,
    geography,
    locate,
    serve,
    simulate,
    system,
    users,
    webhooks,
)

app = typer.Typer(
    name="gridwhistle",
    help="街乡吹哨、部门报到 — grid governance on PostGIS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(deadlines.calendar_app, name="calendar")
app.add_typer(deadlines.jobs_app, name="jobs")
app.add_typer(geography.import_app, name="import")
app.add_typer(geography.grids_app, name="grids")
app.add_typer(catalogues.catalogues_app, name="catalogues")
app.add_typer(categories.categories_app, name="categories")
app.add_typer(addresses.addresses_app, name="addresses")
app.add_typer(webhooks.webhooks_app, name="webhooks")
app.command("load-demo")(geography.load_demo_command)
app.command("serve")(serve.serve_command)
app.add_typer(simulate.simulate_app, name="simulate")
app.command("locate")(locate.locate_command)
app.command("locate-batch")(locate.locate_batch_command)
app.command("demo")(serve.demo_command)
app.command("setup-system")(system.setup_system_command)


def main() -> None:
    """Entry point of the ``gridwhistle`` script."""
    app()
