"""A simulated month of operations on the demo city, through the service functions."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from statistics import mean

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from api.app import create_app
from api.assessment.service import rules_from, scored
from api.callbacks.models import Callback
from api.cases.models import Case, CaseEvent
from api.cases.queries import overdue_obligations
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_session
from api.geography.imports import load_demo_into
from api.reports.models import Report
from api.simulation.run import Outcome
from api.simulation.service import city_fingerprint, key_prefix, simulate_operations
from api.whistles.models import Assignment, Extension
from grids.demo import DemoCity, build_demo_city
from tests.conftest import TEST_CELL_AREA_M2, sign_in

SEED, DAYS, VOLUME = 11, 30, 150
END = datetime(2026, 3, 20, 4, 0, tzinfo=UTC)  # explicit: the result is the same any day
START = END - timedelta(days=DAYS)
SETTINGS = Settings(environment="test")

# every kind of event the API's code paths write (reports, triage, duty, the overdue job)
API_KINDS = {
    *(f"case:{s}" for s in ("new", "resolved", "rejected", "merged", "whistled", "disputed")),
    *(f"case:{s}" for s in ("verified", "closed", "merged_in")),
    *(f"assignment:{s}" for s in ("acknowledged", "on_site", "resolved", "disputed")),
    "assignment:cancelled",
    "report:received",
    "comment",
    "report:attached",
    *(f"extension:{s}" for s in ("requested", "approved", "denied")),
    "obligation:overdue",
    *(f"supervision:{s}" for s in ("warning", "chased", "district", "city")),
    *("callback", "callback:accepted", "callback:declined"),
}


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return build_demo_city(seed=SETTINGS.demo_seed, cell_area_m2=TEST_CELL_AREA_M2)


def _simulate(session: Session, city: DemoCity) -> Outcome:
    return simulate_operations(
        session=session,
        settings=SETTINGS,
        city=city,
        seed=SEED,
        end=END,
        days=DAYS,
        volume=VOLUME,
    )


@pytest.fixture(scope="module")
def simulated(make_database: Callable[[str], str], city: DemoCity) -> tuple[str, Outcome]:
    """A fresh demo database with the month simulated and committed."""
    url = make_database("simops")
    load_demo_into(url, cell_area_m2=TEST_CELL_AREA_M2)
    with Session(engine_for(url)) as session:
        outcome = _simulate(session, city)
        session.commit()
    return url, outcome


@pytest.fixture
def session(simulated: tuple[str, Outcome]) -> Iterator[Session]:
    with Session(engine_for(simulated[0])) as s:
        yield s


def _snapshot(session: Session) -> list[tuple[int, str, list[str]]]:
    """Per report that opened a case (by its number in the run): the case's state and the
    kinds of its events, in order."""
    prefix = key_prefix(fingerprint=city_fingerprint(session=session), seed=SEED, end=END)
    rows = session.execute(
        select(Report.idempotency_key, Case.id, Case.status)
        .join(Case, Case.id == Report.case_id)
        .where(Report.idempotency_key.startswith(prefix), Report.attached.is_(False))
    ).all()
    kinds: dict[int, list[str]] = defaultdict(list)
    for case_id, kind in session.execute(
        select(CaseEvent.case_id, CaseEvent.kind).order_by(CaseEvent.id)
    ):
        kinds[case_id].append(kind)
    return sorted(
        (int(str(key).removeprefix(prefix)), status, kinds[case_id])
        for key, case_id, status in rows
    )


def test_the_same_seed_and_end_give_the_same_acts_on_another_database(
    session: Session, simulated: tuple[str, Outcome], demo_session: Session, city: DemoCity
) -> None:
    again = _simulate(demo_session, city)
    assert again.acts == simulated[1].acts and again.reports == simulated[1].reports
    first, second = _snapshot(session), _snapshot(demo_session)
    assert len(first) > 100 and first == second
    assert any("callback" in kinds for _, _, kinds in first)  # call-backs replay alike


def test_every_act_was_done_and_none_refused(simulated: tuple[str, Outcome]) -> None:
    outcome = simulated[1]
    assert not outcome.refused
    assert outcome.reports >= VOLUME
    assert {"triage", "acknowledge", "on_site", "resolve", "verify", "evaluate"} <= set(
        outcome.acts
    )
    assert {"callback", "callback_decision"} <= set(outcome.acts)


def test_hotline_cases_are_called_back_and_the_call_backs_are_the_satisfaction(
    session: Session,
) -> None:
    results = Counter(session.scalars(select(Callback.result)))
    assert {"满意", "基本满意", "不满意"} <= set(results), results
    decisions = Counter(session.scalars(select(Callback.decision)))
    assert decisions["accepted"] and decisions["declined"], decisions
    # every call-back is on a case that came through the hotline; none was evaluated instead
    hotline = select(Report.case_id).where(Report.source == "hotline")
    called = set(session.scalars(select(Callback.case_id)))
    assert called <= set(session.scalars(hotline))
    sources = Counter(
        session.scalars(
            select(Case.rating_source).where(Case.id.in_(hotline), Case.rating.is_not(None))
        )
    )
    assert set(sources) == {"callback"}, sources
    # the scoreboard's 满意率 has call-back ratings in it (a street rates nothing it counts)
    items = scored(session=session, where=true(), rules=rules_from(SETTINGS.data_dir), as_of=END)
    rated = Counter(i.timeline.rating_source for i in items if i.timeline.rating is not None)
    assert rated["callback"] > 0 and rated["reporter"] > 0


def test_cases_are_left_in_every_state(session: Session) -> None:
    states = Counter(session.scalars(select(Case.status)))
    assert {"new", "whistled", "resolved", "verified", "closed"} <= set(states)
    assert {"rejected", "merged"} <= set(states)
    assert states["closed"] > states["new"]
    assignments = list(session.scalars(select(Assignment)))
    assert any(overdue_obligations(a, END) for a in assignments)
    assert {"dispatched", "on_site", "resolved", "cancelled"} <= {a.status for a in assignments}
    assert {"approved", "denied"} <= set(session.scalars(select(Extension.status)))


def test_the_acts_reached_disputes_reopenings_supervision_and_joint_whistles(
    session: Session,
) -> None:
    kinds = Counter(session.scalars(select(CaseEvent.kind)))
    for kind in ("case:disputed", "assignment:disputed", "obligation:overdue"):
        assert kinds[kind] > 0, kind
    assert kinds["supervision:chased"] > 0 and kinds["supervision:district"] > 0
    assert kinds["report:attached"] > 0 and kinds["case:merged_in"] > 0
    reopened = session.scalar(
        select(func.count())
        .select_from(CaseEvent)
        .where(CaseEvent.from_status == "resolved", CaseEvent.to_status.in_(["whistled", "new"]))
    )
    assert reopened
    districts = func.count(Assignment.district_code.distinct())
    joint = session.scalars(
        select(Assignment.whistle_id).group_by(Assignment.whistle_id).having(districts > 1)
    ).all()
    assert joint
    assert kinds["comment"] > 0  # the other district on a joint whistle


def test_events_are_the_apis_and_rebuild_the_tables(session: Session) -> None:
    events = list(session.scalars(select(CaseEvent).order_by(CaseEvent.id)))
    assert {e.kind for e in events} <= API_KINDS
    assert all(START <= e.at <= END for e in events)
    case_state: dict[int, str] = {}
    assignment_state: dict[int, str] = defaultdict(lambda: "dispatched")
    for e in events:
        if e.kind.startswith("case:") and e.to_status:
            case_state[e.case_id] = e.to_status
        if e.kind.startswith("assignment:"):
            assignment_state[e.data["assignment_id"]] = str(e.to_status)
    assert case_state == {i: s for i, s in session.execute(select(Case.id, Case.status))}
    for a in session.scalars(select(Assignment)):
        assert assignment_state[a.id] == a.status, a.id


def test_departments_score_differently(session: Session) -> None:
    items = scored(session=session, where=true(), rules=rules_from(SETTINGS.data_dir), as_of=END)
    by_department: dict[str, list[float]] = defaultdict(list)
    for item in items:
        by_department[item.department_code].append(item.score.total)
    means = [mean(v) for v in by_department.values() if len(v) >= 3]
    assert len(means) >= 3 and max(means) - min(means) >= 5


def test_the_api_serves_a_queue_an_overdue_board_and_a_scoreboard_that_differs(
    simulated: tuple[str, Outcome],
) -> None:
    engine = engine_for(simulated[0])
    with engine.connect() as connection:
        outer = connection.begin()
        shared = Session(bind=connection, join_transaction_mode="create_savepoint")
        app = create_app(engine=engine, settings=SETTINGS)
        app.dependency_overrides[get_session] = lambda: shared
        with TestClient(app) as client:
            sign_in(client, shared)
            queue = client.get("/api/cases", params={"status": "new"})
            board = client.get(
                "/api/whistles", params={"overdue": "true", "as_of": END.isoformat()}
            )
            chased = client.get(
                "/api/whistles", params={"supervision": "chased", "as_of": END.isoformat()}
            )
            scores = client.get(
                "/api/assessment/scoreboard", params={"period": "2026-03", "as_of": END.isoformat()}
            )
        shared.close()
        outer.rollback()
    assert queue.status_code == 200 and queue.json()["features"], queue.text
    assert board.status_code == 200 and board.json(), board.text
    assert chased.status_code == 200 and chased.json(), chased.text
    rows = [r for r in scores.json()["rows"] if r["scored"] >= 3 and r["average_score"]]
    assert len({round(r["average_score"]) for r in rows}) >= 3
    assert any(r["chases"] for r in scores.json()["rows"])
