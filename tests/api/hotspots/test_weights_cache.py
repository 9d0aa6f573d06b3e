"""The process-wide cache of unit weights keeps each database's geography apart."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from api.db.session import engine_for
from api.geography.imports import load_demo_into
from api.geography.service import active_generation
from api.hotspots.views import units_and_weights
from geo.codes import Level

STREET = "110102020"


def test_two_databases_with_the_same_generation_get_their_own_weights(
    demo_session: Session, make_database: Callable[[str], str]
) -> None:
    coarse_url = make_database("coarse_weights")
    load_demo_into(coarse_url, cell_area_m2=400_000)
    with Session(engine_for(coarse_url)) as coarse:
        assert active_generation(session=coarse) == active_generation(session=demo_session)
        fine_units, fine_w = units_and_weights(demo_session, Level.GRID, STREET)
        coarse_units, coarse_w = units_and_weights(coarse, Level.GRID, STREET)
        _again, again_w = units_and_weights(demo_session, Level.GRID, STREET)
    assert len(fine_units) != len(coarse_units)
    assert fine_w.shape == (len(fine_units), len(fine_units))
    assert coarse_w.shape == (len(coarse_units), len(coarse_units))
    assert again_w is fine_w  # still cached
