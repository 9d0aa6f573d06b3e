"""benchmarks/scale.py: phases from the loader's steps, the report tables, the HTTP locates."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from benchmarks.api_load import spread_indices
from benchmarks.scale import (
    PAGES,
    TILE_LAYERS,
    HttpStats,
    LocateStats,
    Marks,
    Result,
    ServeStats,
    _tile_urls,
    exit_on_sigterm,
    http_table,
    report_verdict,
    serving_table,
    table,
    time_locates,
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


def _served(**changes: object) -> HttpStats:
    stats = HttpStats(locates=3000, locate_p50_ms=3.21, locate_p99_ms=9.876, locate_errors=0,
                      report_rate=50.0, achieved_rate=49.6, reports=950, report_p50_ms=6.04,
                      report_p99_ms=21.55, report_errors=0, integrity=True,
                      floor_p99_ms=1.42)  # fmt: skip
    return replace(stats, **changes)  # type: ignore[arg-type]


def test_http_table_prints_locate_and_report_latency_beside_the_report_target() -> None:
    result = Result(city="demo", counts={}, phases={}, total_s=1.0, cpu_s=1.0, rss_mb=1.0,
                    db_mb=1.0)  # fmt: skip
    slow = replace(result, city="beijing", http=_served(report_p99_ms=31.0, integrity=False))
    lines = http_table([result, replace(result, http=_served()), slow]).splitlines()
    assert lines[0].split()[0] == "city" and lines[0].endswith("report p99 ≤ 30 ms")
    assert lines[2].split() == ["demo"] + ["-"] * 13
    assert lines[3].split() == ["demo", "3000", "3.21", "9.88", "0", "50", "49.6", "950", "6.0",
                                "21.6", "0", "1.4", "ok", "met"]  # fmt: skip
    assert re.split(r"\s{2,}", lines[4])[-5:] == ["31.0", "0", "1.4", "FAILED", "NOT met"]
    assert lines[5] == (
        "report target (docs/benchmarks.md, api_load): p99 of first attempts ≤ 30 ms at 200 "
        "reports/s, 1 process; measured here at the offered rate above"
    )


def test_report_target_needs_the_offered_rate_the_p99_no_errors_and_integrity() -> None:
    assert report_verdict(_served()) == "met"
    assert report_verdict(_served(report_p99_ms=30.0, achieved_rate=47.5)) == "met"
    assert report_verdict(_served(report_p99_ms=30.1)) == "NOT met"
    assert report_verdict(_served(achieved_rate=47.4)) == "NOT met"
    assert report_verdict(_served(report_errors=1)) == "NOT met"
    assert report_verdict(_served(integrity=False)) == "NOT met"
    assert report_verdict(_served(report_p99_ms=float("nan"))) == "NOT met"  # none measured


def test_workers_streets_spread_over_the_whole_list() -> None:
    assert spread_indices(10, 4) == [0, 3, 6, 9]
    assert spread_indices(3, 16) == [0, 1, 2]
    assert spread_indices(5, 1) == [0] and spread_indices(5, 0) == []
    for total in range(1, 60):
        for count in range(1, total + 1):
            chosen = spread_indices(total, count)
            assert len(set(chosen)) == count and chosen == sorted(chosen)
            assert chosen[0] == 0 and (count == 1 or chosen[-1] == total - 1)


class _Locate(BaseHTTPRequestHandler):
    """Answers GET /api/locate like the service would: 200 west of 116.5°E, 422 east of it,
    401 without the token; keeps the connection open (HTTP/1.1)."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[int, str]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.client_address[1], self.path))
        query = parse_qs(urlsplit(self.path).query)
        if self.headers["Authorization"] != "Bearer t0ken":
            status = 401
        else:
            status = 200 if float(query["lon"][0]) < 116.5 else 422
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_locates_are_timed_one_at_a_time_on_one_connection_after_the_warm_up() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Locate)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Locate.seen.clear()
    points = [(116.3 + i / 1000, 39.9) for i in range(10)] + [(116.7, 39.9), (116.4, 40.0)]
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        latencies, errors, samples = time_locates(base, "t0ken", points, warmup=3)
        refused = time_locates(base, "wrong", points[:2])
    finally:
        server.shutdown()
        server.server_close()
    assert len(latencies) == 12 - 3 - 1 and all(ms > 0 for ms in latencies)
    assert errors == 1 and samples == ["/api/locate?lon=116.7000000&lat=39.9000000 -> 422: "
                                       '{"ok": true}']  # fmt: skip
    assert refused[:2] == ([], 2)
    assert len({port for port, _ in _Locate.seen[:12]}) == 1  # one keep-alive connection
    assert [path for _, path in _Locate.seen[:2]] == [
        "/api/locate?lon=116.3000000&lat=39.9000000",
        "/api/locate?lon=116.3010000&lat=39.9000000",
    ]


def test_sigterm_leaves_the_block_through_its_finally_and_the_handler_is_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    stopped = []
    with pytest.raises(SystemExit) as exited, exit_on_sigterm():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs before this returns
        finally:
            stopped.append(True)
    assert exited.value.code == 128 + signal.SIGTERM and stopped == [True]
    assert signal.getsignal(signal.SIGTERM) == before
