"""Complaint text → ranked sub-category suggestions, for the call-taker to confirm.

Two scorers are blended: keyword and synonym lists per sub-category kept as data
(``data/complaints/keywords.csv``) and a character n-gram model (TF-IDF over 1–3 characters,
logistic regression) trained on the project's corpus (``data/complaints/corpus.csv``). Each
suggestion carries the words of the text that argued for it. A low or close call is
*uncertain* (:func:`is_uncertain`): the call-taker then chooses from the list.

Both files are read with the duty rules' CSV reader, so a wrong row is one
:class:`~geo.datafile.DataFileError` naming the file, the line and the column.
"""

from __future__ import annotations

import pickle
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from geo.datafile import DataFileError, records
from geo.rules import Category, read_categories

DEFAULT_SEED = 20190101
KEYWORD_WEIGHT = 0.2
"""Most a category's keywords add to its model probability (before the scores are rescaled)."""
KEYWORD_SATURATION = 4.0
"""Matched keyword characters at which a category gets half of ``KEYWORD_WEIGHT``."""
MIN_SCORE = 0.30
"""A top suggestion scoring below this is uncertain."""
MIN_MARGIN = 0.10
"""A top suggestion less than this ahead of the second is uncertain."""
MAX_REASONS = 4

KeywordLists = Mapping[str, tuple[str, ...]]
"""Sub-category code → its keywords and synonyms (normalised, longest first)."""

_SEPARATORS = re.compile(r"[\s;；、]+")


@dataclass(frozen=True)
class LabelledText:
    """One sentence of the corpus with its sub-category code and line."""

    text: str
    category: str
    line: int = 0


@dataclass(frozen=True)
class Suggestion:
    """A suggested sub-category, its blended score in [0, 1] and the words behind it."""

    code: str
    name: str
    score: float
    because: list[str]


@dataclass(frozen=True)
class Accuracy:
    """Top-1 and top-3 accuracy over ``n`` held-out sentences."""

    top1: float
    top3: float
    n: int


@dataclass(frozen=True)
class TrainingData:
    """The catalogue's sub-categories (code → name), the corpus and the keyword lists."""

    categories: dict[str, str]
    corpus: list[LabelledText]
    keywords: dict[str, tuple[str, ...]]


def normalize(text: str) -> str:
    """Width-folded (NFKC), lower-case, trimmed text.

    >>> normalize(" ＬＥＤ大屏 ")
    'led大屏'
    """
    return unicodedata.normalize("NFKC", text).lower().strip()


def sub_categories(categories: Mapping[str, Category]) -> dict[str, str]:
    """Code → name of the catalogue rows that have a parent (the ones cases are filed under).

    >>> sub_categories({"E01": Category("E01", "市容环境", None, "event"),
    ...                 "E0101": Category("E0101", "暴露垃圾", "E01", "event")})
    {'E0101': '暴露垃圾'}
    """
    return {code: c.name for code, c in categories.items() if c.parent_code}


def read_corpus(path: Path, *, categories: Mapping[str, str]) -> list[LabelledText]:
    """The labelled sentences of a ``text,category`` file; each code must be a sub-category."""
    out: list[LabelledText] = []
    seen: dict[str, int] = {}
    for line, row in records(path, required=("text", "category"), allowed=("text", "category")):
        text = normalize(row["text"])
        if not text:
            raise _error(path, line, "text", "empty sentence")
        if text in seen:
            raise _error(path, line, "text", f"the same sentence as line {seen[text]}")
        _check_code(path, line, row["category"], categories)
        seen[text] = line
        out.append(LabelledText(text, row["category"], line))
    return out


def read_keywords(path: Path, *, categories: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """The keyword lists of a ``category,keyword[,synonyms]`` file by sub-category code."""
    found: dict[str, dict[str, int]] = {}
    columns = ("category", "keyword", "synonyms")
    for line, row in records(path, required=columns[:2], allowed=columns):
        code = row["category"]
        _check_code(path, line, code, categories)
        keyword = normalize(row["keyword"])
        if not keyword:
            raise _error(path, line, "keyword", "empty keyword")
        terms = found.setdefault(code, {})
        words = [("keyword", keyword)]
        words += [("synonyms", w) for w in _SEPARATORS.split(normalize(row.get("synonyms", "")))]
        for column, word in words:
            if not word:
                continue
            if word in terms:
                raise _error(
                    path,
                    line,
                    column,
                    f"{word!r} is already listed for {code} (line {terms[word]})",
                )
            terms[word] = line
    return {code: tuple(sorted(terms, key=len, reverse=True)) for code, terms in found.items()}


def read_training_data(data_dir: Path) -> TrainingData:
    """``categories.csv`` and ``complaints/{corpus,keywords}.csv`` of a data folder, checked."""
    categories = sub_categories(read_categories(data_dir / "categories.csv"))
    folder = data_dir / "complaints"
    corpus = read_corpus(folder / "corpus.csv", categories=categories)
    keywords = read_keywords(folder / "keywords.csv", categories=categories)
    return TrainingData(categories, corpus, keywords)


def keyword_hits(text: str, keywords: KeywordLists) -> dict[str, list[str]]:
    """The keywords of each sub-category found in ``text``, in reading order; a word inside a
    longer word of the same category is not counted again.

    >>> keyword_hits("井盖没了，晚上很黑", {"C0101": ("井盖没了", "井盖"), "C0103": ("黑",)})
    {'C0101': ['井盖没了'], 'C0103': ['黑']}
    """
    text = normalize(text)
    out: dict[str, list[str]] = {}
    for code, terms in keywords.items():
        taken = [False] * len(text)
        hits: list[tuple[int, str]] = []
        for term in terms:
            start = text.find(term)
            while start >= 0:
                span = range(start, start + len(term))
                if not any(taken[i] for i in span):
                    for i in span:
                        taken[i] = True
                    hits.append((start, term))
                start = text.find(term, start + 1)
        if hits:
            out[code] = list(dict.fromkeys(term for _, term in sorted(hits)))
    return out


def is_uncertain(
    suggestions: Sequence[Suggestion], *, min_score: float = MIN_SCORE, margin: float = MIN_MARGIN
) -> bool:
    """True when there is no suggestion, the best is weak, or the second is close behind.

    >>> is_uncertain([Suggestion("C0101", "井盖缺失", 0.8, []), Suggestion("C0102", "", 0.1, [])])
    False
    """
    if not suggestions or suggestions[0].score < min_score:
        return True
    return len(suggestions) > 1 and suggestions[0].score - suggestions[1].score < margin


class TrainedModel:
    """A fitted vectoriser and classifier with the keyword lists and category names."""

    def __init__(
        self,
        *,
        vectorizer: TfidfVectorizer,
        classifier: LogisticRegression,
        categories: Mapping[str, str],
        keywords: KeywordLists,
        seed: int,
        accuracy: Accuracy | None = None,
    ) -> None:
        self.vectorizer = vectorizer
        self.classifier = classifier
        self.categories = dict(categories)
        self.keywords = dict(keywords)
        self.seed = seed
        self.accuracy = accuracy
        self._features: np.ndarray = vectorizer.get_feature_names_out()

    def suggest(self, text: str, *, limit: int = 5) -> list[Suggestion]:
        """At most ``limit`` sub-categories for a complaint, best first (none for empty text)."""
        clean = normalize(text)
        if not clean or limit < 1:
            return []
        row = self.vectorizer.transform([clean])
        probabilities = self.classifier.predict_proba(row)[0]
        hits = keyword_hits(clean, self.keywords)
        scores = _blend(self.classifier.classes_, probabilities, hits)
        best = np.argsort(-scores, kind="stable")[:limit]
        return [
            Suggestion(
                code=str(self.classifier.classes_[i]),
                name=self.categories[str(self.classifier.classes_[i])],
                score=round(float(scores[i]), 4),
                because=self._reasons(row, int(i), hits.get(str(self.classifier.classes_[i]), [])),
            )
            for i in best
        ]

    def evaluate(self, held_out: Iterable[LabelledText]) -> Accuracy:
        """Top-1 and top-3 accuracy of :meth:`suggest` on labelled sentences."""
        top1 = top3 = n = 0
        for item in held_out:
            codes = [s.code for s in self.suggest(item.text, limit=3)]
            n += 1
            top1 += codes[:1] == [item.category]
            top3 += item.category in codes
        return Accuracy(top1 / n if n else 0.0, top3 / n if n else 0.0, n)

    def save(self, path: Path) -> Path:
        """Write the model to ``path`` (parents created) and return the path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            pickle.dump(self, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    def _reasons(self, row: csr_matrix, index: int, words: list[str]) -> list[str]:
        """The keywords found, then the n-grams of the text that pushed hardest for the class."""
        reasons = list(words[:MAX_REASONS])
        weights = self.classifier.coef_[index]
        cells = row.tocoo()
        pushes = sorted(zip(cells.data * weights[cells.col], cells.col, strict=True), reverse=True)
        for push, column in pushes:
            if len(reasons) >= MAX_REASONS or push <= 0:
                break
            gram = str(self._features[column])
            if (
                len(gram) > 1
                and gram.isalnum()
                and not any(gram in r or r in gram for r in reasons)
            ):
                reasons.append(gram)
        return reasons


def fit(
    corpus: Sequence[LabelledText],
    *,
    categories: Mapping[str, str],
    keywords: KeywordLists,
    seed: int = DEFAULT_SEED,
) -> TrainedModel:
    """A model fitted on all of ``corpus`` (no held-out evaluation)."""
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    features = vectorizer.fit_transform([normalize(item.text) for item in corpus])
    classifier = LogisticRegression(C=20.0, max_iter=2000, random_state=seed)
    classifier.fit(features, [item.category for item in corpus])
    return TrainedModel(
        vectorizer=vectorizer,
        classifier=classifier,
        categories=categories,
        keywords=keywords,
        seed=seed,
    )


def train(
    corpus: Sequence[LabelledText],
    *,
    categories: Mapping[str, str],
    keywords: KeywordLists,
    test_size: float = 0.2,
    seed: int = DEFAULT_SEED,
) -> TrainedModel:
    """Measure accuracy on a stratified held-out share of ``corpus``, then fit on all of it.

    The returned model's ``accuracy`` is the held-out measurement; the same seed gives the
    same split, the same model and the same suggestions.
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be between 0 and 1, not {test_size}")
    labels = [item.category for item in corpus]
    fitting, held_out = train_test_split(
        list(corpus), test_size=test_size, random_state=seed, stratify=labels
    )
    accuracy = fit(fitting, categories=categories, keywords=keywords, seed=seed).evaluate(held_out)
    model = fit(corpus, categories=categories, keywords=keywords, seed=seed)
    model.accuracy = accuracy
    return model


def load_model(path: Path) -> TrainedModel:
    """A model written by :meth:`TrainedModel.save` (only load files you wrote yourself)."""
    with path.open("rb") as handle:
        model = pickle.load(handle)
    if not isinstance(model, TrainedModel):
        raise ValueError(f"{path} does not hold a category model")
    return model


def _blend(
    classes: np.ndarray, probabilities: np.ndarray, hits: Mapping[str, list[str]]
) -> np.ndarray:
    """Model probabilities plus a saturating bonus for matched keyword characters, rescaled to
    sum to 1 (so keywords reorder close calls more than they overrule the model)."""
    if not hits:
        return probabilities
    matched = np.array([sum(map(len, hits.get(str(c), []))) for c in classes], dtype=float)
    scores = probabilities + KEYWORD_WEIGHT * matched / (matched + KEYWORD_SATURATION)
    return scores / scores.sum()


def _check_code(path: Path, line: int, code: str, categories: Mapping[str, str]) -> None:
    """Refuse an empty code or one that is not a sub-category of the catalogue."""
    if not code:
        raise _error(path, line, "category", "empty category code")
    if code not in categories:
        raise _error(
            path,
            line,
            "category",
            f"unknown sub-category {code!r} (not in categories.csv or a top-level category)",
        )


def _error(path: Path, line: int, column: str, message: str) -> DataFileError:
    return DataFileError(source=path.name, line=line, column=column, message=message)
