"""A malformed-input campaign over every mutating route of the HTTP API.

The routes come from the app's OpenAPI document (a new POST/PUT/PATCH/DELETE route without a
plan here fails ``test_every_mutating_route_is_covered``); the bad inputs are generated from
each route's request schema: invalid JSON, a body that is not an object, each required field
missing, wrong types, null, empty and 100 kB strings, NUL characters, NaN/Infinity as raw JSON,
numbers out of range, unknown enum values, broken geometry, path parameters that are not
integers or do not exist. Each is sent by a user allowed to call the route (in a state where a
valid body would be accepted), and must be a 4xx problem+json naming the field (Open311: the
spec's error list) that wrote nothing.

One world (users, cases in each state, whistles, an extension) is built once for the module
inside an outer transaction; each case runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

import api.models as models
from api.app import create_app
from api.auth.roles import Role
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_session
from api.notifications.fanout import fan_out
from tests.api.support import BOWTIE, BUILDING, LIFECYCLE_TABLES, issue_tokens

MUTATING = {"post", "put", "patch", "delete"}
TABLES = (
    *LIFECYCLE_TABLES,
    models.ApiToken,
    models.User,
    models.Event,
    models.CalendarDay,
    models.Callback,
)
USERS = {
    "admin": (Role.ADMIN, None),
    "worker-gw": (Role.GRID_WORKER, "110102020"),
    "gw": (Role.STREET, "110102020"),
    "xicheng": (Role.DISTRICT, "110102"),
    "xc-cgzf": (Role.DEPARTMENT, "110102-cgzf"),
    "hotline": (Role.HOTLINE, None),
    "ft-cgzf": (Role.DEPARTMENT, "110106-cgzf"),
}
# pins in 广外 far enough apart not to attach to each other's cases (BUILDING, astride the
# 西城/丰台 line, makes the joint case)
PINS = {name: (116.3235, 39.8905 + 0.0012 * i) for i, name in enumerate("ABCDEFG")}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()
LONG = "長" * 35_000  # 105 kB of UTF-8
RAW = "\u0000raw\u0000"  # stands for a raw JSON token spliced into the body text


@dataclass(frozen=True)
class Ref:
    """A world object's id, filled in at run time."""

    name: str


@dataclass(frozen=True)
class Plan:
    """Who calls a route, on what, with which valid body."""

    user: str
    path: dict[str, Ref] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    form: bool = False


PIN_BODY = {"geometry": {"type": "Point", "coordinates": list(PINS["G"])}, "category": "E0303"}
DEPARTMENT = {"code": "110102-cgzf", "role": "lead", "overall_lead": True}
PLANS: dict[tuple[str, str], Plan] = {
    ("POST", "/api/reports"): Plan(
        "worker-gw",
        body={
            **PIN_BODY,
            "accuracy_m": 5,
            "photos": [{"content_type": "image/png", "data": PNG}],
        },
    ),
    ("POST", "/api/route"): Plan("worker-gw", body={**PIN_BODY, "accuracy_m": 5, "generation": 1}),
    ("POST", "/api/auth/login"): Plan(
        "gw", body={"username": "t-gw", "password": "secret-password"}
    ),
    ("POST", "/api/auth/logout"): Plan("gw"),  # no input: nothing to malform
    ("POST", "/api/geocode"): Plan("worker-gw", body={"text": "西城区平昌街1号附近"}),
    ("POST", "/api/hotline/parse"): Plan("gw", body={"text": "西城区平昌街1号门口井盖没了"}),
    ("POST", "/api/cases/{case_id}/resolve"): Plan(
        "gw", {"case_id": Ref("new")}, body={"note": "done"}
    ),
    ("POST", "/api/cases/{case_id}/reject"): Plan(
        "gw", {"case_id": Ref("new")}, body={"reason": "not a problem"}
    ),
    ("POST", "/api/cases/{case_id}/merge"): Plan(
        "gw", {"case_id": Ref("new")}, body={"into": Ref("new2"), "reason": "同一问题"}
    ),
    ("POST", "/api/cases/{case_id}/whistle"): Plan(
        "gw",
        {"case_id": Ref("new")},
        body={
            "whistle_type": "综合执法哨",
            "departments": [DEPARTMENT],
            "partner_streets": [],
            "sla_policy": "huangpu",
            "note": "",
        },
    ),
    ("POST", "/api/cases/{case_id}/escalate"): Plan(
        "xicheng", {"case_id": Ref("joint")}, body={"departments": None, "note": ""}
    ),
    ("POST", "/api/cases/{case_id}/reroute"): Plan(
        "gw", {"case_id": Ref("disputed")}, body={"departments": [DEPARTMENT], "note": ""}
    ),
    ("POST", "/api/cases/{case_id}/verify"): Plan(
        "gw", {"case_id": Ref("resolved")}, body={"confirmed": False, "reason": "still there"}
    ),
    ("POST", "/api/cases/{case_id}/evaluate"): Plan(
        "worker-gw", {"case_id": Ref("verified")}, body={"stars": 4, "comment": ""}
    ),
    ("POST", "/api/cases/{case_id}/comments"): Plan(
        "gw", {"case_id": Ref("new")}, body={"text": "a note"}
    ),
    ("POST", "/api/assignments/{assignment_id}/acknowledge"): Plan(
        "xc-cgzf", {"assignment_id": Ref("dispatched")}
    ),
    ("POST", "/api/assignments/{assignment_id}/on-site"): Plan(
        "xc-cgzf",
        {"assignment_id": Ref("acknowledged")},
        body={"lon": 116.3203, "lat": 39.8900, "crs": "wgs84"},
    ),
    ("POST", "/api/assignments/{assignment_id}/resolve"): Plan(
        "ft-cgzf",
        {"assignment_id": Ref("on_site")},
        body={"note": "fixed", "photos": [{"content_type": "image/png", "data": PNG}]},
    ),
    ("POST", "/api/assignments/{assignment_id}/extensions"): Plan(
        "xc-cgzf", {"assignment_id": Ref("acknowledged")}, body={"amount": "2wd", "reason": "x"}
    ),
    ("POST", "/api/assignments/{assignment_id}/dispute"): Plan(
        "xc-cgzf", {"assignment_id": Ref("acknowledged")}, body={"reason": "not ours"}
    ),
    ("POST", "/api/notifications/{notification_id}/read"): Plan(
        "gw", {"notification_id": Ref("notification")}
    ),
    ("POST", "/api/notifications/read-all"): Plan("gw"),  # no input: nothing to malform
    ("POST", "/api/extensions/{extension_id}/decision"): Plan(
        "gw", {"extension_id": Ref("extension")}, body={"approve": True, "note": ""}
    ),
    ("POST", "/api/cases/{case_id}/callback"): Plan(
        "hotline", {"case_id": Ref("called")}, body={"result": "不满意", "reason": "没修好"}
    ),
    ("POST", "/api/callbacks/{callback_id}/decision"): Plan(
        "gw", {"callback_id": Ref("callback")}, body={"accept": False, "reason": "已解释"}
    ),
    ("POST", "/open311/v2/requests.{fmt}"): Plan(
        "worker-gw",
        body={
            "api_key": Ref("key"),
            "service_code": "E0101",
            "lat": str(PINS["G"][1]),
            "long": str(PINS["G"][0]),
            "description": "垃圾",
            "source": "resident",
        },
        form=True,
    ),
}


# ---------------------------------------------------------------- the bad inputs


@dataclass(frozen=True)
class Bad:
    """One malformed request: a change to the valid one, and the field it should name."""

    route: tuple[str, str]
    name: str
    expect: str  # the field the problem must name ("request": the body as a whole)
    path: tuple[str | int, ...] = ()  # where in the body (empty: see raw/param/header)
    value: Any = None
    drop: bool = False
    raw: bytes | None = None  # the whole body, as bytes
    token: str | None = None  # a raw JSON token put at ``path``
    param: tuple[str, str] | None = None  # a path parameter and its text
    header: tuple[str, str] | None = None
    content_type: str | None = None
    also: tuple[str, ...] = ()  # other acceptable names

    @property
    def id(self) -> str:
        method, url = self.route
        return f"{method} {url} | {self.name}"


@cache
def openapi() -> dict[str, Any]:
    """The app's OpenAPI document (building the app connects to nothing)."""
    app = create_app(
        engine=engine_for("postgresql+psycopg://nobody@127.0.0.1:1/none"),
        settings=Settings(environment="test"),
    )
    return app.openapi()


def mutating_routes() -> set[tuple[str, str]]:
    """Every POST/PUT/PATCH/DELETE route of the OpenAPI document."""
    return {
        (method.upper(), url)
        for url, operations in openapi()["paths"].items()
        for method in operations
        if method in MUTATING
    }


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.rsplit("/", 1)[1]
    return _resolve({**defs[name], **{k: v for k, v in schema.items() if k != "$ref"}}, defs)


def _variants(schema: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The non-null alternative of a schema and whether null is allowed."""
    schema = _resolve(schema, defs)
    options = schema.get("anyOf")
    if not options:
        return schema, False
    kept = [_resolve(o, defs) for o in options if o.get("type") != "null"]
    assert len(kept) == 1, schema
    return {**{k: v for k, v in schema.items() if k != "anyOf"}, **kept[0]}, True


GEOMETRIES: dict[str, Any] = {
    "wrong geometry type": {"type": "MultiPoint", "coordinates": [[116.32, 39.89]]},
    "a Feature, not a geometry": {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [116.32, 39.89]},
    },
    "no type": {"coordinates": [116.32, 39.89]},
    "empty coordinates": {"type": "Point", "coordinates": []},
    "empty polygon": {"type": "Polygon", "coordinates": []},
    "no coordinates": {"type": "LineString"},
    "coordinates of text": {"type": "Point", "coordinates": ["116.32", "east"]},
    "coordinates nested wrongly": {"type": "Point", "coordinates": [[116.32, 39.89]]},
    "latitude out of range": {"type": "Point", "coordinates": [116.32, 95.0]},
    "longitude out of range": {"type": "Point", "coordinates": [181.0, 39.89]},
    "an integer beyond any float": {"type": "Point", "coordinates": [10**400, 39.89]},
    "an integer beyond any float in a ring": {
        "type": "Polygon",
        "coordinates": [
            [[116.3196, 39.8898], [10**400, 39.8898], [116.321, 39.89], [116.3196, 39.8898]]
        ],
    },
    "one-point line": {"type": "LineString", "coordinates": [[116.32, 39.89]]},
    "zero-length line": {"type": "LineString", "coordinates": [[116.32, 39.89], [116.32, 39.89]]},
    "unclosed ring": {
        "type": "Polygon",
        "coordinates": [[[116.3196, 39.8898], [116.3210, 39.8898], [116.3210, 39.8902]]],
    },
    "self-intersecting polygon": BOWTIE,
    "outside every district": {"type": "Point", "coordinates": [117.6, 40.6]},
}


def _field_cases(
    route: tuple[str, str],
    where: tuple[str | int, ...],
    schema: dict[str, Any],
    defs: dict[str, Any],
    valid: Any,
) -> Iterator[Bad]:
    """Bad values for one field (and, for lists of objects, the fields of its first item)."""
    schema, nullable = _variants(schema, defs)
    kind = schema.get("type")
    label = ".".join(str(p) for p in where)

    def bad(name: str, value: Any = None, token: str | None = None) -> Bad:
        return Bad(route, f"{label}: {name}", label, where, value, token=token)

    if not nullable:
        yield bad("null")
    if kind == "string":
        yield bad("a number", 12345)
        yield bad("an object", {"a": 1})
        yield bad("a list", ["x"])
        refuses_empty = "pattern" in schema and re.search(schema["pattern"], "") is None
        if schema.get("minLength", 0) >= 1 or "enum" in schema or refuses_empty:
            yield bad("empty string", "")
        yield bad("100 kB string", LONG)
        yield bad("a NUL character", "a\u0000b")
        # pydantic's own JSON parser refuses the whole body (POST /api/reports)
        yield Bad(
            route, f"{label}: a lone surrogate", label, where, token='"\\ud800"', also=("request",)
        )
        if "enum" in schema:
            yield bad("unknown enum value", "no-such-value")
    elif kind in ("integer", "number"):
        yield bad("a string", "twelve")
        yield bad("an object", {"a": 1})
        yield bad("a boolean list", [True])
        yield bad("NaN", token="NaN")
        yield bad("Infinity", token="Infinity")
        yield bad("-Infinity", token="-Infinity")
        yield bad("1e400", token="1e400")
        if kind == "integer":
            yield bad("a fraction", 1.5)
            yield bad("2**63", 2**63)
            yield bad("10**30", 10**30)
        if "maximum" in schema:
            yield bad("above the maximum", schema["maximum"] + 1)
        if "minimum" in schema:
            yield bad("below the minimum", schema["minimum"] - 1)
    elif kind == "boolean":
        yield bad("a string", "maybe")
        yield bad("a number", 2)
        yield bad("an object", {"a": 1})
    elif kind == "array":
        yield bad("an object", {"a": 1})
        yield bad("a string", "x")
        items = _resolve(schema.get("items", {}), defs)
        if items.get("type") == "string":
            yield Bad(route, f"{label}: item a number", f"{label}.0", (*where, 0), 123)
            yield Bad(route, f"{label}: item 100 kB", f"{label}.0", (*where, 0), LONG)
        if isinstance(valid, list) and valid and isinstance(valid[0], dict):
            yield Bad(route, f"{label}: item not an object", f"{label}.0", (*where, 0), "x")
            yield from _object_cases(route, (*where, 0), items, defs, valid[0])
    elif kind == "object":
        yield bad("a list", [1, 2])
        yield bad("a string", "x")
        if where[-1] == "geometry":
            for name, geometry in GEOMETRIES.items():
                yield bad(name, geometry)
            yield Bad(
                route, f"{label}: NaN coordinate", label, (*where, "coordinates", 1), token="NaN"
            )
    else:
        raise AssertionError(f"no bad values for {label}: {schema}")


def _object_cases(
    route: tuple[str, str],
    where: tuple[str | int, ...],
    schema: dict[str, Any],
    defs: dict[str, Any],
    valid: dict[str, Any],
) -> Iterator[Bad]:
    schema = _resolve(schema, defs)
    properties = schema.get("properties", {})
    assert set(valid) <= set(properties), (route, set(valid) - set(properties))
    for name in schema.get("required", []):
        label = ".".join(str(p) for p in (*where, name))
        yield Bad(route, f"{label}: missing", label, (*where, name), drop=True)
    for name, sub in properties.items():
        yield from _field_cases(route, (*where, name), sub, defs, valid.get(name))


def _form_cases(route: tuple[str, str], schema: dict[str, Any]) -> Iterator[Bad]:
    """Open311's form: every field missing, empty, 100 kB, with NUL; numbers that are not."""
    for name in schema["required"]:
        yield Bad(route, f"{name}: missing", name, (name,), drop=True)
    for name in schema["properties"]:
        if name not in ("first_name", "last_name"):  # kept cut to 64 characters, by design
            yield Bad(route, f"{name}: 100 kB", name, (name,), LONG)
        yield Bad(route, f"{name}: a NUL character", name, (name,), "a\u0000b")
    for name in schema["required"]:
        yield Bad(route, f"{name}: empty", name, (name,), "")
    for name, bound in (("lat", 90), ("long", 180)):
        for text in ("north", "NaN", "Infinity", "-inf", "1e400", str(bound + 1), "0x10"):
            yield Bad(route, f"{name}: {text!r}", name, (name,), text)
    yield Bad(route, "service_code: unknown", "service_code", ("service_code",), "Z9999")
    yield Bad(route, "source: unknown", "source", ("source",), "pigeon")
    yield Bad(route, "api_key: unknown", "api_key", ("api_key",), "not-a-key")
    yield Bad(route, "outside every district", "district", ("lat",), "40.9")


def _body_cases(route: tuple[str, str], form: bool) -> Iterator[Bad]:
    """The body as a whole: not JSON (or not a form), not an object, absent."""
    raws: dict[str, bytes] = {
        "invalid JSON": b'{"a": ',
        "a JSON array": b"[1, 2]",
        "a JSON string": b'"hello"',
        "JSON null": b"null",
        "a JSON number": b"42",
        "no body": b"",
        "not UTF-8": b'{"a": "\xff\xfe"}',
        "deeply nested": b"[" * 100_000 + b"]" * 100_000,
        "trailing garbage": b"{}}",
    }
    if form:
        raws = {"not UTF-8": b"api_key=%FF%FE&service_code=\xff", "no body": b""}
        yield Bad(route, "JSON instead of a form", "content-type", raw=b"{}", content_type="json")
    for name, raw in raws.items():
        yield Bad(route, f"body: {name}", "request", raw=raw)


def _param_cases(route: tuple[str, str], parameters: list[dict[str, Any]]) -> Iterator[Bad]:
    for p in parameters:
        name = p["name"]
        if p["in"] == "path" and name == "fmt":
            for text in ("yaml", "JSON ", "json.xml"):
                yield Bad(route, f"{name}={text!r}", name, param=(name, text))
        elif p["in"] == "path":
            texts = ("abc", "1.5", "0x10", "-1", "0", "987654321", "2147483648", "9" * 30)
            for text in texts:
                yield Bad(route, f"{name}={text}", name, param=(name, text))
        elif p["in"] == "header" and p["name"].lower() == "idempotency-key":
            yield Bad(route, f"{name}: 129 characters", name.lower(), header=(name, "k" * 129))


def _semantic_cases() -> Iterator[Bad]:
    """Well-typed values the services refuse (after the schema, before anything is written)."""
    merge = ("POST", "/api/cases/{case_id}/merge")
    yield Bad(merge, "into: a case that does not exist", "into", ("into",), 987654321)
    yield Bad(merge, "into: the case itself", "into", ("into",), Ref("new"))
    yield Bad(merge, "reason: only spaces", "reason", ("reason",), "   ")
    for url in ("/api/cases/{case_id}/whistle", "/api/cases/{case_id}/reroute"):
        route = ("POST", url)
        unknown = [{**DEPARTMENT, "code": "110102-nope"}]
        yield Bad(route, "departments: unknown", "departments", ("departments",), unknown)
        support = [{**DEPARTMENT, "role": "support", "overall_lead": False}]
        yield Bad(route, "departments: none leads", "departments", ("departments",), support)
        yield Bad(route, "departments: empty", "departments", ("departments",), [])
    whistle = ("POST", "/api/cases/{case_id}/whistle")
    yield Bad(whistle, "sla_policy: unknown", "sla_policy", ("sla_policy",), "slow")
    yield Bad(whistle, "partner_streets: unknown", "partner_streets", ("partner_streets",), ["1"])
    escalate = ("POST", "/api/cases/{case_id}/escalate")
    unknown = [{**DEPARTMENT, "code": "110000-nope"}]
    yield Bad(escalate, "departments: unknown", "departments", ("departments",), unknown)
    on_site = ("POST", "/api/assignments/{assignment_id}/on-site")
    yield Bad(on_site, "position: 10 km away", "position", ("lon",), 116.42)
    extension = ("POST", "/api/assignments/{assignment_id}/extensions")
    yield Bad(extension, "amount: no unit", "amount", ("amount",), "3")
    route = ("POST", "/api/route")
    yield Bad(route, "generation: does not exist", "generation", ("generation",), 987654)


@cache
def all_bad() -> tuple[Bad, ...]:
    """Every bad request for every mutating route."""
    document = openapi()
    defs = document["components"]["schemas"]
    out: list[Bad] = []
    for route in sorted(mutating_routes() & set(PLANS)):
        method, url = route
        operation = document["paths"][url][method.lower()]
        plan = PLANS[route]
        out.extend(_param_cases(route, operation.get("parameters", [])))
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            schema = content["application/json"]["schema"]
            local = {**defs, **schema.get("$defs", {})}
            assert plan.body is not None, route
            out.extend(_body_cases(route, form=False))
            out.extend(_object_cases(route, (), schema, local, plan.body))
        elif content:
            (schema,) = (c["schema"] for c in content.values())
            out.extend(_body_cases(route, form=True))
            out.extend(_form_cases(route, schema))
        else:
            assert plan.body is None, route
    out.extend(bad for bad in _semantic_cases() if bad.route in PLANS)
    return tuple(out)


def test_every_mutating_route_is_covered() -> None:
    routes = mutating_routes()
    assert routes, "the OpenAPI document lists no mutating routes"
    assert set(PLANS) == routes, (
        f"routes without a plan: {sorted(routes - set(PLANS))}; "
        f"plans without a route: {sorted(set(PLANS) - routes)}"
    )
    covered = {bad.route for bad in all_bad()}
    document = openapi()["paths"]
    inputless = {
        (method, url)
        for method, url in routes
        if not {"parameters", "requestBody"} & set(document[url][method.lower()])
    }
    assert covered == routes - inputless, sorted(routes - inputless - covered)


# ---------------------------------------------------------------- the world


@dataclass
class World:
    """The module's app and the ids of its cases, assignments and extension."""

    client: TestClient
    tokens: dict[str, str]
    ids: dict[str, Any]
    current: dict[str, Session]
    connection: Connection | None = None

    def call(self, method: str, url: str, user: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[user]}", **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    def ok(self, method: str, url: str, user: str, **kwargs: Any) -> Any:
        response = self.call(method, url, user, **kwargs)
        assert response.status_code in (200, 201), (url, response.text)
        return response.json()


def _build(world: World) -> None:
    """Cases in every state a mutating route needs, made through the API."""

    def report(where: str | dict[str, Any]) -> int:
        geometry = (
            where if isinstance(where, dict) else {"type": "Point", "coordinates": PINS[where]}
        )
        done = world.ok(
            "POST", "/api/reports", "worker-gw", json={"geometry": geometry, "category": "E0303"}
        )
        assert not done["attached"], done
        return int(done["case_id"])

    def assignments(case: int) -> dict[str, int]:
        detail = world.ok("GET", f"/api/cases/{case}", "gw")
        return {a["department_code"]: a["id"] for a in detail["assignments"]}

    ids = world.ids
    ids["new"], ids["new2"] = report("A"), report("B")
    ids["joint"] = report(BUILDING)
    world.ok("POST", f"/api/cases/{ids['joint']}/whistle", "gw", json={})
    joint = assignments(ids["joint"])
    ids["dispatched"] = ids["acknowledged"] = joint["110102-cgzf"]
    world.ok("POST", f"/api/assignments/{ids['acknowledged']}/acknowledge", "xc-cgzf")
    world.ok("POST", f"/api/assignments/{joint['110106-cgzf']}/acknowledge", "ft-cgzf")
    ids["extension"] = world.ok(
        "POST",
        f"/api/assignments/{joint['110106-cgzf']}/extensions",
        "ft-cgzf",
        json={"amount": "2wd", "reason": "parts"},
    )["id"]
    ids["on_site"] = joint["110106-cgzf"]
    world.ok(
        "POST",
        f"/api/assignments/{ids['on_site']}/on-site",
        "ft-cgzf",
        json={"lon": 116.3203, "lat": 39.8900},
    )
    # a second whistle for /acknowledge: a dispatched assignment
    ids["whistled"] = report("C")
    world.ok("POST", f"/api/cases/{ids['whistled']}/whistle", "gw", json={})
    ids["dispatched"] = assignments(ids["whistled"])["110102-cgzf"]
    ids["disputed"] = report("D")
    world.ok("POST", f"/api/cases/{ids['disputed']}/whistle", "gw", json={})
    world.ok(
        "POST",
        f"/api/assignments/{assignments(ids['disputed'])['110102-cgzf']}/dispute",
        "xc-cgzf",
        json={"reason": "not ours"},
    )
    ids["resolved"] = report("E")
    world.ok("POST", f"/api/cases/{ids['resolved']}/resolve", "gw", json={"note": "done"})
    ids["verified"] = report("F")
    world.ok("POST", f"/api/cases/{ids['verified']}/resolve", "gw", json={"note": "done"})
    world.ok("POST", f"/api/cases/{ids['verified']}/verify", "gw", json={"confirmed": True})
    # verified hotline cases: one to call back, one called back 不满意 (the street decides)
    for name, pin in (("called", "E"), ("unsatisfied", "F")):
        point = {"type": "Point", "coordinates": PINS[pin]}
        body = {"geometry": point, "category": "E0101", "source": "hotline"}
        ids[name] = int(world.ok("POST", "/api/reports", "worker-gw", json=body)["case_id"])
        world.ok("POST", f"/api/cases/{ids[name]}/resolve", "gw", json={"note": "done"})
        world.ok("POST", f"/api/cases/{ids[name]}/verify", "gw", json={"confirmed": True})
    said = {"result": "不满意", "reason": "没修好"}
    url = f"/api/cases/{ids['unsatisfied']}/callback"
    ids["callback"] = world.ok("POST", url, "hotline", json=said)["id"]
    ids["key"] = world.tokens["worker-gw"]
    while fan_out(
        session=world.current["session"], now=datetime(2026, 6, 3, tzinfo=UTC)
    ):  # the inboxes
        pass
    ids["notification"] = world.ok("GET", "/api/notifications", "gw")["notifications"][0]["id"]


@pytest.fixture(scope="module")
def world(demo_db_url: str) -> Iterator[World]:
    """The app on the demo city and the module's world, rolled back when the module ends."""
    engine = engine_for(demo_db_url)
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        tokens = issue_tokens(session, USERS, password="secret-password")
        current = {"session": session}
        app = create_app(engine=engine, settings=Settings(environment="test", report_connections=0))
        app.dependency_overrides[get_session] = lambda: current["session"]
        try:
            with TestClient(app) as client:
                built = World(client=client, tokens=tokens, ids={}, current=current)
                _build(built)
                session.commit()
                session.close()
                built.connection = connection
                yield built
        finally:
            outer.rollback()


@pytest.fixture
def sandbox(world: World) -> Iterator[Session]:
    """A session in a savepoint of the world, rolled back after the case."""
    connection = world.connection
    assert connection is not None
    savepoint = connection.begin_nested()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    world.current["session"] = session
    try:
        yield session
    finally:
        session.close()
        savepoint.rollback()


def counts(session: Session) -> dict[str, int]:
    """Rows in every table a request may write (pending rows of the session included)."""
    session.expire_all()
    query = select(
        *(
            select(func.count()).select_from(m).scalar_subquery().label(m.__tablename__)
            for m in TABLES
        )
    )
    return dict(session.execute(query).one()._mapping)


# ---------------------------------------------------------------- the campaign


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, Ref):
        return ids[value.name]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _apply(body: Any, bad: Bad) -> Any:
    *parents, last = bad.path
    target = body
    for key in parents:
        target = target[key]
    if bad.drop:
        del target[last]
    elif isinstance(target, list) and isinstance(last, int) and last >= len(target):
        target.append(RAW if bad.token else bad.value)
    else:
        target[last] = RAW if bad.token else bad.value
    return body


def request_of(bad: Bad, world: World) -> tuple[str, str, dict[str, Any]]:
    """The method, URL and request arguments of a bad input."""
    method, url = bad.route
    plan = PLANS[bad.route]
    params = {name: str(_fill(ref, world.ids)) for name, ref in plan.path.items()}
    if "{fmt}" in url:
        params["fmt"] = "json"
    if bad.param:
        params[bad.param[0]] = bad.param[1]
    url = url.format(**params)
    headers: dict[str, str] = {}
    if bad.header:
        headers[bad.header[0]] = bad.header[1]
    body = _fill(plan.body, world.ids)
    if body is not None and bad.path:
        body = _apply(body, replace(bad, value=_fill(bad.value, world.ids)))
    if plan.form:
        from urllib.parse import urlencode

        content = bad.raw if bad.raw is not None else urlencode(body or {}).encode()
        kind = "application/json" if bad.content_type else "application/x-www-form-urlencoded"
    else:
        if bad.raw is not None:
            content = bad.raw
        elif body is None:
            content = b""
        else:
            text = json.dumps(body, ensure_ascii=False)
            if bad.token:
                text = text.replace(json.dumps(RAW), bad.token)
            content = text.encode("utf-8", "surrogatepass")
        kind = "application/json"
    headers["Content-Type"] = kind
    return method, url, {"content": content, "headers": headers}


def _names(problem: dict[str, Any]) -> set[str]:
    names = {problem.get("field")} | {e.get("field") for e in problem.get("errors", [])}
    return {n for n in names if n}


def _check_problem(bad: Bad, response: Any) -> None:
    assert response.headers["content-type"].startswith("application/problem+json"), (
        response.headers["content-type"],
        response.text[:500],
    )
    problem = response.json()
    assert problem["status"] == response.status_code and problem["title"], problem
    assert problem.get("detail"), problem
    assert response.status_code not in (401, 403), f"refused, validation hidden: {problem}"
    named = _names(problem)
    # a service check may name the list or object the bad value sits in
    assert any(e == n or e.startswith(n + ".") for n in named for e in (bad.expect, *bad.also)), (
        f"names {named}, expected {bad.expect!r}: {problem}"
    )


def _check_open311(bad: Bad, response: Any) -> None:
    """Open311 answers in the spec's format: a list of {code, description} (XML for an
    unknown format); the description names the field (the spec has no field member)."""
    kind = response.headers["content-type"]
    if kind.startswith("text/xml"):
        assert bad.expect == "fmt", response.text[:500]
        [element] = ET.fromstring(response.content).findall("error")
        error = {
            "code": int(element.findtext("code") or 0),
            "description": element.findtext("description"),
        }
    else:
        assert kind.startswith("application/json"), response.text[:500]
        [error] = response.json()
    assert error["code"] == response.status_code and error["description"], error
    if response.status_code == 403:
        assert bad.expect in ("api_key", "request"), error
    elif bad.expect not in ("request", "fmt", "content-type"):
        assert bad.expect.lower() in str(error["description"]).lower(), error


@pytest.mark.parametrize("bad", all_bad(), ids=lambda bad: bad.id)
def test_malformed_input_is_a_4xx_naming_the_field(
    world: World, sandbox: Session, bad: Bad
) -> None:
    method, url, kwargs = request_of(bad, world)
    user = PLANS[bad.route].user
    before = counts(sandbox)
    response = world.call(method, url, user, **kwargs)
    assert 400 <= response.status_code < 500, (
        f"{bad.id}: {response.status_code} {response.text[:500]}"
    )
    if url.startswith("/open311/"):
        _check_open311(bad, response)
    else:
        _check_problem(bad, response)
    assert counts(sandbox) == before, f"{bad.id} wrote rows"


@pytest.mark.parametrize("route", sorted(PLANS), ids=" ".join)
def test_the_valid_request_of_each_plan_is_accepted(
    world: World, sandbox: Session, route: tuple[str, str]
) -> None:
    """The baseline: without the change, each plan's request succeeds (so the refusals above
    are about the bad input, not the user or the state)."""
    method, url, kwargs = request_of(Bad(route, "valid", ""), world)
    response = world.call(method, url, PLANS[route].user, **kwargs)
    assert response.status_code in (200, 201, 204), response.text[:500]


REQUIRED_QUERY = {"lon": "116.3235", "lat": "39.8905", "level": "street"}


def integer_parameters() -> list[tuple[str, str, str]]:
    """(url, parameter, text) for every integer parameter of a GET route: a number beyond
    any PostgreSQL integer, and for ids and generations one just beyond an int4."""
    document = openapi()
    defs = document["components"]["schemas"]
    out = []
    for url, operations in document["paths"].items():
        for p in operations.get("get", {}).get("parameters", []):
            if _variants(p["schema"], defs)[0].get("type") != "integer":
                continue
            out.append((url, p["name"], "9" * 30))
            if p["name"].endswith("_id") or p["name"] == "generation":
                out.append((url, p["name"], "2147483648"))
    return out


@pytest.mark.parametrize(("url", "name", "text"), integer_parameters(), ids=lambda v: str(v)[:40])
def test_integers_beyond_the_database_are_refused_on_reads(
    world: World, sandbox: Session, url: str, name: str, text: str
) -> None:
    query = {k: v for k, v in REQUIRED_QUERY.items() if f"{{{k}}}" not in url}
    if f"{{{name}}}" in url:
        target = url.replace(f"{{{name}}}", text)
    else:
        target, query = url, {**query, name: text}
    response = world.call("GET", target, "admin", params=query)
    assert 400 <= response.status_code < 500, response.text[:500]
    _check_problem(Bad(("GET", url), "integer", name), response)
