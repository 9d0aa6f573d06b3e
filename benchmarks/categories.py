"""Benchmark: complaint text → category suggestions (not a test).

Run ``.venv/bin/python -m benchmarks.categories [--folds 5] [--seed N] [--rounds 3]``.

Accuracy: stratified k-fold over ``data/complaints/corpus.csv``; each fold's model is fitted
on the other folds and suggests for every held-out sentence; top-1 and top-3 are pooled over
the folds (every sentence is held out once), for the blended suggestions and for the n-gram
model alone (the same fitted model without keyword lists). Issue 21's target: top-3 ≥ 90 %.

Speed: one model fitted on the whole corpus; ``TrainedModel.suggest(text, limit=5)`` on each
corpus sentence, ``--rounds`` times, one call at a time in this process; suggestions/s is
calls per second of wall time, latency percentiles are per call.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.model_selection import StratifiedKFold

from geo.classify import (
    DEFAULT_SEED,
    LabelledText,
    TrainedModel,
    TrainingData,
    fit,
    read_training_data,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def _without_keywords(model: TrainedModel) -> TrainedModel:
    return TrainedModel(
        vectorizer=model.vectorizer,
        classifier=model.classifier,
        categories=model.categories,
        keywords={},
        seed=model.seed,
    )


def cross_validate(data: TrainingData, *, folds: int, seed: int) -> dict[str, tuple[int, int]]:
    """Pooled (top-1 hits, top-3 hits) per variant over stratified folds."""
    corpus = data.corpus
    labels = [item.category for item in corpus]
    hits = {"blended": [0, 0], "n-gram model alone": [0, 0]}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fitting, held_out in splitter.split(np.zeros(len(labels)), labels):
        model = fit(
            [corpus[i] for i in fitting],
            categories=data.categories,
            keywords=data.keywords,
            seed=seed,
        )
        variants = {"blended": model, "n-gram model alone": _without_keywords(model)}
        for name, variant in variants.items():
            _count([corpus[i] for i in held_out], variant, hits[name])
    return {name: (top1, top3) for name, (top1, top3) in hits.items()}


def _count(items: list[LabelledText], model: TrainedModel, hits: list[int]) -> None:
    for item in items:
        codes = [s.code for s in model.suggest(item.text, limit=3)]
        hits[0] += codes[:1] == [item.category]
        hits[1] += item.category in codes


def latency(model: TrainedModel, texts: list[str], *, rounds: int) -> tuple[float, np.ndarray]:
    """(suggestions per second, per-call seconds) for ``rounds`` passes over ``texts``."""
    times: list[float] = []
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            t0 = time.perf_counter()
            model.suggest(text, limit=5)
            times.append(time.perf_counter() - t0)
    wall = time.perf_counter() - start
    return len(times) / wall, np.array(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    data = read_training_data(DATA)
    n = len(data.corpus)
    started = time.perf_counter()
    pooled = cross_validate(data, folds=args.folds, seed=args.seed)
    cv_seconds = time.perf_counter() - started

    started = time.perf_counter()
    model = fit(data.corpus, categories=data.categories, keywords=data.keywords, seed=args.seed)
    fit_seconds = time.perf_counter() - started
    rate, times = latency(model, [item.text for item in data.corpus], rounds=args.rounds)

    console = Console()
    table = Table(
        title=f"category suggestions: {n} sentences, {len(data.categories)} sub-categories, "
        f"{args.folds}-fold (seed {args.seed})"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, (top1, top3) in pooled.items():
        table.add_row(f"top-1, {name}", f"{top1 / n:.1%}")
        table.add_row(f"top-3, {name}", f"{top3 / n:.1%}")
    table.add_row("suggestions/s (one at a time)", f"{rate:,.0f}")
    table.add_row("latency p50", f"{np.percentile(times, 50) * 1000:.2f} ms")
    table.add_row("latency p99", f"{np.percentile(times, 99) * 1000:.2f} ms")
    table.add_row("fit on the whole corpus", f"{fit_seconds:.1f} s")
    table.add_row(f"{args.folds}-fold fits and suggestions", f"{cv_seconds:.1f} s")
    console.print(table)


if __name__ == "__main__":
    main()
