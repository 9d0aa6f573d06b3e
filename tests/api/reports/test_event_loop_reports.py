"""Reports submitted on the event loop (the served app's path): the same answers, refusals
that write nothing, retries and photos, over real HTTP with committed users."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from sqlalchemy import text

from api.config import Settings
from geo.coords import CoordinateSystem, from_wgs84
from tests.api.served import Served
from tests.api.support import BAD_REPORTS, CENTRE, PIN, PNG, problem

CENTRE_LON, CENTRE_LAT = CENTRE


@pytest.mark.parametrize("case", sorted(BAD_REPORTS))
def test_bad_reports_write_nothing_on_the_event_loop(served: Served, case: str) -> None:
    user, body, status, field = BAD_REPORTS[case]
    before = served.counts()
    problem(served.post(user, body, key=f"bad-{uuid.uuid4().hex}"), status, field)
    assert served.counts() == before


def test_a_revoked_token_is_401_and_writes_nothing(served: Served) -> None:
    served.tokens["nobody"] = "not-a-token"
    before = served.counts()
    problem(served.post("nobody", PIN, key="k1"), 401, "authorization")
    assert served.counts() == before


# The endpoint reads its body and headers itself: malformed requests, each refused with the
# field to fix (user, raw body, headers, status, field).
MALFORMED: dict[str, tuple[str | None, bytes, dict[str, str], int, str]] = {
    "body is not JSON": ("worker-gw", b"{not json", {}, 422, "request"),
    "body is not an object": ("worker-gw", b"[1, 2]", {}, 422, "request"),
    "no body": ("worker-gw", b"", {}, 422, "request"),
    "no geometry": ("worker-gw", b'{"category": "E0401"}', {}, 422, "geometry"),
    "geometry of an unknown type": (
        "worker-gw",
        b'{"geometry": {"type": "Circle", "coordinates": [116.3, 39.9]}, "category": "E0401"}',
        {},
        422,
        "geometry",
    ),
    "accuracy out of range": (
        "worker-gw",
        json.dumps({**PIN, "accuracy_m": -1}).encode(),
        {},
        422,
        "accuracy_m",
    ),
    "idempotency key too long": (
        "worker-gw",
        json.dumps(PIN).encode(),
        {"Idempotency-Key": "k" * 129},
        422,
        "idempotency-key",
    ),
    "no token and a bad body: the token is checked first": (
        None,
        b"{not json",
        {},
        401,
        "authorization",
    ),
    "not a bearer token": (
        "worker-gw",
        json.dumps(PIN).encode(),
        {"Authorization": "Basic eDp5"},
        401,
        "authorization",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_requests_are_refused_naming_the_field(served: Served, case: str) -> None:
    user, raw, extra, status, field = MALFORMED[case]
    headers = {"Content-Type": "application/json"}
    if user:
        headers["Authorization"] = f"Bearer {served.tokens[user]}"
    headers.update(extra)
    before = served.counts()
    problem(served.client.post("/api/reports", content=raw, headers=headers), status, field)
    assert served.counts() == before


def test_a_point_is_stored_located_and_replayed_on_the_event_loop(served: Served) -> None:
    assert len(served.pool_queries()) == Settings().report_connections  # opened at start
    key = f"loop-{uuid.uuid4().hex}"
    body = {**PIN, "photos": [{"content_type": "image/png", "data": PNG}]}
    first = served.post("worker-gw", body, key=key)
    assert first.status_code == 201, first.text
    report = first.json()
    assert report["routing"]["streets"][0]["code"] == "110102020"
    assert report["replayed"] is False
    # the event-loop path wrote it, and released its connection without asyncpg's default
    # reset round trip (unlisten, unlock, reset all): the write is still its last statement
    queries = served.pool_queries()
    assert any(q.startswith("WITH who AS") for q in queries), queries
    assert not any("pg_advisory_unlock_all" in q for q in queries), queries
    after = served.counts()
    again = served.post("worker-gw", body, key=key)
    assert again.status_code == 200
    assert again.json()["id"] == report["id"] and again.json()["replayed"] is True
    assert served.counts() == after
    other = served.post("worker-gw", {**PIN, "description": "another"}, key=key)
    problem(other, 409, "idempotency_key")
    assert served.counts() == after
    with served.engine.connect() as conn:
        photo = conn.execute(
            text("SELECT content_type, size, data FROM report_photos WHERE report_id = :r"),
            {"r": report["id"]},
        ).one()
        events = conn.execute(
            text("SELECT kind, to_status FROM case_events WHERE case_id = :c ORDER BY id"),
            {"c": report["case_id"]},
        ).all()
    assert photo.content_type == "image/png"
    assert bytes(photo.data) == base64.b64decode(PNG) and photo.size == len(photo.data)
    assert [tuple(e) for e in events] == [("case:new", "new"), ("report:received", None)]


def test_a_gcj02_pin_is_stored_in_wgs84(served: Served) -> None:
    lon, lat = from_wgs84(CENTRE_LON, CENTRE_LAT, CoordinateSystem.GCJ02)
    body = {**PIN, "geometry": {"type": "Point", "coordinates": [lon, lat]}, "crs": "gcj02"}
    answer = served.post("worker-gw", body, key=f"gcj-{uuid.uuid4().hex}")
    assert answer.status_code == 201, answer.text
    with served.engine.connect() as conn:
        x, y, crs = conn.execute(
            text("SELECT ST_X(geom), ST_Y(geom), crs FROM reports WHERE id = :r"),
            {"r": answer.json()["id"]},
        ).one()
    assert crs == "gcj02"
    assert abs(x - CENTRE_LON) < 1e-5 and abs(y - CENTRE_LAT) < 1e-5


def test_pins_without_a_key_and_with_accuracy_attach_on_the_event_loop(served: Served) -> None:
    body = {**PIN, "accuracy_m": 25.5, "description": f"no key {uuid.uuid4().hex}"}
    first = served.post("worker-gw", body)
    assert first.status_code == 201, first.text
    second = served.post("worker-gw", {**body, "accuracy_m": 40})
    assert second.status_code == 201, second.text
    one, two = first.json(), second.json()
    assert one["id"] != two["id"]  # no key: two reports
    assert two["attached"] is True and two["case_id"] == one["case_id"]
    with served.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.accuracy_m, r.idempotency_key, c.report_count FROM reports r "
                "JOIN cases c ON c.id = r.case_id WHERE r.id = ANY(:ids) ORDER BY r.id"
            ),
            {"ids": [one["id"], two["id"]]},
        ).all()
    assert [(r.accuracy_m, r.idempotency_key) for r in rows] == [(25.5, None), (40.0, None)]
    assert {r.report_count for r in rows} == {2}
