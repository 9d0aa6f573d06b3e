"""The demo city in PostGIS: counts, flags, the joint site, re-runs, real outlines."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.config import get_settings
from api.geography.imports import generate_grid, load_demo
from api.geography.locate import locate_footprint
from api.geography.service import active_generation, count_areas
from geo.codes import Level
from geo.locate import FootprintLocation
from grids.boundaries import read_boundaries
from grids.demo import joint_box
from grids.validate import validate_boundaries
from tests.conftest import TEST_CELL_AREA_M2, real_districts_or_skip

JOINT = {"110102020", "110106002"}


def test_demo_city_levels_and_catalogues(demo_session: Session) -> None:
    counts = count_areas(session=demo_session)
    assert counts["district"] == 3 and counts["street"] == 58 and counts["community"] == 872
    assert counts["grid"] > 872
    assert demo_session.scalar(text("SELECT count(*) FROM departments")) > 30
    assert demo_session.scalar(text("SELECT count(*) FROM chiefs")) > 50
    assert demo_session.scalar(text("SELECT count(*) FROM roads WHERE chief_ref IS NULL")) == 0
    zones = demo_session.execute(text("SELECT code, kind FROM land_use_zones")).all()
    assert {(z.code, z.kind) for z in zones} == {
        ("R1", "river"),
        ("F1", "farmland"),
        ("M1", "forest"),
    }
    assert demo_session.scalar(text("SELECT bool_and(synthetic) FROM areas"))


def test_joint_site_building_straddles_both_streets_in_postgis(demo_session: Session) -> None:
    got: FootprintLocation = locate_footprint(session=demo_session, geom=joint_box())
    assert got.joint and {s.code for s in got.streets} == JOINT
    assert {s.district_code for s in got.streets} == {"110102", "110106"}


def test_second_load_of_the_same_demo_is_skipped(demo_session: Session) -> None:
    settings = get_settings()
    before = active_generation(session=demo_session)
    generation, loaded = load_demo(
        session=demo_session,
        data_dir=settings.data_dir,
        seed=settings.demo_seed,
        cell_area_m2=TEST_CELL_AREA_M2,
    )
    assert not loaded and generation.id == before


def test_generating_a_new_grid_is_a_new_generation(demo_session: Session) -> None:
    before = active_generation(session=demo_session)
    counts_before = count_areas(session=demo_session)
    report, generation = generate_grid(session=demo_session, cell_area_m2=160_000)
    # ids come from a sequence (a rolled-back test may have used one): newer, and now active
    assert report.ok and generation is not None and generation.id > (before or 0)
    assert active_generation(session=demo_session) == generation.id
    counts = count_areas(session=demo_session)
    assert counts["community"] == counts_before["community"]
    assert counts["community"] <= counts["grid"] < counts_before["grid"]
    # every new cell lies in its community (PostGIS check, independent of the generator)
    outside = demo_session.scalar(
        text(
            "SELECT count(*) FROM areas g JOIN areas c ON c.code = g.parent_code "
            "AND c.level = 'community' AND c.generation_high = :gen "
            "WHERE g.level = 'grid' AND g.generation_low = :gen "
            "AND ST_Area(ST_Difference(g.geom, c.geom)::geography) > 1"
        ),
        {"gen": generation.id},
    )
    assert outside == 0


def test_demo_on_the_real_districts_keeps_the_xicheng_fengtai_line(
    make_database: Callable[[str], str],
) -> None:
    path = real_districts_or_skip()
    report = validate_boundaries(
        read_boundaries(path, level=Level.DISTRICT, code_field="adcode"), level=Level.DISTRICT
    )
    assert report.ok
    from sqlalchemy.orm import Session as OrmSession

    from api.db.session import engine_for

    url = make_database("realdemo")
    with OrmSession(engine_for(url)) as session:
        load_demo(
            session=session,
            data_dir=get_settings().data_dir,
            seed=get_settings().demo_seed,
            cell_area_m2=250_000,
            districts=report.frame,
            districts_file=path,
        )
        session.commit()
        real = session.scalar(
            text("SELECT bool_and(NOT synthetic) FROM areas WHERE level = 'district'")
        )
        crossing = session.scalar(
            text(
                "SELECT max(ST_Area(ST_Intersection(s.geom, d.geom)::geography)) "
                "FROM areas s JOIN areas d ON d.level = 'district' "
                "AND d.code <> substr(s.code, 1, 6) WHERE s.level = 'street'"
            )
        )
        joint = locate_footprint(session=session, geom=joint_box())
    assert real
    assert crossing is not None and crossing < 1.0
    assert {s.code for s in joint.streets} == JOINT
