"""``gridwhistle categories train`` on a data folder of its own (no database needed)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.config import PROJECT_ROOT, get_settings
from geo.classify import load_model

runner = CliRunner()
SHIPPED = PROJECT_ROOT / "data"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """categories.csv, the keywords and twelve sentences of each sub-category (quick to fit)."""
    data = tmp_path / "data"
    (data / "complaints").mkdir(parents=True)
    shutil.copy(SHIPPED / "categories.csv", data / "categories.csv")
    shutil.copy(SHIPPED / "complaints" / "keywords.csv", data / "complaints" / "keywords.csv")
    with (SHIPPED / "complaints" / "corpus.csv").open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    kept: dict[str, int] = {}
    with (data / "complaints" / "corpus.csv").open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=["text", "category"])
        writer.writeheader()
        for row in rows:
            kept[row["category"]] = kept.get(row["category"], 0) + 1
            if kept[row["category"]] <= 12:
                writer.writerow(row)
    monkeypatch.setenv("GRIDWHISTLE_DATA_DIR", str(data))
    monkeypatch.setenv("GRIDWHISTLE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def test_train_prints_held_out_accuracy_and_writes_the_model(
    data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model.pkl"
    result = runner.invoke(app, ["categories", "train", "--out", str(out), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "held-out accuracy" in result.output
    assert "top-1" in result.output and "top-3" in result.output
    assert "%" in result.output
    assert "408 sentences, 34 sub-categories" in result.output
    model = load_model(out)
    assert model.seed == 3
    assert model.accuracy is not None and model.accuracy.n == 82  # a fifth of 408, rounded up
    assert model.suggest("井盖没了")[0].code in model.categories


def test_the_model_goes_under_home_by_default(data_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["categories", "train"])
    assert result.exit_code == 0, result.output
    assert load_model(tmp_path / "home" / "models" / "categories.pkl").accuracy is not None


def test_a_broken_keywords_file_is_exit_2_naming_line_and_column(
    data_dir: Path, tmp_path: Path
) -> None:
    keywords = data_dir / "complaints" / "keywords.csv"
    lines = keywords.read_text(encoding="utf-8").splitlines()
    lines[4] = "E0999,不存在的类别,"
    keywords.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "model.pkl"
    result = runner.invoke(app, ["categories", "train", "--out", str(out)])
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "keywords.csv line 5, column category: unknown sub-category 'E0999'" in output
    assert "no model was written" in output
    assert not out.exists()


def test_a_missing_corpus_is_exit_2(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "complaints" / "corpus.csv").unlink()
    result = runner.invoke(app, ["categories", "train", "--out", str(tmp_path / "m.pkl")])
    assert result.exit_code == 2, result.output
    assert "complaints/corpus.csv:Nosuchfile" in "".join(result.output.split())  # rich wraps
    assert not (tmp_path / "m.pkl").exists()
