"""The per-process map cache: hits, what invalidates an entry, and what (honestly) does not."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.geography.models import Area, Chief, Generation, LandUseZone, Road
from api.geography.service import active_generation
from api.hotspots.service import load_events
from api.maps.cache import MAPS_CACHE, DataVersion, MapCache
from tests.api.maps.conftest import contains
from tests.api.maps.page_parts import heading

STREET = "110102020"
VERSION = DataVersion("db", 1, 10)


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_hit_needs_the_same_key_the_same_version_and_a_fresh_entry() -> None:
    clock = Clock()
    cache = MapCache(max_entries=2, max_age_s=60, clock=clock)
    calls: list[str] = []

    def compute(label: str) -> str:
        calls.append(label)
        return label

    assert cache.get("a", VERSION, lambda: compute("a1")) == "a1"
    assert cache.get("a", VERSION, lambda: compute("a2")) == "a1"  # hit
    newer = DataVersion("db", 1, 11)  # one more event
    assert cache.get("a", newer, lambda: compute("a3")) == "a3"
    other_db = DataVersion("other", 1, 11)
    assert cache.get("a", other_db, lambda: compute("a4")) == "a4"
    clock.now = 61.0  # too old
    assert cache.get("a", other_db, lambda: compute("a5")) == "a5"
    assert (cache.hits, cache.misses) == (1, 4)
    cache.get("b", VERSION, lambda: compute("b1"))
    cache.get("c", VERSION, lambda: compute("c1"))  # evicts the least recently used: a
    assert len(cache) == 2
    assert cache.get("a", other_db, lambda: compute("a6")) == "a6"
    assert calls == ["a1", "a3", "a4", "a5", "b1", "c1", "a6"]


def test_a_byte_budget_drops_the_least_recently_used_values() -> None:
    cache = MapCache(max_entries=10, max_bytes=100)
    cache.get("a", VERSION, lambda: b"a" * 40)
    cache.get("b", VERSION, lambda: b"b" * 40)
    assert cache.bytes == 80 and len(cache) == 2
    cache.get("a", VERSION, lambda: b"")  # a hit: "a" is now the most recently used
    cache.get("c", VERSION, lambda: b"c" * 40)  # 120 bytes: "b" goes
    assert cache.bytes == 80
    assert cache.get("b", VERSION, lambda: b"B" * 10) == b"B" * 10  # computed again
    assert cache.get("a", VERSION, lambda: b"") == b"a" * 40
    newer = DataVersion("db", 1, 11)
    cache.get("a", newer, lambda: b"A" * 5)  # replaced in place: its old bytes leave
    assert cache.bytes == 40 + 10 + 5
    cache.get("huge", VERSION, lambda: b"h" * 500)  # larger than the whole budget: not kept
    assert cache.bytes == 55 and len(cache) == 3


@pytest.fixture
def cache() -> Iterator[MapCache]:
    MAPS_CACHE.clear()
    yield MAPS_CACHE
    MAPS_CACHE.clear()


def _without_ids(html: str) -> str:
    return re.sub(r"_[0-9a-f]{32}", "_", html)


def _event_count(html: str) -> int:
    """The number of events the page's heading counts (共 N 件事件)."""
    found = re.search(r"共 ([\d,]+) 件事件", heading(html).subtitle)
    assert found is not None
    return int(found.group(1).replace(",", ""))


def test_warm_pages_come_from_the_cache_until_an_event_arrives(
    loaded: TestClient, demo_session: Session, events: pd.DataFrame, cache: MapCache
) -> None:
    url = f"/maps/street/{STREET}"
    cold = loaded.get(url).text
    warm = loaded.get(url).text
    assert (cache.hits, cache.misses) == (1, 1)
    assert _without_ids(warm) == _without_ids(cold)
    before = _event_count(warm)
    one = events[events["street_code"] == STREET].head(1).assign(event_id="TEST-CACHE-1")
    load_events(session=demo_session, events=one)
    fresh = loaded.get(url).text
    assert cache.misses == 2
    assert _event_count(fresh) == before + 1


def test_a_new_generation_invalidates_but_an_in_place_edit_does_not(
    loaded: TestClient, demo_session: Session, cache: MapCache
) -> None:
    url = f"/maps/street/{STREET}"
    # the district's outline is drawn from the cached statistics (the heading's name is not)
    district = demo_session.scalars(
        select(Area).where(Area.level == "district", Area.code == STREET[:6])
    ).first()
    assert district is not None
    old_name = district.name
    assert contains(loaded.get(url).text, old_name)
    district.name = "缓存测试区"
    demo_session.flush()
    # an edit in place is not how geography changes (imports make generations): not seen
    stale = loaded.get(url).text
    assert cache.hits == 1
    assert contains(stale, old_name) and not contains(stale, "缓存测试区")
    # a new generation that carries every area, road and chief over is seen at once
    gen = active_generation(session=demo_session)
    new = Generation(description="cache test", levels="")
    demo_session.add(new)
    demo_session.flush()
    for model in (Area, Road, Chief, LandUseZone):
        demo_session.execute(
            update(model).where(model.generation_high == gen).values(generation_high=new.id)
        )
    demo_session.flush()
    assert active_generation(session=demo_session) == new.id
    fresh = loaded.get(url).text
    assert cache.misses == 2
    assert contains(fresh, "缓存测试区")
