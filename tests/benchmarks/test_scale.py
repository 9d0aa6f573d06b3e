"""benchmarks/scale.py: phases from the loader's steps and the report table."""

from __future__ import annotations

from dataclasses import replace

from benchmarks.scale import LocateStats, Marks, Result, table


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
