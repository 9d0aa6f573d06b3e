"""benchmarks/scale.py: phases from the loader's steps and the report table."""

from __future__ import annotations

from dataclasses import replace

from benchmarks.scale import (
    PAGES,
    TILE_LAYERS,
    LocateStats,
    Marks,
    Result,
    ServeStats,
    _tile_urls,
    serving_table,
    table,
)


def test_phases_run_from_each_step_to_the_next() -> None:
    marks = Marks(start=0.0)
    for message, at in [("building the beijing city", 0.0), ("validating district", 5.0),
                        ("validating grid", 6.0), ("loading catalogues", 9.0),
                        ("writing to PostGIS", 9.5)]:  # fmt: skip
        marks.steps.append((message, at))
    assert marks.phases(20.0) == {"build": 5.0, "validate": 4.0, "catalogues": 0.5, "write": 10.5}


def test_table_has_one_row_per_city_under_its_header() -> None:
    result = Result(city="beijing", counts={"district": 16, "grid": 326_824},
                    phases={"build": 60.0, "write": 200.0}, total_s=300.0, cpu_s=250.0,
                    rss_mb=2048.0, db_mb=318.0)  # fmt: skip
    lines = table([result]).splitlines()
    assert len(lines) == 3 and lines[0].split()[:2] == ["city", "districts"]
    assert lines[2].split() == ["beijing", "16", "0", "0", "326824", "60.0", "0.0", "0.0",
                                "200.0", "300.0", "250.0", "2048", "318", "-", "-", "-", "-"]  # fmt: skip
    located = replace(result, locate=LocateStats(load_s=4.0, rss_mb=900.0, p50_ms=0.05, p99_ms=0.2))
    assert table([located]).splitlines()[2].split()[-4:] == ["4.0", "900", "0.050", "0.200"]


def test_serving_table_reports_tile_latency_and_the_bytes_of_each_page() -> None:
    result = Result(city="demo", counts={}, phases={}, total_s=1.0, cpu_s=1.0, rss_mb=1.0,
                    db_mb=1.0)  # fmt: skip
    pages = dict.fromkeys(PAGES, 250_000) | {"chief": -1}
    served = replace(result, serve=ServeStats(tile_cold_p95_ms=41.25, tile_warm_p95_ms=2.04,
                                              tiles=63, page_bytes=pages, events=1200,
                                              mark_p50_ms=0.071, counting_p50_ms=28.5))  # fmt: skip
    lines = serving_table([result, served]).splitlines()
    assert lines[0].split()[:2] == ["city", "tiles"] and "chief kB" in lines[0]
    assert lines[2].split() == ["demo"] + ["-"] * (3 + len(PAGES) + 3)
    assert lines[3].split() == ["demo", "63", "41.2", "2.0", *["250"] * (len(PAGES) - 1), "-",
                                "1200", "0.07", "28.50"]  # fmt: skip


def test_tile_urls_cover_three_by_three_tiles_of_each_layer() -> None:
    urls = _tile_urls(116.33, 39.89)
    assert len(urls) == 9 * len(TILE_LAYERS)
    assert "/tiles/grid/15/26972/12418.mvt" in urls
    assert all("scope=110102020" in u for u in urls if "/events/" in u)
