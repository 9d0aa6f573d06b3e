"""The geocoding benchmark's test set: numbers said in words, each perturbation, the table."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from benchmarks.geocode import build_queries, say_number, summary
from geo.cn_numerals import chinese_to_int

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
