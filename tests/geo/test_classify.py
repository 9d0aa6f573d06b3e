"""Category suggestions for complaint text: held-out accuracy, reasons, uncertainty,
determinism and the saved model."""

from __future__ import annotations

import doctest
import pickle
from collections import defaultdict
from pathlib import Path

import pytest

import geo.classify
from geo.classify import (
    LabelledText,
    Suggestion,
    TrainedModel,
    TrainingData,
    fit,
    is_uncertain,
    load_model,
    read_training_data,
    train,
)

DATA = Path(__file__).resolve().parents[2] / "data"

# sentences written for these tests, not in the corpus, one or more per kind of call
UNSEEN = [
    ("东门外面那条路上扔了好多垃圾袋，臭烘烘的", "E0101"),
    ("对面工地凌晨三点还在打桩，吵得全楼都睡不着", "E0301"),
    ("早上有人在天桥底下摆摊卖鸡蛋，把路都占了", "E0401"),
    ("有辆白色轿车堵在我们消防通道上两天了", "E0404"),
    ("路口那儿的自来水管爆了，水漫到马路上了", "E0502"),
    ("楼道里好大的燃气味儿，我们都不敢开灯", "E0503"),
    ("河里飘着一层油，还有死鱼，臭得不行", "E0504"),
    ("半夜有人开着挖沙船在河里偷挖沙子", "E0602"),
    ("我们胡同口的井盖被人偷了，就剩个黑窟窿", "C0101"),
    ("单元门前的路灯坏了一个月了，晚上出门摸黑", "C0103"),
    ("马路中间的隔离护栏被车撞倒了好几节", "C0202"),
    ("公园那个公厕冲水坏了，里面臭得没法进", "C0302"),
]


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return read_training_data(DATA)


@pytest.fixture(scope="module")
def model(data: TrainingData) -> TrainedModel:
    return train(data.corpus, categories=data.categories, keywords=data.keywords)


@pytest.fixture(scope="module")
def small(data: TrainingData) -> list[LabelledText]:
    """Ten sentences of each sub-category: enough to fit quickly."""
    kept: dict[str, list[LabelledText]] = defaultdict(list)
    for item in data.corpus:
        if len(kept[item.category]) < 10:
            kept[item.category].append(item)
    return [item for items in kept.values() for item in items]


def test_held_out_top3_is_at_least_90_percent(model: TrainedModel) -> None:
    accuracy = model.accuracy
    assert accuracy is not None
    assert accuracy.n >= 200  # a fifth of the corpus, every sub-category in it
    print(f"held out: top-1 {accuracy.top1:.1%}, top-3 {accuracy.top3:.1%} of {accuracy.n}")
    assert accuracy.top3 >= 0.90
    assert accuracy.top1 >= 0.75
    assert accuracy.top1 <= accuracy.top3


@pytest.mark.parametrize(("text", "code"), UNSEEN, ids=[code for _, code in UNSEEN])
def test_an_unseen_call_has_its_category_in_the_top_three(
    model: TrainedModel, text: str, code: str
) -> None:
    suggestions = model.suggest(text, limit=3)
    assert code in [s.code for s in suggestions], suggestions


def test_suggestions_are_ranked_named_and_limited(model: TrainedModel) -> None:
    suggestions = model.suggest("小区门口那个井盖没了，晚上特别危险", limit=4)
    assert len(suggestions) == 4
    assert suggestions[0].code == "C0101"
    assert suggestions[0].name == "井盖缺失"
    scores = [s.score for s in suggestions]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert not is_uncertain(suggestions)
    assert model.suggest("井盖没了", limit=0) == []


@pytest.mark.parametrize("text", [text for text, _ in UNSEEN])
def test_the_words_behind_a_suggestion_come_from_the_sentence(
    model: TrainedModel, text: str
) -> None:
    for suggestion in model.suggest(text, limit=3):
        assert all(word and word in text for word in suggestion.because), suggestion
    assert model.suggest(text, limit=1)[0].because  # the best one always gives a reason


def test_a_keyword_of_the_list_is_named_first(model: TrainedModel) -> None:
    (best,) = model.suggest("请问乱停车归谁管，我们楼下全是乱停车的", limit=1)
    assert best.code == "E0404"
    assert best.because[0] == "乱停车"


def test_keywords_move_a_close_call(data: TrainingData, small: list[LabelledText]) -> None:
    text = "那个井盖"
    plain = fit(small, categories=data.categories, keywords={})
    keyed = fit(small, categories=data.categories, keywords={"C0102": ("井盖",)})
    assert plain.accuracy is None  # fit alone measures nothing
    before = {s.code: s for s in plain.suggest(text, limit=34)}
    after = {s.code: s for s in keyed.suggest(text, limit=34)}
    assert after["C0102"].score > before["C0102"].score + 0.03
    assert after["C0102"].because[0] == "井盖"
    assert after["C0101"].score < before["C0101"].score  # the scores still sum to one


@pytest.mark.parametrize(
    "text", ["", "   ", "asdfgh", "哈哈哈哈", "今天天气真好", "12345", "喂喂喂听得到吗"]
)
def test_empty_or_meaningless_text_is_uncertain(model: TrainedModel, text: str) -> None:
    assert is_uncertain(model.suggest(text))


def test_empty_text_has_no_suggestion(model: TrainedModel) -> None:
    assert model.suggest(" \n") == []


def test_uncertain_when_weak_or_close() -> None:
    def ranked(*scores: float) -> list[Suggestion]:
        return [Suggestion(f"C010{i}", "", s, []) for i, s in enumerate(scores, 1)]

    assert is_uncertain([])
    assert is_uncertain(ranked(0.25))
    assert not is_uncertain(ranked(0.6))
    assert is_uncertain(ranked(0.45, 0.40))
    assert not is_uncertain(ranked(0.55, 0.40))
    assert is_uncertain(ranked(0.55, 0.40), margin=0.2)
    assert not is_uncertain(ranked(0.25), min_score=0.2)


def test_the_same_seed_gives_the_same_model(data: TrainingData, small: list[LabelledText]) -> None:
    args = {"categories": data.categories, "keywords": data.keywords, "seed": 7}
    first, second = train(small, **args), train(small, **args)  # type: ignore[arg-type]
    assert first.accuracy == second.accuracy
    for text, _ in UNSEEN:
        assert first.suggest(text) == second.suggest(text)


def test_a_test_size_outside_0_1_is_refused(data: TrainingData) -> None:
    for size in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="test_size"):
            train(data.corpus, categories=data.categories, keywords={}, test_size=size)


def test_a_saved_model_suggests_the_same(model: TrainedModel, tmp_path: Path) -> None:
    path = model.save(tmp_path / "models" / "categories.pkl")
    loaded = load_model(path)
    assert loaded.accuracy == model.accuracy
    assert loaded.seed == model.seed
    for text, _ in UNSEEN:
        assert loaded.suggest(text) == model.suggest(text)


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.pkl"
    path.write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(ValueError, match="does not hold a category model"):
        load_model(path)


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(geo.classify)
    assert result.attempted >= 4 and result.failed == 0
