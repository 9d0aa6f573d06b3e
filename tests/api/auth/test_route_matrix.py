"""The role × route matrix: what an anonymous caller and each role get from every route of
the app — the JSON API, Open311, the pages, the maps, the map tiles, the documents and the
static files (docs/roles.md explains the rules). A route without a row fails the test.

Each request runs in a savepoint of the test's transaction that is rolled back afterwards,
so every role meets the same world: a case reported by the grid worker in 鸭子桥社区 (广外),
whistled to departments, one of whose assignments asks for an extension, and another case.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth.models import User
from api.auth.roles import Role
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_session
from api.notifications.fanout import fan_out
from api.notifications.models import Notification
from api.reports.models import Report, ReportPhoto
from api.whistles.models import Assignment
from tests.api.support import issue_tokens

COMMUNITY = "110102020001"  # 鸭子桥社区 of 广安门外街道
ROLES: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.ADMIN, None),
    "analyst": (Role.ANALYST, None),
    "district": (Role.DISTRICT, "110102"),
    "street": (Role.STREET, "110102020"),
    "community": (Role.COMMUNITY, COMMUNITY),
    "department": (Role.DEPARTMENT, "110102-cgzf"),
    "worker": (Role.GRID_WORKER, "110102020"),
    "chief": (Role.CHIEF, "C110102020-01"),
    "hotline": (Role.HOTLINE, None),
}
ALL = tuple(ROLES)


@dataclass(frozen=True)
class Row:
    """One route's request (``{name}`` filled from the world's ids) and the status each
    caller gets: ``anon`` for no credentials, ``default`` for a role not in ``roles``."""

    url: str
    anon: int
    default: int
    roles: dict[str, int] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    form: dict[str, str] | None = None

    def expected(self, who: str) -> int:
        return self.anon if who == "anon" else self.roles.get(who, self.default)


def only(status: int, *roles: str) -> dict[str, int]:
    """``roles`` get ``status``."""
    return dict.fromkeys(roles, status)


PIN = ["{lon}", "{lat}"]  # a point inside COMMUNITY
# a 2 × 2 PNG (a photo that decodes, so that its thumbnail can be made)
PHOTO = {
    "content_type": "image/png",
    "data": "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGPkOiHHwMDAxMDAwMDAAAALVgD0I4hqmwAAAABJRU5ErkJggg==",
}
REPORT = {"geometry": {"type": "Point", "coordinates": PIN}, "category": "E0303"}
LOGIN = {"username": "m-street", "password": "secret-password"}
# the command centres and analysts that may open a street's hot spot map
STREET_MAP = only(200, "admin", "analyst", "district", "street", "community")
# the case: who may see it (the chief did not report it), triage it (the case is whistled:
# a triage move is a 409 for those allowed to make it), answer for a department
SEES_CASE = only(403, "chief", "hotline")
TRIAGERS = only(409, "admin", "street", "community")
DUTY_409 = only(409, "admin", "department")
# a photo of the case: to whoever may not see the case it does not exist
SEES_PHOTO = only(404, "chief", "hotline")

MATRIX: dict[tuple[str, str], Row] = {
    # documents, static files and the front door: open to all
    ("GET", "/openapi.json"): Row("/openapi.json", 200, 200),
    ("GET", "/docs"): Row("/docs", 200, 200),
    ("GET", "/docs/oauth2-redirect"): Row("/docs/oauth2-redirect", 200, 200),
    ("GET", "/redoc"): Row("/redoc", 200, 200),
    ("GET", "/static"): Row("/static/app/app.css", 200, 200),
    ("GET", "/"): Row("/", 307, 307),
    ("GET", "/favicon.ico"): Row("/favicon.ico", 200, 200),
    ("GET", "/api/health"): Row("/api/health", 200, 200),
    ("POST", "/api/auth/login"): Row("/api/auth/login", 200, 200, body=LOGIN),
    # the caller's own token (revoked in the savepoint); the audit trail: administrators
    ("POST", "/api/auth/logout"): Row("/api/auth/logout", 401, 204),
    ("GET", "/api/audit"): Row("/api/audit?kind=login&limit=5", 401, 403, only(200, "admin")),
    # pages: the login page and the worker for all, the other shells for a logged-in browser
    ("GET", "/app"): Row("/app", 307, 307),
    ("GET", "/app/"): Row("/app/", 307, 307),
    ("GET", "/app/sw.js"): Row("/app/sw.js", 200, 200),
    ("GET", "/app/login"): Row("/app/login", 200, 200),
    ("GET", "/app/{page}"): Row("/app/triage", 303, 200),
    # maps: anonymous browsers log in first; each role its own area
    ("GET", "/maps/city"): Row("/maps/city", 303, 200),
    ("GET", "/maps/hotspots"): Row(
        "/maps/hotspots?window=1w", 303, 403, only(200, "admin", "analyst")
    ),
    ("GET", "/maps/district/{code}"): Row(
        "/maps/district/110102?window=1w", 303, 403, only(200, "admin", "analyst", "district")
    ),
    ("GET", "/maps/street/{code}"): Row("/maps/street/110102020?window=1w", 303, 403, STREET_MAP),
    ("GET", "/maps/chief/{chief_ref}"): Row(
        "/maps/chief/C110102020-01",
        303,
        403,
        only(200, "admin", "analyst", "district", "street", "chief"),
    ),
    # reference data and map tiles: any logged-in user
    ("GET", "/api/generations"): Row("/api/generations", 401, 200),
    ("GET", "/api/areas"): Row("/api/areas?level=district&code=110102", 401, 200),
    ("GET", "/api/departments"): Row("/api/departments?district_code=110102", 401, 200),
    ("GET", "/api/categories"): Row("/api/categories", 401, 200),
    ("GET", "/api/locate"): Row("/api/locate?lon={lon}&lat={lat}", 401, 200),
    ("POST", "/api/route"): Row("/api/route", 401, 200, body=REPORT),
    ("GET", "/api/auth/me"): Row("/api/auth/me", 401, 200),
    # the address register and geocoding: any logged-in user; parsing a call: those who
    # take calls (the 12345 centre and the command centres)
    ("GET", "/api/addresses"): Row("/api/addresses?street=110102020&limit=3", 401, 200),
    ("POST", "/api/geocode"): Row("/api/geocode", 401, 200, body={"text": "{entry}"}),
    ("GET", "/api/reverse"): Row("/api/reverse?lon={entry_lon}&lat={entry_lat}", 401, 200),
    ("POST", "/api/hotline/parse"): Row(
        "/api/hotline/parse",
        401,
        403,
        only(200, "admin", "district", "street", "hotline"),
        body={"text": "{entry}门口的垃圾桶满了，好几天没人清理"},
    ),
    # reports and cases: the jurisdiction policy (api/auth/roles.py)
    ("POST", "/api/reports"): Row(
        "/api/reports", 401, 201, only(403, "analyst", "department"), body=REPORT
    ),
    ("GET", "/api/reports/{report_id}"): Row("/api/reports/{report}", 401, 200, SEES_CASE),
    # the caller's own reports: the roles that report (analysts and departments never do)
    ("GET", "/api/reports/mine"): Row(
        "/api/reports/mine?limit=5", 401, 200, only(403, "analyst", "department")
    ),
    ("GET", "/api/cases"): Row("/api/cases", 401, 200),
    ("GET", "/api/cases/{case_id}"): Row("/api/cases/{case}", 401, 200, SEES_CASE),
    ("GET", "/api/cases/{case_id}/duplicates"): Row(
        "/api/cases/{case}/duplicates", 401, 200, SEES_CASE
    ),
    ("GET", "/api/cases/{case_id}/events"): Row("/api/cases/{case}/events", 401, 200, SEES_CASE),
    ("POST", "/api/cases/{case_id}/resolve"): Row(
        "/api/cases/{case}/resolve", 401, 403, TRIAGERS, body={"note": "done"}
    ),
    ("POST", "/api/cases/{case_id}/reject"): Row(
        "/api/cases/{case}/reject", 401, 403, TRIAGERS, body={"reason": "not ours"}
    ),
    ("POST", "/api/cases/{case_id}/merge"): Row(
        "/api/cases/{case}/merge",
        401,
        403,
        TRIAGERS,
        body={"into": "{other}", "reason": "同一问题"},
    ),
    ("POST", "/api/cases/{case_id}/whistle"): Row(
        "/api/cases/{case}/whistle", 401, 403, TRIAGERS, body={}
    ),
    ("POST", "/api/cases/{case_id}/escalate"): Row(
        "/api/cases/{case}/escalate", 401, 403, only(200, "admin", "district"), body={}
    ),
    ("POST", "/api/cases/{case_id}/reroute"): Row(
        "/api/cases/{case}/reroute",
        401,
        403,
        only(422, "admin", "street", "community"),  # not disputed: the departments are refused
        body={"departments": [{"code": "110102-cgzf"}]},
    ),
    ("POST", "/api/cases/{case_id}/verify"): Row(
        "/api/cases/{case}/verify", 401, 403, TRIAGERS, body={"confirmed": True}
    ),
    ("POST", "/api/cases/{case_id}/evaluate"): Row(
        "/api/cases/{case}/evaluate", 401, 403, {**TRIAGERS, "worker": 409}, body={"stars": 5}
    ),
    ("POST", "/api/cases/{case_id}/comments"): Row(
        "/api/cases/{case}/comments",
        401,
        403,
        only(200, "admin", "district", "street", "community", "department"),
        body={"text": "noted"},
    ),
    # photos: the limits to any logged-in user; a photo and its thumbnail with the case
    ("GET", "/api/photos/limits"): Row("/api/photos/limits", 401, 200),
    ("GET", "/api/photos/{photo_id}"): Row("/api/photos/{photo}", 401, 200, SEES_PHOTO),
    ("GET", "/api/photos/{photo_id}/thumb"): Row("/api/photos/{photo}/thumb", 401, 200, SEES_PHOTO),
    # whistles, assignments and extensions
    ("GET", "/api/whistles"): Row("/api/whistles", 401, 200),
    ("GET", "/api/extensions"): Row(
        "/api/extensions", 401, 200, only(403, "worker", "chief", "hotline")
    ),
    ("POST", "/api/assignments/{assignment_id}/acknowledge"): Row(
        "/api/assignments/{assignment}/acknowledge", 401, 403, DUTY_409
    ),
    ("POST", "/api/assignments/{assignment_id}/on-site"): Row(
        "/api/assignments/{assignment}/on-site",
        401,
        403,
        only(200, "admin", "department"),
        body={"lon": "{lon}", "lat": "{lat}"},
    ),
    ("POST", "/api/assignments/{assignment_id}/resolve"): Row(
        "/api/assignments/{assignment}/resolve", 401, 403, DUTY_409, body={"note": "done"}
    ),
    ("POST", "/api/assignments/{assignment_id}/extensions"): Row(
        "/api/assignments/{assignment}/extensions",
        401,
        403,
        DUTY_409,  # one is pending
        body={"amount": "3wd", "reason": "材料未到"},
    ),
    ("POST", "/api/assignments/{assignment_id}/dispute"): Row(
        "/api/assignments/{assignment}/dispute",
        401,
        403,
        only(200, "admin", "department"),
        body={"reason": "not ours"},
    ),
    ("POST", "/api/extensions/{extension_id}/decision"): Row(
        "/api/extensions/{extension}/decision",
        401,
        403,
        only(200, "admin", "street"),
        body={"approve": True},
    ),
    # assessment and hot spot statistics
    ("GET", "/api/assessment/whistles/{whistle_id}"): Row(
        "/api/assessment/whistles/{whistle}",
        401,
        200,
        only(403, "community", "worker", "chief", "hotline"),
    ),
    # the inbox: everyone has one; a notification (the street's) is anyone else's 404
    ("GET", "/api/notifications"): Row("/api/notifications?unread=true&limit=5", 401, 200),
    ("POST", "/api/notifications/{notification_id}/read"): Row(
        "/api/notifications/{notification}/read", 401, 404, only(200, "street")
    ),
    ("POST", "/api/notifications/read-all"): Row("/api/notifications/read-all", 401, 200),
    # live events: any logged-in user, scoped to the cases it may see (follow=false ends it)
    ("GET", "/api/events/stream"): Row("/api/events/stream?follow=false", 401, 200),
    ("GET", "/api/assessment/scoreboard"): Row(
        "/api/assessment/scoreboard", 401, 200, only(403, "community", "worker", "chief", "hotline")
    ),
    ("GET", "/api/assessment/scores"): Row(
        "/api/assessment/scores?code=110102-cgzf",
        401,
        200,
        only(403, "community", "worker", "chief", "hotline"),
    ),
    # call-backs (回访): the hotline centre calls back (the whistled case is not pending: 409);
    # the lead street decides on a 不满意
    ("GET", "/api/callbacks"): Row(
        "/api/callbacks", 401, 403, only(200, "admin", "analyst", "district", "street", "hotline")
    ),
    ("POST", "/api/cases/{case_id}/callback"): Row(
        "/api/cases/{case}/callback",
        401,
        403,
        only(409, "admin", "hotline"),
        body={"result": "满意"},
    ),
    ("POST", "/api/callbacks/{callback_id}/decision"): Row(
        "/api/callbacks/{callback}/decision",
        401,
        403,
        only(200, "admin", "street"),
        body={"accept": False, "reason": "已向来电人解释"},
    ),
    ("GET", "/api/assessment/should-have-whistled"): Row(
        "/api/assessment/should-have-whistled",
        401,
        403,
        only(200, "admin", "analyst", "district", "street"),
    ),
    ("GET", "/api/hotspots"): Row("/api/hotspots?street=110102020", 401, 403, STREET_MAP),
    # vector tiles: the hot spot units of 广外 (z14 at 116.33, 39.89) as its street map;
    # each layer's scoping is tested in tests/api/tiles
    ("GET", "/tiles/{layer}/{z}/{x}/{y}.mvt"): Row(
        "/tiles/hotspots/14/13486/6209.mvt?scope=110102020&window=1w", 401, 403, STREET_MAP
    ),
    # what the working pages draw as their basemap: any logged-in user
    ("GET", "/tiles/basemap"): Row("/tiles/basemap", 401, 200),
    # Open311: discovery and services are open; reads need an api_key (the spec's 403);
    # creating needs the api_key of a reporting role
    ("GET", "/open311/v2/discovery.{fmt}"): Row("/open311/v2/discovery.json", 200, 200),
    ("GET", "/open311/v2/services.{fmt}"): Row("/open311/v2/services.json", 200, 200),
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): Row(
        "/open311/v2/services/E0303.json", 200, 200
    ),
    ("GET", "/open311/v2/requests.{fmt}"): Row("/open311/v2/requests.json", 403, 200),
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"): Row(
        "/open311/v2/requests/{case}.json", 403, 200
    ),
    ("GET", "/open311/v2/tokens/{token}.{fmt}"): Row("/open311/v2/tokens/{report}.json", 403, 200),
    ("POST", "/open311/v2/requests.{fmt}"): Row(
        "/open311/v2/requests.json",
        403,
        201,
        only(403, "analyst", "department"),
        form={"service_code": "E0303", "long": "{lon}", "lat": "{lat}"},
    ),
}

# the tile route's other layers (MATRIX holds one row per route): the basemap's roads (z14 at
# 116.33, 39.89) and the address register (z17 at an entry of COMMUNITY), any logged-in user;
# the roads of the chief's map (z15 at the middle of one of them) for those who may open it
TILE_LAYERS: dict[str, Row] = {
    "roadnet": Row("/tiles/roadnet/14/13486/6209.mvt", 401, 200),
    "addresses": Row("/tiles/addresses/17/{entry_x17}/{entry_y17}.mvt", 401, 200),
    "roads?chief=": Row(
        "/tiles/roads/15/{road_x15}/{road_y15}.mvt?chief=C110102020-01",
        401,
        403,
        only(200, "admin", "analyst", "district", "street", "chief"),
    ),
}


def routes() -> set[tuple[str, str]]:
    """(method, path) of every route of the app (a mount: GET)."""
    app = create_app(engine=engine_for("postgresql+psycopg://nobody@localhost/none"))
    found = set()
    for route in iter_route_contexts(app.routes):
        methods = getattr(route, "methods", None) or {"GET"}
        found |= {(m, str(route.path)) for m in methods if m != "HEAD"}
    return found


def test_every_role_has_a_column() -> None:
    assert {role for role, _ in ROLES.values()} == set(Role), "a role without a column in ROLES"


def test_every_route_has_a_row() -> None:
    app_routes = routes()
    assert len(app_routes) > 50
    missing = sorted(app_routes - set(MATRIX))
    assert not missing, f"routes without a row in MATRIX: {missing}"
    assert not sorted(set(MATRIX) - app_routes), "rows of routes that do not exist"


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    ids: dict[str, Any]
    connection: Any
    current: dict[str, Session]


def _build(session: Session, client: TestClient, tokens: dict[str, str]) -> dict[str, Any]:
    lon, lat = session.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas "
            "WHERE code = :code ORDER BY generation_high DESC LIMIT 1) a"
        ),
        {"code": COMMUNITY},
    ).one()
    where = {"lon": float(lon), "lat": float(lat)}
    entry = session.execute(
        text(
            "SELECT text, lon, lat FROM address_entries WHERE community_code = :code "
            "ORDER BY generation_high DESC, kind = 'plate' DESC, ref LIMIT 1"
        ),
        {"code": COMMUNITY},
    ).one()
    where |= {"entry": entry.text, "entry_lon": entry.lon, "entry_lat": entry.lat}
    n = 1 << 17  # the entry's web-map tile at zoom 17
    where |= {
        "entry_x17": int((entry.lon + 180.0) / 360.0 * n),
        "entry_y17": int((1.0 - math.asinh(math.tan(math.radians(entry.lat))) / math.pi) / 2 * n),
    }
    road = session.execute(
        text(
            "SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT ST_LineInterpolatePoint("
            "ST_LineMerge(geom), 0.5) AS p FROM roads WHERE chief_ref = :ref "
            "ORDER BY generation_high DESC, ref LIMIT 1) r"
        ),
        {"ref": ROLES["chief"][1]},
    ).one()
    n = 1 << 15  # the web-map tile at zoom 15 of the middle of the chief's first road
    where |= {
        "road_x15": int((road.lon + 180.0) / 360.0 * n),
        "road_y15": int((1.0 - math.asinh(math.tan(math.radians(road.lat))) / math.pi) / 2 * n),
    }

    def call(method: str, url: str, who: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        response = client.request(method, url, headers=headers, **kwargs)
        assert response.is_success, (url, response.text)
        return response.json()

    report = _fill(REPORT, where)
    case = call("POST", "/api/reports", "worker", json={**report, "photos": [PHOTO]})
    other = call("POST", "/api/reports", "worker", json={**report, "category": "E0401"})
    # a hotline case resolved by the street, verified and called back 不满意
    called = call(
        "POST", "/api/reports", "worker", json={**report, "category": "E0101", "source": "hotline"}
    )
    called_case = f"/api/cases/{called['case_id']}"
    call("POST", f"{called_case}/resolve", "street", json={"note": "已处理"})
    call("POST", f"{called_case}/verify", "street", json={"confirmed": True})
    unsatisfied = {"result": "不满意", "reason": "没修好"}
    callback = call("POST", f"{called_case}/callback", "hotline", json=unsatisfied)
    call("POST", f"/api/cases/{case['case_id']}/whistle", "street", json={})
    assignment = session.scalars(
        select(Assignment).where(
            Assignment.case_id == case["case_id"], Assignment.department_code == "110102-cgzf"
        )
    ).one()
    call("POST", f"/api/assignments/{assignment.id}/acknowledge", "department")
    extension = call(
        "POST",
        f"/api/assignments/{assignment.id}/extensions",
        "department",
        json={"amount": "3wd", "reason": "材料未到"},
    )
    while fan_out(session=session, now=datetime(2026, 6, 3, tzinfo=UTC)):  # the inboxes
        pass
    told = select(Notification.id).join(User, User.id == Notification.user_id)
    return {
        **where,
        "notification": session.scalar(told.where(User.username == "m-street").limit(1)),
        "case": case["case_id"],
        "report": session.scalar(select(Report.id).where(Report.case_id == case["case_id"])),
        "photo": session.scalar(
            select(ReportPhoto.id).join(Report).where(Report.case_id == case["case_id"])
        ),
        "other": other["case_id"],
        "callback": callback["id"],
        "assignment": assignment.id,
        "whistle": assignment.whistle_id,
        "extension": extension["id"],
    }


@pytest.fixture(scope="module")
def world(demo_db_url: str) -> Iterator[World]:
    """The app on the demo city, a user per role and the world; rolled back at the end."""
    engine = engine_for(demo_db_url)
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        tokens = issue_tokens(session, ROLES, prefix="m-", password="secret-password")
        current = {"session": session}
        app = create_app(engine=engine, settings=Settings(environment="test", report_connections=0))
        app.dependency_overrides[get_session] = lambda: current["session"]
        try:
            with TestClient(app, follow_redirects=False) as client:
                ids = _build(session, client, tokens)
                session.commit()
                yield World(client, tokens, ids, connection, current)
        finally:
            outer.rollback()


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    """``value`` with ``{name}`` replaced by the world's ids (a whole "{name}": the id)."""
    if isinstance(value, str):
        whole = value.startswith("{") and value.endswith("}") and value[1:-1] in ids
        return ids[value[1:-1]] if whole else value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def answer(world: World, method: str, row: Row, who: str) -> int:
    """The status ``who`` gets, in a savepoint rolled back afterwards."""
    savepoint = world.connection.begin_nested()
    session = Session(bind=world.connection, join_transaction_mode="create_savepoint")
    world.current["session"] = session
    try:
        url = _fill(row.url, world.ids)
        headers = {}
        form = {k: str(v) for k, v in _fill(row.form or {}, world.ids).items()}
        if who != "anon":
            headers["Authorization"] = f"Bearer {world.tokens[who]}"
            if url.startswith("/open311/"):
                if method == "GET":
                    url += f"?api_key={world.tokens[who]}"
                else:
                    form["api_key"] = world.tokens[who]
        kwargs: dict[str, Any] = {"headers": headers}
        if row.body is not None:
            kwargs["json"] = _fill(row.body, world.ids)
        if row.form is not None:
            kwargs["data"] = form
        return world.client.request(method, url, **kwargs).status_code
    finally:
        session.close()
        savepoint.rollback()


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_answers_each_caller_as_its_row_says(world: World, route: tuple[str, str]) -> None:
    method, _path = route
    row = MATRIX[route]
    got = {who: answer(world, method, row, who) for who in ("anon", *ALL)}
    expected = {who: row.expected(who) for who in ("anon", *ALL)}
    assert got == expected


@pytest.mark.parametrize("layer", sorted(TILE_LAYERS))
def test_each_tile_layer_answers_each_caller_as_its_row_says(world: World, layer: str) -> None:
    row = TILE_LAYERS[layer]
    route = ("GET", "/tiles/{layer}/{z}/{x}/{y}.mvt")
    got = {who: answer(world, route[0], row, who) for who in ("anon", *ALL)}
    assert got == {who: row.expected(who) for who in ("anon", *ALL)}
