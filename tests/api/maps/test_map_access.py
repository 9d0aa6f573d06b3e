"""Who may open which map (docs/roles.md): anonymous browsers go to the login page, viewers
outside a map's area get a 403, a community sees a street's raw events only inside itself, a
chief only the chief's own map and the overdue whistles along the chief's roads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.auth.roles import Role
from api.maps.analysis import NEAR_M
from api.whistles.models import Assignment
from tests.api.maps.conftest import contains, tile_features, tile_urls
from tests.api.support import Api, issue_tokens

STREET = "110102020"  # 广安门外街道
COMMUNITY = "110102020002"
CHIEF = "C110102020-01"
OTHER_CHIEF = "C110102020-03"
VIEWERS = {
    "street": (Role.STREET, STREET),
    "district": (Role.DISTRICT, "110102"),
    "other-district": (Role.DISTRICT, "110106"),
    "community": (Role.COMMUNITY, COMMUNITY),
    "department": (Role.DEPARTMENT, "110102-cgzf"),
    "worker": (Role.GRID_WORKER, STREET),
    "analyst": (Role.ANALYST, None),
    "chief": (Role.CHIEF, CHIEF),
}


def _get(client: TestClient, url: str, token: str | None) -> Any:
    """GET ``url`` with ``token`` (None: as the client is, e.g. anonymous)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, headers=headers, follow_redirects=False)


@pytest.mark.parametrize(
    "url",
    [
        "/maps/city",
        "/maps/hotspots",
        f"/maps/hotspots?street={STREET}&window=8w",
        "/maps/district/110102",
        f"/maps/street/{STREET}",
        f"/maps/chief/{CHIEF}",
    ],
)
def test_an_anonymous_browser_is_sent_to_log_in_and_back(demo_client: TestClient, url: str) -> None:
    r = _get(demo_client, url, None)
    assert r.status_code == 303
    location = urlsplit(r.headers["location"])
    assert location.path == "/app/login"
    assert parse_qs(location.query)["next"] == [url]
    unknown = _get(demo_client, url.replace("/maps/", "/maps/x/", 1), None)
    assert unknown.status_code == 404  # no route there: nothing to log in for


def test_a_wrong_token_or_cookie_is_no_login(demo_client: TestClient) -> None:
    assert _get(demo_client, "/maps/city", "not-a-token").status_code == 303
    demo_client.cookies.set("gridwhistle_token", "not-a-token")
    assert _get(demo_client, "/maps/city", None).status_code == 303


# the answer of each viewer on each map; the maps' contents are tested in the other modules
ACCESS = {
    "/maps/hotspots": {"analyst": 200},
    "/maps/district/110102": {"district": 200, "analyst": 200},
    "/maps/district/110106": {"other-district": 200, "analyst": 200},
    f"/maps/street/{STREET}": {"street": 200, "district": 200, "community": 200, "analyst": 200},
    f"/maps/hotspots?street={STREET}": {
        "street": 200,
        "district": 200,
        "community": 200,
        "analyst": 200,
    },
    "/maps/street/110102019": {"district": 200, "analyst": 200},
    f"/maps/chief/{CHIEF}": {"chief": 200, "street": 200, "district": 200, "analyst": 200},
    f"/maps/chief/{OTHER_CHIEF}": {"street": 200, "district": 200, "analyst": 200},
    "/maps/city": dict.fromkeys(VIEWERS, 200),
}


def test_each_viewer_opens_only_the_maps_of_its_area(
    demo_session: Session, signed_demo_client: TestClient
) -> None:
    tokens = issue_tokens(demo_session, VIEWERS)
    for url, opens in ACCESS.items():
        for viewer, token in tokens.items():
            r = _get(signed_demo_client, url + ("&" if "?" in url else "?") + "window=1w", token)
            expected = opens.get(viewer, 403)
            assert r.status_code == expected, (url, viewer, r.text[:200])
            if expected == 403:
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["field"] == "authorization"


def test_the_login_cookie_opens_the_maps_the_token_opens(
    demo_session: Session, signed_demo_client: TestClient
) -> None:
    issue_tokens(demo_session, {"gw": (Role.STREET, STREET)}, password="secret-password")
    client = signed_demo_client
    del client.headers["Authorization"]
    login = client.post("/api/auth/login", json={"username": "t-gw", "password": "secret-password"})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert client.cookies["gridwhistle_token"] == login.json()["token"]
    assert _get(client, f"/maps/street/{STREET}?window=1w", None).status_code == 200
    assert _get(client, "/maps/street/110102019?window=1w", None).status_code == 403
    # the cookie authorises reading pages, maps and tiles, never the JSON API
    assert client.get("/api/cases").status_code == 401
    assert client.post("/api/reports", json={}).status_code == 401


def _pins(html: str, events: pd.DataFrame) -> set[str]:
    """The events of ``events`` whose pins the page draws (by their position)."""
    return {
        code
        for code, lat, lon in zip(
            events["community_code"], events["lat"], events["lon"], strict=True
        )
        if f"[{float(lat)!r}, {float(lon)!r}, " in html
    }


def test_a_community_sees_the_streets_raw_events_only_inside_itself(
    loaded: TestClient, demo_session: Session, events: pd.DataFrame
) -> None:
    token = issue_tokens(demo_session, {"c": (Role.COMMUNITY, COMMUNITY)})["c"]
    mine = events[events["street_code"] == STREET]
    html = _get(loaded, f"/maps/street/{STREET}", token).text
    assert _pins(html, mine) == set()  # no raw positions in the page: they come as tiles
    (url,) = (u for u in tile_urls(html) if u.startswith("/tiles/events/"))
    bounds = (mine.lon.min(), mine.lat.min(), mine.lon.max(), mine.lat.max())
    seen = {f["properties"]["ref"] for f in tile_features(loaded, url, bounds, 13, token=token)}
    inside = set(mine.loc[mine["community_code"] == COMMUNITY, "event_id"])
    assert inside and seen == inside
    everyone = {f["properties"]["ref"] for f in tile_features(loaded, url, bounds, 13)}
    assert len(set(mine.loc[mine.event_id.isin(everyone), "community_code"])) > 1


def _point_near(session: Session, chief_ref: str) -> tuple[float, float]:
    lon, lat = session.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint("
            "ST_LineMerge(geom), 0.5) AS p FROM roads WHERE chief_ref = :ref "
            "AND GeometryType(ST_LineMerge(geom)) = 'LINESTRING' ORDER BY ref LIMIT 1) q"
        ),
        {"ref": chief_ref},
    ).one()
    return float(lon), float(lat)


def test_a_chief_sees_the_overdue_whistles_along_the_chiefs_roads_only(
    request: pytest.FixtureRequest,
) -> None:
    api: Api = request.getfixturevalue("api")
    api.tokens.update(issue_tokens(api.session, {"chief": (Role.CHIEF, CHIEF)}))
    on_road, elsewhere = _point_near(api.session, CHIEF), _point_near(api.session, OTHER_CHIEF)
    far = api.session.scalar(
        text(
            "SELECT min(ST_Distance(geom::geography, ST_MakePoint(:x, :y)::geography)) "
            "FROM roads WHERE chief_ref = :ref"
        ),
        {"x": elsewhere[0], "y": elsewhere[1], "ref": CHIEF},
    )
    assert far > NEAR_M + 20  # the other chief's road is not along this chief's
    labels = []
    for lon, lat in (on_road, elsewhere):
        case_id = api.call(
            "POST",
            "/api/reports",
            "worker-gw",
            json={"geometry": {"type": "Point", "coordinates": [lon, lat]}, "category": "E0303"},
        ).json()["case_id"]
        assert api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={}).status_code == 200
        labels.append(f"案件 {case_id}（E0303）")
    past = datetime.now(UTC) - timedelta(days=30)
    for assignment in api.session.scalars(select(Assignment)):
        assignment.acknowledge_due_at = past
    api.session.flush()
    url = f"/maps/chief/{CHIEF}"
    chief = api.call("GET", url, "chief").text
    assert contains(chief, labels[0]) and not contains(chief, labels[1])
    street = api.call("GET", url, "gw").text  # the street sees its overdue whistles
    assert contains(street, labels[0]) and contains(street, labels[1])
    assert api.call("GET", f"/maps/chief/{OTHER_CHIEF}", "chief").status_code == 403
