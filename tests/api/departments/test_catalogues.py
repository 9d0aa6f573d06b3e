"""Loading the department and category catalogues into PostGIS: checked first, so a wrong
file names its field and writes nothing; a second load updates in place."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.config import get_settings
from api.departments.models import Category, Department
from api.departments.service import load_catalogues
from api.errors import InvalidInput


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the shipped data folder that a test may edit."""
    return Path(shutil.copytree(get_settings().data_dir, tmp_path / "data"))


def _rows(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines[1:] if line.strip() and not line.startswith("#"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _count(session: Session, model: type[Department] | type[Category]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_shipped_catalogues_load_and_load_again_in_place(
    db_session: Session, data_dir: Path
) -> None:
    counts = load_catalogues(session=db_session, data_dir=data_dir)
    assert counts == (_rows(data_dir / "departments.csv"), _rows(data_dir / "categories.csv"))
    assert (_count(db_session, Department), _count(db_session, Category)) == counts
    _edit(
        data_dir / "departments.csv",
        "北京市西城区城市管理委员会",
        "北京市西城区城市管理委员会（新）",
    )
    assert load_catalogues(session=db_session, data_dir=data_dir) == counts
    renamed = db_session.get(Department, "110102-csglw")
    assert renamed is not None
    db_session.refresh(renamed)
    assert renamed.name == "北京市西城区城市管理委员会（新）"
    assert _count(db_session, Department) == counts[0]


def _long_code(data_dir: Path) -> None:
    _edit(data_dir / "departments.csv", "110102-cgzf,", "110102-" + "x" * 40 + ",")


def _unknown_kind(data_dir: Path) -> None:
    _edit(data_dir / "categories.csv", "E0101,暴露垃圾,E01,event", "E0101,暴露垃圾,E01,incident")


def _no_kind_column(data_dir: Path) -> None:
    path = data_dir / "categories.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")


def _district_code(data_dir: Path) -> None:
    _edit(data_dir / "departments.csv", "cgzf,district,110102", "cgzf,district,xicheng")


def _kind_the_rules_need(data_dir: Path) -> None:
    """Every water department goes, but duty rules still summon the water kind."""
    path = data_dir / "departments.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if ",swj," not in line]
    assert len(kept) < len(lines)
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def _missing_file(data_dir: Path) -> None:
    (data_dir / "departments.csv").unlink()


@pytest.mark.parametrize(
    ("spoil", "field", "text"),
    [
        (_long_code, "code", "longer than 32 characters"),
        (_unknown_kind, "kind", "kind of 'E0101' must be event or component, not 'incident'"),
        (_no_kind_column, "kind", "must be event or component, not ''"),
        (_district_code, "district_code", "departments.csv line"),
        (_kind_the_rules_need, None, "unknown department kind 'swj'"),
        (_missing_file, "data_dir", "departments.csv"),
    ],
)
def test_a_wrong_file_names_its_field_and_writes_nothing(
    db_session: Session,
    data_dir: Path,
    spoil: Callable[[Path], None],
    field: str | None,
    text: str,
) -> None:
    load_catalogues(session=db_session, data_dir=data_dir)
    before = sorted(db_session.execute(select(Department.code, Department.name)).all())
    categories = sorted(db_session.execute(select(Category.code, Category.kind)).all())
    spoil(data_dir)
    with pytest.raises(InvalidInput) as caught:
        load_catalogues(session=db_session, data_dir=data_dir)
    if field is not None:
        assert caught.value.field == field
    assert text in caught.value.detail
    db_session.expire_all()
    assert sorted(db_session.execute(select(Department.code, Department.name)).all()) == before
    assert sorted(db_session.execute(select(Category.code, Category.kind)).all()) == categories
