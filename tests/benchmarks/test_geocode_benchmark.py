"""The geocoding benchmark's test set: numbers said in words, each perturbation, the table,
the comparison with jionlp (on a few strings)."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pytest

from benchmarks.geocode import (
    Query,
    build_queries,
    compare,
    jionlp_parser,
    run,
    say_number,
    summary,
    throughput_line,
)
from geo.cn_numerals import chinese_to_int
from geo.geocode import Geocoder

NAMES = {"110102": "西城区", "110102020": "广安门外街道"}


def _row(text: str, **parts: object) -> dict[str, object]:
    return {"id": text, "text": text, "kind": "plate", "road": "", "name": "", "lon": 116.39,
            "lat": 39.91, "street_code": "110102020", "district_code": "110102", **parts}  # fmt: skip


@pytest.mark.parametrize(("n", "words"), [(3, "三"), (10, "十"), (15, "十五"), (20, "二十"),
                                          (105, "一百零五"), (110, "一百一十"), (999, "九百九十九")])  # fmt: skip
def test_numbers_said_as_callers_say_them(n: int, words: str) -> None:
    assert say_number(n) == words


def test_every_number_said_reads_back() -> None:
    assert all(chinese_to_int(say_number(n)) == n for n in range(1, 1000))


def test_each_query_is_one_perturbation_of_its_entry() -> None:
    register = pd.DataFrame(
        [_row(f"嘉泰大街{n}号", road="嘉泰大街", number=n) for n in range(1, 19)]
        + [_row("翠安家园3号楼", kind="building", name="翠安家园", building=3)]
    )
    queries = build_queries(register, NAMES, n=len(register), seed=1)
    by_kind = {q.perturbation: q for q in queries}
    assert set(by_kind) == {"exact", "full_prefix", "dropped_district", "abbreviation",
                            "chinese_numbers", "yuan_variant", "typo", "typo_bare", "noise"}  # fmt: skip
    assert by_kind["full_prefix"].text.startswith("西城区广安门外街道")
    assert by_kind["abbreviation"].text.startswith("广外")
    assert not re.search(r"\d", by_kind["chinese_numbers"].text)
    assert by_kind["noise"].text.startswith("北京市")
    typo = by_kind["typo_bare"].text
    assert typo not in set(register["text"]) and len(typo) == len(_source(register, typo))


def _source(register: pd.DataFrame, typo: str) -> str:
    """The register text that differs from ``typo`` in exactly one character."""
    same = [t for t in register["text"] if len(t) == len(typo)
            and sum(a != b for a, b in zip(t, typo, strict=True)) == 1]  # fmt: skip
    assert len(same) >= 1
    return str(same[0])


def test_the_table_counts_hits_and_statuses() -> None:
    frame = pd.DataFrame({
        "perturbation": ["exact", "exact", "typo_bare", "typo_bare"],
        "status": ["matched", "matched", "unknown", "ambiguous"],
        "top1": [True, True, False, False], "top3": [True, True, False, True],
        "seconds": [0.001, 0.003, 0.002, 0.002], "text": ["a", "b", "c", "d"],
    })  # fmt: skip
    table = summary(frame)
    assert table.loc["exact", "top1_50m_%"] == 100.0
    assert table.loc["typo_bare", "top3_50m_%"] == 50.0
    assert table.loc["all", "unknown_%"] == 25.0
    assert table.loc["all", "addresses_per_s"] == pytest.approx(4 / 0.008)
    assert table.loc["all but typo_bare", "queries"] == 2


def _plates() -> pd.DataFrame:
    return pd.DataFrame([_row(f"嘉泰大街{n}号", road="嘉泰大街", number=n, lon=116.39 + n * 1e-4,
                              community_code="110102020001", grid_code="110102020001001")
                         for n in range(1, 10)])  # fmt: skip


def test_run_says_whether_the_first_candidate_is_in_the_right_district_and_street() -> None:
    geocoder = Geocoder(_plates(), area_names=NAMES)
    queries = [Query("嘉泰大街3号", 116.3903, 39.91, "exact", "110102", "110102020"),
               Query("嘉泰大街3号", 116.3903, 39.91, "exact", "110106", "110106002"),
               Query("上海市南京东路1号", 121.48, 31.24, "noise", "110102", "110102020")]  # fmt: skip
    frame = run(queries, geocoder)
    assert frame["district"].tolist() == [True, False, False]
    assert frame["street"].tolist() == [True, False, False]
    assert frame["top1"].tolist() == [True, True, False]


def test_the_comparison_counts_jionlps_county_and_town_against_the_truth() -> None:
    queries = [Query("西城区广安门外街道嘉泰大街1号", 0, 0, "full_prefix", "110102", "110102020"),
               Query("嘉泰大街2号", 0, 0, "exact", "110102", "110102020")]  # fmt: skip
    answers: dict[str, Mapping[str, Any]] = {queries[0].text: {"county": "西城区", "town": "广安门外街道"},
               queries[1].text: {"county": "广安区", "town": None}}  # fmt: skip

    def parse(text: str) -> Mapping[str, Any]:
        return answers[text]

    ours = pd.DataFrame({"district": [True, True], "street": [False, True],
                         "seconds": [0.001, 0.003]})  # fmt: skip
    table, seconds = compare(queries, ours, parse, NAMES)
    assert table.loc["full_prefix", "jionlp_district_%"] == 100.0
    assert table.loc["exact", "jionlp_street_%"] == 0.0
    assert table.loc["all", "jionlp_district_%"] == 50.0
    assert table.loc["all", "ours_street_%"] == 50.0
    assert seconds >= 0.0
    # 2 strings in 4 ms is 500/s; jionlp's 2 in 40 ms 50/s: ten times
    assert throughput_line(ours, 2, 0.04).endswith("500 addresses/s against "
                                                   "jionlp.parse_location's 50 (10.0×)")  # fmt: skip


def test_without_jionlp_the_comparison_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "jionlp", None)  # import jionlp raises ImportError
    parse, why = jionlp_parser()
    assert parse is None
    assert "jionlp is not importable" in why


def test_jionlp_runs_on_a_few_strings_beside_the_geocoder() -> None:
    pytest.importorskip("jionlp")
    parse, why = jionlp_parser()
    assert parse is not None, why
    geocoder = Geocoder(_plates(), area_names=NAMES)
    queries = [Query("西城区广安门外街道嘉泰大街3号", 116.3903, 39.91, "full_prefix", "110102",
                     "110102020"),
               Query("嘉泰大街3号", 116.3903, 39.91, "exact", "110102", "110102020")]  # fmt: skip
    table, _ = compare(queries, run(queries, geocoder), parse, NAMES)
    # ours from the register; jionlp's is whatever it reads (it takes 西城区广安门外… for
    # 四川省广安市), a share all the same
    assert (table[["ours_district_%", "ours_street_%"]] == 100.0).all().all()
    assert table[["jionlp_district_%", "jionlp_street_%"]].isin([0.0, 50.0, 100.0]).all().all()
