"""The data mark the map and tile caches compare: which writes change it, which do not, that
it counts committed writes only, and that reading it never touches the events."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.orm import Session

from api.maps.cache import _VERSION_SQL, data_version
from tests.api.support import PIN, Api

EVENT = (
    "INSERT INTO events (ref, at, category, source, geom, pattern, synthetic) "
    "VALUES (:ref, '2025-03-01 08:00+08', 'E0303', 'patrol', "
    "ST_SetSRID(ST_MakePoint(116.33, 39.89), 4326), '', true)"
)


def _mark(session: Session) -> int:
    return data_version(session=session).mark


def test_no_write_no_change(api: Api) -> None:
    first = data_version(session=api.session)
    api.session.execute(text("SELECT count(*) FROM events")).one()
    assert data_version(session=api.session) == first


def test_inserting_updating_and_deleting_events_each_change_the_mark(api: Api) -> None:
    session = api.session
    marks = [_mark(session)]
    session.execute(text(EVENT), {"ref": "MARK-1"})
    marks.append(_mark(session))
    session.execute(text("UPDATE events SET category = 'E0101' WHERE ref = 'MARK-1'"))
    marks.append(_mark(session))
    session.execute(text("DELETE FROM events WHERE ref = 'MARK-1'"))
    marks.append(_mark(session))
    assert len(set(marks)) == 4, marks


def test_an_update_that_matches_no_row_still_counts_as_a_write(api: Api) -> None:
    # statement triggers fire once per statement, rows or not: a harmless cache miss
    before = _mark(api.session)
    api.session.execute(text("UPDATE events SET category = 'E0101' WHERE ref = 'no such'"))
    assert _mark(api.session) != before


def test_reports_through_the_api_and_by_hand_change_the_mark(api: Api) -> None:
    session = api.session
    before = _mark(session)
    created = api.call("POST", "/api/reports", "worker-gw", json=PIN)
    assert created.status_code == 201, created.text
    after_post = _mark(session)
    assert after_post != before
    report = session.execute(text("SELECT max(id) FROM reports")).scalar_one()
    session.execute(text("UPDATE reports SET category = 'E0101' WHERE id = :id"), {"id": report})
    after_update = _mark(session)
    assert after_update != after_post
    session.execute(text("DELETE FROM report_photos WHERE report_id = :id"), {"id": report})
    session.execute(text("DELETE FROM reports WHERE id = :id"), {"id": report})
    assert _mark(session) not in (before, after_post, after_update)


def test_a_case_moved_to_other_codes_changes_the_mark_its_status_does_not(api: Api) -> None:
    session = api.session
    created = api.call("POST", "/api/reports", "worker-gw", json=PIN)
    assert created.status_code == 201, created.text
    case = int(created.json()["case_id"])
    before = _mark(session)
    session.execute(text("UPDATE cases SET status = status WHERE id = :id"), {"id": case})
    session.execute(
        text("UPDATE assignments SET status = status WHERE case_id = :id"), {"id": case}
    )
    assert _mark(session) == before
    session.execute(
        text("UPDATE cases SET lead_street_code = '110106002' WHERE id = :id"), {"id": case}
    )
    assert _mark(session) != before


def test_reading_the_mark_touches_neither_events_nor_reports(api: Api) -> None:
    plan = "\n".join(
        row[0] for row in api.session.execute(text(f"EXPLAIN {_VERSION_SQL.text}")).all()
    )
    assert "data_marks" in plan and "generations" in plan
    assert " events" not in plan and " reports" not in plan, plan


# -- committed writes, on a database of its own (the suite's demo database is rolled back) --


@pytest.fixture(scope="module")
def marks_url(make_database: Callable[[str], str]) -> str:
    return make_database("marks")


@pytest.fixture
def connect(marks_url: str) -> Iterator[Callable[[], Connection]]:
    engine = create_engine(marks_url)
    opened: list[Connection] = []

    def open_one() -> Connection:
        opened.append(engine.connect())
        return opened[-1]

    yield open_one
    for connection in opened:
        connection.close()
    engine.dispose()


def _sum(connection: Connection) -> int:
    with Session(bind=connection) as session:
        mark = _mark(session)
    connection.rollback()  # end the read's transaction: the next read takes a new snapshot
    return mark


def test_a_write_counts_once_committed_and_never_when_rolled_back(
    connect: Callable[[], Connection],
) -> None:
    reader, writer = connect(), connect()
    before = _sum(reader)
    writer.execute(text(EVENT), {"ref": "MARK-C1"})
    assert _sum(reader) == before  # in flight: a map cut now would not see it
    writer.commit()
    committed = _sum(reader)
    assert committed > before
    writer.execute(text(EVENT), {"ref": "MARK-C2"})
    writer.rollback()
    assert _sum(reader) == committed


def test_concurrent_writers_do_not_wait_for_each_other(
    connect: Callable[[], Connection],
) -> None:
    first, second = connect(), connect()
    first.execute(text(EVENT), {"ref": "MARK-W1"})  # holds its transaction open
    second.execute(text("SET lock_timeout = '2s'"))
    second.execute(text(EVENT), {"ref": "MARK-W2"})  # would time out on a shared counter row
    second.commit()
    first.commit()


def test_marks_of_ended_connections_fold_into_one_row_and_keep_the_sum(
    connect: Callable[[], Connection],
) -> None:
    admin = connect()
    admin.execute(text("INSERT INTO data_marks (backend, mark) VALUES (-1, 7), (-2, 5)"))
    admin.commit()  # as if two connections had written and ended
    before = _sum(admin)
    # the next mark a multiple of 4096: that write folds
    admin.execute(
        text(
            "SELECT setval('data_mark_seq', "
            "(SELECT (last_value / 4096 + 1) * 4096 - 1 FROM data_mark_seq))"
        )
    )
    admin.commit()
    writer = connect()
    own = writer.execute(text("SELECT pg_backend_pid()")).scalar_one()
    old = writer.execute(
        text("SELECT coalesce(max(mark), 0) FROM data_marks WHERE backend = :b"), {"b": own}
    ).scalar_one()
    writer.execute(text(EVENT), {"ref": "MARK-F1"})
    writer.commit()
    rows = {b: m for b, m in admin.execute(text("SELECT backend, mark FROM data_marks"))}
    admin.rollback()
    assert -1 not in rows and -2 not in rows
    assert rows[0] >= 12
    assert rows[own] % 4096 == 0
    assert _sum(admin) == before - old + rows[own]
