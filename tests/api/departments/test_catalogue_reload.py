"""A served app hears the department catalogue being loaded and routes with the new one, with
no restart (``gridwhistle catalogues load`` notifies on commit), also after its listening
connection was lost."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.config import get_settings
from api.departments.service import load_catalogues
from api.routing.snapshot import LISTENER_NAME
from tests.api.served import Served
from tests.api.support import PIN

SUFFIX = "（新名称）"


def _department_names(served: Served) -> list[str]:
    response = served.post("worker-gw", PIN, key=f"catalogue-{uuid.uuid4().hex}")
    assert response.status_code == 201, response.text
    return [d["name"] for d in response.json()["routing"]["departments"]]


def _load(served: Served, data_dir: Path) -> None:
    with Session(served.engine) as session:
        load_catalogues(session=session, data_dir=data_dir)
        session.commit()


def _renamed_copy(tmp_path: Path) -> Path:
    """The shipped data with every 西城 department renamed."""
    data = Path(shutil.copytree(get_settings().data_dir, tmp_path / "data"))
    path = data / "departments.csv"
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row[0].startswith("110102-"):  # code,name,kind,level,district_code
            row[1] += SUFFIX
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    return data


def _names_within(served: Served, seconds: float, *, renamed: bool) -> list[str]:
    deadline = time.monotonic() + seconds
    while True:
        names = _department_names(served)
        if all(n.endswith(SUFFIX) == renamed for n in names) or time.monotonic() > deadline:
            return names
        time.sleep(0.05)


def test_a_loaded_catalogue_is_routed_with_at_once(served: Served, tmp_path: Path) -> None:
    before = _department_names(served)
    assert before and not any(n.endswith(SUFFIX) for n in before)
    try:
        _load(served, _renamed_copy(tmp_path))
        after = _names_within(served, 5.0, renamed=True)
        assert after == [n + SUFFIX for n in before]
    finally:
        _load(served, get_settings().data_dir)
    assert _names_within(served, 5.0, renamed=False) == before


def _listener_pids(served: Served) -> set[int]:
    with served.engine.connect() as conn:
        return set(
            conn.scalars(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = :name"
                ),
                {"name": LISTENER_NAME},
            )
        )


def test_the_app_listens_again_after_losing_its_connection(served: Served, tmp_path: Path) -> None:
    before = _department_names(served)
    (pid,) = _listener_pids(served)
    with served.engine.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    deadline = time.monotonic() + 10
    while not (_listener_pids(served) - {pid}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _listener_pids(served) - {pid}, "the listener did not connect again"
    try:
        _load(served, _renamed_copy(tmp_path))
        assert _names_within(served, 5.0, renamed=True) == [n + SUFFIX for n in before]
    finally:
        _load(served, get_settings().data_dir)
    assert _names_within(served, 5.0, renamed=False) == before
