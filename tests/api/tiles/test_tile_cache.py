"""Tiles are cached per process and cut again when the data changes; the browser revalidates
them with their ETag."""

from __future__ import annotations

import pandas as pd

from api.hotspots.service import load_events
from api.tiles.service import TILES_CACHE
from tests.api.tiles.conftest import GUANGWAI, TAIPINGQIAO, Tiles, xyz


def test_loading_new_events_changes_the_tile(tiles: Tiles) -> None:
    first = tiles.events[tiles.events.street_code == GUANGWAI].iloc[0]
    x, y = xyz(first.lon, first.lat, 15)
    url = f"/tiles/events/15/{x}/{y}.mvt"
    before = tiles.get(url, "gw")
    assert before.status_code == 200
    hits = TILES_CACHE.hits
    again = tiles.get(url, "gw")
    assert TILES_CACHE.hits == hits + 1 and again.content == before.content
    extra = pd.DataFrame([{**first.to_dict(), "event_id": "T-late"}])
    load_events(session=tiles.api.session, events=extra)
    after = tiles.get(url, "gw")
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    refs = {f["properties"]["ref"] for f in tiles.layer(url, "gw")}
    assert "T-late" in refs


def test_new_events_change_the_hotspot_counts_of_the_tile(tiles: Tiles) -> None:
    first = tiles.events[tiles.events.street_code == GUANGWAI].iloc[0]
    x, y = xyz(first.lon, first.lat, 15)
    url = f"/tiles/hotspots/15/{x}/{y}.mvt"

    def count() -> int:
        found = [f for f in tiles.layer(url, "gw") if f["properties"]["code"] == first.grid_code]
        assert len(found) == 1
        return int(found[0]["properties"]["count"])

    before = count()
    extra = pd.DataFrame([{**first.to_dict(), "event_id": f"T-more-{i}"} for i in range(3)])
    load_events(session=tiles.api.session, events=extra)
    assert count() == before + 3


def test_etag_revalidation_answers_304_and_headers_keep_tiles_private(tiles: Tiles) -> None:
    x, y = xyz(116.33, 39.89, 14)
    url = f"/tiles/streets/14/{x}/{y}.mvt"
    first = tiles.get(url, "gw")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, max-age=60"
    assert "Authorization" in first.headers["Vary"]
    again = tiles.get(url, "gw", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    other = tiles.get(url, "gw", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.content == first.content


def test_the_same_tile_differs_by_what_the_caller_may_see(tiles: Tiles) -> None:
    first = tiles.events[tiles.events.street_code == GUANGWAI].iloc[0]
    x, y = xyz(first.lon, first.lat, 15)
    url = f"/tiles/events/15/{x}/{y}.mvt"
    street_of = dict(zip(tiles.events.event_id, tiles.events.street_code, strict=True))
    gw = {f["properties"]["ref"] for f in tiles.layer(url, "gw")}
    tpq = {f["properties"]["ref"] for f in tiles.layer(url, "tpq")}  # not gw's cached tile
    assert gw and {street_of[r] for r in gw} == {GUANGWAI}
    assert {street_of[r] for r in tpq} <= {TAIPINGQIAO}
