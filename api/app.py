"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from api.addresses.views import router as addresses_router
from api.assessment.views import router as assessment_router
from api.auth.views import audit_router
from api.auth.views import router as auth_router
from api.callbacks.views import router as callbacks_router
from api.cases.service import utcnow
from api.cases.views import router as cases_router
from api.config import Settings, get_settings
from api.db import outage
from api.db.aio import pool_for
from api.db.session import get_engine, libpq_url, session_factory
from api.departments.views import router as departments_router
from api.deps import single_query_values
from api.docs import SecurityHeaders
from api.docs import router as docs_router
from api.events.hub import EventHub
from api.events.views import router as events_router
from api.geography.views import router as geography_router
from api.hotline.service import warm_up
from api.hotline.views import router as hotline_router
from api.hotspots.views import router as hotspots_router
from api.maps.hotspots import router as hotspot_maps_router
from api.maps.views import router as maps_router
from api.notifications.fanout import run_periodically as fan_out_periodically
from api.notifications.views import router as notifications_router
from api.open311.views import router as open311_router
from api.openapi import install_openapi
from api.pages.views import router as pages_router
from api.photos.views import router as photos_router
from api.problems import install_handlers
from api.reports.loop import Reporters
from api.reports.mine import router as my_reports_router
from api.reports.store import PLAN_CACHE_MODE
from api.reports.views import router as reports_router
from api.routing.service import rules_from
from api.routing.snapshot import FactsHolder, catalogue_listener
from api.routing.views import router as routing_router
from api.tiles.views import router as tiles_router
from api.webhooks.deliver import Policy
from api.webhooks.deliver import run_periodically as deliver_periodically
from api.whistles.jobs import run_periodically
from api.whistles.views import router as whistles_router

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    jobs: bool = False,
    freeze_heap: bool = False,
    warm: bool = False,
) -> FastAPI:
    """Build the service bound to ``engine``; ``jobs`` runs the overdue job in the background.

    ``freeze_heap`` (the served app): once started, the objects alive then (modules, the app,
    geography caches: some 300,000) leave the cyclic garbage collector's view. Otherwise each
    full collection walks them all, which stalls the event loop for ≈ 0.2 s — every request
    in flight waits. Tests build many apps in one process and leave it off.

    ``warm`` (the served app): the geocoder and the category model are built in a
    background thread as the app starts (``app.state.warming``), so that the first hotline
    call does not wait for them; startup does not wait either."""
    settings = settings or get_settings()
    bound = engine or get_engine()
    factory = session_factory(bound)

    def catalogue_changed() -> None:
        """The department catalogue was loaded: route with it from the next report on."""
        app.state.city_facts.forget()
        rules_from.cache_clear()

    def _notifying(hub: EventHub) -> list[asyncio.Task[None]]:
        """The fan-out (inbox and webhook outbox) and the webhook sender it wakes."""
        deliveries = asyncio.Event()
        return [
            asyncio.create_task(
                fan_out_periodically(
                    factory, hub=hub, interval_s=settings.fanout_interval_s, then=deliveries.set
                )
            ),
            asyncio.create_task(
                deliver_periodically(
                    factory,
                    wake=deliveries,
                    interval_s=settings.webhook_interval_s,
                    policy=Policy.of(settings),
                    now=utcnow,
                )
            ),
        ]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = None
        if jobs:
            task = asyncio.create_task(run_periodically(factory, settings.overdue_job_interval_s))
        # report submissions on this event loop (without a pool they use sessions)
        pool = None
        if settings.report_connections > 0:
            pool = pool_for(
                bound, size=settings.report_connections, plan_cache_mode=PLAN_CACHE_MODE
            )
            await pool  # opens its connections
        app.state.reports_pool = pool
        listener = catalogue_listener(libpq_url(bound.url), on_change=catalogue_changed)
        await listener.start()
        if warm:
            app.state.warming = warm_up(sessions=factory, settings=settings)
        hub = EventHub(libpq_url(bound.url))  # wakes the live streams and the fan-out
        await hub.start()
        app.state.event_hub = hub
        notifying = _notifying(hub) if jobs else []
        if freeze_heap:
            # the served app: the facts of the active generation first (if any), so that
            # no request waits for them and they are frozen with the rest
            with suppress(LookupError):
                await app.state.city_facts.current()
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            app.state.reports_pool = None
            await hub.close()  # the live streams end
            for running in notifying:
                running.cancel()
            await listener.close()
            if pool is not None:
                await pool.close()
            if task is not None:
                task.cancel()

    app = FastAPI(
        title="gridwhistle",
        version="0.1.0",
        summary="街乡吹哨、部门报到",
        lifespan=lifespan,
        dependencies=[Depends(single_query_values)],
        docs_url=None,  # api.docs serves /docs and /redoc from local assets
        redoc_url=None,
    )
    app.add_middleware(SecurityHeaders, settings=settings)
    app.state.settings = settings
    app.state.sessionmaker = factory
    app.state.reports_pool = None
    app.state.event_hub = None  # the lifespan's (api.events.hub)
    app.state.city_facts = FactsHolder(factory)
    app.state.reporters = Reporters()
    install_handlers(app)
    outage.install_handlers(app)
    install_openapi(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # GET /api/reports/mine before GET /api/reports/{report_id}, which would take "mine" for
    # an id; then the busiest route (POST /api/reports) before all others
    app.include_router(my_reports_router)
    app.include_router(reports_router)
    app.include_router(geography_router)
    app.include_router(departments_router)
    app.include_router(maps_router)
    app.include_router(hotspot_maps_router)
    app.include_router(tiles_router)
    app.include_router(routing_router)
    for router in (
        auth_router,
        audit_router,
        cases_router,
        whistles_router,
        photos_router,
        notifications_router,
        events_router,
        open311_router,
        assessment_router,
        callbacks_router,
        hotspots_router,
        pages_router,
        docs_router,
        addresses_router,
        hotline_router,
    ):
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/maps/city")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def served_app() -> FastAPI:
    """The app of ``gridwhistle serve`` in each worker process (``uvicorn --factory``): the
    configured database (prepared by the parent) and the overdue job, which runs in one
    process at a time."""
    from api.db.session import database_url, engine_for

    settings = get_settings()
    return create_app(
        engine=engine_for(database_url(settings)),
        settings=settings,
        jobs=True,
        freeze_heap=True,
        warm=True,
    )
