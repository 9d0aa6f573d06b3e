"""The app warms up the geocoder and the category model in the background: the first call
takes what the warm-up built, a call during a build waits for it, nothing is built twice;
a model fitted once is kept in the cache folder for the next process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sqlalchemy.orm import Session

import geo.classify
from api.addresses.service import GEOCODER, GeocoderHolder, build_geocoder
from api.app import create_app
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_session
from api.hotline.service import MODEL, ModelHolder
from geo.classify import TrainedModel
from geo.geocode import Geocoder
from tests.api.hotline.conftest import a_plate, as_role

DATA = Path(__file__).resolve().parents[3] / "data"


@pytest.fixture
def cold() -> Iterator[None]:
    """No geocoder and no model in the process before the test (nor after it)."""
    GEOCODER.forget()
    MODEL.forget()
    yield
    GEOCODER.forget()
    MODEL.forget()


def test_the_first_parse_after_start_takes_what_the_warm_up_built(
    demo_db_url: str, demo_session: Session, cold: None
) -> None:
    settings = Settings(environment="test", report_connections=0)
    app = create_app(engine=engine_for(demo_db_url), settings=settings, warm=True)
    app.dependency_overrides[get_session] = lambda: demo_session
    builds, loads = GEOCODER.builds, MODEL.loads
    with TestClient(app) as client:
        app.state.warming.join()  # the warm-up ran beside startup, not before it
        assert (GEOCODER.builds - builds, MODEL.loads - loads) == (1, 1)
        as_role(client, demo_session, "hotline")
        plate = a_plate(demo_session)
        r = client.post("/api/hotline/parse", json={"text": f"{plate.text}门口井盖没了"})
    assert r.status_code == 200, r.text
    assert r.json()["address"]["candidates"][0]["text"] == plate.text
    # the request's session and the warm-up's are the same database: nothing built again
    assert (GEOCODER.builds - builds, MODEL.loads - loads) == (1, 1)


def test_without_warm_up_the_app_builds_nothing_at_start(demo_db_url: str, cold: None) -> None:
    app = create_app(engine=engine_for(demo_db_url), settings=Settings(environment="test"))
    builds = GEOCODER.builds
    with TestClient(app):
        assert getattr(app.state, "warming", None) is None
    assert GEOCODER.builds == builds


def test_a_call_during_a_build_waits_for_it(demo_session: Session) -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_build(session: Session, generation: int) -> Geocoder:
        calls.append(generation)
        started.set()
        release.wait(timeout=10)
        return build_geocoder(session, generation)

    holder = GeocoderHolder(build=slow_build)
    got: list[Geocoder] = []

    def call() -> None:
        got.append(holder.current(session=demo_session))

    first = threading.Thread(target=call)
    first.start()
    assert started.wait(timeout=10)
    second = threading.Thread(target=call)
    second.start()
    second.join(timeout=0.5)  # a second build would start (and block) within this
    release.set()
    first.join()
    second.join()
    assert len(calls) == 1 and holder.builds == 1
    assert len(got) == 2 and got[0] is got[1]


def _tiny_model() -> TrainedModel:
    vectorizer = TfidfVectorizer(analyzer="char").fit(["井盖"])
    return TrainedModel(vectorizer=vectorizer, classifier=LogisticRegression(),
                        categories={"C0101": "井盖缺失"}, keywords={}, seed=1)  # fmt: skip


def test_a_fitted_model_is_cached_for_the_next_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted: list[int] = []

    def fit(*args: object, **kwargs: object) -> TrainedModel:
        fitted.append(1)
        return _tiny_model()

    monkeypatch.setattr(geo.classify, "fit", fit)
    saved, cache = tmp_path / "models" / "categories.pkl", tmp_path / "cache"
    first = ModelHolder().current(data_dir=DATA, path=saved, cache_dir=cache)
    assert len(fitted) == 1 and len(list(cache.glob("categories-*.pkl"))) == 1
    # another process (another holder): the cached model, no fitting
    second = ModelHolder().current(data_dir=DATA, path=saved, cache_dir=cache)
    assert len(fitted) == 1
    assert second.categories == first.categories
    # a saved model (gridwhistle categories train) comes before the cache
    _tiny_model().save(saved)
    assert ModelHolder().current(data_dir=DATA, path=saved, cache_dir=cache).seed == 1
    assert len(fitted) == 1


def test_the_cache_follows_the_training_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted: list[int] = []

    def fit(*args: object, **kwargs: object) -> TrainedModel:
        fitted.append(1)
        return _tiny_model()

    monkeypatch.setattr(geo.classify, "fit", fit)
    data = tmp_path / "data"
    (data / "complaints").mkdir(parents=True)
    for name in ("categories.csv", "complaints/corpus.csv", "complaints/keywords.csv"):
        (data / name).write_bytes((DATA / name).read_bytes())
    cache, saved = tmp_path / "cache", tmp_path / "none.pkl"
    ModelHolder().current(data_dir=data, path=saved, cache_dir=cache)
    with (data / "complaints" / "corpus.csv").open("a", encoding="utf-8") as corpus:
        corpus.write("\n")  # an edited corpus: the model cached before does not fit it
    ModelHolder().current(data_dir=data, path=saved, cache_dir=cache)
    assert len(fitted) == 2
    assert len(list(cache.glob("categories-*.pkl"))) == 2
