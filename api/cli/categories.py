"""``gridwhistle categories train``: the complaint-text category model from ``data/complaints``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import console, fail
from api.config import get_settings
from geo.datafile import DataFileError

categories_app = typer.Typer(help="Category suggestions for complaint text (data/complaints).")


def default_model_path() -> Path:
    """Where the trained model is written and read: ``<home>/models/categories.pkl``."""
    return get_settings().home / "models" / "categories.pkl"


@categories_app.command("train")
def train_command(
    out: Annotated[
        Path | None, typer.Option(help="model file (default: <home>/models/categories.pkl)")
    ] = None,
    test_size: Annotated[
        float, typer.Option(min=0.05, max=0.5, help="held-out share of the corpus")
    ] = 0.2,
    seed: Annotated[
        int | None, typer.Option(help="seed of the held-out split and the model")
    ] = None,
) -> None:
    """Check the corpus and keyword lists of the data folder (GRIDWHISTLE_DATA_DIR), measure
    top-1/top-3 accuracy on held-out sentences, then fit on all sentences and save the model."""
    # imported here: scikit-learn takes about a second to import and no other command needs it
    from geo.classify import DEFAULT_SEED, read_training_data, train

    seed = DEFAULT_SEED if seed is None else seed
    data_dir = get_settings().data_dir
    try:
        data = read_training_data(data_dir)
    except DataFileError as exc:
        raise fail(f"{exc}; no model was written", code=2) from exc
    except OSError as exc:
        raise fail(f"{exc.filename}: {exc.strerror}; no model was written", code=2) from exc
    model = train(
        data.corpus,
        categories=data.categories,
        keywords=data.keywords,
        test_size=test_size,
        seed=seed,
    )
    path = model.save(out or default_model_path())
    assert model.accuracy is not None  # train() always measures it
    table = Table(title="held-out accuracy")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("sentences held out", str(model.accuracy.n))
    table.add_row("top-1", f"{model.accuracy.top1:.1%}")
    table.add_row("top-3", f"{model.accuracy.top3:.1%}")
    console.print(table)
    console.print(
        f"{len(data.corpus)} sentences, {len(data.categories)} sub-categories, "
        f"{sum(map(len, data.keywords.values()))} keywords; model written to {path}"
    )
