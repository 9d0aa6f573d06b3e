"""notebooks/hotspot_review.ipynb runs top to bottom on a demo database with a simulated year.

The notebook is executed with nbclient in a ``python3`` kernel (ipykernel from the dev
dependencies), with its parameters overridden the way papermill does it: a cell inserted after
the one tagged ``parameters``. A probe cell appended at the end prints the key results as
JSON for the assertions. The database is the test session's own (demo city, the simulated
year committed, one case reported the day after the simulated year and whistled, its whistle
left unanswered). The clock is fixed relative to the simulated year (``reported_at``, the
notebook's ``as_of``), so the month under review and the overdue list do not depend on the
day the suite runs. The executed notebook is kept in ``test-artifacts/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import nbformat
import pytest
import time_machine
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import User
from api.auth.roles import Role
from api.auth.service import actor_of, create_user, issue_token
from api.cases.service import get_case
from api.config import Settings, get_settings
from api.db.session import engine_for
from api.deadlines.calendar import TZ
from api.deadlines.service import calendar, policies_from
from api.hotspots.service import events_frame, load_events
from api.whistles.service import blow
from geo.hotspots import review_month
from grids.simulate import SimulatedYear, simulate_year
from grids.demo import build_demo_city
from tests.conftest import REPO, TEST_CELL_AREA_M2

NOTEBOOK = REPO / "notebooks" / "hotspot_review.ipynb"
STREET = "110102013"  # 大栅栏街道, where the persistent alley is planted
ASSETS = "http://127.0.0.1:8000/static/vendor"
TIMEOUT_S = 120
OVERDUE_AFTER = timedelta(days=12)  # huangpu: acknowledge 2 d, on site 2 d, resolve 5 wd


def reported_at(year: SimulatedYear) -> datetime:
    """When the fixture's case is reported: 09:00 Beijing time the day after the year ends."""
    return datetime.combine(year.end + timedelta(days=1), time(9), tzinfo=TZ)


PROBE = """
import json as _json
print("PROBE " + _json.dumps({
    "month": str(period),
    "month_events": len(this_month),
    "hot": hot_spots["code"].tolist(),
    "hot_classes": sorted(set(hot_spots["class"])),
    "categories": emerging.set_index("code")["category"].to_dict(),
    "top_roads": road_load["id"].head(3).tolist(),
    "top_count": int(road_load["count"].iloc[0]),
    "overdue_cases": sorted(int(c) for c in overdue["case"].unique()),
}))
"""


@pytest.fixture(scope="module")
def year() -> SimulatedYear:
    return simulate_year(build_demo_city(cell_area_m2=TEST_CELL_AREA_M2), seed=2026)


@pytest.fixture(scope="module")
def review_db_url(make_database: Callable[[str], str], year: SimulatedYear) -> tuple[str, int]:
    """Demo city + the simulated year committed + one overdue whistle in 大栅栏; (url, case)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.geography.imports import load_demo

    url = make_database("review")
    settings = Settings()
    with Session(engine_for(url)) as session:
        load_demo(
            session=session,
            data_dir=settings.data_dir,
            seed=settings.demo_seed,
            cell_area_m2=TEST_CELL_AREA_M2,
        )
        load_events(session=session, events=year.events)
        worker = create_user(session=session, username="review-worker", role=Role.GRID_WORKER,
                             jurisdiction=STREET, display_name="worker")  # fmt: skip
        create_user(session=session, username="review-street", role=Role.STREET,
                    jurisdiction=STREET, display_name="大栅栏")  # fmt: skip
        token = issue_token(session=session, user=worker)
        session.commit()
    alley = next(p for p in year.truth if p.kind == "persistent")
    line = build_demo_city(cell_area_m2=TEST_CELL_AREA_M2).roads.set_index("id").loc[alley.road_id]
    point = line.geometry.interpolate(0.5, normalized=True)
    app = create_app(engine=engine_for(url), settings=Settings(environment="test"))
    at = reported_at(year)
    with time_machine.travel(at, tick=True), TestClient(app) as client:
        r = client.post(
            "/api/reports",
            headers={"Authorization": f"Bearer {token}"},
            json={"geometry": mapping(point), "category": "E0401", "description": "占道经营"},
        )
    assert r.status_code in (200, 201), r.text
    case_id = int(r.json()["case_id"])
    with Session(engine_for(url)) as session:
        street = session.scalar(select(User).where(User.username == "review-street"))
        assert street is not None
        blow(
            session=session,
            case=get_case(session=session, case_id=case_id),
            actor=actor_of(street),
            at=at + timedelta(hours=1),
            sla_policy="huangpu",
            policies=policies_from(get_settings().data_dir),
            calendar=calendar(session=session),
        )
        session.commit()
    return url, case_id


def _with_parameters(nb: Any, values: dict[str, object]) -> Any:
    """Insert a cell of overrides after the ``parameters`` cell (papermill's convention)."""
    index = next(
        i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])
    )
    source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(index + 1, cell)
    return nb


def _outputs(cell: Any) -> list[Any]:
    return list(cell.get("outputs", []))


def test_the_python3_kernel_comes_from_this_environment() -> None:
    # ipykernel (a dev dependency) provides the "python3" kernelspec in the venv itself, and
    # jupyter_client runs its bare "python" as this interpreter: a fresh clone needs nothing more
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.language == "python"
    assert spec.argv[0] in ("python", "python3") or Path(spec.argv[0]).exists()


def test_review_notebook_runs_and_finds_the_planted_alley(
    review_db_url: tuple[str, int], year: SimulatedYear, tmp_path: Path, artifacts: Path
) -> None:
    url, case_id = review_db_url
    with Session(engine_for(url)) as session:
        newest = events_frame(session=session, street_prefix=STREET)["at"].max()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    as_of = (reported_at(year) + OVERDUE_AFTER).isoformat()
    _with_parameters(
        nb, {"database_url": url, "street": STREET, "as_of": as_of, "assets_url": ASSETS}
    )
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=TIMEOUT_S,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    try:
        client.execute()  # raises CellExecutionError on the first failing cell
    finally:
        nbformat.write(nb, artifacts / "hotspot_review.executed.ipynb")

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in _outputs(c)]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    probe = next(
        json.loads(o["text"].split("PROBE ", 1)[1])
        for o in _outputs(nb.cells[-1])
        if o.get("output_type") == "stream" and "PROBE " in o.get("text", "")
    )
    alley = next(p for p in year.truth if p.kind == "persistent")

    # the month before the newest event the notebook reads (the fixture's report), with events
    # in the street; that month lies inside the simulated year
    last = review_month(newest)
    assert probe["month"] == str(last) and probe["month_events"] > 0
    assert year.start <= last.start_time.date() and last.end_time.date() <= year.end
    # hot spots this month: the alley's cells are among them, nothing cold-spot-only noise
    assert probe["hot"], "no hot spot this month"
    assert set(alley.cells) & set(probe["hot"][:3])
    # over the year the alley is a persistent hot spot
    assert all(probe["categories"][c] == "persistent hot spot" for c in alley.cells)
    # the planted alley carries the most load
    assert probe["top_roads"][0] == alley.road_id and probe["top_count"] > 50
    # the unanswered whistle is on the street's overdue list
    assert probe["overdue_cases"] == [case_id]

    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs if o.get("data"))
    assert f"{ASSETS}/leaflet/leaflet.js" in html.replace("&quot;", '"')
    for layer in ("事件数", "热点分析（Gi*）", "责任街巷", "超期吹哨"):  # in the layer control
        assert json.dumps(layer)[1:-1] in html, layer
    assert not any(cdn in html for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "code.jquery"))
    assert any("image/png" in o.get("data", {}) for o in outputs), "no chart"


def test_committed_notebook_has_no_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [], cell.source[:60]
        assert cell.execution_count is None, cell.source[:60]
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb.metadata
