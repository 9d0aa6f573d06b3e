"""Routes: the department and category catalogues (for logged-in users of any role)."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth.deps import ActorDep
from api.departments import service
from api.departments.schemas import CategoryPublic, DepartmentPublic
from api.deps import DistrictFilter, SessionDep, SettingsDep

router = APIRouter(prefix="/api", tags=["catalogues"])


@router.get("/departments", response_model=list[DepartmentPublic])
def list_departments(
    session: SessionDep, _actor: ActorDep, district_code: DistrictFilter = None
) -> list[DepartmentPublic]:
    """Departments, optionally those of one district."""
    rows = service.list_departments(session=session, district_code=district_code)
    return [DepartmentPublic.model_validate(row) for row in rows]


@router.get("/categories", response_model=list[CategoryPublic])
def list_categories(
    session: SessionDep, settings: SettingsDep, _actor: ActorDep
) -> list[CategoryPublic]:
    """The event and component category catalogue, each sub-category with the words callers
    use for it."""
    words = service.category_keywords(settings.data_dir)
    return [
        CategoryPublic.model_validate(row).model_copy(
            update={"keywords": list(words.get(row.code, ()))}
        )
        for row in service.list_categories(session=session)
    ]
