"""A malformed-input campaign over the query parameters of every GET route.

The routes and their parameters come from the app's OpenAPI document (a GET route with query
parameters and no plan here fails ``test_every_query_route_is_covered``), plus Open311's
``GET requests``, whose filters the spec defines and the route reads itself. The bad values are
generated from each parameter's schema and meaning: wrong types, empty, NUL (``%00``), bytes
that are not UTF-8 (``%ff``), 60 kB (httpx sends at most 64 kB of URL), numbers out of range,
NaN and Infinity, unknown enum values, malformed boxes, dates that are not dates and reversed
ranges, a parameter given twice, a generation or street that does not exist. Each is sent by a user allowed to read the route, with the route's valid query otherwise, and
must be a 4xx problem+json naming the parameter (Open311: the spec's error list), never a 500
or a 200 that ignored it; the valid queries are answered and write nothing.

The world (users, tokens, cases, whistles, an extension) is the mutating campaign's, built once
for the module; each case runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy.orm import Session

from tests.api.test_malformed_input import (
    Bad,
    Ref,
    World,
    _check_open311,
    _check_problem,
    _variants,
    counts,
    openapi,
    sandbox,  # noqa: F401  (the module's fixtures)
    world,  # noqa: F401
)

SINCE = "2025-01-01T00:00:00+08:00"
UNTIL = "2025-03-01T00:00:00+08:00"
AS_OF = "2025-06-15T12:00:00+08:00"
BBOX = "116.30,39.87,116.35,39.91"  # 广外 and around


@dataclass(frozen=True)
class Plan:
    """Who reads a route, on what, with which valid query (every parameter given)."""

    user: str
    query: dict[str, str | Ref]
    path: dict[str, str | Ref] = field(default_factory=dict)


MAP_QUERY: dict[str, str | Ref] = {"until": UNTIL, "window": "8w", "category": "E03"}
OPEN311 = "/open311/v2/requests.{fmt}"
PLANS: dict[str, Plan] = {
    "/api/areas": Plan(
        "admin",
        {
            "level": "street",
            "bbox": BBOX,
            "generation": "1",
            "simplify_m": "3",
            "code": "110102020",
        },
    ),
    "/api/departments": Plan("admin", {"district_code": "110102"}),
    "/maps/city": Plan("admin", {"generation": "1"}),
    "/maps/hotspots": Plan("admin", {"street": "110102020", **MAP_QUERY}),
    "/maps/district/{code}": Plan("admin", MAP_QUERY, {"code": "110102"}),
    "/maps/street/{code}": Plan("admin", MAP_QUERY, {"code": "110102020"}),
    # 广外's grid cells (z14 at 116.33, 39.89) with the statistics of the street's map
    "/tiles/{layer}/{z}/{x}/{y}.mvt": Plan(
        "admin",
        {"scope": "110102020", "generation": "1", **MAP_QUERY},
        {"layer": "hotspots", "z": "14", "x": "13486", "y": "6209"},
    ),
    "/api/addresses": Plan("admin", {"street": "110102020", "q": "号", "limit": "10"}),
    "/api/audit": Plan("admin", {"kind": "login", "user": "t-gw", "limit": "10"}),
    # a few metres from 锦安路1号 of the demo register
    "/api/reverse": Plan("admin", {"lon": "116.32740", "lat": "39.89855", "crs": "wgs84"}),
    "/api/locate": Plan(
        "admin",
        {"lon": "116.3235", "lat": "39.8905", "crs": "wgs84", "accuracy_m": "5", "generation": "1"},
    ),
    "/api/cases": Plan(
        "gw",
        {
            "status": "new",
            "category": "E03",
            "street": "110102020",
            "bbox": BBOX,
            "since": SINCE,
            "until": "2035-01-01T00:00:00+08:00",
            "limit": "10",
            "offset": "0",
        },
    ),
    "/api/cases/{case_id}/duplicates": Plan("gw", {"radius_m": "100"}, {"case_id": Ref("new")}),
    "/api/whistles": Plan(
        "gw",
        {
            "overdue": "false",
            "status": "dispatched",
            "department": "110102-cgzf",
            "case_id": Ref("whistled"),
            "limit": "10",
        },
    ),
    "/api/extensions": Plan("gw", {"status": "requested", "case_id": Ref("joint"), "limit": "10"}),
    "/api/assessment/whistles/{whistle_id}": Plan(
        "admin", {"as_of": AS_OF}, {"whistle_id": Ref("whistle")}
    ),
    "/api/assessment/scoreboard": Plan(
        "admin", {"period": "2025-06", "by": "street", "as_of": AS_OF}
    ),
    "/api/callbacks": Plan("admin", {"status": "review", "limit": "10", "offset": "0"}),
    "/api/notifications": Plan("gw", {"unread": "true", "limit": "10"}),
    "/api/reports/mine": Plan("worker-gw", {"limit": "10", "offset": "0"}),
    # follow=false: the stream sends what is there after the id and ends
    "/api/events/stream": Plan("gw", {"last_event_id": "1", "follow": "false"}),
    "/api/assessment/scores": Plan(
        "admin", {"code": "110102-cgzf", "period": "2025-06", "by": "department", "as_of": AS_OF}
    ),
    "/api/assessment/should-have-whistled": Plan(
        "admin", {"window_days": "30", "min_local": "2", "as_of": AS_OF}
    ),
    "/api/hotspots": Plan(
        "admin",
        {
            "level": "community",
            "street": "110102020",
            "significant_only": "false",
            **MAP_QUERY,
        },
    ),
    # the spec's filters (read by the route itself, not declared to FastAPI)
    OPEN311: Plan(
        "admin",
        {"service_code": "E0303", "start_date": SINCE, "end_date": UNTIL, "status": "open"},
        {"fmt": "json"},
    ),
}
# Open311's parameters, as they would be declared (the spec's, all optional strings)
OPEN311_PARAMETERS = [
    {"name": name, "in": "query", "schema": {"type": "string", "format": kind}}
    for name, kind in (
        ("service_request_id", "ids"),
        ("service_code", "codes"),
        ("start_date", "date-time"),
        ("end_date", "date-time"),
        ("status", "statuses"),
    )
]
# a parameter the one changed excludes (window= or since=; "*": Open311 ignores every other
# filter when given service_request_id)
EXCLUSIVE = {"since": "window", "window": "since", "service_request_id": "*"}
# a second valid value for a repeated parameter, where the schema gives none
SECOND = {
    "bbox": "116.31,39.88,116.34,39.90",
    "code": "110102021",
    "district_code": "110106",
    "street": "110106002",
    "category": "E04",
    "status": "whistled",
    "department": "110106-cgzf",
    "window": "4w",
    "period": "2025-05",
    "service_code": "E0101",
}


# ---------------------------------------------------------------- the bad queries


@dataclass(frozen=True)
class BadQuery:
    """One malformed query: changes to the route's valid one, and the parameter to name.

    Values are query-string text, percent-encoded already (``a%00b``); a tuple repeats the
    parameter; None leaves it out."""

    url: str
    name: str
    expect: str
    changes: tuple[tuple[str, str | tuple[str, ...] | None], ...]

    @property
    def id(self) -> str:
        return f"{self.url} | {self.name}"


def _text(value: str) -> str:
    return quote(value, safe=",:")


def query_routes() -> dict[str, list[dict[str, Any]]]:
    """Every GET route with query parameters: its parameters (Open311's from the spec)."""
    out = {
        # Open311's api_key is a credential, not a filter (tests/api/open311 try it)
        url: [
            p
            for p in operations["get"].get("parameters", [])
            if p["in"] == "query" and p["name"] != "api_key"
        ]
        for url, operations in openapi()["paths"].items()
        if "get" in operations
    }
    out = {url: parameters for url, parameters in out.items() if parameters}
    out[OPEN311] = OPEN311_PARAMETERS
    return out


def _param_cases(url: str, parameter: dict[str, Any], valid: str | Ref) -> Iterator[BadQuery]:
    """Bad values of one parameter, from its schema (the other parameters stay valid)."""
    defs = openapi()["components"]["schemas"]
    schema, _nullable = _variants(parameter["schema"], defs)
    name = parameter["name"]
    kind, fmt = schema.get("type"), schema.get("format")
    shown = valid if isinstance(valid, str) else "1"

    def bad(label: str, *texts: str | None, expect: str = name, **more: str | None) -> BadQuery:
        value = texts[0] if len(texts) == 1 else tuple(t or "" for t in texts)
        changes: dict[str, str | tuple[str, ...] | None] = {name: value, **more}
        for partner in [EXCLUSIVE.get(k) for k in changes]:
            if partner and partner != "*" and partner not in changes:
                changes[partner] = None
        return BadQuery(url, f"{name}: {label}", expect, tuple(changes.items()))

    yield bad("a NUL character", _text(shown) + "%00")
    if url == OPEN311 and fmt in ("ids", "codes"):
        return  # opaque to the spec: a value that names nothing matches nothing (ACCEPTED)
    if parameter.get("required"):
        yield bad("missing", None)
    if url != OPEN311:  # Open311 leaves empty fields out and takes a repeated one as a list
        yield bad("empty", "")
        yield bad("given twice", _text(shown), _text(_second(name, schema, shown)))
    yield bad("not UTF-8 (%ff)", _text(shown) + "%ff")
    yield bad("60 kB", "x" * 60_000)  # (httpx sends at most 64 kB of URL)
    if "enum" in schema:
        yield bad("unknown value", "no-such-value")
        yield bad("in capitals", _text(shown.upper()))
    if "pattern" in schema:
        yield bad("not the pattern", "abc")
        if re.search(schema["pattern"], shown + "1") is None:  # a code of fixed length
            yield bad("one digit more", _text(shown) + "1")
        yield bad("other scripts' digits", _text("١" * len(shown)))
    if kind in ("integer", "number"):
        for text in ("twelve", "0x10", "nan", "NaN", "inf", "-Infinity", "1e400", "9" * 30):
            yield bad(text[:12], text)
        if kind == "integer":
            yield bad("a fraction", "1.5")
        if "maximum" in schema:
            yield bad("above the maximum", _number(schema["maximum"], +1, kind))
        for bound in ("minimum", "exclusiveMinimum"):
            if bound in schema:
                yield bad(f"at or below the {bound}", _number(schema[bound], -1, kind))
    elif kind == "boolean":
        for text in ("maybe", "2", "-1"):
            yield bad(text, text)
    if fmt == "date-time":
        # pydantic reads digits as Unix seconds (20250101 would be 1970-08-23), so the API
        # refuses them; Open311's parser reads 20250101 as ISO 8601's basic format, 2025-01-01
        numbers = ["20250101", "1700000000"] if url != OPEN311 else []
        for text in (
            *numbers,
            "yesterday",
            "2025-13-01",
            "2025-02-30T00:00:00",
            "2025-01-01T25:00:00",
            "2025-01-01T00:00:00+25:00",
            "nan",
        ):
            yield bad(repr(text), _text(text))
    yield from _semantic_cases(url, name, bad)


def _number(bound: float, step: int, kind: str) -> str:
    value = bound + step
    return str(int(value)) if kind == "integer" else str(value)


def _second(name: str, schema: dict[str, Any], shown: str) -> str:
    """Another valid value of a parameter (for giving it twice)."""
    if "enum" in schema:
        return next(v for v in schema["enum"] if v != shown)
    kind = schema.get("type")
    if kind == "boolean":
        return "true" if shown == "false" else "false"
    if kind == "integer":
        return str(int(shown) + 1) if int(shown) < schema.get("maximum", 2**31) else "1"
    if kind == "number":
        return str(float(shown) / 2)
    if schema.get("format") == "date-time":
        return shown.replace("-01T", "-02T").replace("-15T", "-16T")
    return SECOND.get(name, shown)


def _semantic_cases(url: str, name: str, bad: Any) -> Iterator[BadQuery]:
    """Values of the right type that mean nothing (or something else) for this parameter."""
    if name == "bbox":
        for label, text in (
            ("three numbers", "116.30,39.87,116.35"),
            ("five numbers", f"{BBOX},1"),
            ("not numbers", "a,b,c,d"),
            ("spaces for commas", BBOX.replace(",", " ")),
            ("min > max", "116.35,39.91,116.30,39.87"),
            ("a point", "116.30,39.87,116.30,39.87"),
            ("latitude beyond 90", "116.30,-95,116.35,95"),
            ("longitude beyond 180", "-190,39.87,190,39.91"),
            ("NaN", "nan,39.87,116.35,39.91"),
            ("Infinity", "-inf,39.87,inf,39.91"),
        ):
            yield bad(label, _text(text))
    elif name == "window":
        for text in ("0d", "30", "d", "-3d", "1.5d", "30x", "3 d", "99999d", "30d\n", "٣٠d"):
            yield bad(repr(text), _text(text))
        yield bad("reaching back before year 1", "9999y")
        yield bad("ending in year 1", "30d", until="0001-01-02T00:00:00Z")
        yield bad("with since=", "8w", expect="window", since=_text(SINCE))
    elif name == "period":
        for text in (
            "2025-13",
            "2025-00",
            "2025-1",
            "0000",
            "9999-12",
            "99999",
            "june",
            "2025-06-01",
        ):
            yield bad(repr(text), _text(text))
    elif name == "code" and url == "/api/areas":
        yield bad("not digits", "1101o2020")
        yield bad("16 digits", "1" * 16)
        yield bad("101 codes", ",".join(["110102020"] * 101))
        yield bad("only commas", ",,")
    elif name == "category":
        for label, text in (
            ("a LIKE wildcard", "E%"),
            ("a LIKE underscore", "E_3"),
            ("lower case", "e03"),
            ("not a code", "rubbish"),
        ):
            yield bad(label, _text(text))
    elif name in ("street", "district_code", "department"):
        yield bad("not a code", "abc")
        yield bad("a code and more", _text("110102020 OR 1=1"))
        if url in ("/maps/hotspots", "/api/hotspots"):  # the scope of the map or statistics
            yield bad("names no street", "110102999")
    elif name == "scope":
        yield bad("a community code", "110102020001")
        yield bad("names no street", "110102999")
    elif name == "status":
        yield bad("unknown", "no-such-status")
        yield bad("two, comma separated", "new,closed" if url != OPEN311 else "open,closed,x")
    elif name == "generation":
        yield bad("one that does not exist", "987654")
    elif name == "crs":
        for text in ("EPSG:4326", "mars", "4326"):
            yield bad(repr(text), _text(text))
    if name == "until":
        yield bad("before since", _text(SINCE), since=_text(UNTIL))
        yield bad("before a since without offset", _text(SINCE), since=UNTIL[:19])
    elif name == "end_date":
        yield bad("before start_date", _text(SINCE), start_date=_text(UNTIL))
        yield bad("more than 90 days after start_date", "2025-06-01T00:00:00Z")
    elif name == "as_of" and url.endswith("/should-have-whistled"):
        yield bad("a window reaching back before year 1", "0001-01-01T00:00:00Z")


@cache
def all_bad() -> tuple[BadQuery, ...]:
    """Every bad query of every GET route with query parameters."""
    out: list[BadQuery] = []
    for url, parameters in sorted(query_routes().items()):
        if url not in PLANS:
            continue
        plan = PLANS[url]
        for parameter in parameters:
            name = parameter["name"]
            out.extend(_param_cases(url, parameter, plan.query.get(name, SECOND.get(name, "1"))))
    return tuple(out)


def test_every_query_route_is_covered() -> None:
    routes = query_routes()
    assert len(routes) > 10, "the OpenAPI document lists too few GET routes with a query"
    assert set(PLANS) == set(routes), (
        f"routes without a plan: {sorted(set(routes) - set(PLANS))}; "
        f"plans without a route: {sorted(set(PLANS) - set(routes))}"
    )
    for url, parameters in routes.items():
        declared = {p["name"] for p in parameters}
        assert set(PLANS[url].query) <= declared, url
        named = {bad.changes[0][0] for bad in all_bad() if bad.url == url}
        assert named == declared, (url, declared - named)


# ---------------------------------------------------------------- the campaign


@pytest.fixture(scope="module")
def ids(world: World) -> dict[str, Any]:  # noqa: F811
    """The world's ids, a whistle's (for its assessment) and an Open311 api_key (for reads)."""
    detail = world.ok("GET", f"/api/cases/{world.ids['joint']}", "gw")
    return {**world.ids, "whistle": detail["whistles"][0]["id"], "api_key": world.tokens["admin"]}


def url_of(url: str, ids: dict[str, Any], changes: dict[str, Any] | None = None) -> str:
    """The route's valid request with ``changes`` (percent-encoded text) applied."""
    plan = PLANS[url]
    path = {k: v if isinstance(v, str) else str(ids[v.name]) for k, v in plan.path.items()}
    values: dict[str, Any] = {
        k: _text(v) if isinstance(v, str) else str(ids[v.name]) for k, v in plan.query.items()
    }
    for name, value in (changes or {}).items():
        if EXCLUSIVE.get(name) == "*":
            values = {}
        values[name] = value
    if url == OPEN311:  # Open311 reads take the api_key in the query
        values["api_key"] = ids["api_key"]
    pairs = [
        f"{_text(k)}={text}"
        for k, v in values.items()
        if v is not None
        for text in (v if isinstance(v, tuple) else (v,))
    ]
    return url.format(**path) + "?" + "&".join(pairs)


@pytest.mark.parametrize("url", sorted(PLANS))
def test_the_valid_query_of_each_route_is_answered_and_writes_nothing(
    world: World,  # noqa: F811
    sandbox: Session,  # noqa: F811
    ids: dict[str, Any],
    url: str,
) -> None:
    """The baseline: the plan's query is answered (so the refusals below come from the bad
    value, not the user or the other parameters), and a read writes no row."""
    before = counts(sandbox)
    response = world.call("GET", url_of(url, ids), PLANS[url].user)
    assert response.status_code == 200, response.text[:500]
    assert counts(sandbox) == before, f"GET {url} wrote rows"


@pytest.mark.parametrize("bad", all_bad(), ids=lambda bad: bad.id)
def test_malformed_query_is_a_4xx_naming_the_parameter(
    world: World,  # noqa: F811
    sandbox: Session,  # noqa: F811
    ids: dict[str, Any],
    bad: BadQuery,
) -> None:
    response = world.call("GET", url_of(bad.url, ids, dict(bad.changes)), PLANS[bad.url].user)
    assert 400 <= response.status_code < 500, (
        f"{bad.id}: {response.status_code} {response.text[:500]}"
    )
    check = Bad(("GET", bad.url), bad.name, bad.expect)
    if bad.url.startswith("/open311/"):
        _check_open311(check, response)
    else:
        _check_problem(check, response)


# odd values that are answered, by choice (so that the refusals above stay refusals of bad
# input and do not spread to meaningful queries)
ACCEPTED: list[tuple[str, str, dict[str, str | tuple[str, ...] | None]]] = [
    (
        "a well-formed street that names nothing matches nothing",
        "/api/cases",
        {"street": "110102999"},
    ),
    ("a well-formed district likewise", "/api/departments", {"district_code": "999999"}),
    ("a category group takes its sub-categories", "/api/hotspots", {"category": "E04"}),
    ("a date without a time is its midnight", "/api/cases", {"since": "2025-01-01"}),
    ("since in year 1: everything since", "/api/cases", {"since": "0001-01-01T00:00:00Z"}),
    (
        "until equal to since: an empty window",
        "/api/cases",
        {"since": _text(UNTIL), "until": _text(UNTIL)},
    ),
    (
        "as_of in year 1: nothing was due yet",
        "/api/assessment/scoreboard",
        {"as_of": "0001-01-01T00:00:00Z"},
    ),
    (
        "Open311: an id that names nothing (ids are the spec's opaque strings)",
        OPEN311,
        {"service_request_id": "abc"},
    ),
    ("Open311: a superscript digit names nothing", OPEN311, {"service_request_id": _text("²")}),
    (
        "Open311: an id of 60,000 digits names nothing",
        OPEN311,
        {"service_request_id": "9" * 60_000},
    ),
    ("Open311: a service code that names nothing", OPEN311, {"service_code": "Z9999"}),
    ("Open311: an empty field is left out, as in its form", OPEN311, {"status": ""}),
    ("Open311: a repeated filter is a list", OPEN311, {"service_code": ("E0101", "E0303")}),
    ("Open311: ISO 8601's basic format", OPEN311, {"start_date": "20250101", "end_date": None}),
]


@pytest.mark.parametrize(("why", "url", "changes"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_odd_but_meaningful_values_are_answered(
    world: World,  # noqa: F811
    sandbox: Session,  # noqa: F811
    ids: dict[str, Any],
    why: str,
    url: str,
    changes: dict[str, str | tuple[str, ...] | None],
) -> None:
    response = world.call("GET", url_of(url, ids, changes), PLANS[url].user)
    assert response.status_code == 200, f"{why}: {response.text[:500]}"
