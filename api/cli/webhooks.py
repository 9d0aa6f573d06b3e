"""``gridwhistle webhooks add|list|remove|deliver|replay``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import httpx
import typer

from api.cases.service import utcnow
from api.cli.common import console, db_session, fail, prepared_url
from api.config import get_settings
from api.db.session import engine_for, session_factory
from api.deadlines.calendar import TZ
from api.errors import DomainError
from api.notifications.fanout import run_once as fan_out_once
from api.webhooks import service
from api.webhooks.deliver import Policy
from api.webhooks.deliver import run_once as deliver_once

webhooks_app = typer.Typer(help="Webhook subscriptions and their deliveries.")


@webhooks_app.command("add")
def add(
    scope: Annotated[str, typer.Option(help="department, street or district")],
    code: Annotated[str, typer.Option(help="the department code, street or district code")],
    url: Annotated[str, typer.Option(help="where to POST the events (http:// or https://)")],
    kinds: Annotated[
        str,
        typer.Option(help="event kinds, comma-separated (case:new,supervision:*); empty: all"),
    ] = "",
    secret: Annotated[
        str | None, typer.Option(help="the signing secret (default: a new random one)")
    ] = None,
) -> None:
    """Subscribe a URL to the events of the cases a department, street or district may see;
    prints the id and the signing secret."""
    chosen = [k.strip() for k in kinds.split(",") if k.strip()]
    with db_session() as session:
        try:
            row = service.add(
                session=session, scope=scope, code=code, url=url, kinds=chosen, secret=secret
            )
        except DomainError as exc:
            raise fail(f"--{exc.field or 'scope'}: {exc.detail}") from exc
        session.commit()
        console.print(f"webhook {row.id}: {row.scope} {row.code} → {row.url}; secret:")
        typer.echo(row.secret)


@webhooks_app.command("list")
def list_command() -> None:
    """Every subscription (id, scope and code, URL, kinds) with its deliveries by state."""
    from sqlalchemy import func, select

    from api.webhooks.models import Delivery

    with db_session() as session:
        counts = {
            (sid, status): n
            for sid, status, n in session.execute(
                select(Delivery.subscription_id, Delivery.status, func.count()).group_by(
                    Delivery.subscription_id, Delivery.status
                )
            )
        }
        for row in service.listed(session=session):
            states = ", ".join(
                f"{s} {counts.get((row.id, s), 0)}" for s in ("pending", "delivered", "dead")
            )
            kinds = ",".join(row.kinds) or "(all kinds)"
            typer.echo(f"{row.id}\t{row.scope} {row.code}\t{row.url}\t{kinds}\t{states}")


@webhooks_app.command("remove")
def remove(subscription_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Delete a subscription and its outbox."""
    with db_session() as session:
        try:
            service.remove(session=session, subscription_id=subscription_id)
        except DomainError as exc:
            raise fail(exc.detail) from exc
        session.commit()
    console.print(f"webhook {subscription_id} removed")


@webhooks_app.command("deliver")
def deliver() -> None:
    """Fan out queued events, then send every delivery due now (for cron; the service does
    this itself as events arrive)."""
    factory = session_factory(engine_for(prepared_url()))
    now = utcnow()
    fanned = fan_out_once(factory, now=now)
    with httpx.Client(follow_redirects=False) as client:
        sent = deliver_once(factory, client=client, now=now, policy=Policy.of(get_settings()))
    busy = " (another process is fanning out)" if fanned is None else ""
    console.print(
        f"fanned out {fanned or 0} event(s){busy}; delivered {sent.delivered}, "
        f"to retry {sent.retrying}, dead {sent.dead}"
    )


@webhooks_app.command("replay")
def replay(
    dead: Annotated[bool, typer.Option("--dead", help="the dead deliveries")] = False,
    since: Annotated[
        str | None,
        typer.Option(
            help="deliveries of events at or after this ISO 8601 time (Beijing time "
            "without an offset), whatever their state"
        ),
    ] = None,
) -> None:
    """Send deliveries again from their first attempt (same idempotency key)."""
    when = None
    if since is not None:
        try:
            when = datetime.fromisoformat(since)
        except ValueError as exc:
            raise fail(f"--since: not an ISO 8601 time: {since!r}", code=2) from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=TZ)
    if not dead and when is None:
        raise fail("say which deliveries: --dead, --since TIME, or both", code=2)
    with db_session() as session:
        count = service.replay(session=session, now=utcnow(), dead=dead, since=when)
        session.commit()
    console.print(
        f"{count} deliver(y/ies) pending again; the service (or webhooks deliver) sends them"
    )
