"""The shipped complaint corpus and keyword lists, and what their readers refuse."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from geo.classify import keyword_hits, read_corpus, read_keywords, read_training_data
from geo.datafile import DataFileError

DATA = Path(__file__).resolve().parents[2] / "data"
SUBS = {"E0101": "暴露垃圾", "E0404": "乱停车", "C0101": "井盖缺失", "C0102": "井盖破损"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped files -------------------------------------------------------------------------


def test_every_sub_category_has_at_least_30_sentences_and_only_known_codes() -> None:
    data = read_training_data(DATA)
    counts = Counter(item.category for item in data.corpus)
    assert set(counts) == set(data.categories)
    assert min(counts.values()) >= 30, counts.most_common()[-3:]
    assert len(data.categories) == 34  # the rows of categories.csv with a parent_code


def test_the_corpus_is_sorted_by_category_and_varied() -> None:
    with (DATA / "complaints" / "corpus.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    codes = [row["category"] for row in rows]
    assert codes == sorted(codes)
    lengths = [len(row["text"]) for row in rows]
    assert min(lengths) <= 4 and max(lengths) >= 30  # some terse calls, some long ones
    openings = Counter(row["text"][:4] for row in rows)
    assert openings.most_common(1)[0][1] < len(rows) * 0.05  # no template opening


def test_every_sub_category_has_keywords() -> None:
    data = read_training_data(DATA)
    assert set(data.keywords) == set(data.categories)


# --- the corpus reader -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "line", "field", "text"),
    [
        ("井盖没了,C9999\n", 2, "category", "unknown sub-category 'C9999'"),
        ("井盖没了,C01\n", 2, "category", "unknown sub-category 'C01'"),
        ("井盖没了,\n", 2, "category", "empty category code"),
        ("井盖没了,C0101\n  ,C0101\n", 3, "text", "empty sentence"),
        (
            "井盖没了,C0101\n路灯坏了,C0103\n井盖没了 ,C0102\n",
            4,
            "text",
            "the same sentence as line 2",
        ),
    ],
    ids=["unknown-code", "parent-code", "empty-code", "empty-text", "duplicate-text"],
)
def test_a_bad_corpus_row_is_refused(
    tmp_path: Path, rows: str, line: int, field: str, text: str
) -> None:
    path = write(tmp_path, "corpus.csv", "text,category\n" + rows)
    with pytest.raises(DataFileError) as info:
        read_corpus(path, categories={**SUBS, "C0103": "路灯不亮"})
    assert (info.value.source, info.value.line, info.value.column) == ("corpus.csv", line, field)
    assert f"corpus.csv line {line}, column {field}: {text}" in str(info.value)


def test_a_corpus_without_its_category_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "corpus.csv", "text,code\n井盖没了,C0101\n")
    with pytest.raises(DataFileError) as info:
        read_corpus(path, categories=SUBS)
    # the column written instead is named first (a misspelt column is the usual cause)
    assert (info.value.line, info.value.column) == (1, "code")
    assert "unknown column 'code'" in str(info.value)
    path = write(tmp_path, "corpus.csv", "text\n井盖没了\n")
    with pytest.raises(DataFileError) as info:
        read_corpus(path, categories=SUBS)
    assert (info.value.line, info.value.column) == (1, "category")


# --- the keywords reader -----------------------------------------------------------------------

HEADER = "category,keyword,synonyms\n"


@pytest.mark.parametrize(
    ("rows", "line", "field", "text"),
    [
        ("E0101,乱扔垃圾,\nE9999,井盖,\n", 3, "category", "unknown sub-category 'E9999'"),
        ("E01,垃圾,\n", 2, "category", "unknown sub-category 'E01'"),
        (",垃圾,\n", 2, "category", "empty category code"),
        ("E0101,乱扔垃圾,\n# a comment\nE0101, ,扔垃圾\n", 4, "keyword", "empty keyword"),
        ("E0101,乱扔垃圾,\nE0101,乱扔垃圾,丢垃圾\n", 3, "keyword", "'乱扔垃圾' is already listed"),
        (
            "E0101,乱扔垃圾,丢垃圾\nE0101,垃圾袋,饭盒、丢垃圾\n",
            3,
            "synonyms",
            "'丢垃圾' is already",
        ),
        ("E0101,乱扔垃圾,扔垃圾 扔垃圾\n", 2, "synonyms", "'扔垃圾' is already listed for E0101"),
    ],
    ids=[
        "unknown-code",
        "parent-code",
        "empty-code",
        "empty-keyword-after-comment",
        "duplicate-row",
        "duplicate-synonym",
        "synonym-twice-in-a-row",
    ],
)
def test_a_bad_keyword_row_is_refused(
    tmp_path: Path, rows: str, line: int, field: str, text: str
) -> None:
    path = write(tmp_path, "keywords.csv", HEADER + rows)
    with pytest.raises(DataFileError) as info:
        read_keywords(path, categories=SUBS)
    assert (info.value.source, info.value.line, info.value.column) == ("keywords.csv", line, field)
    assert f"keywords.csv line {line}, column {field}: {text}" in str(info.value)


def test_an_unknown_keywords_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "keywords.csv", "category,keyword,weight\nE0101,垃圾,2\n")
    with pytest.raises(DataFileError) as info:
        read_keywords(path, categories=SUBS)
    assert (info.value.line, info.value.column) == (1, "weight")


def test_the_same_word_may_serve_two_categories_and_synonyms_are_optional(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "keywords.csv",
        "category,keyword\nC0101,井盖没了\nC0102,井盖\nC0101,井盖\n",
    )
    assert read_keywords(path, categories=SUBS) == {
        "C0101": ("井盖没了", "井盖"),
        "C0102": ("井盖",),
    }


def test_keywords_are_width_folded_and_split_on_every_separator(tmp_path: Path) -> None:
    path = write(tmp_path, "keywords.csv", HEADER + "E0404,乱停车,违停；违章停车;ＳＵＶ 僵尸车\n")
    (terms,) = read_keywords(path, categories=SUBS).values()
    assert sorted(terms) == sorted(("乱停车", "违停", "违章停车", "suv", "僵尸车"))


# --- keyword hits ------------------------------------------------------------------------------


def test_a_word_inside_a_longer_hit_of_the_same_category_counts_once() -> None:
    keywords = {"C0101": ("井盖没了", "井盖"), "C0102": ("井盖",)}
    hits = keyword_hits("楼下井盖没了，另一个井盖也没了", keywords)
    assert hits == {"C0101": ["井盖没了", "井盖"], "C0102": ["井盖"]}


def test_no_hit_no_entry() -> None:
    assert keyword_hits("今天天气真好", {"C0101": ("井盖",)}) == {}
