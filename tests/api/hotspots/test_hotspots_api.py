"""Stored events and /api/hotspots on the demo city with the simulated year."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.hotspots.service import event_count, events_frame, load_events
from grids.demo import build_demo_city
from grids.simulate import SimulatedYear, simulate_year
from tests.api.support import Api
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


def test_window_is_the_last_days_before_until(api: Api, year: SimulatedYear) -> None:
    load_events(session=api.session, events=year.events)
    until = year.end.isoformat() + "T00:00:00+08:00"
    since = (year.end - timedelta(days=28)).isoformat() + "T00:00:00+08:00"
    params = {"level": "community", "category": "E0401"}
    by_window = api.call(
        "GET", "/api/hotspots", "analyst", params={**params, "window": "4w", "until": until}
    )
    by_dates = api.call(
        "GET", "/api/hotspots", "analyst", params={**params, "since": since, "until": until}
    )
    whole = api.call("GET", "/api/hotspots", "analyst", params={**params, "until": until})
    assert by_window.status_code == by_dates.status_code == 200, by_window.text
    assert by_window.json() == by_dates.json()
    assert 0 < by_window.json()["events"] < whole.json()["events"]


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"window": "30x"}, "30d"),
        ({"window": "0d"}, "30d"),
        ({"window": "30d", "since": "2026-01-01T00:00:00Z"}, "not both"),
    ],
)
def test_bad_window_is_a_422_naming_it(api: Api, params: dict[str, str], reason: str) -> None:
    r = api.call("GET", "/api/hotspots", "analyst", params=params)
    assert r.status_code == 422
    assert r.json()["field"] == "window" and reason in r.json()["detail"]
