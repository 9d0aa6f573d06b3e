"""What the hot spot and chief maps say about themselves: a heading (the area, the period and
filter, a link back to the viewer's page of the app), legends tied to their layers by a local
script, and one Chinese word for one thing across layers, legends and popups."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.auth.roles import Role
from api.geography.models import Chief
from api.maps.pages import LEGEND_SCRIPT
from geo import map_labels as ml
from geo.hotspot_maps import CLASS_LABELS, LAYER_GI
from tests.api.maps.conftest import tile_features, tile_urls
from tests.api.maps.page_parts import heading, legends, overlays, popup_labels, shown
from tests.api.support import issue_tokens

STREET = "110102020"  # 广安门外街道
DISTRICT = "110102"  # 西城区


def _chief(session: Session) -> Chief:
    return session.scalars(
        select(Chief).where(Chief.street_code == STREET).order_by(Chief.ref)
    ).first()  # type: ignore[return-value]


def _bounds(session: Session, code: str) -> tuple[float, float, float, float]:
    found = session.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)"
            " AS e FROM areas WHERE code = :c) x"
        ),
        {"c": code},
    ).one()
    return (float(found[0]), float(found[1]), float(found[2]), float(found[3]))


def _pages(session: Session) -> dict[str, str]:
    """Every kind of map page: the city, a district, a street and a chief's."""
    return {
        "city": "/maps/hotspots",
        "district": f"/maps/district/{DISTRICT}",
        "street": f"/maps/street/{STREET}",
        "chief": f"/maps/chief/{_chief(session).ref}",
    }


def _as(client: TestClient, url: str, token: str, **params: str) -> str:
    r = client.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.text


def test_each_map_says_what_it_shows_and_links_back_to_the_viewers_page(
    loaded: TestClient, demo_session: Session
) -> None:
    chief = _chief(demo_session)
    tokens = issue_tokens(
        demo_session,
        {
            "street": (Role.STREET, STREET),
            "district": (Role.DISTRICT, DISTRICT),
            "chief": (Role.CHIEF, chief.ref),
            "admin": (Role.ADMIN, None),
        },
    )
    window = {"window": "30d", "until": "2026-06-01T00:00:00+08:00", "category": "E0401"}
    city = heading(_as(loaded, "/maps/hotspots", tokens["admin"], **window))
    assert city.title == "全市 社区事件热点图"
    assert city.subtitle.startswith("近30天（2026-05-02 起，至 2026-06-01）")
    assert "类别：" in city.subtitle and "（E0401）" in city.subtitle
    assert (city.back_href, city.back_text) == ("/app/triage", "← 返回分拨")

    district = heading(_as(loaded, f"/maps/district/{DISTRICT}", tokens["district"]))
    assert district.title == "西城区 社区事件热点图"
    assert district.subtitle.startswith("全部时段 · 全部类别 · 共 ")
    assert district.back_href == "/app/triage"

    street = _as(loaded, f"/maps/street/{STREET}", tokens["street"])
    assert heading(street).title == "广安门外街道 网格事件热点图"
    assert "<title>广安门外街道 网格事件热点图（全部时段）" in street

    mine = heading(_as(loaded, f"/maps/chief/{chief.ref}", tokens["chief"]))
    assert chief.name in mine.title and chief.title in mine.title
    assert mine.subtitle.startswith("广安门外街道 · ")
    assert (mine.back_href, mine.back_text) == ("/app/mine", "← 返回我的上报")
    by_street = heading(_as(loaded, f"/maps/chief/{chief.ref}", tokens["street"]))
    assert by_street.title == mine.title and by_street.back_href == "/app/triage"
    # the link goes to a page the service has
    assert loaded.get("/app/triage").status_code == 200


def test_the_legend_script_is_local_and_every_legend_follows_a_layer_of_the_control(
    loaded: TestClient, demo_session: Session
) -> None:
    script = loaded.get(LEGEND_SCRIPT)
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "http" not in script.text and "eval(" not in script.text
    assert "data-layer" in script.text or "dataset.layer" in script.text
    for kind, url in _pages(demo_session).items():
        page = loaded.get(url).text
        assert f'<script defer src="{LEGEND_SCRIPT}"></script>' in page, kind
        assert not re.findall(r"https?://", page), kind
        layers = overlays(page)
        boxes = legends(page)
        assert boxes, kind
        for box in boxes:
            # tied to a layer the control lists, and titled with that layer's label
            assert box.layer in layers, (kind, box.layer, sorted(layers))
            assert box.title.split("（")[0] == box.layer.split("（")[0], (kind, box)
        tied = {box.layer for box in boxes}
        # the layers drawn in colour classes have their legend
        expected = {LAYER_GI} | ({ml.PER_KM2, ml.COUNT} if kind != "chief" else set())
        assert expected <= tied, (kind, tied)
        if kind != "chief":
            on = {name for name, var in layers.items() if shown(page, var)}
            assert ml.PER_KM2 in on and ml.COUNT not in on and ml.KDE not in on, (kind, on)


def _expected_label(field: str, rows: list[tuple[str, str]]) -> str | None:
    """The one label of a statistical property (a road's ``count`` is its load)."""
    roads = any(f == "kind_label" for f, _ in rows)
    return {
        "count": ml.ROAD_LOAD if roads else ml.COUNT,
        "per_km2": ml.PER_KM2,
        "z": ml.Z,
        "class_label": ml.GI,
        "emerging_label": ml.EMERGING,
        "code": ml.CODE,
    }.get(field)


def test_the_maps_use_one_word_for_one_thing(loaded: TestClient, demo_session: Session) -> None:
    collected: dict[str, set[str]] = {}
    titles: set[str] = set()
    layer_names: set[str] = set()
    pages = {kind: loaded.get(url).text for kind, url in _pages(demo_session).items()}
    for kind, page in pages.items():
        layer_names |= set(overlays(page))
        for box in legends(page):
            titles.add(box.title)
            if box.title == LAYER_GI:  # the classes the units' popups name
                assert box.rows == list(CLASS_LABELS.values()), (kind, box)
        for rows in popup_labels(page):
            for field, label in rows:
                expected = _expected_label(field, rows)
                if expected is not None:
                    assert label == ml.popup(expected), (kind, field, label)
                collected.setdefault(field, set()).add(label)
    everything = " ".join([*titles, *layer_names, *(x for v in collected.values() for x in v)])
    # densities are in 件/km² everywhere, and no other spelling of the same things
    assert everything.count(ml.UNIT_KM2) >= 3
    for other in ("平方公里", "km2", "Gi* 热点/冷点", "时空模式：", "30米内事件：", "Gi*："):
        assert other not in everything, other
    assert LAYER_GI in titles
    url = next(u for u in tile_urls(pages["street"]) if u.startswith("/tiles/hotspots/"))
    cells = tile_features(loaded, url, _bounds(demo_session, STREET), 14)
    popups = {f["properties"]["class_label"] for f in cells}
    assert popups and popups <= set(CLASS_LABELS.values())
    # a count's label names what is counted; the density legend says its unit
    assert collected["count"] == {ml.popup(ml.COUNT), ml.popup(ml.ROAD_LOAD)}
    assert collected["per_km2"] == {ml.popup(ml.PER_KM2)}


def test_the_city_grid_map_has_a_heading_and_a_link_back_for_every_role(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    tokens = issue_tokens(
        demo_session,
        {"department": (Role.DEPARTMENT, "110102-cgzf"), "worker": (Role.GRID_WORKER, STREET)},
    )
    admin = heading(signed_demo_client.get("/maps/city").text)
    assert admin.title == "城市网格图" and admin.back_href == "/app/triage"
    department = heading(_as(signed_demo_client, "/maps/city", tokens["department"]))
    assert (department.back_href, department.back_text) == ("/app/whistles", "← 返回吹哨看板")
    worker = heading(_as(signed_demo_client, "/maps/city", tokens["worker"]))
    assert (worker.back_href, worker.back_text) == ("/app/report", "← 返回上报")
