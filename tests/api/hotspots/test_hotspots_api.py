"""Stored events and /api/hotspots on the demo city with the simulated year."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.hotspots.service import event_count, events_frame, load_events
from geo.simulate import SimulatedYear, simulate_year
from grids.demo import build_demo_city
from tests.api.lifecycle.conftest import Api
from tests.conftest import TEST_CELL_AREA_M2


@pytest.fixture(scope="module")
def year() -> SimulatedYear:
    # the same deterministic city the demo database holds, so the codes match
    return simulate_year(build_demo_city(cell_area_m2=TEST_CELL_AREA_M2), seed=2026)


def test_events_load_and_read_back_exactly(api: Api, year: SimulatedYear) -> None:
    load_events(session=api.session, events=year.events)
    assert event_count(session=api.session) == len(year.events)
    back = events_frame(session=api.session, category="E0401")
    expected = year.events[year.events["category"].str.startswith("E0401")]
    assert len(back) == len(expected)
    assert set(back["event_id"]) == set(expected["event_id"])
    assert (back["grid_code"] != "").all()


def test_planted_intensifying_community_is_hot_and_far_background_is_not(
    api: Api, year: SimulatedYear
) -> None:
    load_events(session=api.session, events=year.events)
    truth = next(p for p in year.truth if p.kind == "intensifying")
    since = (year.end - timedelta(days=90)).isoformat()
    r = api.call(
        "GET",
        "/api/hotspots",
        "analyst",
        params={"level": "community", "category": truth.category, "since": since},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    classes = {f["properties"]["code"]: f["properties"]["class"] for f in body["features"]}
    community = truth.area_code if len(truth.area_code) == 12 else truth.cells[0][:12]
    assert classes[community].startswith("hot")
    hot = [c for c, k in classes.items() if k.startswith("hot")]
    assert len(hot) <= 0.05 * len(classes)


def test_grid_level_needs_a_street_or_significant_only(api: Api) -> None:
    r = api.call("GET", "/api/hotspots", "analyst", params={"level": "grid"})
    assert r.status_code == 422 and r.json()["field"] == "street"
    r = api.call("GET", "/api/hotspots", "analyst", params={"level": "grid", "street": "110102020"})
    assert r.status_code == 200
    assert all(f["properties"]["code"].startswith("110102020") for f in r.json()["features"])
    assert api.call("GET", "/api/hotspots", None).status_code == 401
