"""``gridwhistle db backup`` and ``db restore``: a round trip of the demo city with cases,
photos and events, and a refusal to restore over a database that holds data."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from api.app import create_app
from api.auth.roles import Role
from api.auth.service import create_user, issue_token
from api.cli import app as cli
from api.config import Settings, get_settings
from api.db.embedded import create_database, drop_database
from api.db.session import engine_for
from api.geography.imports import load_demo_into
from api.hotspots.service import load_events
from tests.api.support import CENTRE, PNG

runner = CliRunner()


def _cli(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """Run ``gridwhistle ARGS`` with DATABASE_URL pointing at ``url``."""
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return runner.invoke(cli, list(args))
    finally:
        get_settings.cache_clear()


def _with_cases(engine: Engine) -> None:
    """Reports (some with photos) that open and join cases, a whistle, hotspot events."""
    with Session(engine) as session:
        worker = create_user(
            session=session,
            username=f"backup-worker-{uuid.uuid4().hex[:6]}",
            role=Role.GRID_WORKER,
            jurisdiction="110102020",
        )
        street = create_user(
            session=session,
            username=f"backup-street-{uuid.uuid4().hex[:6]}",
            role=Role.STREET,
            jurisdiction="110102020",
        )
        tokens = {"worker": issue_token(session=session, user=worker)}
        tokens["street"] = issue_token(session=session, user=street)
        load_events(
            session=session,
            events=pd.DataFrame(
                [
                    {
                        "event_id": f"BACKUP-{n}",
                        "at": f"2025-11-2{n}T08:00:00+08:00",
                        "lon": CENTRE[0],
                        "lat": CENTRE[1],
                        "category": "E0401",
                        "source": "hotline",
                        "grid_code": None,
                        "community_code": None,
                        "street_code": "110102020",
                        "district_code": "110102",
                        "pattern": "",
                    }
                    for n in range(3)
                ]
            ),
        )
        session.commit()
    app = create_app(engine=engine, settings=Settings(environment="test"))
    with TestClient(app) as client:
        case_ids = set()
        for n, category in enumerate(["E0401", "E0401", "E0101", "E0301"]):
            body: dict[str, Any] = {
                "geometry": {"type": "Point", "coordinates": list(CENTRE)},
                "category": category,
                "photos": [{"content_type": "image/png", "data": PNG}] * (n % 2 + 1),
            }
            headers = {"Authorization": f"Bearer {tokens['worker']}", "Idempotency-Key": str(n)}
            answer = client.post("/api/reports", json=body, headers=headers)
            assert answer.status_code == 201, answer.text
            case_ids.add(answer.json()["case_id"])
        whistled = client.post(
            f"/api/cases/{min(case_ids)}/whistle",
            json={},
            headers={"Authorization": f"Bearer {tokens['street']}"},
        )
        assert whistled.status_code == 200, whistled.text


def _contents(url: str) -> tuple[dict[str, int], list[Any], list[Any]]:
    """Rows per table, the case history (events in order) and the cases."""
    with engine_for(url).connect() as conn:
        tables = conn.scalars(
            text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        ).all()
        counts = {t: int(conn.scalar(text(f'SELECT count(*) FROM "{t}"')) or 0) for t in tables}
        history = conn.execute(text("SELECT * FROM case_events ORDER BY case_id, id")).all()
        cases = conn.execute(text("SELECT * FROM cases ORDER BY id")).all()
    return counts, [tuple(r) for r in history], [tuple(r) for r in cases]


@pytest.fixture
def empty_database(admin_url: str) -> Iterator[Callable[[], str]]:
    """Factory: a new database with PostGIS and nothing else, dropped afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"gw_test_restore_{uuid.uuid4().hex[:8]}"
        create_database(admin_url, name)
        made.append(name)
        return admin_url.rsplit("/", 1)[0] + f"/{name}"

    yield make
    for name in made:
        engine_for.cache_clear()
        drop_database(admin_url, name)


def test_a_backup_restores_the_same_rows_and_case_history(
    make_database: Callable[[str], str],
    empty_database: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    source = make_database("backup_source")
    load_demo_into(source, cell_area_m2=400_000)
    _with_cases(engine_for(source))
    before = _contents(source)
    counts = before[0]
    assert counts["cases"] >= 3 and counts["report_photos"] >= 4 and counts["events"] == 3
    assert counts["case_events"] > counts["reports"]  # received, attached and whistled

    file = tmp_path / "demo.dump"
    done = _cli(source, monkeypatch, "db", "backup", str(file))
    assert done.exit_code == 0, done.output
    assert file.read_bytes()[:5] == b"PGDMP"  # the custom format

    target = empty_database()
    done = _cli(target, monkeypatch, "db", "restore", str(file))
    assert done.exit_code == 0, done.output
    assert _contents(target) == before


def test_restore_refuses_a_database_that_holds_data_unless_forced(
    make_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = make_database("backup_small")
    _with_users(engine_for(source), 2)
    file = tmp_path / "small.dump"
    assert _cli(source, monkeypatch, "db", "backup", str(file)).exit_code == 0

    target = make_database("restore_over")  # migrated: its tables exist, with other rows
    _with_users(engine_for(target), 5)
    refused = _cli(target, monkeypatch, "db", "restore", str(file))
    assert refused.exit_code == 1
    assert "is not empty" in refused.output and "--force" in refused.output
    assert _contents(target)[0]["users"] == 5

    forced = _cli(target, monkeypatch, "db", "restore", "--force", str(file))
    assert forced.exit_code == 0, forced.output
    assert _contents(target)[0] == _contents(source)[0]

    missing = _cli(target, monkeypatch, "db", "restore", str(tmp_path / "none.dump"))
    assert missing.exit_code == 1 and "does not exist" in missing.output


def _with_users(engine: Engine, n: int) -> None:
    with Session(engine) as session:
        for _ in range(n):
            create_user(
                session=session,
                username=f"backup-{uuid.uuid4().hex[:8]}",
                role=Role.ANALYST,
                jurisdiction=None,
            )
        session.commit()
